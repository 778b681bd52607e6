"""Tiny envs that exist only to be rejected: registered on import, reached as `tests.fake_envs:<id>`."""

import gymnasium as gym
import numpy as np


class ImageObsEnv(gym.Env):
    """Discrete actions but image observations, which the CartPole scripts do not handle."""

    observation_space = gym.spaces.Box(0, 255, (84, 84, 3), dtype=np.uint8)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros((84, 84, 3), dtype=np.uint8), {}

    def step(self, action):
        return np.zeros((84, 84, 3), dtype=np.uint8), 0.0, True, False, {}


gym.register("ImageObs-v0", entry_point=ImageObsEnv, max_episode_steps=10)
