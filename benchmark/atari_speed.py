"""Training speed of a2c_atari.py and a2c_atari_overlap.py beside Stable-Baselines3's A2C on
Breakout, at the same settings.

    pip install stable-baselines3==2.9.2      # only for this comparison; not a project dependency
    python benchmark/atari_speed.py --repeats 5 --bf16

Runs one job at a time (nothing else should be running), each in a fresh process with torch's
default thread count, round by round, and prints training steps per second (agent steps, 4 frames
each): ours from the run's own `charts/SPS`, Stable-Baselines3's as `total_timesteps` over the
seconds spent in `learn()`. Both play 16 envs x 5 steps of Breakout with the classic preprocessing
(frame skip 4, 84x84 grayscale, 4 stacked frames, no sticky actions), train the Nature CNN with
RMSprop (ours PyTorch's, the default; Stable-Baselines3's zoo its TensorFlow-like one; the two cost
the same) and skip evaluation. Stable-Baselines3 uses its zoo settings: its Atari wrappers on
BreakoutNoFrameskip-v4 in a DummyVecEnv (the games step one after another in Python).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rounds import SB3, compare, logged_sps

REPO = Path(__file__).resolve().parent.parent

SB3_JOB = """
import sys, time
import ale_py, gymnasium as gym
from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_atari_env
from stable_baselines3.common.sb2_compat.rmsprop_tf_like import RMSpropTFLike
from stable_baselines3.common.vec_env import VecFrameStack
gym.register_envs(ale_py)
steps, seed = map(int, sys.argv[1:3])
env = VecFrameStack(make_atari_env("BreakoutNoFrameskip-v4", n_envs=16, seed=seed), n_stack=4)
model = A2C("CnnPolicy", env, ent_coef=0.01, vf_coef=0.25, seed=seed, verbose=0, device="cpu",
            policy_kwargs=dict(optimizer_class=RMSpropTFLike, optimizer_kwargs=dict(eps=1e-5)))
start = time.time()
model.learn(total_timesteps=steps)
print(steps / (time.time() - start))
"""


def ours(args, script: str, seed: int, extra: list) -> float:
    with tempfile.TemporaryDirectory() as folder:
        cmd = [
            sys.executable, str(REPO / script), "--env-id", "ALE/Breakout-v5", "--seed", str(seed),
            "--total-timesteps", str(args.total_timesteps), "--eval-episodes", "0", "--no-save-model", *extra,
        ]
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True)
        return logged_sps(folder)


def sb3(args, seed: int, env: dict | None = None) -> float:
    cmd = [sys.executable, "-c", SB3_JOB, str(args.total_timesteps), str(seed)]
    result = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return float(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--total-timesteps", type=int, default=32_000, help="agent steps a run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, seeds 1, 2, ...")
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    parser.add_argument("--no-variant", action="store_true", help="skip a2c_atari_overlap.py")
    parser.add_argument(
        "--bf16", action="store_true",
        help="also time a2c_atari_overlap.py --bf16",
    )
    parser.add_argument(
        "--sb3-passive", action="store_true",
        help="also time Stable-Baselines3 with OMP_WAIT_POLICY=PASSIVE, which a2c_atari_overlap.py sets for itself",
    )
    args = parser.parse_args()
    if args.total_timesteps < 80 or args.repeats < 1:
        parser.error("--total-timesteps must be at least 80 (one update) and --repeats at least 1")

    variant = "a2c_atari_overlap.py"
    configurations = [("a2c_atari.py", [])]
    if not args.no_variant:
        configurations.append((variant, []))
        if args.bf16:
            configurations.append((variant, ["--bf16"]))
    jobs = [
        (" ".join([script, *extra]), lambda seed, script=script, extra=extra: ours(args, script, seed, extra))
        for script, extra in configurations
    ]
    if not args.no_sb3:
        jobs.append((SB3, lambda seed: sb3(args, seed)))
        if args.sb3_passive:
            passive = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
            jobs.append(("Stable-Baselines3 A2C, OMP_WAIT_POLICY=PASSIVE", lambda seed: sb3(args, seed, passive)))
    print(f"Breakout, 16 envs x 5 steps, {args.total_timesteps:,} agent steps a run")
    compare(jobs, args.repeats)


if __name__ == "__main__":
    main()
