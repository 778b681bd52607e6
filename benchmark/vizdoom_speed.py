"""Training speed of a2c_vizdoom.py and a2c_vizdoom_overlap.py beside Stable-Baselines3's A2C on
Defend the Center, at the same settings.

    pip install stable-baselines3==2.9.2      # only for this comparison; not a project dependency
    python benchmark/vizdoom_speed.py --repeats 3
    python benchmark/vizdoom_speed.py --repeats 3 --one-thread   # each once more with one torch thread
    python benchmark/vizdoom_speed.py --repeats 3 --copies /tmp/copies/a2c_vizdoom_gray4.py   # and a copy
    python benchmark/vizdoom_speed.py --repeats 3 --breakdown   # and where the rung's time goes

Runs one job at a time (nothing else should be running), each in a fresh process with torch's
default thread count (with `--one-thread`, each once more with one thread), round by round, and
prints training steps per second (agent steps, 4 frames each): ours from the run's own
`charts/SPS`, Stable-Baselines3's as `total_timesteps` over the seconds spent in `learn()`. Both
play 16 games x 5 steps, each game in a process of its own, with the same preprocessing (frame skip
4, a 160x120 colour screen resized to 84x84 by OpenCV's area filter, one frame, no stack), train the
Nature CNN with RMSprop (lr 7e-4, eps 1e-5, entropy 0.01, value 0.5, clipping 0.5) and skip
evaluation. Stable-Baselines3 runs the games in a SubprocVecEnv and moves the colour channels first in
the main process (VecTransposeImage, which it adds itself).

With `--breakdown`, two more measurements of the rung follow, in this process. One run, its training
time split in three: waiting on the games (the vector env's `step`: 16 game processes play 4 frames
each, preprocess and send their screens back), acting (the rest of the rollout: the forward pass, the
sample, the bookkeeping) and the update (from the update's forward pass to the next rollout). Then one
game alone, without the vector env, its step split into the game's (ViZDoom playing 4 frames, the
rounds fired read) and the preprocessing's (the resize to 84x84, the channels moved first).
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rounds import SB3, Parser, compare, load_script, logged_sps, parts_table, timed, timed_run, write_page

REPO = Path(__file__).resolve().parent.parent

SB3_JOB = """
import os, sys, tempfile, time
import cv2, gymnasium as gym, numpy as np, vizdoom, vizdoom.gymnasium_wrapper
from stable_baselines3 import A2C
from stable_baselines3.common.vec_env import SubprocVecEnv
steps, seed = map(int, sys.argv[1:3])

def game():
    os.chdir(tempfile.mkdtemp())  # each game its own _vizdoom/ folder, as in a2c_vizdoom.py
    # one button an action (or none), 4 actions, as a2c_vizdoom.py's default --max-buttons-pressed 1
    env = gym.make("VizdoomDefendCenter-v1", frame_skip=4, max_buttons_pressed=1,
                   screen_resolution=vizdoom.ScreenResolution.RES_160X120, screen_format=vizdoom.ScreenFormat.RGB24)
    space = gym.spaces.Box(0, 255, (84, 84, 3), np.uint8)
    resize = lambda obs: cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA)
    return gym.wrappers.TransformObservation(env, resize, space)

if __name__ == "__main__":
    env = SubprocVecEnv([game] * 16)
    env.seed(seed)
    # its defaults otherwise: RMSprop (alpha 0.99, eps 1e-5), lr 7e-4, gamma 0.99, clipping 0.5
    model = A2C("CnnPolicy", env, n_steps=5, ent_coef=0.01, vf_coef=0.5, seed=seed, verbose=0, device="cpu")
    start = time.time()
    model.learn(total_timesteps=steps)
    print(steps / (time.time() - start))
    env.close()
