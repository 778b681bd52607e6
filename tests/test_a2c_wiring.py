"""The A2C training loops hand the return functions what the envs really did.

The math tests check the functions on made-up rollouts; these check the loops that fill them, with
gymnasium's own vector env around `CountingEnv` (tests/fake_envs.py): observation t, reward t + 1,
episodes of 3 steps, ended by truncation or by termination. The critic is replaced by V(obs) = 10 t,
so the returns the loss sees can be worked out by hand. One env, rollouts of 5 steps, gamma 0.5:

    step          0    1    2    3        4
    obs t         0    1    2    3 final  0      (obs after the rollout: t = 1, V = 10)
    reward        1    2    3    0        1
    reset step    -    -    -    yes      -
"""

import pytest
import torch

from tests.conftest import load_script

ARGS = dict(num_envs=1, num_steps=5, gamma=0.5, total_timesteps=10, save_model=False, eval_episodes=0)


def capture(monkeypatch, module, name):
    """Record the output of the module's function `name` at every update."""
    seen = []
    original = getattr(module, name)

    def wrapper(*args):
        result = original(*args)
        seen.append([a.clone() if isinstance(a, torch.Tensor) else a for a in args] + [result.clone()])
        return result

    monkeypatch.setattr(module, name, wrapper)
    return seen


# truncated: step 2 bootstraps from V(final obs) = 30: R_2 = 3 + 0.5 * 30 = 18, R_1 = 2 + 0.5 * 18 = 11,
# R_0 = 1 + 0.5 * 11 = 6.5. terminated: no bootstrap: R_2 = 3, R_1 = 3.5, R_0 = 2.75.
# In both, the new episode's first step bootstraps from V(t = 1) = 10: R_4 = 1 + 0.5 * 10 = 6.
EXPECTED_RETURNS = {"Truncating-v0": [6.5, 11.0, 18.0, 6.0], "Terminating-v0": [2.75, 3.5, 3.0, 6.0]}
LEARNED = [0, 1, 2, 4]  # step 3 is the reset step


@pytest.mark.parametrize("env_id", ["Truncating-v0", "Terminating-v0"])
def test_a2c_loop_bootstraps_truncation_not_termination(env_id, in_tmp, monkeypatch):
    module = load_script("a2c_cartpole.py")

    class CountValue(module.Critic):
        def forward(self, obs):
            return 10.0 * obs[..., 0] + 0.0 * super().forward(obs)  # keeps a gradient path

    monkeypatch.setattr(module, "Critic", CountValue)
    seen = capture(monkeypatch, module, "n_step_returns")
    summary = module.main(module.Args(env_id=f"tests.fake_envs:{env_id}", **ARGS))

    rewards, values, terminated, is_reset, _, returns = seen[0]
    assert rewards[:, 0].tolist() == [1.0, 2.0, 3.0, 0.0, 1.0]
    assert is_reset[:, 0].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]
    assert terminated[:, 0].tolist() == ([0.0, 0.0, 1.0, 0.0, 0.0] if env_id == "Terminating-v0" else [0.0] * 5)
    # the reset step's observation is the ended episode's final one (t = 3)
    assert values[:, 0].tolist() == [0.0, 10.0, 20.0, 30.0, 0.0, 10.0]
    assert returns[LEARNED, 0].tolist() == EXPECTED_RETURNS[env_id]
    # 2 updates of 5 steps: episodes at steps 0-2, 4-6 and 8-9; the reset steps 3 and 7 are not counted
    assert summary["global_step"] == 8


@pytest.mark.parametrize("env_id", ["Truncating-v0", "Terminating-v0"])
def test_gae_loop_lambda_one_gives_the_n_step_advantages(env_id, in_tmp, monkeypatch):
    module = load_script("a2c_shared_gae.py")

    class CountValue(module.ActorCritic):
        def forward(self, obs):
            logits, values = super().forward(obs)
            return logits, 10.0 * obs[..., 0] + 0.0 * values

    monkeypatch.setattr(module, "ActorCritic", CountValue)
    seen = capture(monkeypatch, module, "gae_advantages")
    module.main(module.Args(env_id=f"tests.fake_envs:{env_id}", gae_lambda=1.0, **ARGS))

    advantages = seen[0][-1]
    # A_t = R_t - V(obs_t), with V = 0, 10, 20 on the first episode and 0 on the next one's first step
    expected = [r - v for r, v in zip(EXPECTED_RETURNS[env_id], [0.0, 10.0, 20.0, 0.0])]
    assert advantages[LEARNED, 0].tolist() == expected
    assert advantages[3, 0] == 0.0
