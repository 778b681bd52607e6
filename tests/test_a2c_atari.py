"""a2c_atari.py and its variant a2c_atari_overlap.py: what the learner and the log see on games scored
by hand, the loss's gradient and the life-loss cut in the advantages, the evaluation env's
observations, checkpoints, Ctrl-C at the end of a run and --resume, and their own bad input (a short
real run, Ctrl-C in training and the same seed's same run are in tests/test_contract.py). The tests that drive
the training loop run on both files (the variant with its defaults: the learner thread on); the
variant's own ideas are tested in tests/test_overlap_variants.py."""

import copy
import os
import signal
import time

import numpy as np
import pytest
import torch

from tests.helpers import (
    ATARI_ARGS, COEFS, assert_rejected, capture, expected_output_gradients, load_script, only_run_dir, read_scalars,
    record_gradient, recording_step, run_in_process,
)
from tests.fake_envs import ScriptedGames


SCRIPTS = ["a2c_atari.py", "a2c_atari_overlap.py"]


def stem(script: str) -> str:
    return script.removesuffix(".py")





@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("life_loss_terminal", [True, False])
def test_learner_gets_clipped_rewards_and_lives_the_log_gets_raw_whole_games(
    script, life_loss_terminal, in_tmp, monkeypatch
):
    # ScriptedGames (tests/fake_envs.py): 3 lives of 4 steps, 7 points a step, a game scores 84 in 12
    # steps, then a reset step. Three rollouts of 5 steps: steps 0-11 the game, 12 the reset, 13-14 the next.
    module = load_script(script)
    monkeypatch.setattr(module, "make_envs", lambda args: ScriptedGames(args.num_envs))
    seen = capture(monkeypatch, module, "gae_advantages")
    summary = module.main(module.Args(life_loss_terminal=life_loss_terminal, **ATARI_ARGS))

    # each call's arguments: rewards, values, terminated, is_reset, gamma, lambda
    rewards, terminated, is_reset = (torch.cat([call[i] for call in seen]) for i in (0, 2, 3))
    assert rewards[:, 0].tolist() == [1.0] * 12 + [0.0] + [1.0] * 2  # 7 points clipped to 1
    assert is_reset[:, 0].tolist() == [0.0] * 12 + [1.0] + [0.0] * 2
    ends = [3, 7, 11] if life_loss_terminal else [11]  # lives lost after steps 4 and 8, game over after 12
    assert terminated[:, 0].tolist() == [1.0 if t in ends else 0.0 for t in range(15)]

    scalars = read_scalars(only_run_dir(in_tmp))
    assert [value for _, value in scalars["charts/episodic_return"]] == [84.0]  # not 12 (clipped), not 28 (a life)
    assert [value for _, value in scalars["charts/episodic_length"]] == [12.0]
    assert summary["global_step"] == 14  # the reset step is not counted



