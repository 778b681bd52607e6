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


class CountingEnv(gym.Env):
    """The observation is the step count t within the episode and the reward for leaving t is t + 1,
    so a rollout's returns can be worked out by hand. Terminates on reaching `terminate_at`."""

    observation_space = gym.spaces.Box(0, 1000, (1,), dtype=np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, terminate_at=None):
        self.terminate_at = terminate_at
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([self.t], dtype=np.float32), {}

    def step(self, action):
        reward = float(self.t + 1)
        self.t += 1
        terminated = self.t == self.terminate_at
        return np.array([self.t], dtype=np.float32), reward, terminated, False, {}


# episodes of 3 steps, cut by the time limit (truncated) or ended by the env (terminated)
gym.register("Truncating-v0", entry_point=CountingEnv, max_episode_steps=3)
gym.register("Terminating-v0", entry_point=CountingEnv, kwargs={"terminate_at": 3}, max_episode_steps=100)
