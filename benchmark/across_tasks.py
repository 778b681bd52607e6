"""One change judged across several tasks: the runs benchmark/run.py made of a row and of its baseline on
each task, read back, and the probability of improvement averaged over the tasks.

    python benchmark/across_tasks.py \
        --task Hopper-v5 /work/bench/Hopper-v5/a2c_mujoco_copy /work/bench/Hopper-v5/a2c_mujoco \
        --task Walker2d-v5 /work/bench/Walker2d-v5/a2c_mujoco_copy /work/bench/Walker2d-v5/a2c_mujoco \
        --page /work/bench/across.md

Each --task names a task and two folders of benchmark/run.py's output, the row's and the baseline's (a
folder that holds seed1/, seed2/, ...), every seed finished. A seed's figure is the run's: the mean of its
last 100 training episodes (`--window`). Per task, the page gives what benchmark/run.py's own page gives:
the probability that a seed of the row ends higher than a seed of the baseline, its 95% stratified
bootstrap interval and the verdict.
Across the tasks it gives their mean, as Agarwal et al. (2021) average the probability of improvement
over tasks, with an interval from resampling each task's seeds of each side on their own (benchmark/stats.py).
Its verdict asks the interval to leave 0.5 out and the tasks' one-sided rank tests, combined by Stouffer's
method, to agree at 5% (two-sided); a few tasks that each cannot tell may together. A task where every
seed of both sides ended equal has P = 0.5 in the mean and no part in the combined test.
With one --task the last row repeats that task's P and gives the p-value of its own rank test.
"""

import re
from pathlib import Path

import numpy as np
import stats
from rounds import Parser, write_page
from run import read_run
from scipy import stats as scipy_stats
from stamp import tool_argv


def p_text(p_value: float) -> str:
    """A p-value as a page gives it: three decimals, and "p < 0.001" where three decimals would show 0.000."""
    return "p < 0.001" if p_value < 0.0005 else f"p = {p_value:.3f}"


def finals(folder: Path, window: int) -> tuple[list, int]:
    """The mean of the last `window` training episodes of every finished seed in a row's folder, in the
    seeds' order (seed1/, seed2/, ...; other names are not seeds), and how many seed folders hold no such figure."""
    figures, missing = [], 0
    numbered = [(int(match[1]), path) for path in folder.iterdir() if (match := re.fullmatch(r"seed(\d+)", path.name))]
    # in the order of the seeds, as benchmark/run.py reads them, so that the bootstrap draws what its page drew
    for seed, seed_folder in sorted(numbered):
        run = read_run(seed_folder, threshold=np.inf, window=window)
        if run.get("last") is None:  # not finished, failed, or ended no episode
            missing += 1
        else:
            figures.append(float(run["last"]))
    return figures, missing


def mean_improvement(*samples, axis=-1):
    """The mean over tasks of P(row > baseline); samples are row, baseline, row, baseline, ... by task."""
    pairs = zip(samples[::2], samples[1::2])
    return np.mean([stats.prob_improvement(row, base, axis=axis) for row, base in pairs], axis=0)


def combined_p(tasks: list) -> float:
    """Two-sided p-value of Stouffer's combination of the tasks' one-sided Mann-Whitney tests: twice the
    smaller of the two directions' combined p. Each task's test is the normal approximation (with its
    continuity correction), so a task that goes wholly against the others weighs a finite z, where an
    exact p of 1 would make it minus infinity and silence the rest. A task whose seeds all ended equal
    (both sides at an env's ceiling, say) orders nothing and is left out. One task alone gets its own
    rank test, the p-value behind that task's verdict (exact for few seeds)."""
    if len(tasks) == 1:
        return stats.rank_test(*tasks[0])
    informative = [(row, base) for row, base in tasks if len(set(row) | set(base)) > 1]
    if not informative:
        return 1.0
    combined = []
    for alternative in ("greater", "less"):
        p_values = [scipy_stats.mannwhitneyu(row, base, alternative=alternative, method="asymptotic").pvalue
                    for row, base in informative]
        combined.append(float(scipy_stats.combine_pvalues(p_values, method="stouffer").pvalue))
    return min(1.0, 2 * min(combined))


def main(argv=None):
    parser = Parser(__doc__)
    parser.add_argument("--task", nargs=3, action="append", required=True, metavar=("NAME", "ROW", "BASELINE"),
                        help="a task's name, the row's folder and the baseline's folder")
    parser.add_argument("--window", type=int, default=100,
                        help="a seed's figure: the mean of its last WINDOW training episodes (the runner's --window)")
    parser.set_defaults(no_sb3=True)  # the speed scripts' check for Stable-Baselines3 does not apply here
    args = parser.parse_args(argv)
    if args.window < 1:
        parser.error(f"--window must be at least 1, got {args.window}")
    names = [name for name, _, _ in args.task]
    if len(set(names)) < len(names):
        parser.error("--task: a task named twice")
    tasks, lines = [], []
    for name, row_dir, base_dir in args.task:
        sides = []
        for folder in (Path(row_dir), Path(base_dir)):
            if not folder.is_dir():
                parser.error(f"--task {name}: {folder}: no such folder")
            figures, missing = finals(folder, args.window)
            if missing:
                parser.error(f"--task {name}: {folder}: {missing} seed folder(s) without a finished run that ended "
                             "an episode (still running, or failed): judge them when all have finished")
            if len(figures) < 2:
                parser.error(f"--task {name}: {folder} holds {len(figures)} finished seed(s); it needs 2 or more")
            sides.append(np.array(figures))
        row, base = sides
        probability, low, high, verdict = stats.improvement(row, base)
        lines.append(f"| {name} | {len(row)} / {len(base)} | {stats.iqm(row):,.1f} | {stats.iqm(base):,.1f} "
                     f"| {probability:.2f} [{low:.2f}, {high:.2f}] | {verdict} |")
        tasks.append((row, base))
    samples = [side for pair in tasks for side in pair]
    probability = float(mean_improvement(*samples))
    low, high = stats.interval(mean_improvement, *samples)
    p_value = combined_p(tasks)
    seeds = min(len(side) for side in samples)
    verdict = stats.verdict(probability, low, high, seeds, p_value)
    if len(tasks) > 1:
        label, test = f"**across the {len(tasks)} tasks** (mean)", "combined rank tests"
    else:  # "across the 1 tasks" would misread: the row repeats the task's P and gives its p-value
        label, test = "**the one task**", "its rank test"
    lines.append(f"| {label} | | | | **{probability:.2f} [{low:.2f}, {high:.2f}]** "
                 f"| {verdict} ({test}: {p_text(p_value)}) |")
    folders = "\n".join(f"- {name}: row `{row_dir}`, baseline `{base_dir}`" for name, row_dir, base_dir in args.task)
    text = "\n".join([
        f"A seed's figure: the mean of its last {args.window} training episodes. P: the probability that a seed "
        "of the row ends higher than a seed of the baseline (a tie counts half), with its 95% stratified bootstrap "
        "interval; across tasks, the mean of the tasks' P.", "", folders, "",
        "| task | seeds (row / baseline) | row: final return, IQM | baseline: final return, IQM "
        "| P(row higher) [95%] | verdict |",
        "|---|---|---|---|---|---|", *lines])
    print(text)
    write_page(args, "benchmark/across_tasks.py", tool_argv(argv), text)


if __name__ == "__main__":
    main()
