"""The A2C CartPole scripts' own promises: reset steps neither counted nor rewarded, other classic-control
envs run, a modest return on a small budget, one torch thread, and their bad input (what every script
promises is in tests/test_contract.py)."""

import math

import numpy as np
import pytest
import torch

from tests.helpers import MLP_BAD_INPUT, assert_rejected, load_script, only_run_dir, read_scalars, run_in_process

SCRIPTS = ["a2c_cartpole.py", "a2c_shared_gae.py", "a2c_shared_gae_fast.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_reset_steps_are_neither_counted_nor_rewarded(script, tmp_path):
    result = run_in_process(
        script, "--num-envs", "8", "--num-steps", "5", "--total-timesteps", "4000", "--eval-episodes", "0",
        "--no-save-model", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    scalars = read_scalars(only_run_dir(tmp_path))

    # reset steps are neither counted nor rewarded: on CartPole (reward 1 per step) a return equals
    # its length, and of the 100 updates x 8 envs x 5 steps every step is counted but the reset
    # step after each finished episode (episodes that end on the last step have theirs after the run)
    lengths = [value for _, value in scalars["charts/episodic_length"]]
    returns = [value for _, value in scalars["charts/episodic_return"]]
    assert returns == lengths
    final_step = scalars["charts/SPS"][-1][0]
    assert 4000 - len(lengths) <= final_step <= 4000 - len(lengths) + 8
    assert sum(lengths) <= final_step


@pytest.mark.parametrize("script", ["a2c_cartpole.py", "a2c_shared_gae.py"])
@pytest.mark.parametrize("env_id", ["Acrobot-v1", "MountainCar-v0"])
def test_other_discrete_envs_run_to_the_end(script, env_id, tmp_path):
    result = run_in_process(
        script, "--env-id", env_id, "--num-envs", "2", "--total-timesteps", "600", "--eval-episodes", "1",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "eval over 1 episodes" in result.stdout
    for tag, values in read_scalars(only_run_dir(tmp_path)).items():
        assert all(math.isfinite(value) for _, value in values), tag  # no NaN, whatever the reward scale


@pytest.mark.parametrize("script", SCRIPTS)
def test_learns_cartpole_on_a_small_budget(script, in_tmp):
    module = load_script(script)
    # 40k steps for 16 envs, 60k for 8 (the shared network's seed 1 made 41 over its last 100 episodes at 40k)
    budget = 40_000 if module.Args().num_envs == 16 else 60_000
    module.main(module.Args(total_timesteps=budget, save_model=False, eval_episodes=0))
    returns = [value for _, value in read_scalars(only_run_dir(in_tmp))["charts/episodic_return"]]
    # a random policy averages about 22 on CartPole
    assert np.mean(returns[:20]) < 50
    assert np.mean(returns[-20:]) > 100


BAD_INPUT = MLP_BAD_INPUT + [
    (["--num-steps", "0"], "--num-steps"),
    (["--total-timesteps", "10"], "--total-timesteps"),
    (["--max-grad-norm", "0"], "--max-grad-norm"),
]


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("bad_args,mentions", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_one_line_exit_2_nothing_written(script, bad_args, mentions, tmp_path):
    assert_rejected(run_in_process(script, *bad_args, cwd=tmp_path), mentions, tmp_path)


def test_bad_gae_lambda(tmp_path):
    assert_rejected(run_in_process("a2c_shared_gae.py", "--gae-lambda", "1.5", cwd=tmp_path), "--gae-lambda", tmp_path)


@pytest.mark.parametrize(
    "script", ["reinforce_cartpole.py", "reinforce_rtg_cartpole.py", "a2c_cartpole.py", "a2c_shared_gae.py"]
)
def test_one_torch_thread_unless_asked(script, in_tmp):
    # side-by-side runs are the normal use: each MLP script takes one of torch's CPU threads by default
    module = load_script(script)
    threads = torch.get_num_threads()
    try:
        for asked, expected in ((None, 1), (2, 2)):
            torch.set_num_threads(3)
            extra = {} if asked is None else dict(torch_threads=asked)
            module.main(module.Args(env_id="tests.fake_envs:Truncating-v0", total_timesteps=40, num_envs=1,
                                    save_model=False, eval_episodes=0, **extra))
            assert torch.get_num_threads() == expected
    finally:
        torch.set_num_threads(threads)
