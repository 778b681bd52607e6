"""Run scripts of the family over seeds in parallel and summarize them as a table and a plot.

    python benchmark/run.py --scripts reinforce_cartpole.py reinforce_rtg_cartpole.py --seeds 1 2 3 4 5

Each run is the script itself, started as a user would start it, in its own folder under
`--out`, with one torch thread. When all are done, every run's TensorBoard events are read back
with TensorBoard's own reader and turned into `results.md` (a markdown table) and `curves.png`.

    python benchmark/run.py --scripts a2c_cartpole.py a2c_shared_gae.py --seeds 1 2 3 \
        --env-id Acrobot-v1 --extra "--total-timesteps 300000"

"Solved" follows Gym's definition: the mean return of the last 100 training episodes reaches
`--solve-threshold`, by default the env's own (CartPole-v1 475, Acrobot-v1 -100, MountainCar-v0
-110, the reward thresholds of their gymnasium registrations). Wall seconds count from the run's
first event (its hyperparameter table, written before the envs start) to the episode that solved it.
"""

import argparse
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

REPO = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scripts", nargs="+", required=True, help="scripts of the family, e.g. a2c_cartpole.py")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="runs at once (default: one per core)")
    parser.add_argument("--out", default=None, help="output folder (default: benchmark/out/<time>)")
    parser.add_argument("--env-id", default="CartPole-v1", help="the env every script runs on (its --env-id)")
    parser.add_argument("--solve-threshold", type=float, default=None, help="default: the env's reward threshold")
    parser.add_argument("--window", type=int, default=100, help="episodes in the solve criterion's mean")
    parser.add_argument("--extra", default="", help="more arguments for every script, e.g. '--total-timesteps 100000'")
    parser.add_argument("--summarize-only", action="store_true", help="only read the runs already in --out")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    for script in args.scripts:
        if not (REPO / script).is_file():
            parser.error(f"no script {script} in {REPO}")
    if args.summarize_only and args.out is None:
        parser.error("--summarize-only needs --out")
    if args.solve_threshold is None:
        import ale_py
        import gymnasium as gym

        gym.register_envs(ale_py)
        try:
            args.solve_threshold = gym.spec(args.env_id).reward_threshold
        except gym.error.Error as e:
            parser.error(f"--env-id {args.env_id}: {str(e).splitlines()[0]}")
        if args.solve_threshold is None:
            parser.error(f"{args.env_id} has no reward threshold of its own; give --solve-threshold")
    return args


