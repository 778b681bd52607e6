"""The return functions of the REINFORCE scripts against hand-computed episodes."""

import pytest
import torch

from tests.helpers import load_script

reinforce = load_script("reinforce_cartpole.py")
reinforce_rtg = load_script("reinforce_rtg_cartpole.py")

# Two envs, four steps, gamma 0.5.
# env 0: two episodes of two steps each (the first terminated, the second cut by the time limit)
# env 1: one episode of four steps with rewards 1, 2, 3, 4
REWARDS = torch.tensor([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]])
DONES = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])


def test_reward_to_go_by_hand():
    # env 0: G_1 = 1, G_0 = 1 + 0.5 * 1 = 1.5; the second episode alike, nothing crosses the boundary
    # env 1: G_3 = 4, G_2 = 3 + 2 = 5, G_1 = 2 + 2.5 = 4.5, G_0 = 1 + 2.25 = 3.25
    expected = torch.tensor([[1.5, 3.25], [1.0, 4.5], [1.5, 5.0], [1.0, 4.0]])
    torch.testing.assert_close(reinforce_rtg.rewards_to_go(REWARDS, DONES, 0.5), expected)


def test_whole_episode_return_by_hand():
    # every step carries its own episode's R(tau): 1.5 for both short episodes, 3.25 for the long one
    expected = torch.tensor([[1.5, 3.25], [1.5, 3.25], [1.5, 3.25], [1.5, 3.25]])
    torch.testing.assert_close(reinforce.whole_episode_returns(REWARDS, DONES, 0.5), expected)


def test_episodes_of_different_lengths_undiscounted():
    # env 0: episodes of 3 and 1 steps; env 1: one of 4 steps (gamma 1: plain sums)
    rewards = torch.tensor([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [10.0, 1.0]])
    dones = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    torch.testing.assert_close(
        reinforce_rtg.rewards_to_go(rewards, dones, 1.0),
        torch.tensor([[6.0, 4.0], [5.0, 3.0], [3.0, 2.0], [10.0, 1.0]]),
    )
    torch.testing.assert_close(
        reinforce.whole_episode_returns(rewards, dones, 1.0),
        torch.tensor([[6.0, 4.0], [6.0, 4.0], [6.0, 4.0], [10.0, 4.0]]),
    )


def test_episode_still_running_sums_to_the_end():
    rewards = torch.tensor([[1.0], [1.0], [1.0]])
    dones = torch.zeros(3, 1)
    # gamma 0.9: 1 + 0.9 + 0.81 = 2.71, then 1.9, then 1
    torch.testing.assert_close(reinforce_rtg.rewards_to_go(rewards, dones, 0.9), torch.tensor([[2.71], [1.9], [1.0]]))
    expected = torch.tensor([[2.71], [2.71], [2.71]])
    torch.testing.assert_close(reinforce.whole_episode_returns(rewards, dones, 0.9), expected)


@pytest.mark.parametrize("module", [reinforce, reinforce_rtg], ids=["whole", "rtg"])
def test_first_episode_mask_keeps_each_envs_first_episode(module):
    # env 0 ends at step 1 (steps 2, 3 belong to the next episode); env 1 ends at step 3
    mask = module.first_episode_mask(DONES)
    expected = torch.tensor([[True, True], [True, True], [False, True], [False, True]])
    assert torch.equal(mask, expected)


def test_step_baseline_by_hand():
    # three envs; env 0's first episode ends after step 0, env 1's after step 1, env 2 runs all three
    returns_to_go = torch.tensor([[3.0, 5.0, 10.0], [7.0, 2.0, 6.0], [9.0, 9.0, 1.0]])
    valid = torch.tensor([[True, True, True], [False, True, True], [False, False, True]])
    # step 0: b = (3 + 5 + 10) / 3 = 6 -> -3, -1, 4; step 1: b = (2 + 6) / 2 = 4 -> 0 (not valid), -2, 2;
    # step 2: b = 1 (env 2 alone) -> 0; steps after an episode's end are 0
    expected = torch.tensor([[-3.0, -1.0, 4.0], [0.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(reinforce_rtg.minus_step_mean(returns_to_go, valid), expected)


def test_step_baseline_gives_exact_zeros_for_equal_rewards_to_go():
    # 16 episodes cut after 500 steps of -1 (Acrobot before its first success): at every step all 16
    # G_t are the same number, so every weight must be exactly 0, not the rounding of a float32 mean
    dones = torch.zeros(500, 16)
    dones[-1] = 1.0
    returns_to_go = reinforce_rtg.rewards_to_go(-torch.ones(500, 16), dones, 0.99)
    weights = reinforce_rtg.minus_step_mean(returns_to_go, torch.ones(500, 16, dtype=torch.bool))
    assert torch.count_nonzero(weights) == 0
    # the plain mean of the same values is not exact: (G - mean) is rounding noise on some steps
    assert torch.count_nonzero(returns_to_go - returns_to_go.mean(dim=1, keepdim=True)) > 0
