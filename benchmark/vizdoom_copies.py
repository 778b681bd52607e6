"""Copies of a2c_vizdoom.py that each change how the agent sees the game or how it learns, for benchmark/run.py to
compare.

    python benchmark/vizdoom_copies.py /tmp/copies
    python benchmark/run.py --env-id VizdoomDefendCenter-v1 --solve-threshold 15 --seeds 1 2 3 \
        --scripts a2c_vizdoom.py /tmp/copies/a2c_vizdoom_gray4.py --extra "--total-timesteps 500000" \
        --baseline a2c_vizdoom.py

Each copy is the rung with a few lines replaced by benchmark/copies.py, as in benchmark/mujoco_copies.py; a
replaced line that is not found stops this script, so a copy never silently equals the rung.

The rung's screen was 4 stacked gray frames until one colour frame replaced it (docs/results.md): the copies
of the pages made before then (`wide`, `color`, `color2`, `color1` and the others, each a change of the gray
rung) are what this file writes at the commit each page names.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # copies.py, also when imported
from copies import write_copies  # noqa: E402

# the rung's screen: one colour frame, channels first
SCREEN = '''\
        # the screen alone (not the game's variables): 84x84 as the Nature CNN takes it, its 3 colours as
        # channels, one frame with no stack of past ones (on Defend the Center this learned sooner and scored
        # higher than 4 gray frames, as a2c_atari.py sees its games, and ran faster: docs/results.md)
        screen = gym.spaces.Box(0, 255, (3, 84, 84), np.uint8)
        return gym.wrappers.TransformObservation(
            env, lambda obs: cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA).transpose(2, 0, 1),
            screen,
        )
'''


def screen_of(channels: int) -> list:
    """The network's first layer, the rollout's frames and the checkpoints it resumes, for `channels` channels
    instead of 3."""
    return [
        ("    if channels != 3:", f"    if channels != {channels}:"),
        ("not 3 (one colour frame)", f"not {channels} (this copy's screen)"),
        ("layer_init(nn.Conv2d(3, 32, 8, stride=4))", f"layer_init(nn.Conv2d({channels}, 32, 8, stride=4))"),
        ("(args.num_steps + 1, args.num_envs, 3, 84, 84)", f"(args.num_steps + 1, args.num_envs, {channels}, 84, 84)"),
    ]


# the screen the rung had before: the 160x120 grayscale screen resized to 84x84, in a stack of 4 frames
GRAY4 = [
    ("160x120 colour screen resized to 84x84, one frame: no stack",
     "160x120 grayscale screen resized to 84x84, 4 stacked frames"),
    ("screen_format=vizdoom.ScreenFormat.RGB24", "screen_format=vizdoom.ScreenFormat.GRAY8"),
    (SCREEN, '''\
        # the screen alone (not the game's variables), 84x84 as the Nature CNN takes it, gray, in a stack of 4
        screen = gym.spaces.Box(0, 255, (84, 84), np.uint8)
        env = gym.wrappers.TransformObservation(
            env, lambda obs: cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA), screen
        )
        return gym.wrappers.FrameStackObservation(env, 4, padding_type="zero")
'''),
] + screen_of(4)


def color_frames(frames: int) -> list:
    """The rung's colour screen in a stack of `frames` frames, 3 channels each, instead of one frame."""
    channels = 3 * frames
    return [
        ("160x120 colour screen resized to 84x84, one frame: no stack",
         f"160x120 colour screen resized to 84x84, {frames} stacked frames"),
        (SCREEN, f'''\
        # the screen alone (not the game's variables), 84x84, its 3 colours as channels, in a stack of {frames}
        screen = gym.spaces.Box(0, 255, (3, 84, 84), np.uint8)
        env = gym.wrappers.TransformObservation(
            env, lambda obs: cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA).transpose(2, 0, 1),
            screen,
        )
        env = gym.wrappers.FrameStackObservation(env, {frames}, padding_type="zero")
        stacked = gym.spaces.Box(0, 255, ({channels}, 84, 84), np.uint8)
        return gym.wrappers.TransformObservation(env, lambda obs: obs.reshape({channels}, 84, 84), stacked)
'''),
    ] + screen_of(channels)


# the learning rate decayed as over the default budget, whatever the run's own (a2c_vizdoom_default_schedule.py)
DEFAULT_SCHEDULE = [
    ("            optimizer.param_groups[0][\"lr\"] = args.learning_rate * (1.0 - update / num_updates)\n",
     "            optimizer.param_groups[0][\"lr\"] = args.learning_rate * max(\n"
     "                0.0, 1.0 - update * batch_size / Args.total_timesteps)\n"),
]

COPIES = {
    # the rung's former screen, 4 gray frames, as a2c_atari.py sees its games
    "a2c_vizdoom_gray4.py": GRAY4,
    # the colour screen in a stack of 2 frames (6 channels) and of 4 (12)
    "a2c_vizdoom_color2.py": color_frames(2),
    "a2c_vizdoom_color4.py": color_frames(4),
    # the status bar (health, ammo) drawn in every scenario, where the rung draws it in Health Gathering alone
    "a2c_vizdoom_hud.py": [
        ("            render_hud=args.env_id in STATUS_BAR,\n", "            render_hud=True,\n"),
        ("# rung ended below a random policy, with it drawn far above (docs/results.md). The others hide it.\n",
         "# rung ended below a random policy, with it drawn far above (docs/results.md). This copy draws it in all.\n"),
    ],
    # the learning rate held at 7e-4 instead of decayed to 0 over the run, as the rung had it until the decay did
    # better in training on Defend the Center at 500k
    "a2c_vizdoom_constant_lr.py": [
        ("    anneal_lr: bool = True\n", "    anneal_lr: bool = False\n"),
    ],
    # half the learning rate, held
    "a2c_vizdoom_lr35.py": [
        ("    learning_rate: float = 7e-4\n", "    learning_rate: float = 3.5e-4\n"),
        ("    anneal_lr: bool = True\n", "    anneal_lr: bool = False\n"),
    ],
    # the rate decayed as over the default budget (3M steps) whatever --total-timesteps says, so that a shorter
    # run plays as the start of a default run does (the rung decays over the run's own budget); held at 0 past 3M
    "a2c_vizdoom_default_schedule.py": DEFAULT_SCHEDULE,
    # the former screen, likewise, for the other scenarios' short runs
    "a2c_vizdoom_gray4_default_schedule.py": GRAY4 + DEFAULT_SCHEDULE,
}

if __name__ == "__main__":
    write_copies("a2c_vizdoom.py", COPIES, sys.argv[1:])
