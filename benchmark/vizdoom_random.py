"""The random policy's return on a ViZDoom scenario: the floor a learned policy is compared with.

    python benchmark/vizdoom_random.py --env-id VizdoomHealthGathering-v1 --seeds 1 2 3 --page random.md

Plays `--episodes` episodes a seed (rounded up to a multiple of 10) with actions drawn uniformly from
the script's own action space, in a2c_vizdoom.py's own games (frame skip 4, the same buttons and episode
ends), 10 games at a time and the same number of episodes from each (the first to end would be the
short ones). A seed's figure is the mean return of its episodes, the measure benchmark/run.py's tables
give for the last 100 training episodes; the page gives each seed's and their IQM with its 95%
bootstrap interval.
"""

import argparse
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # stamp.py and stats.py, also when imported
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import a2c_vizdoom  # noqa: E402  (the script's games)
import stamp  # noqa: E402
import stats  # noqa: E402


def play(env_id: str, seed: int, episodes: int, num_envs: int = 10) -> np.ndarray:
    """The returns of each game's first episodes, as many from each (a row a game), actions uniform at random."""
    args = a2c_vizdoom.Args(env_id=env_id, num_envs=num_envs)
    envs = a2c_vizdoom.vector_env(args, num_envs, autoreset=gym.vector.AutoresetMode.SAME_STEP)
    envs.action_space.seed(seed)
    envs.reset(seed=seed)
    per_game = -(-episodes // num_envs)
    returns, running = [[] for _ in range(num_envs)], np.zeros(num_envs)
    while min(len(game) for game in returns) < per_game:
        _, reward, terminated, truncated, _ = envs.step(envs.action_space.sample())
        running += reward
        for i in np.nonzero(terminated | truncated)[0]:
            returns[i].append(running[i])
            running[i] = 0.0
    envs.close()
    return np.array([game[:per_game] for game in returns])


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A mistake in the command line: one line, exit status 2."""
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-id", default="VizdoomDefendCenter-v1", choices=a2c_vizdoom.SCENARIOS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--episodes", type=int, default=100, help="episodes a seed")
    parser.add_argument("--page", default=None, help="write the page to this file too")
    args = parser.parse_args(stamp.tool_argv(argv))
    if args.episodes < 1:
        parser.error(f"--episodes must be at least 1, got {args.episodes}")
    if min(args.seeds) < 0 or len(set(args.seeds)) < len(args.seeds):
        parser.error(f"--seeds must be 0 or more, each given once, got {' '.join(map(str, args.seeds))}")
    if args.page is not None and not (args.page.endswith(".md") and Path(args.page).parent.is_dir()):
        parser.error(f"--page must be a .md file in a folder that exists, got {args.page!r}")
    means = []
    rows = ["| seed | episodes | mean return | min | max |", "|---|---|---|---|---|"]
    for seed in args.seeds:
        returns = play(args.env_id, seed, args.episodes).ravel()
        means.append(returns.mean())
        rows.append(f"| {seed} | {len(returns)} | {returns.mean():.2f} | {returns.min():.1f} | {returns.max():.1f} |")
        print(rows[-1], flush=True)
    low, high = stats.interval(stats.iqm, means)
    page = "\n".join([
        f"# A random policy on {args.env_id}", "", stamp.stamp("benchmark/vizdoom_random.py", stamp.tool_argv(argv)),
        "", *rows, "",
        f"IQM over {len(means)} seeds of each seed's mean return: **{stats.iqm(means):.2f}** [{low:.2f}, {high:.2f}]"
        " (95% bootstrap interval).", "",
    ])
    print(page)
    if args.page:
        Path(args.page).write_text(page)


if __name__ == "__main__":
    main()
