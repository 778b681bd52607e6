"""The REINFORCE scripts' own promises: only complete episodes count, other classic-control envs run, a
modest return on a small budget, equal returns give no gradient, and their bad input (what every script
promises is in tests/test_contract.py)."""

import math

import numpy as np
import pytest
import torch

from tests.helpers import MLP_BAD_INPUT, assert_rejected, load_script, only_run_dir, read_scalars, run_in_process

SCRIPTS = ["reinforce_cartpole.py", "reinforce_rtg_cartpole.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_only_complete_episodes_count(script, tmp_path):
    result = run_in_process(script, "--total-timesteps", "8000", "--eval-episodes", "0", "--no-save-model",
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scalars = read_scalars(only_run_dir(tmp_path))

    # only complete episodes count: each logged step is the running sum of the episode lengths,
    # and on CartPole (reward 1 per step) a return equals its length, so no reset step crept in
    lengths = [value for _, value in scalars["charts/episodic_length"]]
    returns = [value for _, value in scalars["charts/episodic_return"]]
    steps = [step for step, _ in scalars["charts/episodic_length"]]
    assert steps == list(np.cumsum(lengths).astype(int))
    assert returns == lengths
    assert len(lengths) % 16 == 0  # one episode per env per update
    assert steps[-1] >= 8000 and scalars["charts/SPS"][-1][0] == steps[-1]


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("env_id", ["Acrobot-v1", "MountainCar-v0"])
def test_other_discrete_envs_run_to_the_end(script, env_id, tmp_path):
    result = run_in_process(
        script, "--env-id", env_id, "--num-envs", "2", "--total-timesteps", "1000", "--eval-episodes", "1",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "eval over 1 episodes" in result.stdout
    for tag, values in read_scalars(only_run_dir(tmp_path)).items():
        assert all(math.isfinite(value) for _, value in values), tag  # no NaN, whatever the reward scale


@pytest.mark.parametrize("script", SCRIPTS)
def test_learns_cartpole_on_a_small_budget(script, in_tmp):
    module = load_script(script)
    args = module.Args(total_timesteps=40_000, save_model=False, eval_episodes=0)
    module.main(args)
    returns = [value for _, value in read_scalars(only_run_dir(in_tmp))["charts/episodic_return"]]
    # a random policy averages about 22 on CartPole
    assert np.mean(returns[:16]) < 50
    assert np.mean(returns[-32:]) > 150


BAD_INPUT = MLP_BAD_INPUT + [(["--total-timesteps", "100"], "--total-timesteps")]


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("bad_args,mentions", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_one_line_exit_2_nothing_written(script, bad_args, mentions, tmp_path):
    assert_rejected(run_in_process(script, *bad_args, cwd=tmp_path), mentions, tmp_path)


@pytest.mark.parametrize("script", ["reinforce_cartpole.py", "reinforce_rtg_cartpole.py"])
def test_equal_returns_leave_reinforce_without_a_gradient(script, in_tmp, monkeypatch):
    # Acrobot before its first success: every episode of a batch ends at the time limit with the same
    # return (Penalty-v0: -1 a step, cut after 500 steps; 16 episodes). The whole-episode weights R(tau)
    # are then all equal, and standardizing them over the batch, (R - mean) / std, makes every one 0:
    # the gradient is 0 and Adam does not move the policy at all. (In float32 the mean of these 8,000
    # weights is off by 2.3e-5, the std is computed as 2.3e-5, and every weight would be -1.) Rewards-to-go
    # differ along an episode (-100 ... -1), but at each step all 16 are equal, so G_t - b_t is 0 too.
    module = load_script(script)
    initial = {}

    class RecordingPolicy(module.Policy):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            initial.update({key: value.clone() for key, value in self.state_dict().items()})

    monkeypatch.setattr(module, "Policy", RecordingPolicy)
    module.main(module.Args(env_id="tests.fake_envs:Penalty-v0", num_envs=16, total_timesteps=8_000, gamma=0.99,
                            eval_episodes=0))
    final = torch.load(only_run_dir(in_tmp) / f"{script[:-3]}.pt", weights_only=True)["model"]
    assert all(torch.equal(final[key], initial[key]) for key in initial)
