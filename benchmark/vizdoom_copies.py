"""Copies of a2c_vizdoom.py that each change how the agent sees the game or how it learns, for benchmark/run.py to
compare.

    python benchmark/vizdoom_copies.py /tmp/copies
    python benchmark/run.py --env-id VizdoomDefendCenter-v1 --solve-threshold 15 --seeds 1 2 3 \
        --scripts a2c_vizdoom.py /tmp/copies/a2c_vizdoom_wide.py --extra "--total-timesteps 500000" \
        --baseline a2c_vizdoom.py

Each copy is the rung with a few lines replaced by benchmark/copies.py, as in benchmark/mujoco_copies.py; a
replaced line that is not found stops this script, so a copy never silently equals the rung.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # copies.py, also when imported
from copies import write_copies  # noqa: E402


def color_frames(frames: int) -> list:
    """The colour screen (RGB) in a stack of `frames` frames, 3 channels each, instead of 4 gray frames."""
    channels = 3 * frames
    stack = f"{frames} stacked frames" if frames > 1 else "one frame, none stacked"
    return [
        ("160x120 grayscale screen resized to 84x84, 4 stacked frames",
         f"160x120 colour screen resized to 84x84, {stack}"),
        ("screen_format=vizdoom.ScreenFormat.GRAY8", "screen_format=vizdoom.ScreenFormat.RGB24"),
        ("        screen = gym.spaces.Box(0, 255, (84, 84), np.uint8)",
         "        screen = gym.spaces.Box(0, 255, (3, 84, 84), np.uint8)"),
        ('cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA)',
         'cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA).transpose(2, 0, 1)'),
        ('        return gym.wrappers.FrameStackObservation(env, 4, padding_type="zero")',
         f'        env = gym.wrappers.FrameStackObservation(env, {frames}, padding_type="zero")\n'
         f"        stacked = gym.spaces.Box(0, 255, ({channels}, 84, 84), np.uint8)\n"
         "        return gym.wrappers.TransformObservation("
         f"env, lambda obs: obs.reshape({channels}, 84, 84), stacked)"),
        ("layer_init(nn.Conv2d(4, 32, 8, stride=4))", f"layer_init(nn.Conv2d({channels}, 32, 8, stride=4))"),
        ("(args.num_steps + 1, args.num_envs, 4, 84, 84)", f"(args.num_steps + 1, args.num_envs, {channels}, 84, 84)"),
    ]


# the learning rate decayed as over the default budget, whatever the run's own (a2c_vizdoom_default_schedule.py)
DEFAULT_SCHEDULE = [
    ("            optimizer.param_groups[0][\"lr\"] = args.learning_rate * (1.0 - update / num_updates)\n",
     "            optimizer.param_groups[0][\"lr\"] = args.learning_rate * max(\n"
     "                0.0, 1.0 - update * batch_size / Args.total_timesteps)\n"),
]

COPIES = {
    # the 160x120 screen resized to 112x84, keeping its 4:3 shape, instead of squashed to 84x84: a third
    # more columns for a distant enemy (the Nature CNN's last feature map becomes 7x10)
    "a2c_vizdoom_wide.py": [
        ("160x120 grayscale screen resized to 84x84", "160x120 grayscale screen resized to 112x84"),
        ("        # the screen alone (not the game's variables), 84x84 as the Nature CNN takes it\n",
         "        # the screen alone (not the game's variables), 112x84: the game's 4:3 shape kept\n"),
        ("        screen = gym.spaces.Box(0, 255, (84, 84), np.uint8)",
         "        screen = gym.spaces.Box(0, 255, (84, 112), np.uint8)"),
        ('cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA)',
         'cv2.resize(obs["screen"], (112, 84), interpolation=cv2.INTER_AREA)'),
        ("layer_init(nn.Linear(64 * 7 * 7, 512))", "layer_init(nn.Linear(64 * 7 * 10, 512))"),
        ("(args.num_steps + 1, args.num_envs, 4, 84, 84)", "(args.num_steps + 1, args.num_envs, 4, 84, 112)"),
    ],
    # the colour screen (RGB, 3 channels a frame, 12 for the stack of 4) instead of the gray one
    "a2c_vizdoom_color.py": color_frames(4),
    # the colour screen with fewer frames stacked: 2 (6 channels) and 1 (3 channels), so that the network's first
    # layer costs about what the rung's 4 gray frames do (the 12 channels of `color` cost 30% of the speed)
    "a2c_vizdoom_color2.py": color_frames(2),
    "a2c_vizdoom_color1.py": color_frames(1),
    # the status bar (health, ammo) drawn in every scenario, where the rung draws it in Health Gathering alone
    # (the copy that first ran on Health Gathering, before the rung drew it there, is this one)
    "a2c_vizdoom_hud.py": [
        ("        # the screen alone (not the game's variables), 84x84 as the Nature CNN takes it\n",
         "        # the screen with its status bar (the health and ammo numbers drawn), 84x84\n"),
        ("            render_hud=args.env_id in STATUS_BAR,\n", "            render_hud=True,\n"),
        ("# rung ended below a random policy, with it drawn far above (docs/results.md). The others hide it.\n",
         "# rung ended below a random policy, with it drawn far above (docs/results.md). This copy draws it in all.\n"),
    ],
    # the learning rate held at 7e-4 instead of decayed to 0 over the run, as the rung had it until the decay did
    # better in training on Defend the Center at 500k (the copy that measured it, a2c_vizdoom_anneal.py, was that
    # rung with the decay)
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
    # the colour copies, likewise, for the other scenarios' short runs
    "a2c_vizdoom_color2_default_schedule.py": color_frames(2) + DEFAULT_SCHEDULE,
    "a2c_vizdoom_color1_default_schedule.py": color_frames(1) + DEFAULT_SCHEDULE,
}

if __name__ == "__main__":
    write_copies("a2c_vizdoom.py", COPIES, sys.argv[1:])
