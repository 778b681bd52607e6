"""One change judged across several tasks: the runs benchmark/run.py made of a row and of its baseline on
each task, read back, and the probability of improvement averaged over the tasks.

    python benchmark/across_tasks.py \
        --task Hopper-v5 /work/bench/Hopper-v5/a2c_mujoco_copy /work/bench/Hopper-v5/a2c_mujoco \
        --task Walker2d-v5 /work/bench/Walker2d-v5/a2c_mujoco_copy /work/bench/Walker2d-v5/a2c_mujoco \
        --page /work/bench/across.md

Each --task names a task and two folders of benchmark/run.py's output, the row's and the baseline's (a
folder that holds seed1/, seed2/, ...). A seed's figure is the run's: the mean of its last 100 training
episodes. Per task, the page gives what benchmark/run.py's own page gives: the probability that a seed of
the row ends higher than a seed of the baseline, its 95% stratified bootstrap interval and the verdict.
Across the tasks it gives their mean, as Agarwal et al. (2021) average the probability of improvement
over tasks, with an interval from resampling each task's seeds of each side on their own (benchmark/stats.py).
Its verdict asks the interval to leave 0.5 out and the tasks' one-sided rank tests, combined by Stouffer's
method, to agree at 5% (two-sided); a few tasks that each cannot tell may together. A task where every
seed of both sides ended equal has P = 0.5 in the mean and no part in the combined test.
"""

import sys
from pathlib import Path

import numpy as np
import stats
from rounds import Parser, write_page
from run import read_run
from scipy import stats as scipy_stats

WINDOW = 100


def finals(folder: Path) -> dict:
    """{seed: the mean of its last 100 training episodes} of every finished seed in a row's folder."""
    seeds = {}
    # in the order of the seeds, as benchmark/run.py reads them, so that the bootstrap draws what its page drew
    for seed_folder in sorted(folder.glob("seed[0-9]*"), key=lambda path: int(path.name.removeprefix("seed"))):
        run = read_run(seed_folder, threshold=np.inf, window=WINDOW)
        if run.get("last") is not None:
            seeds[int(seed_folder.name.removeprefix("seed"))] = float(run["last"])
    return seeds


def mean_improvement(*samples, axis=-1):
    """The mean over tasks of P(row > baseline); samples are row, baseline, row, baseline, ... by task."""
    pairs = zip(samples[::2], samples[1::2])
    return np.mean([stats.prob_improvement(row, base, axis=axis) for row, base in pairs], axis=0)


def combined_p(tasks: list, greater: bool) -> float:
    """Two-sided p-value of Stouffer's combination of each task's one-sided Mann-Whitney test. A task whose
    seeds all ended equal (both sides at an env's ceiling, say) orders nothing and is left out of it."""
    alternative = "greater" if greater else "less"
    p_values = [scipy_stats.mannwhitneyu(row, base, alternative=alternative).pvalue for row, base in tasks
                if len(set(row) | set(base)) > 1]
    if not p_values:
        return 1.0
    return min(1.0, 2 * float(scipy_stats.combine_pvalues(p_values, method="stouffer").pvalue))


def main(argv=None):
    parser = Parser(__doc__)
    parser.add_argument("--task", nargs=3, action="append", required=True, metavar=("NAME", "ROW", "BASELINE"),
                        help="a task's name, the row's folder and the baseline's folder")
    parser.set_defaults(no_sb3=True)  # the speed scripts' check for Stable-Baselines3 does not apply here
    args = parser.parse_args(argv)
    tasks, lines = [], []
    for name, row_dir, base_dir in args.task:
        sides = []
        for folder in (Path(row_dir), Path(base_dir)):
            if not folder.is_dir():
                parser.error(f"--task {name}: {folder}: no such folder")
            seeds = finals(folder)
            if len(seeds) < 2:
                parser.error(f"--task {name}: {folder} holds {len(seeds)} finished seed(s); it needs 2 or more")
            sides.append(np.array(list(seeds.values())))
        row, base = sides
        probability, low, high, verdict = stats.improvement(row, base)
        lines.append(f"| {name} | {len(row)} / {len(base)} | {stats.iqm(row):,.1f} | {stats.iqm(base):,.1f} "
                     f"| {probability:.2f} [{low:.2f}, {high:.2f}] | {verdict} |")
        tasks.append((row, base))
    samples = [side for pair in tasks for side in pair]
    probability = float(mean_improvement(*samples))
    low, high = stats.interval(mean_improvement, *samples)
    p_value = combined_p(tasks, greater=probability >= 0.5)
    seeds = min(len(side) for side in samples)
    verdict = stats.verdict(probability, low, high, seeds, p_value)
    lines.append(f"| **across the {len(tasks)} tasks** (mean) | | | | **{probability:.2f} [{low:.2f}, {high:.2f}]** "
                 f"| {verdict} (combined rank tests: p = {p_value:.3f}) |")
    folders = "\n".join(f"- {name}: row `{row_dir}`, baseline `{base_dir}`" for name, row_dir, base_dir in args.task)
    text = "\n".join([
        "A seed's figure: the mean of its last 100 training episodes. P: the probability that a seed of the row "
        "ends higher than a seed of the baseline (a tie counts half), with its 95% stratified bootstrap interval; "
        "across tasks, the mean of the tasks' P.", "", folders, "",
        "| task | seeds (row / baseline) | row: final return, IQM | baseline: final return, IQM "
        "| P(row higher) [95%] | verdict |",
        "|---|---|---|---|---|---|", *lines])
    print(text)
    write_page(args, "benchmark/across_tasks.py", sys.argv[1:] if argv is None else argv, text)


if __name__ == "__main__":
    main()
