"""Training speed of a2c_atari.py and its variants beside Stable-Baselines3's A2C on
Breakout, at the same settings.

    pip install stable-baselines3==2.9.2      # only for this comparison; not a project dependency
    python benchmark/atari_speed.py --repeats 5 --bf16 --bound

Runs one job at a time (nothing else should be running), each in a fresh process with torch's
default thread count, round by round, and prints training steps per second (agent steps, 4 frames
each): ours from the run's own `charts/SPS`, Stable-Baselines3's as `total_timesteps` over the
seconds spent in `learn()`. Both play 16 envs x 5 steps of Breakout with the classic preprocessing
(frame skip 4, 84x84 grayscale, 4 stacked frames, no sticky actions), train the Nature CNN with
RMSprop (ours PyTorch's, the default; Stable-Baselines3's zoo its TensorFlow-like one; the two cost
the same) and skip evaluation. Stable-Baselines3 uses its zoo settings: its Atari wrappers on
BreakoutNoFrameskip-v4 in a DummyVecEnv (the games step one after another in Python).

`--bound` also measures this CPU's limit, each part alone in a fresh process: ALE's 16 games stepped
5 times (random actions), the network's 5 act passes on 16 frame stacks, and one update on the
rollout's 16 x 6 stacks (forward, loss, backward, clipping, RMSprop step). A training loop that does
these one after another cannot beat 80 steps over their sum; the table gives each file's share of it.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from rounds import SB3, Parser, compare, logged_sps, write_page

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


BOUND_JOB = """
import importlib.util, sys, time
import numpy as np, torch
spec = importlib.util.spec_from_file_location("script", sys.argv[1])
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)
args = script.Args(env_id="ALE/Breakout-v5", num_envs=16, **eval(sys.argv[2]))
envs = script.make_envs(args)
agent = script.ActorCritic(envs, args)
optimizer = torch.optim.RMSprop(agent.parameters(), lr=7e-4, alpha=0.99, eps=1e-5)
obs, _ = envs.reset(seed=1)
rng = np.random.default_rng(1)
frames = torch.as_tensor(obs)
batch = frames.repeat(6, 1, 1, 1)
seconds = {"games": 0.0, "act": 0.0, "update": 0.0}
for rollout in range(int(sys.argv[3])):
    start = time.perf_counter()
    for _ in range(5):
        obs, *_ = envs.step(rng.integers(envs.single_action_space.n, size=16))
    seconds["games"] += time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        with torch.no_grad():
            logits, _ = agent(frames)
        torch.distributions.Categorical(logits=logits).sample()
    seconds["act"] += time.perf_counter() - start
    start = time.perf_counter()
    logits, values = agent(batch)
    dist = torch.distributions.Categorical(logits=logits[:80])
    advantages = values[:80].detach()
    loss = -(dist.log_prob(dist.sample()) * advantages).mean() + values.square().mean() - 0.01 * dist.entropy().mean()
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
    optimizer.step()
    seconds["update"] += time.perf_counter() - start
print(*(seconds[part] / int(sys.argv[3]) for part in ("games", "act", "update")))
"""


def bound(network: str, extra: str, rollouts: int) -> tuple:
    """Seconds per rollout of the games, the act passes and the update, each alone, with `network`'s file."""
    cmd = [sys.executable, "-c", BOUND_JOB, str(REPO / network), extra, str(rollouts)]
    result = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return tuple(float(x) for x in result.stdout.strip().splitlines()[-1].split())


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
    parser = Parser(__doc__)
    parser.add_argument("--total-timesteps", type=int, default=32_000, help="agent steps a run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, seeds 1, 2, ...")
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    parser.add_argument("--no-variant", action="store_true", help="skip the variants (overlap, tf_rmsprop)")
    parser.add_argument(
        "--bf16", action="store_true",
        help="also time a2c_atari_overlap.py --bf16",
    )
    parser.add_argument(
        "--sb3-passive", action="store_true",
        help="also time Stable-Baselines3 with OMP_WAIT_POLICY=PASSIVE, which a2c_atari_overlap.py sets for itself",
    )
    parser.add_argument("--bound", action="store_true", help="also measure this CPU's limit (see above)")
    args = parser.parse_args()
    if args.total_timesteps < 80 or args.repeats < 1:
        parser.error("--total-timesteps must be at least 80 (one update) and --repeats at least 1")

    variant = "a2c_atari_overlap.py"
    configurations = [("a2c_atari.py", [])]
    if not args.no_variant:
        configurations.append((variant, []))
        configurations.append(("a2c_atari_tf_rmsprop.py", []))
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
    title = f"Breakout, 16 envs x 5 steps, {args.total_timesteps:,} agent steps a run"
    print(title)
    medians, table = compare(jobs, args.repeats)
    text = [title, "", table]
    if args.bound:
        text += ["", "This CPU's limit, each part alone (seconds per rollout of 16 envs x 5 steps; medians of 3 runs "
                 "of 50)", "", "| network | games | act passes | update | bound, steps/s | share of it |",
                 "|---|---|---|---|---|---|"]
        print("\n".join(text[3:]))
        networks = [("a2c_atari.py", "{}", ["a2c_atari.py"]),
                    ("a2c_atari_overlap.py", "{}", ["a2c_atari_overlap.py"])]
        if args.bf16:
            networks.append(("a2c_atari_overlap.py", "{'bf16': True}", ["a2c_atari_overlap.py --bf16"]))
        for network, extra, names in networks:
            parts = np.median([bound(network, extra, 50) for _ in range(3)], axis=0)
            limit = 80 / parts.sum()
            shares = ", ".join(f"{name} {medians[name] / limit:.0%}" for name in names if name in medians)
            label = network + (" --bf16" if "bf16" in extra else "")
            cells = [f"{part:.4f}" for part in parts] + [f"{limit:,.0f}", shares or "-"]
            text.append(f"| {label} | " + " | ".join(cells) + " |")
            print(text[-1], flush=True)
    write_page(args, "benchmark/atari_speed.py", sys.argv[1:], "\n".join(text))


if __name__ == "__main__":
    main()
