"""a2c_vizdoom.py: the logged return against the game's own total reward, rounds fired, the end of an
episode (a death, the timeout and its all-zero screen), the status bar in Health Gathering alone, and its
own bad input. What every script promises (a short run, Ctrl-C and --resume, enjoy.py's replay) is in
tests/test_contract.py."""

import cv2
import gymnasium as gym
import numpy as np
import pytest
import torch
import vizdoom

from tests.helpers import assert_rejected, load_script, only_run_dir, read_scalars, run_in_process

vizdoom_a2c = load_script("a2c_vizdoom.py")
enjoy = load_script("enjoy.py")


class TrueReward(gym.Wrapper):
    """Appends the game's own count at each episode's end to a file: total reward, kills, death."""

    path = None

    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        if terminated or truncated:
            game = self.env.unwrapped.game
            kills = game.get_game_variable(vizdoom.GameVariable.KILLCOUNT)
            with open(self.path, "a") as f:
                f.write(f"{game.get_total_reward()} {kills} {int(game.is_player_dead())}\n")
        return obs, reward, terminated, truncated, info


def test_logged_return_is_the_games_total_reward_kills_minus_deaths(in_tmp, monkeypatch):
    TrueReward.path = str(in_tmp / "true.txt")
    original = vizdoom_a2c.make_game

    def recording_game(*args, **kwargs):
        thunk = original(*args, **kwargs)
        return lambda: TrueReward(thunk())

    monkeypatch.setattr(vizdoom_a2c, "make_game", recording_game)
    vizdoom_a2c.main(vizdoom_a2c.Args(num_envs=2, num_steps=20, total_timesteps=1_600, eval_episodes=0,
                                      save_model=False, checkpoint_interval=0))
    logged = sorted(value for _, value in read_scalars(only_run_dir(in_tmp))["charts/episodic_return"])
    games = np.loadtxt(TrueReward.path, ndmin=2)
    assert len(logged) >= 4
    assert logged == sorted(games[:, 0].tolist())  # every logged return is one game's own total
    # Defend the Center: +1 a kill, -1 on death, nothing else
    np.testing.assert_array_equal(games[:, 0], games[:, 1] - games[:, 2])
    assert games[:, 1].max() >= 1 and games[:, 2].max() == 1  # the run saw kills and deaths


class GameLog(gym.Wrapper):
    """Appends each step's game reward, ammunition (read from the game itself) and end to a file."""

    path = None

    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        ammo = self.env.unwrapped.game.get_game_variable(vizdoom.GameVariable.AMMO2)
        with open(self.path, "a") as f:
            f.write(f"{reward} {ammo} {int(terminated or truncated)}\n")
        return obs, reward, terminated, truncated, info


def test_rounds_fired_are_the_ammunition_spent(in_tmp):
    # the ammunition the scenario reports with each screen (the wrapper reads the game's own count)
    env = vizdoom_a2c.RoundsFired(gym.make("VizdoomDefendCenter-v1", frame_skip=4))
    obs, _ = env.reset(seed=1)
    ammo, fired = [obs["gamevariables"][0]], []
    # the pistol is not ready in an episode's first steps; then attack is held: it fires in the step
    # after the press (its 5th tic) and every few steps after that
    for action in [0, 0, 0] + [1] * 12:
        obs, _, terminated, truncated, info = env.step(action)
        assert not (terminated or truncated)
        ammo.append(obs["gamevariables"][0])
        fired.append(info["rounds_fired"])
    env.close()
    assert fired[:5] == [0, 0, 0, 0, 1]  # the first bullet leaves in the second step of attack
    assert fired == (-np.diff(ammo)).tolist() and sum(fired) >= 3


def test_no_rounds_fired_where_the_scenario_reports_health_first(in_tmp):
    # Health Gathering's one game variable is the health, which falls: it is no ammunition
    env = vizdoom_a2c.RoundsFired(gym.make("VizdoomHealthGathering-v1", frame_skip=4))
    obs, _ = env.reset(seed=1)
    health = obs["gamevariables"][0]
    fired = [env.step(2)[4]["rounds_fired"] for _ in range(30)]
    obs = env.step(0)[0]
    env.close()
    assert obs["gamevariables"][0] < health and fired == [0.0] * 30


def record_learner_rewards(monkeypatch, path: str):
    """Logs every game step to `path` (GameLog) and returns a function that gives the rewards the learner
    got, in order, reset steps left out: with one game they line up with the log's steps."""
    GameLog.path = path
    original = vizdoom_a2c.make_game
    monkeypatch.setattr(vizdoom_a2c, "make_game", lambda *a, **k: (lambda: GameLog(original(*a, **k)())))
    learned, resets = [], []

    def recording_gae(rewards, values, terminated, is_reset, *rest):
        learned.append(rewards.clone())
        resets.append(is_reset.clone())
        return original_gae(rewards, values, terminated, is_reset, *rest)

    original_gae = vizdoom_a2c.gae_advantages
    monkeypatch.setattr(vizdoom_a2c, "gae_advantages", recording_gae)
    return lambda: torch.cat(learned)[torch.cat(resets) == 0].numpy().ravel()


