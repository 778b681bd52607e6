"""Tiny envs for the tests (some exist only to be rejected): registered on import, reached as `tests.fake_envs:<id>`."""

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


class ScriptedGames(gym.vector.VectorEnv):
    """Stands in for ale-py's vector env (4 gray frames) or ViZDoom's games (one colour frame: channels=3)
    with games whose raw score is known by hand: every game has
    3 lives of 4 steps each and every step scores 7 points, so a game lasts 12 steps and scores 84.
    The env's `lives` info drops after steps 4 and 8 and the game terminates after step 12; the next
    step is gymnasium's NEXT_STEP reset step (reward 0, action ignored)."""

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int, channels: int = 4):
        self.num_envs, self.channels = num_envs, channels
        self.single_observation_space = gym.spaces.Box(0, 255, (channels, 84, 84), dtype=np.uint8)
        self.single_action_space = gym.spaces.Discrete(4)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)
        self.t = np.zeros(num_envs, dtype=np.int64)

    def _obs(self):
        shape = (self.num_envs, self.channels, 84, 84)
        return np.broadcast_to(self.t[:, None, None, None].astype(np.uint8), shape).copy()

    def _lives(self):
        return (3 - self.t // 4).astype(np.int32)

    def reset(self, *, seed=None, options=None):
        self.t[:] = 0
        return self._obs(), {"lives": self._lives()}

    def step(self, actions):
        resetting = self.t == 12
        self.t = np.where(resetting, 0, self.t + 1)
        rewards = np.where(resetting, 0, 7).astype(np.int32)
        terminated = self.t == 12
        return self._obs(), rewards, terminated, np.zeros(self.num_envs, dtype=bool), {"lives": self._lives()}


class PenaltyEnv(CountingEnv):
    """-1 a step and never an end of its own, like Acrobot before its first success: with the time
    limit every episode scores the same."""

    def step(self, action):
        obs, _, terminated, truncated, info = super().step(action)
        return obs, -1.0, terminated, truncated, info


gym.register("Penalty-v0", entry_point=PenaltyEnv, max_episode_steps=500)


class ContinuousCountingEnv(CountingEnv):
    """CountingEnv with one continuous action in [-2, 2] (or unbounded), which it ignores but keeps in
    `actions_seen`, shared by every instance."""

    actions_seen = []

    def __init__(self, bound=2.0, render_mode=None, **kwargs):
        super().__init__(**kwargs)
        self.action_space = gym.spaces.Box(-bound, bound, (1,), dtype=np.float32)

    def step(self, action):
        self.actions_seen.append(float(action[0]))
        return super().step(action)


gym.register("ContinuousTruncating-v0", entry_point=ContinuousCountingEnv, max_episode_steps=3)
gym.register("ContinuousTerminating-v0", entry_point=ContinuousCountingEnv, kwargs={"terminate_at": 3},
             max_episode_steps=100)
gym.register("UnboundedActions-v0", entry_point=ContinuousCountingEnv, kwargs={"bound": np.inf}, max_episode_steps=3)
