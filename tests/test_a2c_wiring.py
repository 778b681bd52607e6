"""The A2C training loops hand the return functions what the envs really did, and the loss's gradient
reaches the networks' outputs as worked out by hand.

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

from tests.helpers import COEFS, capture, expected_output_gradients, load_script, record_gradient, recording_step

ARGS = dict(num_envs=1, num_steps=5, gamma=0.5, total_timesteps=10, save_model=False, eval_episodes=0)




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
    # the rewards unscaled, as worked out above (the scaling has a test of its own, below)
    module.main(module.Args(env_id=f"tests.fake_envs:{env_id}", gae_lambda=1.0, scale_rewards=False, **ARGS))

    advantages = seen[0][-1]
    # A_t = R_t - V(obs_t), with V = 0, 10, 20 on the first episode and 0 on the next one's first step
    expected = [r - v for r, v in zip(EXPECTED_RETURNS[env_id], [0.0, 10.0, 20.0, 0.0])]
    assert advantages[LEARNED, 0].tolist() == expected
    assert advantages[3, 0] == 0.0



# The loss's gradient with respect to the networks' outputs, worked out by hand on the same rollouts.
# The policy is held at fixed logits and V(obs) = 10 t as above. With w_t the weight of step t in the
# loss's means (1/4 here: four learned steps; 0 for the reset step) and A_t = R_t - V(s_t):
#     d loss / d V(s_t)      = 2 vf_coef w_t (V(s_t) - R_t)
#     d loss / d logits_t    = -w_t A_t (onehot(a_t) - pi) + ent_coef w_t pi (log pi + H(pi))
# and 0 for the observation after the rollout: the targets and the advantages are constants, so no
# gradient reaches V through them (a missing detach shows up here).
TWO_LOGITS = torch.tensor([3.0, 1.0]).log()  # pi = (0.75, 0.25)


def counting_env_gradients(env_id: str, actions: list[int]):
    returns = torch.zeros(5)
    returns[LEARNED] = torch.tensor(EXPECTED_RETURNS[env_id])
    values = torch.tensor([0.0, 10.0, 20.0, 30.0, 0.0, 10.0])
    weights = torch.tensor([0.25, 0.25, 0.25, 0.0, 0.25])
    return expected_output_gradients(returns, values, weights, actions, TWO_LOGITS)


def test_shared_loop_scales_the_learners_rewards_by_the_std_of_the_discounted_return(in_tmp, monkeypatch):
    # The discounted return of each real step, gamma 0.5, starting afresh after the reset step:
    # 1, 0.5 * 1 + 2 = 2.5, 0.5 * 2.5 + 3 = 4.25, (reset step: none), 1. Their mean is 2.1875, the
    # squared deviations 1.41015625, 0.09765625, 4.25390625 and 1.41015625 sum to 7.171875, so the
    # std over the 4 is sqrt(7.171875 / 4) = 1.3390178...; the first update's rewards are divided by it.
    module = load_script("a2c_shared_gae.py")
    seen = capture(monkeypatch, module, "gae_advantages")
    module.main(module.Args(env_id="tests.fake_envs:Truncating-v0", **ARGS))
    std = (7.171875 / 4) ** 0.5
    torch.testing.assert_close(seen[0][0][:, 0], torch.tensor([1.0, 2.0, 3.0, 0.0, 1.0]) / std)


@pytest.mark.parametrize("env_id", ["Truncating-v0", "Terminating-v0"])
def test_a2c_loss_gradients_by_hand(env_id, in_tmp, monkeypatch):
    module = load_script("a2c_cartpole.py")
    value_grads, logit_grads, actions = [], [], []

    class FixedPolicy(module.Actor):
        def forward(self, obs):
            return record_gradient(TWO_LOGITS + 0.0 * super().forward(obs), logit_grads)

    class CountValue(module.Critic):
        def forward(self, obs):
            return record_gradient(10.0 * obs[..., 0] + 0.0 * super().forward(obs), value_grads)

    monkeypatch.setattr(module, "Actor", FixedPolicy)
    monkeypatch.setattr(module, "Critic", CountValue)
    make_envs = module.make_envs
    monkeypatch.setattr(module, "make_envs", lambda args: recording_step(make_envs(args), actions))
    module.main(module.Args(env_id=f"tests.fake_envs:{env_id}", **ARGS, **COEFS))

    value_grad, logit_grad = counting_env_gradients(env_id, actions[:5])
    assert torch.allclose(value_grads[0][:, 0], value_grad)
    # the actor's update pass sees the rollout's 5 observations, not the one after it
    assert torch.allclose(logit_grads[0][:, 0], logit_grad[:5])


@pytest.mark.parametrize("script", ["a2c_shared_gae.py", "a2c_shared_gae_fast.py"])
@pytest.mark.parametrize("env_id", ["Truncating-v0", "Terminating-v0"])
def test_shared_loss_gradients_by_hand(script, env_id, in_tmp, monkeypatch):
    # the fast variant's hand-written log-probs, entropy and clipping give the textbook gradients too
    module = load_script(script)
    value_grads, logit_grads, actions = [], [], []

    class FixedPolicyCountValue(module.ActorCritic):
        def forward(self, obs):
            logits, values = super().forward(obs)
            logits = record_gradient(TWO_LOGITS + 0.0 * logits, logit_grads)
            return logits, record_gradient(10.0 * obs[..., 0] + 0.0 * values, value_grads)

        def logits(self, obs):  # the fast variant acts with the policy head alone
            return TWO_LOGITS + 0.0 * super().logits(obs)

    monkeypatch.setattr(module, "ActorCritic", FixedPolicyCountValue)
    make_envs = module.make_envs
    monkeypatch.setattr(module, "make_envs", lambda args: recording_step(make_envs(args), actions))
    # lambda 1: the advantages are the n-step ones of the table above
    module.main(module.Args(env_id=f"tests.fake_envs:{env_id}", gae_lambda=1.0, scale_rewards=False, **ARGS, **COEFS))

    value_grad, logit_grad = counting_env_gradients(env_id, actions[:5])
    assert torch.allclose(value_grads[0][:, 0], value_grad)
    assert torch.allclose(logit_grads[0][:, 0], logit_grad)


@pytest.mark.parametrize(
    "script",
    ["a2c_cartpole.py", "a2c_shared_gae.py", "a2c_shared_gae_fast.py", "a2c_mujoco.py", "a2c_atari.py",
     "a2c_atari_overlap.py"],
)
def test_each_optimizer_steps_on_a_gradient_clipped_to_max_grad_norm(script, in_tmp, monkeypatch):
    # the global L2 norm of the gradient each optimizer steps on: max_grad_norm when the raw gradient
    # is larger (1e-4 is far below any raw gradient here), the raw gradient when it is smaller (1e6)
    from tests.fake_envs import ScriptedGames

    module = load_script(script)
    atari = script.startswith("a2c_atari")
    optimizer_class = torch.optim.RMSprop if atari or script == "a2c_mujoco.py" else torch.optim.Adam
    step = optimizer_class.step
    norms = []

    def step_and_record(optimizer, *args, **kwargs):
        # a2c_mujoco.py's steps of the value alone leave the policy's gradients None
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
        return step(optimizer, *args, **kwargs)

    monkeypatch.setattr(optimizer_class, "step", step_and_record)
    if atari:
        monkeypatch.setattr(module, "make_envs", lambda args: ScriptedGames(args.num_envs))
        env_args = dict(env_id="ALE/Breakout-v5")
    elif script == "a2c_mujoco.py":
        env_args = dict(env_id="tests.fake_envs:ContinuousTruncating-v0")
    else:
        env_args = dict(env_id="tests.fake_envs:Truncating-v0")
    optimizers = 2 if script == "a2c_cartpole.py" else 1
    steps_an_update = optimizers + getattr(module.Args(), "value_steps", 1) - 1  # a2c_mujoco.py's value steps
    for max_grad_norm in (1e-4, 1e6):
        norms.clear()
        module.main(module.Args(**env_args, **dict(ARGS, total_timesteps=15), max_grad_norm=max_grad_norm))
        assert len(norms) == 3 * steps_an_update  # 3 updates of 5 steps
        if max_grad_norm == 1e-4:
            assert norms == pytest.approx([1e-4] * len(norms), rel=1e-3)
        else:
            assert all(1e-3 < norm < 1e3 for norm in norms)