def test_learner_reward_is_the_game_reward_less_the_shot_cost(in_tmp, monkeypatch):
    learner_rewards = record_learner_rewards(monkeypatch, str(in_tmp / "game.txt"))
    vizdoom_a2c.main(vizdoom_a2c.Args(num_envs=1, num_steps=20, total_timesteps=600, eval_episodes=0,
                                      save_model=False, checkpoint_interval=0, shot_cost=0.25))
    learned = learner_rewards()
    game = np.loadtxt(GameLog.path, ndmin=2)
    reward, ammo, ended = game[:, 0], game[:, 1], game[:, 2].astype(bool)
    # rounds fired: the drop in the ammunition since the step before (26 at every start)
    rounds = np.concatenate([[26.0], np.where(ended[:-1], 26.0, ammo[:-1])]) - ammo
    assert rounds.sum() >= 5 and set(rounds) <= {0.0, 1.0}
    np.testing.assert_allclose(learned, reward - 0.25 * rounds, atol=1e-6)
    assert set(np.round(learned, 2)) >= {0.0, -0.25}  # idle steps and missed shots at least


@pytest.mark.parametrize("reward_scale, scale", [(None, 0.01), (0.5, 0.5)])
def test_basic_scales_its_rewards_by_its_own_scale_unless_told(in_tmp, monkeypatch, reward_scale, scale):
    # Basic pays -1 a tic (-4 a step of 4 tics), -5 more a miss and about 100 a kill; by default its
    # learner's rewards are a hundredth of the game's, less 0.2 a round fired before the scaling
    learner_rewards = record_learner_rewards(monkeypatch, str(in_tmp / "game.txt"))
    args = vizdoom_a2c.Args(env_id="VizdoomBasic-v1", num_envs=1, num_steps=20, total_timesteps=200, eval_episodes=0,
                            save_model=False, checkpoint_interval=0, reward_scale=reward_scale)
    vizdoom_a2c.main(args)
    assert args.reward_scale == scale  # the number used, as the model file and checkpoints save args
    learned = learner_rewards()
    reward = np.loadtxt(GameLog.path, ndmin=2)[:, 0]
    assert len(learned) == len(reward) and (reward == -4.0).sum() >= 20  # steps without a shot or a kill
    no_shot, one_shot = np.isclose(learned, scale * reward), np.isclose(learned, scale * (reward - 0.2))
    assert (no_shot | one_shot).all()
    np.testing.assert_allclose(learned[reward == -4.0], -4.0 * scale, atol=1e-6)


def test_timeout_says_terminated_and_truncated_with_an_all_zero_screen(in_tmp):
    # Basic times out after 300 tics (75 steps of 4); standing still never ends it sooner. This is what
    # the script relies on: terminated at the timeout too, so it never bootstraps from that screen.
    env = vizdoom_a2c.make_game(vizdoom_a2c.Args(env_id="VizdoomBasic-v1"), str(in_tmp))()
    obs, _ = env.reset(seed=1)
    steps, done = 0, False
    while not done:
        before = obs
        obs, reward, terminated, truncated, _ = env.step(0)  # no button
        steps, done = steps + 1, terminated or truncated
    env.close()
    assert steps == 75 and terminated and truncated
    # one colour screen, channels first: the last one all zeros, the one before it a picture
    assert obs.shape == before.shape == (3, 84, 84) and not obs.any() and before.any()


@pytest.mark.parametrize("script,env_id", [("a2c_vizdoom.py", "VizdoomHealthGathering-v1"),
                                           ("a2c_vizdoom_overlap.py", "VizdoomHealthGathering-v1"),
                                           ("a2c_vizdoom.py", "VizdoomDefendCenter-v1"),
                                           ("a2c_vizdoom.py", "VizdoomBasic-v1"),
                                           ("a2c_vizdoom.py", "VizdoomDefendLine-v1")])
def test_health_gathering_alone_draws_its_status_bar(in_tmp, script, env_id):
    # the first screen of a game made here, with the status bar drawn and hidden (a game is deterministic
    # with its seed), resized by hand and its colours put first: the script's screen is the one with the bar
    # in Health Gathering alone (the bar changes the whole picture: the view above it shrinks)
    def first_screen(render_hud):
        game = gym.make(env_id, frame_skip=4, max_buttons_pressed=1, render_hud=render_hud,
                        screen_resolution=vizdoom.ScreenResolution.RES_160X120, screen_format=vizdoom.ScreenFormat.RGB24)
        obs, _ = game.reset(seed=1)
        game.close()
        resized = cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA)
        return np.stack([resized[:, :, 0], resized[:, :, 1], resized[:, :, 2]])  # red, green, blue

    module = load_script(script)
    env = module.make_game(module.Args(env_id=env_id), str(in_tmp))()
    obs, _ = env.reset(seed=1)
    env.close()
    with_bar, without = first_screen(True), first_screen(False)
    assert not np.array_equal(with_bar, without)
    assert obs.shape == (3, 84, 84) and not np.array_equal(obs[0], obs[1])  # colour, not gray
    assert np.array_equal(obs, with_bar if env_id == "VizdoomHealthGathering-v1" else without)


