"""Training speed of the A2C CartPole scripts beside Stable-Baselines3's A2C, at the same settings.

    pip install stable-baselines3==2.9.2      # only for this comparison; not a project dependency
    python benchmark/speed.py --num-envs 8 --num-steps 5 --repeats 3

Runs one job at a time (nothing else should be running), each in a fresh process with one torch
thread, round by round, and prints training steps per second: ours from the run's own
`charts/SPS` (env steps that belong to episodes, over the seconds since training started),
Stable-Baselines3's as `total_timesteps` over the seconds spent in `learn()`. Both use an
8-envs x 5-steps rollout, Adam or RMSprop on a 64-64 tanh MLP (Stable-Baselines3's default
CartPole policy), and no evaluation.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rounds import SB3, Parser, compare, logged_sps, write_page

REPO = Path(__file__).resolve().parent.parent

SB3_JOB = """
import sys, time
from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_vec_env
num_envs, num_steps, steps, seed = map(int, sys.argv[1:5])
model = A2C("MlpPolicy", make_vec_env("CartPole-v1", n_envs=num_envs, seed=seed), n_steps=num_steps,
            ent_coef=0.0, seed=seed, verbose=0)
start = time.time()
model.learn(total_timesteps=steps)
print(steps / (time.time() - start))
"""


def ours(script: str, args, seed: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        cmd = [
            sys.executable, str(REPO / script), "--seed", str(seed), "--num-envs", str(args.num_envs),
            "--num-steps", str(args.num_steps), "--total-timesteps", str(args.total_timesteps),
            "--eval-episodes", "0", "--no-save-model",
        ]
        subprocess.run(cmd, cwd=folder, env=one_thread(), check=True, capture_output=True)
        return logged_sps(folder)


def sb3(args, seed: int) -> float:
    cmd = [sys.executable, "-c", SB3_JOB, str(args.num_envs), str(args.num_steps), str(args.total_timesteps), str(seed)]
    result = subprocess.run(cmd, env=one_thread(), check=True, capture_output=True, text=True)
    return float(result.stdout.strip().splitlines()[-1])


def one_thread() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def main():
    parser = Parser(__doc__)
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--num-steps", type=int, default=5)
    parser.add_argument("--total-timesteps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, seeds 1, 2, ...")
    parser.add_argument("--scripts", nargs="+", default=["a2c_cartpole.py", "a2c_shared_gae.py"])
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    args = parser.parse_args()
    if args.num_envs < 1 or args.num_steps < 1 or args.repeats < 1:
        parser.error("--num-envs, --num-steps and --repeats must be at least 1")
    missing = [script for script in args.scripts if not (REPO / script).is_file()]
    if missing:
        parser.error(f"--scripts: no such file: {missing[0]}")

    jobs = [(script, lambda seed, s=script: ours(s, args, seed)) for script in args.scripts]
    if not args.no_sb3:
        jobs.append((SB3, lambda seed: sb3(args, seed)))
    title = (f"CartPole-v1, {args.num_envs} envs x {args.num_steps} steps, {args.total_timesteps:,} steps a run, "
             "one torch thread")
    print(title)
    _, table = compare(jobs, args.repeats)
    write_page(args, "benchmark/speed.py", sys.argv[1:], f"{title}\n\n{table}")


if __name__ == "__main__":
    main()