@pytest.mark.parametrize("script", SCRIPTS)
def test_loss_gradients_by_hand_with_a_lost_life(script, in_tmp, monkeypatch):
    # The first rollout of ScriptedGames with V(obs) = 10 t and the policy held at fixed logits;
    # gamma 0.5, lambda 1. Every reward is 7, clipped to 1; a life is lost at step 3 (t 3 -> 4),
    # which ends the learner's episode: R_3 = 1, R_2 = 1 + 0.5 R_3 = 1.5, R_1 = 1.75, R_0 = 1.875;
    # step 4 bootstraps from V(t = 5) = 50: R_4 = 1 + 0.5 * 50 = 26. Five learned steps: w = 1/5.
    # (Without the cut, R_3 would be 1 + 0.5 * 40 = 21.) The gradient formulas: tests/test_a2c_wiring.py.
    module = load_script(script)
    value_grads, logit_grads, actions = [], [], []
    four_logits = torch.tensor([3.0, 1.0, 1.0, 1.0]).log()

    class FixedPolicyCountValue(module.ActorCritic):
        def forward(self, obs):
            logits, values = super().forward(obs)
            logits = record_gradient(four_logits + 0.0 * logits, logit_grads)
            return logits, record_gradient(10.0 * obs[:, 0, 0, 0].float() + 0.0 * values, value_grads)

    monkeypatch.setattr(module, "ActorCritic", FixedPolicyCountValue)
    monkeypatch.setattr(module, "make_envs", lambda args: recording_step(ScriptedGames(args.num_envs), actions))
    module.main(module.Args(**dict(ATARI_ARGS, gamma=0.5, gae_lambda=1.0), **COEFS))

    returns = torch.tensor([1.875, 1.75, 1.5, 1.0, 26.0])
    values = torch.tensor([0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    value_grad, logit_grad = expected_output_gradients(returns, values, torch.full((5,), 0.2), actions[:5], four_logits)
    assert torch.allclose(value_grads[0], value_grad)
    assert torch.allclose(logit_grads[0], logit_grad)


def test_gae_stops_at_a_lost_life_without_a_reset():
    gae = load_script("a2c_atari.py").gae_advantages
    # one env, gamma 0.5, lambda 1, rewards 1, V = 0 except V(s_3) = 4, a life lost at step 1:
    # A_2 = 1 + 0.5 * 4 = 3; A_1 = 1 (no bootstrap, nothing carried back); A_0 = 1 + 0.5 * A_1 = 1.5.
    # Without the cut A_1 would be 1 + 0.5 * 3 = 2.5 and A_0 = 2.25.
    rewards = torch.ones(3, 1)
    values = torch.tensor([[0.0], [0.0], [0.0], [4.0]])
    terminated = torch.tensor([[0.0], [1.0], [0.0]])
    advantages = gae(rewards, values, terminated, torch.zeros(3, 1), 0.5, 1.0)
    assert advantages[:, 0].tolist() == [1.5, 1.0, 3.0]


def test_gae_matches_the_cartpole_gae_when_every_termination_is_followed_by_a_reset():
    atari_gae = load_script("a2c_atari.py").gae_advantages
    cartpole_gae = load_script("a2c_shared_gae.py").gae_advantages
    generator = torch.Generator().manual_seed(0)
    T, num_envs = 16, 6
    rewards = torch.randn(T, num_envs, generator=generator)
    values = torch.randn(T + 1, num_envs, generator=generator)
    is_reset = (torch.rand(T, num_envs, generator=generator) < 0.25).float()
    # the step before a reset step ended its episode, terminated or truncated at random
    terminated = torch.zeros(T, num_envs)
    terminated[:-1] = is_reset[1:] * (torch.rand(T - 1, num_envs, generator=generator) < 0.5)
    terminated[is_reset == 1] = 0.0
    assert 0 < terminated.sum() < is_reset.sum()
    for gae_lambda in (0.0, 0.95, 1.0):
        expected = cartpole_gae(rewards, values, terminated, is_reset, 0.99, gae_lambda)
        assert torch.allclose(atari_gae(rewards, values, terminated, is_reset, 0.99, gae_lambda), expected)


def test_eval_env_sees_what_the_training_env_sees():
    module = load_script("a2c_atari.py")
    args = module.Args(env_id="ALE/SpaceInvaders-v5", num_envs=1, noop_max=0)
    train_env, eval_env = module.make_envs(args), module.make_eval_env(args, "unused")
    train_obs, _ = train_env.reset(seed=3)
    eval_obs, _ = eval_env.reset(seed=3)
    rng = np.random.default_rng(0)
    train_score = eval_score = 0.0
    for step in range(300):
        assert np.array_equal(train_obs[0], eval_obs), f"observations differ at step {step}"
        action = int(rng.integers(train_env.single_action_space.n))
        train_obs, train_reward, *_ = train_env.step(np.array([action]))
        eval_obs, eval_reward, *_ = eval_env.step(action)
        train_score += float(train_reward[0])
        eval_score += float(eval_reward)
    # raw points, the same in both: had the training env clipped its rewards (ale-py's default),
    # it would have counted 1 for each 5-to-30-point invader
    assert train_score == eval_score > 0
    train_env.close()
    eval_env.close()


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_run_resumed_after_a_hard_kill_logs_no_step_twice(script, in_tmp, monkeypatch):
    # A hard kill (no checkpoint at the end) leaves events logged after the last checkpoint. Here: a run of
    # 20 updates of 10 steps whose checkpoint of update 3 is put back, as if it had been killed at the end;
    # resumed from it, the run logs updates 4-20 again, and the reader must see each step once.
    module = load_script(script)
    monkeypatch.setattr(module, "make_envs", lambda args: ScriptedGames(args.num_envs))
    args = dict(ATARI_ARGS, num_envs=2, total_timesteps=200, checkpoint_interval=30)
    saves, save = [], torch.save
    monkeypatch.setattr(module.torch, "save", lambda obj, path: (saves.append(copy.deepcopy(obj)), save(obj, path)))
    module.main(module.Args(**args))
    run_dir = only_run_dir(in_tmp)
    first_part = read_scalars(run_dir)["charts/SPS"]
    early = saves[0]
    assert early["update"] == 4 and first_part[-1][0] > early["global_step"]
    torch.save(early, run_dir / "checkpoint.pt")
    (run_dir / "summary.json").unlink()
    module.main(module.Args(**dict(args, resume=str(run_dir / "checkpoint.pt"))))
    for tag, values in read_scalars(run_dir).items():
        if not tag.startswith("charts/episodic"):  # one value an update (two games may end at one step)
            steps = [step for step, _ in values]
            assert len(steps) == len(set(steps)), tag  # without purging: the steps after the checkpoint twice
    # what the first part logged up to the checkpoint stays; the rest is the resumed part's
    steps = [step for step, _ in read_scalars(run_dir)["charts/SPS"]]
    first = [step for step, _ in first_part]
    assert [step for step in steps if step <= early["global_step"]] == [s for s in first if s <= early["global_step"]]
    assert steps[-1] > early["global_step"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_resume_goes_on_from_the_checkpoint_without_overwriting_anything(script, in_tmp, monkeypatch):
    # ScriptedGames: a game is 12 steps and 84 points, then a reset step, so 13 steps a cycle
    module = load_script(script)
    monkeypatch.setattr(module, "make_envs", lambda args: ScriptedGames(args.num_envs))
    args = dict(ATARI_ARGS, num_envs=2, total_timesteps=100, checkpoint_interval=30, save_model=True)
    first = module.main(module.Args(**args))
    run_dir = only_run_dir(in_tmp)
    saved = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    model = torch.load(run_dir / f"{stem(script)}.pt", weights_only=False)["model"]
    # 10 updates of 5 steps in 2 envs: each env finished 3 games and had 3 reset steps (at 12, 25, 38)
    assert saved["update"] == 10
    assert saved["global_step"] == first["global_step"] == 2 * (50 - 3)
    assert saved["recent_returns"] == [84.0] * 6
    assert all(state["step"] == 10 for state in saved["optimizer"]["state"].values())
    assert all(torch.equal(saved["model"][name], model[name]) for name in model)  # the last update's weights
    assert not (run_dir / "checkpoint.pt.tmp").exists()

    # With the optimizer's step turned off, the resumed run ends with the weights and optimizer state
    # it started with, so they must be the checkpoint's (a fresh network would differ everywhere).
    monkeypatch.setattr(torch.optim.RMSprop, "step", lambda self: None)
    second = module.main(module.Args(**dict(args, total_timesteps=150, resume=str(run_dir / "checkpoint.pt"))))
    assert only_run_dir(in_tmp) == run_dir
    resumed = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert resumed["update"] == 15
    for name in model:
        assert torch.equal(resumed["model"][name], saved["model"][name]), name
    for index, state in saved["optimizer"]["state"].items():
        assert torch.equal(resumed["optimizer"]["state"][index]["square_avg"], state["square_avg"])
    # fresh games: 25 steps in each env end 2 games, with 1 reset step between them
    assert resumed["global_step"] == second["global_step"] == 94 + 2 * (25 - 1)
    assert resumed["recent_returns"] == [84.0] * 10
    # the first model is kept, the second saved beside it; the log goes on after the checkpoint's step
    kept = torch.load(run_dir / f"{stem(script)}.pt", weights_only=False)["model"]
    assert all(torch.equal(kept[name], model[name]) for name in model)
    assert (run_dir / f"{stem(script)}_142.pt").exists()
    steps = [step for step, _ in read_scalars(run_dir)["charts/SPS"]]
    assert steps == sorted(steps) and steps[-1] == 142 and any(94 < step < 142 for step in steps)


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("stop_at_step", [13, 18])
def test_ctrl_c_in_the_last_update_still_saves_the_model(script, stop_at_step, in_tmp, monkeypatch, default_sigint):
    # 4 updates of 5 steps in 1 env; SIGINT arrives during the env step numbered stop_at_step:
    # step 13 is in the third update, so the run stops with a checkpoint after 3 updates and no model;
    # step 18 is in the last, so training is over: it saves the model too, but skips the evaluation
    module = load_script(script)
    envs = ScriptedGames(1)
    step, calls = envs.step, []

    def step_then_interrupt(actions):
        calls.append(None)
        if len(calls) == stop_at_step:
            os.kill(os.getpid(), signal.SIGINT)
        return step(actions)

    envs.step = step_then_interrupt
    monkeypatch.setattr(module, "make_envs", lambda args: envs)
    monkeypatch.setattr(module, "evaluate", lambda *args: pytest.fail("evaluated after Ctrl-C"))
    args = module.Args(**dict(ATARI_ARGS, total_timesteps=20, save_model=True, eval_episodes=3))
    with pytest.raises(SystemExit) as stopped:
        module.main(args)
    assert stopped.value.code == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C works again
    run_dir = only_run_dir(in_tmp)
    checkpoint = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert checkpoint["update"] == (stop_at_step - 1) // 5 + 1
    # with the learner thread too, every update it counts was made before it was saved
    assert all(state["step"] == checkpoint["update"] for state in checkpoint["optimizer"]["state"].values())
    assert (run_dir / f"{stem(script)}.pt").exists() == (stop_at_step > 15)


@pytest.mark.parametrize("script", SCRIPTS)
def test_ctrl_c_during_the_evaluation_exits_with_one_line_and_keeps_the_run(
    script, in_tmp, monkeypatch, capsys, default_sigint
):
    module = load_script(script)
    monkeypatch.setattr(module, "make_envs", lambda args: ScriptedGames(args.num_envs))

    def interrupted_evaluation(*args):
        os.kill(os.getpid(), signal.SIGINT)  # the run's handlers are gone by now: Python's own raises
        time.sleep(5)
        pytest.fail("Ctrl-C did not interrupt the evaluation")

    monkeypatch.setattr(module, "evaluate", interrupted_evaluation)
    args = module.Args(**dict(ATARI_ARGS, save_model=True, eval_episodes=3))
    with pytest.raises(SystemExit) as stopped:
        module.main(args)
    assert stopped.value.code == 130
    # 3 updates of 5 env steps, one of them the reset after the 12-step game, which is not counted
    assert capsys.readouterr().out.splitlines()[-1] == "training finished at step 14; the evaluation was stopped"
    run_dir = only_run_dir(in_tmp)
    assert (run_dir / f"{stem(script)}.pt").exists()
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["update"] == 3
    scalars = read_scalars(run_dir)
    assert "charts/episodic_return" in scalars and "eval/episodic_return" not in scalars


@pytest.mark.parametrize("script", SCRIPTS)
def test_resume_rejects_another_experiment_and_a_budget_already_spent(script, tmp_path):
    module = load_script(script)
    checkpoint = tmp_path / "checkpoint.pt"
    run_args = module.Args(num_envs=2, total_timesteps=100, anneal_lr=True)
    torch.save({"args": vars(run_args), "update": 10, "global_step": 100}, checkpoint)
    other = tmp_path / "other.pt"
    torch.save({"model": {}}, other)
    cwd = tmp_path / "empty"
    cwd.mkdir()
    same = ["--num-envs", "2", "--anneal-lr", "--resume", str(checkpoint)]
    cases = [
        (same + ["--total-timesteps", "100"], "at step 100 already"),
        (same + ["--total-timesteps", "200"], "--total-timesteps 100"),  # the lr schedule would jump
        (["--num-envs", "2", "--resume", str(checkpoint), "--total-timesteps", "100"], "anneal_lr=True, not False"),
        (same[2:] + ["--total-timesteps", "100"], "num_envs=2, not 16"),
        (same[:-1] + [str(other), "--total-timesteps", "200"], "not a checkpoint"),
    ]
    for args, mentions in cases:
        assert_rejected(run_in_process(script, *args, cwd=cwd), mentions, cwd)


# the Atari files' own mistakes, beyond the common ones of tests/test_contract.py
BAD_INPUT = [
    (["--env-id", "ALE/NoSuchGame-v5"], "NoSuchGame"),
    (["--env-id", "CartPole-v1"], "not an ALE game"),
    (["--num-envs", "-4"], "--num-envs"),
    (["--num-steps", "0"], "--num-steps"),
    (["--total-timesteps", "40"], "one batch"),
    (["--gae-lambda", "-0.5"], "--gae-lambda"),
    (["--max-grad-norm", "0"], "--max-grad-norm"),
    (["--rmsprop-alpha", "1"], "--rmsprop-alpha"),
    (["--rmsprop-eps", "0"], "--rmsprop-eps"),
    (["--noop-max", "-1"], "--noop-max"),
    (["--checkpoint-interval", "-1"], "--checkpoint-interval"),
    (["--resume", "no/such/checkpoint.pt"], "no/such/checkpoint.pt: No such file"),
]


@pytest.mark.parametrize(
    "script,args,mentions",
    [("a2c_atari.py", *case) for case in BAD_INPUT]
    # the variant's checks are the rung's, line for line: a few cases show they are wired the same
    + [("a2c_atari_overlap.py", *BAD_INPUT[i]) for i in (0, 1, 2, 4, 10, 11)],
)
def test_bad_input(script, args, mentions, tmp_path):
    assert_rejected(run_in_process(script, *args, cwd=tmp_path), mentions, tmp_path)
