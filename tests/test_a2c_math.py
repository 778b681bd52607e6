"""The n-step returns and GAE of the A2C scripts against hand-computed rollouts.

One rollout of 4 steps in 3 envs, gamma 0.5, with gymnasium's NEXT_STEP autoreset: the step after
a done is a reset step whose observation is the ended episode's final observation.
- env 0: an episode terminates at step 1; step 2 is a reset step; a new episode runs from step 3.
- env 1: an episode is truncated (time limit) at step 1; step 2 is a reset step, and its
  observation, the final one of the truncated episode, has value 30; a new episode from step 3.
- env 2: one episode still running when the rollout ends.
values[t] = V(obs_t); values[4] is the value of the observation after the rollout.
"""

import torch

from tests.helpers import load_script

a2c = load_script("a2c_cartpole.py")
a2c_gae = load_script("a2c_shared_gae.py")
a2c_gae_fast = load_script("a2c_shared_gae_fast.py")  # its hand-written clipping

REWARDS = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0], [1.0, 2.0, 1.0]])
TERMINATED = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
IS_RESET = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
VALUES = torch.tensor(
    [[10.0, 10.0, 0.0], [20.0, 20.0, 0.0], [30.0, 30.0, 0.0], [40.0, 40.0, 0.0], [50.0, 60.0, 8.0]]
)
LEARN = IS_RESET == 0


def test_n_step_returns_by_hand():
    returns = a2c.n_step_returns(REWARDS, VALUES, TERMINATED, IS_RESET, 0.5)
    # env 0: R_3 = 1 + 0.5 * 50 = 26; R_1 = 1 (terminated: no bootstrap); R_0 = 1 + 0.5 * 1 = 1.5
    # env 1: R_3 = 2 + 0.5 * 60 = 32; R_1 = 1 + 0.5 * 30 = 16 (truncated: bootstrap from the
    #        final observation); R_0 = 1 + 0.5 * 16 = 9
    # env 2: R_3 = 1 + 0.5 * 8 = 5, R_2 = 3.5, R_1 = 2.75, R_0 = 2.375
    expected = torch.tensor([[1.5, 9.0, 2.375], [1.0, 16.0, 2.75], [0.0, 0.0, 3.5], [26.0, 32.0, 5.0]])
    torch.testing.assert_close(returns[LEARN], expected[LEARN])


def test_gae_by_hand():
    advantages = a2c_gae.gae_advantages(REWARDS, VALUES, TERMINATED, IS_RESET, 0.5, 0.5)
    # gamma * lambda = 0.25
    # env 0: delta_3 = 1 + 25 - 40 = -14; delta_1 = 1 - 20 = -19 (terminated); delta_0 = 1 + 10 - 10 = 1
    #        A_3 = -14; A_1 = -19; A_0 = 1 + 0.25 * -19 = -3.75
    # env 1: delta_3 = 2 + 30 - 40 = -8; delta_1 = 1 + 15 - 20 = -4; delta_0 = 1
    #        A_3 = -8; A_1 = -4; A_0 = 1 + 0.25 * -4 = 0
    # env 2: delta = 1, 1, 1, 5; A_3 = 5, A_2 = 2.25, A_1 = 1.5625, A_0 = 1.390625
    expected = torch.tensor([[-3.75, 0.0, 1.390625], [-19.0, -4.0, 1.5625], [0.0, 0.0, 2.25], [-14.0, -8.0, 5.0]])
    torch.testing.assert_close(advantages, expected)


def test_gae_lambda_one_is_the_n_step_advantage():
    returns = a2c.n_step_returns(REWARDS, VALUES, TERMINATED, IS_RESET, 0.5)
    advantages = a2c_gae.gae_advantages(REWARDS, VALUES, TERMINATED, IS_RESET, 0.5, 1.0)
    torch.testing.assert_close(advantages[LEARN], (returns - VALUES[:-1])[LEARN])


def test_gae_lambda_zero_is_the_td_error():
    advantages = a2c_gae.gae_advantages(REWARDS, VALUES, TERMINATED, IS_RESET, 0.5, 0.0)
    td_error = REWARDS + 0.5 * (1.0 - TERMINATED) * VALUES[1:] - VALUES[:-1]
    torch.testing.assert_close(advantages[LEARN], td_error[LEARN])
    # by hand for env 1: 1 + 0.5 * 20 - 10 = 1, 1 + 0.5 * 30 - 20 = -4 (truncated), 2 + 0.5 * 60 - 40 = -8
    torch.testing.assert_close(advantages[:, 1][LEARN[:, 1]], torch.tensor([1.0, -4.0, -8.0]))


def test_nothing_crosses_a_reset_step():
    # a huge reward right after the boundary must not leak into the episode before it
    rewards = REWARDS.clone()
    rewards[3] = 1000.0
    returns = a2c.n_step_returns(rewards, VALUES, TERMINATED, IS_RESET, 0.5)
    advantages = a2c_gae.gae_advantages(rewards, VALUES, TERMINATED, IS_RESET, 0.5, 0.9)
    base_returns = a2c.n_step_returns(REWARDS, VALUES, TERMINATED, IS_RESET, 0.5)
    base_advantages = a2c_gae.gae_advantages(REWARDS, VALUES, TERMINATED, IS_RESET, 0.5, 0.9)
    torch.testing.assert_close(returns[:2, :2], base_returns[:2, :2])
    torch.testing.assert_close(advantages[:2, :2], base_advantages[:2, :2])


def _params_with_grads(*grads):
    params = [torch.zeros_like(grad, requires_grad=True) for grad in grads]
    for param, grad in zip(params, grads):
        param.grad = grad.clone()
    return params


def test_clip_grad_norm_by_hand():
    for module in (a2c_gae_fast,):
        # two tensors whose gradients form the vector (3, 0, 4): global norm 5
        params = _params_with_grads(torch.tensor([3.0, 0.0]), torch.tensor([[4.0]]))
        module.clip_grad_norm_(params, 1.0)  # scaled by 1 / 5
        torch.testing.assert_close(params[0].grad, torch.tensor([0.6, 0.0]))
        torch.testing.assert_close(params[1].grad, torch.tensor([[0.8]]))
        params = _params_with_grads(torch.tensor([3.0, 0.0]), torch.tensor([[4.0]]))
        module.clip_grad_norm_(params, 10.0)  # under the limit: left exactly as it was
        assert params[0].grad.tolist() == [3.0, 0.0] and params[1].grad.tolist() == [[4.0]]


def test_clip_grad_norm_matches_torch_bit_for_bit():
    # the fast variant's clipping is torch's own arithmetic without its per-call bookkeeping: the
    # clipped gradients must be identical to torch's, not just close
    generator = torch.Generator().manual_seed(0)
    shapes = [(64, 4), (64,), (64, 64), (64,), (2, 64), (2,)]
    for module in (a2c_gae_fast,):
        for max_norm in (0.05, 0.5, 1e6):
            grads = [torch.randn(shape, generator=generator) for shape in shapes]
            ours, theirs = _params_with_grads(*grads), _params_with_grads(*grads)
            module.clip_grad_norm_(ours, max_norm)
            torch.nn.utils.clip_grad_norm_(theirs, max_norm)
            for a, b in zip(ours, theirs):
                assert torch.equal(a.grad, b.grad)