def test_gae_does_not_bootstrap_from_the_screen_after_an_end():
    # one env, 3 steps, gamma 0.5, lambda 1: the episode ends at step 1 (a death or the timeout); step 2 is
    # the reset step, whose observation slot holds that last all-zero screen, V = 100 (any value)
    rewards = torch.tensor([[1.0], [1.0], [0.0]])
    values = torch.tensor([[2.0], [4.0], [100.0], [8.0]])
    terminated = torch.tensor([[0.0], [1.0], [0.0]])
    is_reset = torch.tensor([[0.0], [0.0], [1.0]])
    advantages = vizdoom_a2c.gae_advantages(rewards, values, terminated, is_reset, 0.5, 1.0)
    # A_1 = r_1 - V_1 = 1 - 4 = -3 (nothing of the 100); A_0 = r_0 + 0.5 V_1 - V_0 + 0.5 A_1 = 1 + 2 - 2 - 1.5
    # = -0.5; the reset step carries nothing: A_2 = 0
    torch.testing.assert_close(advantages, torch.tensor([[-0.5], [-3.0], [0.0]]))


# the ViZDoom files' own mistakes, beyond the common ones of tests/test_contract.py
BAD_INPUT = [
    (["--env-id", "VizdoomDeadlyCorridor-v1"], "this script takes one of VizdoomDefendCenter-v1"),
    (["--env-id", "CartPole-v1"], "this script takes one of"),
    (["--reward-scale", "0"], "--reward-scale"),
    (["--shot-cost", "-0.1"], "--shot-cost"),
    (["--max-buttons-pressed", "0"], "--max-buttons-pressed"),
    (["--total-timesteps", "40"], "one batch"),
    (["--resume", "no/such/checkpoint.pt"], "no/such/checkpoint.pt: No such file"),
]


@pytest.mark.parametrize("script", ["a2c_vizdoom.py", "a2c_vizdoom_overlap.py"])
@pytest.mark.parametrize("args,mentions", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input(args, mentions, script, tmp_path):
    assert_rejected(run_in_process(script, *args, cwd=tmp_path), mentions, tmp_path)


@pytest.mark.parametrize("script", ["a2c_vizdoom.py", "a2c_vizdoom_overlap.py"])
def test_a_default_run_anneals_its_rate_so_its_resume_keeps_its_budget(script, tmp_path):
    module = load_script(script)
    run_args = module.Args(num_envs=2, reward_scale=1.0)  # as a run of the defaults saves them
    assert run_args.anneal_lr
    budget = run_args.total_timesteps
    cwd = tmp_path / "empty"
    cwd.mkdir()
    checkpoint = tmp_path / "checkpoint.pt"
    model = {"torso.0.weight": torch.zeros(32, 3, 8, 8)}  # the first layer, all that is read of the network here
    torch.save({"args": vars(run_args), "update": 10, "global_step": 100, "model": model}, checkpoint)
    # a longer budget would make the schedule jump up: refused, naming the run's own
    result = run_in_process(script, "--num-envs", "2", "--resume", str(checkpoint), "--total-timesteps",
                            str(2 * budget), cwd=cwd)
    assert_rejected(result, f"--total-timesteps {budget}", cwd)
    # a run at the end of its schedule cannot go on, and says so rather than asking for a larger budget
    last_update = budget // (run_args.num_envs * run_args.num_steps)
    torch.save({"args": vars(run_args), "update": last_update, "global_step": budget, "model": model}, checkpoint)
    result = run_in_process(script, "--num-envs", "2", "--resume", str(checkpoint), "--total-timesteps", str(budget),
                            cwd=cwd)
    assert_rejected(result, "the end of its --anneal-lr schedule; it cannot go on", cwd)
    # a run of the earlier screen (4 gray frames: a first layer of 4 channels) cannot go on with this file's
    torch.save({"args": vars(run_args), "update": 10, "global_step": 100,
                "model": {"torso.0.weight": torch.zeros(32, 4, 8, 8)}}, checkpoint)
    result = run_in_process(script, "--num-envs", "2", "--resume", str(checkpoint), "--total-timesteps", str(budget),
                            cwd=cwd)
    assert_rejected(result, "its network takes 4 channels, not 3 (one colour frame)", cwd)
