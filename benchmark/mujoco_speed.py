"""Training speed of a2c_mujoco.py beside Stable-Baselines3's A2C at the same settings, and where the
script's time goes.

    pip install stable-baselines3==2.9.2      # only for this comparison; not a project dependency
    python benchmark/mujoco_speed.py --repeats 3

Runs one job at a time (nothing else should be running), each in a fresh process with one torch
thread, round by round, and prints training steps per second: the script's from its own `charts/SPS`,
Stable-Baselines3's from benchmark/sb3_peer.py, which sets it up from the script's own arguments (16
envs x 5 steps, RMSprop, a 64-64 and a 256-256 tanh network, VecNormalize for the observations and the rewards),
as `total_timesteps` over the seconds spent in `learn()`. Neither evaluates. The script's extra steps of the
value alone a rollout (`--value-steps`, four by default) have no counterpart in Stable-Baselines3's A2C: the
peer does less work.

Then one more run of the script, in this process, splits its training time in three: the physics (the
vector env's `step`, MuJoCo and gymnasium's wrappers), acting (the rest of the rollout: the observation
moments, the policy's forward pass, the sample, the bookkeeping) and the update (from the update's
forward pass to the next rollout: the loss, the backward pass, the optimizer, the value's own steps, the
logging).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rounds import SB3, Parser, compare, load_script, logged_sps, parts_table, timed_run, write_page

REPO = Path(__file__).resolve().parent.parent


def ours(args, seed: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        cmd = [sys.executable, str(REPO / "a2c_mujoco.py"), "--env-id", args.env_id, "--seed", str(seed),
               "--total-timesteps", str(args.total_timesteps), "--eval-episodes", "0", "--no-save-model"]
        subprocess.run(cmd, cwd=folder, env=one_thread(), check=True, capture_output=True)
        return logged_sps(folder)


def sb3(args, seed: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        cmd = [sys.executable, str(REPO / "benchmark" / "sb3_peer.py"), str(REPO / "a2c_mujoco.py"), "--env-id",
               args.env_id, "--seed", str(seed), "--total-timesteps", str(args.total_timesteps), "--eval-episodes", "0"]
        subprocess.run(cmd, cwd=folder, env=one_thread(), check=True, capture_output=True)
        summary = next(Path(folder, "runs").iterdir()) / "summary.json"
        return float(json.loads(summary.read_text())["sps"])


def one_thread() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def breakdown(args) -> str:
    """One run of the script in this process, its training time split into physics, acting and update."""
    module = load_script("a2c_mujoco.py")
    run_args = module.Args(env_id=args.env_id, total_timesteps=args.total_timesteps, eval_episodes=0, save_model=False)
    summary, physics, rollout, update = timed_run(module, run_args)
    parts = [("physics (the vector env's step)", physics),
             ("acting (the rest of the rollout)", rollout - physics),
             ("update (loss, backward, optimizer, value steps, logging)", update),
             ("the rest (before the first rollout, the last update)", summary["train_seconds"] - rollout - update)]
    text = parts_table(summary, parts, "env step")
    print(text, flush=True)
    return text


def main():
    parser = Parser(__doc__)
    parser.add_argument("--env-id", default="HalfCheetah-v5")
    parser.add_argument("--total-timesteps", type=int, default=200_000, help="env steps a run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, seeds 1, 2, ...")
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    args = parser.parse_args()
    if args.total_timesteps < 80 or args.repeats < 1:
        parser.error("--total-timesteps must be at least 80 (one update) and --repeats at least 1")

    jobs = [("a2c_mujoco.py", lambda seed: ours(args, seed))]
    if not args.no_sb3:
        jobs.append((SB3, lambda seed: sb3(args, seed)))
    title = f"{args.env_id}, 16 envs x 5 steps, {args.total_timesteps:,} env steps a run, one torch thread"
    print(title)
    _, table = compare(jobs, args.repeats)
    import torch

    torch.set_num_threads(1)
    parts = breakdown(args)
    write_page(args, "benchmark/mujoco_speed.py", sys.argv[1:], f"{title}\n\n{table}\n\n{parts}")


if __name__ == "__main__":
    main()