def run_one(script: str, seed: int, out: Path, extra: list, env_id: str) -> tuple:
    folder = out / Path(script).stem / f"seed{seed}"
    folder.mkdir(parents=True, exist_ok=False)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, str(REPO / script), "--seed", str(seed), "--env-id", env_id, "--no-save-model", *extra]
    with open(folder / "stdout.txt", "w") as log:
        code = subprocess.call(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    return script, seed, code


def read_run(folder: Path, threshold: float, window: int) -> dict:
    run_dirs = sorted((folder / "runs").glob("*"))
    if not run_dirs:
        return {}
    acc = EventAccumulator(str(run_dirs[-1]), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    start = acc.Tensors("hyperparameters/text_summary")[0].wall_time
    episodes = acc.Scalars("charts/episodic_return")
    steps = np.array([e.step for e in episodes])
    returns = np.array([e.value for e in episodes])
    walls = np.array([e.wall_time for e in episodes]) - start
    run = {"steps": steps, "returns": returns, "solved_step": None, "solved_seconds": None}
    run["last"] = returns[-window:].mean()
    if len(returns) >= window:
        running_mean = np.convolve(returns, np.ones(window) / window, mode="valid")
        hits = np.nonzero(running_mean >= threshold)[0]
        if len(hits):
            index = hits[0] + window - 1
            run["solved_step"], run["solved_seconds"] = int(steps[index]), float(walls[index])
    if "charts/SPS" in tags["scalars"]:
        run["sps"] = acc.Scalars("charts/SPS")[-1].value
    for key in ("", "_std"):
        if f"eval/episodic_return{key}" in tags["scalars"]:
            run[f"eval{key}"] = acc.Scalars(f"eval/episodic_return{key}")[-1].value
    return run


def spread(values, fmt="{:,.0f}") -> str:
    if not values:
        return "-"
    return f"{fmt.format(np.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def summarize(args, out: Path, runs: dict) -> str:
    lines = [
        f"Env: {args.env_id}. Machine: {machine()}; {args.workers} runs at a time, one torch thread each.",
        f"Seeds: {' '.join(map(str, args.seeds))}; extra arguments: `{args.extra or 'none'}`.",
        f"Solved: mean of the last {args.window} training episodes >= {args.solve_threshold:g}; "
        "steps and seconds are medians (min-max) over the seeds that solved.",
        "",
        "| script | solved | env steps to solve | wall s to solve | mean of the last episodes at the end "
        "| final eval (mean of seeds' means) | eval mean >= threshold | steps/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for script in args.scripts:
        seed_runs = [runs[(script, seed)] for seed in args.seeds if runs.get((script, seed))]
        solved = [r for r in seed_runs if r["solved_step"] is not None]
        evals = [r["eval"] for r in seed_runs if "eval" in r]
        eval_stds = [r["eval_std"] for r in seed_runs if "eval_std" in r]
        eval_text = f"{np.mean(evals):.1f} +- {np.mean(eval_stds):.1f}" if evals else "-"
        good = sum(e >= args.solve_threshold for e in evals)
        lines.append(
            f"| {script} | {len(solved)}/{len(args.seeds)} "
            f"| {spread([r['solved_step'] for r in solved])} "
            f"| {spread([r['solved_seconds'] for r in solved], '{:.1f}')} "
            f"| {spread([r['last'] for r in seed_runs], '{:.1f}')} "
            f"| {eval_text} | {good}/{len(args.seeds)} "
            f"| {spread([r['sps'] for r in seed_runs if 'sps' in r])} |"
        )
    lines += ["", f"Per seed (steps to solve / mean of the last {args.window} episodes / eval mean):", ""]
    for script in args.scripts:
        cells = []
        for seed in args.seeds:
            r = runs.get((script, seed)) or {}
            solved = f"{r['solved_step']:,}" if r.get("solved_step") else "not solved"
            last, final_eval = r.get("last", float("nan")), r.get("eval", float("nan"))
            cells.append(f"seed {seed}: {solved} / {last:.1f} / {final_eval:.1f}")
        lines.append(f"- {script}: " + "; ".join(cells))
    return "\n".join(lines) + "\n"


def plot(args, out: Path, runs: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for script in args.scripts:
        curves = [runs[(script, s)] for s in args.seeds if runs.get((script, s))]
        if not curves:
            continue
        end = min(c["steps"][-1] for c in curves)
        grid = np.linspace(0, end, 200)
        # smooth each seed over its last 10 episodes, then put all seeds on one step grid
        smoothed = [
            np.interp(grid, c["steps"], np.convolve(c["returns"], np.ones(10) / 10, mode="full")[: len(c["returns"])])
            for c in curves
        ]
        smoothed = np.array(smoothed)
        line = ax.plot(grid, np.median(smoothed, axis=0), label=f"{Path(script).stem} ({len(curves)} seeds)")
        ax.fill_between(grid, smoothed.min(axis=0), smoothed.max(axis=0), alpha=0.2, color=line[0].get_color())
    ax.axhline(args.solve_threshold, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("env steps (summed over envs)")
    ax.set_ylabel("episodic return (mean of 10 episodes)")
    ax.set_title("median and min-max over seeds")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=100)


def main():
    args = parse_args()
    out = Path(args.out) if args.out else REPO / "benchmark" / "out" / time.strftime("%Y%m%d-%H%M%S")
    extra = args.extra.split()
    if not args.summarize_only:
        out.mkdir(parents=True, exist_ok=True)
        jobs = [(script, seed) for script in args.scripts for seed in args.seeds]
        print(f"{len(jobs)} runs, {args.workers} at a time, into {out}", flush=True)
        with ThreadPoolExecutor(args.workers) as pool:
            futures = [pool.submit(run_one, script, seed, out, extra, args.env_id) for script, seed in jobs]
            for future in futures:
                script, seed, code = future.result()
                print(f"{script} seed {seed}: {'done' if code == 0 else f'FAILED (exit {code})'}", flush=True)
    runs = {}
    for script in args.scripts:
        for seed in args.seeds:
            runs[(script, seed)] = read_run(out / Path(script).stem / f"seed{seed}", args.solve_threshold, args.window)
    table = summarize(args, out, runs)
    (out / "results.md").write_text(table)
    plot(args, out, runs)
    print(table)
    print(f"wrote {out / 'results.md'} and {out / 'curves.png'}")


if __name__ == "__main__":
    main()
