"""What the speed benchmarks share: their command line, the training speed a run logged, implementations
timed round by round against Stable-Baselines3's, and the stamped page they write.

Each round times every implementation once, and its ratio to Stable-Baselines3 is taken within the
round, so a machine whose speed drifts between rounds (a shared virtual machine does) moves both sides of
a ratio alike. The page gives each round's ratio and their geometric mean with its 95% Student-t interval
over the rounds (on the logarithms of the ratios; benchmark/stats.py).
"""

import argparse
import contextlib
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import stats
from stamp import stamp
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

REPO = Path(__file__).resolve().parent.parent

SB3 = "Stable-Baselines3 A2C"


class Parser(argparse.ArgumentParser):
    """A speed script's command line: its docstring as the help, a mistake as one `error:` line and exit status 2."""

    def __init__(self, doc: str):
        super().__init__(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)

    def error(self, message: str):
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)

    def parse_args(self, *args, **kwargs):
        self.add_argument("--page", default=None,
                          help="the stamped page to write (default: benchmark/out/<this script>-<time>.md)")
        parsed = super().parse_args(*args, **kwargs)
        if parsed.page is not None and not parsed.page.endswith(".md"):
            self.error(f"--page must end in .md, got {parsed.page!r}")
        if not parsed.no_sb3 and importlib.util.find_spec("stable_baselines3") is None:
            self.error("Stable-Baselines3 is not installed: pip install stable-baselines3==2.9.2, or add --no-sb3")
        return parsed


def logged_sps(folder: str) -> float:
    """The last `charts/SPS` of the only run under `folder`/runs."""
    acc = EventAccumulator(str(next(Path(folder, "runs").iterdir())), size_guidance={"scalars": 0})
    acc.Reload()
    return acc.Scalars("charts/SPS")[-1].value


def compare(jobs: list, repeats: int) -> tuple[dict, str]:
    """Runs every (name, job(seed) -> steps/s) once a round, seeds 1, 2, ..., and returns each name's
    median and the page's table: steps/s, each round's ratio to Stable-Baselines3 and their interval."""
    sps = {name: [] for name, _ in jobs}
    for seed in range(1, repeats + 1):
        for name, job in jobs:
            sps[name].append(job(seed))
            print(f"round {seed}: {name} {sps[name][-1]:,.0f} steps/s", flush=True)
    lines = ["| implementation | steps/s, median (min-max) | steps/s by round | over Stable-Baselines3's, by round "
             "| over Stable-Baselines3's, geometric mean [95% interval over rounds] |", "|---|---|---|---|---|"]
    for name, values in sps.items():
        by_round = ", ".join(f"{value:,.0f}" for value in values)
        ratio_cells = "- | -"
        if SB3 in sps and name != SB3:
            logs = np.log(np.array(values) / np.array(sps[SB3]))
            low, high = stats.t_interval(logs)
            bounds = f" [{np.exp(low):.2f}x, {np.exp(high):.2f}x]" if not np.isnan(low) else ""
            ratio_cells = f"{', '.join(f'{np.exp(x):.2f}x' for x in logs)} | {np.exp(logs.mean()):.2f}x{bounds}"
        lines.append(f"| {name} | {np.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f}) | {by_round} "
                     f"| {ratio_cells} |")
    table = "\n".join(lines)
    print(table, flush=True)
    return {name: float(np.median(values)) for name, values in sps.items()}, table


def write_page(args, tool: str, argv: list, text: str):
    """The sitting's page: the stamp (command, commit, machine, versions), then what the script measured."""
    default = REPO / "benchmark" / "out" / f"{Path(tool).stem}-{time.strftime('%Y%m%d-%H%M%S')}.md"
    page = Path(args.page) if args.page else default
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(stamp(tool, argv) + "\n\n" + text.strip() + "\n")
    print(f"wrote {page}")


def load_script(path):
    """A script as a module of its own, whose classes and functions a measurement may wrap: a script of the
    repo by its name, or any by its absolute path (importing a script sets nothing and runs nothing; the
    contract tests it)."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(function, seconds: list):
    """`function` wrapped so that each call adds the seconds it took to seconds[0]."""

    def wrapper(*call_args):
        start = time.perf_counter()
        result = function(*call_args)
        seconds[0] += time.perf_counter() - start
        return result

    return wrapper


def timed_run(module, run_args) -> tuple[dict, float, float, float]:
    """One run of a script's main(run_args) in this process, in a scratch folder, timed in parts. Returns its
    summary and the seconds spent in the vector env's `step`, in the rollouts (from the first acting forward
    pass after an update to the next update's forward pass, the env's steps included) and in the updates
    (from an update's forward pass to the next rollout). Acting runs the network without gradients, the
    update with them, which is how the two passes are told apart (the run must not evaluate)."""
    import torch

    marks = []  # (time, what starts): "act" at each acting forward pass, "update" at the update's
    env_step = [0.0]

    class Timed(module.ActorCritic):
        def forward(self, obs):
            marks.append((time.perf_counter(), "update" if torch.is_grad_enabled() else "act"))
            return super().forward(obs)

    make_envs = module.make_envs

    def timed_envs(args):
        envs = make_envs(args)
        envs.step = timed(envs.step, env_step)
        return envs

    module.ActorCritic, module.make_envs = Timed, timed_envs
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        summary = module.main(run_args)
    rollout = update = 0.0
    for (start, kind), (end, _) in zip(marks, marks[1:]):
        if kind == "update":
            update += end - start
        else:
            rollout += end - start
    return summary, env_step[0], rollout, update


def parts_table(summary: dict, parts: list, unit: str) -> str:
    """A timed run's parts, (name, seconds) each, as a table: seconds, share of training, microseconds a step."""
    total, steps = summary["train_seconds"], summary["global_step"]
    lines = [f"One run in this process, {steps:,} {unit}s at {summary['sps']:,} steps/s, {total:.1f} s of training:",
             "", f"| part | seconds | share | microseconds an {unit} |", "|---|---|---|---|"]
    for name, seconds in parts:
        lines.append(f"| {name} | {seconds:.1f} | {seconds / total:.0%} | {1e6 * seconds / steps:.0f} |")
    return "\n".join(lines)
