"""What the speed benchmarks share: their command line, the training speed a run logged, and
implementations timed round by round against Stable-Baselines3's with a markdown table of the medians."""

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

SB3 = "Stable-Baselines3 A2C"


class Parser(argparse.ArgumentParser):
    """A speed script's command line: its docstring as the help, a mistake as one `error:` line and exit status 2."""

    def __init__(self, doc: str):
        super().__init__(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)

    def error(self, message: str):
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)

    def parse_args(self, *args, **kwargs):
        parsed = super().parse_args(*args, **kwargs)
        if not parsed.no_sb3 and importlib.util.find_spec("stable_baselines3") is None:
            self.error("Stable-Baselines3 is not installed: pip install stable-baselines3==2.9.2, or add --no-sb3")
        return parsed


def logged_sps(folder: str) -> float:
    """The last `charts/SPS` of the only run under `folder`/runs."""
    acc = EventAccumulator(str(next(Path(folder, "runs").iterdir())), size_guidance={"scalars": 0})
    acc.Reload()
    return acc.Scalars("charts/SPS")[-1].value


def compare(jobs: list, repeats: int):
    """Runs every (name, job(seed) -> steps/s) once a round, seeds 1, 2, ..., prints the table and
    returns each name's median.

    Round by round, every implementation once a round: a machine whose speed drifts (a shared
    virtual machine does) then slows all of them alike instead of whichever ran last.
    """
    sps = {name: [] for name, _ in jobs}
    for seed in range(1, repeats + 1):
        for name, job in jobs:
            sps[name].append(job(seed))
            print(f"round {seed}: {name} {sps[name][-1]:,.0f} steps/s", flush=True)
    sb3_median = np.median(sps[SB3]) if SB3 in sps else None
    print("| implementation | steps/s, median (min-max) | median over Stable-Baselines3's |\n|---|---|---|")
    for name, values in sps.items():
        ratio = f"{np.median(values) / sb3_median:.2f}x" if sb3_median else "-"
        print(f"| {name} | {np.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f}) | {ratio} |")
    return {name: float(np.median(values)) for name, values in sps.items()}