"""


def ours(args, seed: int, script: str = "a2c_vizdoom.py", env: dict | None = None) -> float:
    with tempfile.TemporaryDirectory() as folder:
        cmd = [
            sys.executable, str(REPO / script), "--seed", str(seed), "--total-timesteps",
            str(args.total_timesteps), "--eval-episodes", "0", "--no-save-model", "--checkpoint-interval", "0",
        ]
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True, env=env)
        return logged_sps(folder)


def sb3(args, seed: int, env: dict | None = None) -> float:
    with tempfile.TemporaryDirectory() as folder:
        job = Path(folder, "sb3_job.py")  # a file, not -c: the game processes re-import it
        job.write_text(SB3_JOB)
        cmd = [sys.executable, str(job), str(args.total_timesteps), str(seed)]
        result = subprocess.run(cmd, cwd=folder, check=True, capture_output=True, text=True, env=env)
        return float(result.stdout.strip().splitlines()[-1])


def breakdown(args) -> str:
    """One run of the rung in this process, its training time split into waiting on the games, acting and
    the update; then one game alone, its step split into the game's and the preprocessing's."""
    module = load_script("a2c_vizdoom.py")
    run_args = module.Args(total_timesteps=args.total_timesteps, eval_episodes=0, save_model=False,
                           checkpoint_interval=0)
    summary, waiting, rollout, update = timed_run(module, run_args)
    parts = [("waiting on the games (the vector env's step)", waiting),
             ("acting (the rest of the rollout)", rollout - waiting),
             ("update (loss, backward, optimizer, logging)", update),
             ("the rest (before the first rollout, the last update, closing the games)",
              summary["train_seconds"] - rollout - update)]
    text = parts_table(summary, parts, "agent step") + "\n\n" + game_alone(module, args.game_steps)
    print(text, flush=True)
    return text


def game_alone(module, steps: int) -> str:
    """One game made as the rung makes each of its 16, stepped `steps` times with random buttons in this
    process: the time of the game's own step against the time of the whole step, preprocessing included."""
    # the game writes _vizdoom/ into its working folder
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        env = module.make_game(module.Args(), folder)()
        game = env.env  # under the resize: the game with its rounds fired
        assert isinstance(game, module.RoundsFired)
        in_game = [0.0]
        game.step = timed(game.step, in_game)
        rng = np.random.default_rng(0)
        env.reset(seed=0)
        whole = 0.0
        for _ in range(steps):
            start = time.perf_counter()
            _, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
            whole += time.perf_counter() - start
            if terminated or truncated:
                env.reset()
        env.close()
    preprocessing = whole - in_game[0]
    return "\n".join([
        f"One game alone in this process, {steps:,} agent steps with random buttons:", "",
        "| part | microseconds an agent step | share |", "|---|---|---|",
        f"| the game (ViZDoom playing 4 frames, the rounds fired read) | {1e6 * in_game[0] / steps:.0f} "
        f"| {in_game[0] / whole:.0%} |",
        f"| preprocessing (resize to 84x84, channels first) | {1e6 * preprocessing / steps:.0f} "
        f"| {preprocessing / whole:.0%} |",
    ])


def main():
    parser = Parser(__doc__)
    parser.add_argument("--total-timesteps", type=int, default=40_000, help="agent steps a run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, seeds 1, 2, ...")
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    parser.add_argument(
        "--active", action="store_true",
        help="also time a2c_vizdoom.py with OMP_WAIT_POLICY=ACTIVE set in its environment",
    )
    parser.add_argument(
        "--one-thread", action="store_true",
        help="also time both files and Stable-Baselines3 with OMP_NUM_THREADS=1 (one torch thread)",
    )
    parser.add_argument(
        "--copies", nargs="+", default=[], metavar="PATH",
        help="also time these copies of a2c_vizdoom.py (benchmark/vizdoom_copies.py writes some)",
    )
    parser.add_argument(
        "--breakdown", action="store_true",
        help="then split one run of a2c_vizdoom.py's time, and one game's step, into their parts",
    )
    parser.add_argument("--game-steps", type=int, default=5_000, help="agent steps of the game alone (--breakdown)")
    args = parser.parse_args()
    if args.game_steps < 1:
        parser.error("--game-steps must be at least 1")
    if args.total_timesteps < 80 or args.repeats < 1:
        parser.error("--total-timesteps must be at least 80 (one update) and --repeats at least 1")
    for path in args.copies:
        if not Path(path).is_file():
            parser.error(f"--copies: {path}: no such file")

    one = dict(os.environ, OMP_NUM_THREADS="1")  # for --one-thread
    jobs = [("a2c_vizdoom.py", lambda seed: ours(args, seed))]
    if args.active:
        active = dict(os.environ, OMP_WAIT_POLICY="ACTIVE")
        jobs.append(("a2c_vizdoom.py, OMP_WAIT_POLICY=ACTIVE", lambda seed: ours(args, seed, env=active)))
    jobs.append(("a2c_vizdoom_overlap.py", lambda seed: ours(args, seed, "a2c_vizdoom_overlap.py")))
    for path in args.copies:
        jobs.append((Path(path).name, lambda seed, path=path: ours(args, seed, str(Path(path).resolve()))))
    if args.one_thread:
        jobs.append(("a2c_vizdoom.py, OMP_NUM_THREADS=1", lambda seed: ours(args, seed, env=one)))
        jobs.append(("a2c_vizdoom_overlap.py, OMP_NUM_THREADS=1",
                     lambda seed: ours(args, seed, "a2c_vizdoom_overlap.py", one)))
    if not args.no_sb3:
        jobs.append((SB3, lambda seed: sb3(args, seed)))
        if args.one_thread:
            jobs.append((f"{SB3}, OMP_NUM_THREADS=1", lambda seed: sb3(args, seed, one)))
    title = f"Defend the Center, 16 games x 5 steps, {args.total_timesteps:,} agent steps a run"
    print(title)
    _, table = compare(jobs, args.repeats)
    text = f"{title}\n\n{table}"
    if args.breakdown:
        text += "\n\n" + breakdown(args)
    write_page(args, "benchmark/vizdoom_speed.py", sys.argv[1:], text)


if __name__ == "__main__":
    main()
