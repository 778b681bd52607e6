"""Summarize and plot a2c_atari.py or a2c_vizdoom.py runs: episode scores against agent steps.

    python benchmark/atari_curve.py runs/ALE-Breakout-v5__a2c_atari__1__<time> --out docs/atari_breakout.png

For each run folder prints the mean raw score over the games that ended in the first 250k steps,
in the last 250k steps of the run, and over the last 100 games, and the final evaluation; then draws
each run's scores (one dot a game) with their mean over the last 100 games.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def load(run_dir: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    games = acc.Scalars("charts/episodic_return")
    steps = np.array([event.step for event in games])
    scores = np.array([event.value for event in games])
    evals = {tag: acc.Scalars(tag)[-1].value for tag in acc.Tags()["scalars"] if tag.startswith("eval/")}
    return steps, scores, evals


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="run folders under runs/")
    parser.add_argument("--labels", nargs="+", help="one label a run (default: the folder names)")
    parser.add_argument("--out", type=Path, help="where to write the plot (png)")
    args = parser.parse_args()
    labels = args.labels or [run.name for run in args.runs]
    if len(labels) != len(args.runs):
        parser.error("give one label per run")

    print("| run | games | last step | first 250k steps | last 250k steps | last 100 games | eval |")
    print("|---|---|---|---|---|---|---|")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for run, label in zip(args.runs, labels):
        steps, scores, evals = load(run)
        last = steps[-1]
        early = scores[steps <= 250_000].mean()
        late = scores[steps > last - 250_000].mean()
        evaluation = (
            f"{evals['eval/episodic_return']:.1f} +- {evals['eval/episodic_return_std']:.1f}" if evals else "-"
        )
        cells = [label, len(scores), f"{last:,}", f"{early:.1f}", f"{late:.1f}", f"{scores[-100:].mean():.1f}",
                 evaluation]
        print("| " + " | ".join(map(str, cells)) + " |")
        mean_100 = np.array([scores[max(0, i - 99) : i + 1].mean() for i in range(len(scores))])
        (line,) = ax.plot(steps, mean_100, label=label)
        ax.scatter(steps, scores, s=2, alpha=0.15, color=line.get_color())
    ax.set_xlabel("agent steps (4 frames each), summed over envs")
    ax.set_ylabel("raw game score (dots: games; line: mean of last 100)")
    ax.legend()
    ax.grid(alpha=0.3)
    if args.out:
        fig.tight_layout()
        fig.savefig(args.out, dpi=120)
        print(f"plot written to {args.out}")


if __name__ == "__main__":
    main()
