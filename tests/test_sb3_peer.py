"""benchmark/sb3_peer.py: Stable-Baselines3's A2C takes each setting from the script's own Args.

Stable-Baselines3 is not a project dependency; without it these tests are skipped (the refusal of
`--peer sb3` without it is tested in test_benchmark.py).
"""

import subprocess
import sys

import pytest
import torch

from tests.helpers import REPO

pytest.importorskip("stable_baselines3")
sys.path.insert(0, str(REPO / "benchmark"))
import sb3_peer  # noqa: E402

import benchmark.run as bench  # noqa: E402


def layers(module, kind):
    return [m for m in module.modules() if isinstance(m, kind)]


def test_a2c_cartpole_settings_reach_the_peer():
    # 3 envs x 7 steps, 210 steps: 10 updates; every flag off its default
    args, kind, setup, model = sb3_peer.build([
        str(REPO / "a2c_cartpole.py"), "--num-envs", "3", "--num-steps", "7", "--total-timesteps", "210",
        "--learning-rate", "1e-3", "--gamma", "0.9", "--ent-coef", "0.02", "--vf-coef", "0.3",
        "--max-grad-norm", "0.7", "--hidden-size", "32", "--seed", "5"])
    assert kind == "separate" and model.n_envs == 3 and model.n_steps == 7 and model.seed == 5
    assert (model.gamma, model.gae_lambda, model.ent_coef, model.vf_coef, model.max_grad_norm) == (
        0.9, 1.0, 0.02, 0.3, 0.7)  # lambda 1: the n-step returns of a2c_cartpole.py
    assert not model.normalize_advantage
    optimizer = model.policy.optimizer
    assert type(optimizer) is torch.optim.Adam and optimizer.defaults["eps"] == 1e-8  # torch's own, as the script's
    # annealed: the script's update u uses lr * (1 - u / 10); Stable-Baselines3 asks with 1 - (u + 1) / 10 left
    assert model.lr_schedule(0.9) == pytest.approx(1e-3) and model.lr_schedule(0.0) == pytest.approx(1e-4)
    # two separate 32-32 tanh MLPs, no layer shared
    for net in (model.policy.mlp_extractor.policy_net, model.policy.mlp_extractor.value_net):
        assert [m.out_features for m in layers(net, torch.nn.Linear)] == [32, 32]
        assert len(layers(net, torch.nn.Tanh)) == 2
    assert any("clips the actor's and the critic's gradients each" in item for item in setup["unmatched"])


def test_a2c_shared_gae_settings_reach_the_peer():
    args, kind, setup, model = sb3_peer.build([str(REPO / "a2c_shared_gae.py"), "--gae-lambda", "0.8",
                                               "--no-anneal-lr", "--learning-rate", "3e-3"])
    assert kind == "shared" and model.gae_lambda == 0.8 and model.lr_schedule(0.5) == pytest.approx(3e-3)
    policy = model.policy
    assert policy.pi_features_extractor is policy.vf_features_extractor  # one torso for both heads
    assert [m.out_features for m in layers(policy.features_extractor, torch.nn.Linear)] == [64, 64]
    assert layers(policy.mlp_extractor, torch.nn.Linear) == []  # the heads sit on the torso directly
    assert type(model.env).__name__ == "VecNormalize" and model.env.norm_reward and not model.env.norm_obs
    _, _, setup, model = sb3_peer.build([str(REPO / "a2c_shared_gae.py"), "--no-scale-rewards"])
    assert type(model.env).__name__ != "VecNormalize"
    assert not any("reward scaling" in item for item in setup["unmatched"])


def test_a2c_mujoco_settings_reach_the_peer(tmp_path):
    args, kind, setup, model = sb3_peer.build([str(REPO / "a2c_mujoco.py"), "--env-id", "InvertedPendulum-v5",
                                               "--num-envs", "2", "--init-log-std", "-1.0", "--hidden-size", "32",
                                               "--value-hidden-size", "48", "--rmsprop-alpha", "0.95",
                                               "--rmsprop-eps", "1e-4"])
    assert kind == "mujoco" and model.n_envs == 2 and model.n_steps == 5 and model.ent_coef == args.ent_coef
    opt = model.policy.optimizer
    assert type(opt) is torch.optim.RMSprop and (opt.defaults["alpha"], opt.defaults["eps"]) == (0.95, 1e-4)
    assert model.policy.log_std.tolist() == [-1.0]
    # the policy's width and the value's, each from its own flag
    assert [m.out_features for m in layers(model.policy.mlp_extractor.policy_net, torch.nn.Linear)] == [32, 32]
    assert [m.out_features for m in layers(model.policy.mlp_extractor.value_net, torch.nn.Linear)] == [48, 48]
    # observations and rewards normalized by VecNormalize, observations clipped at 10 as in the script
    assert type(model.env).__name__ == "VecNormalize" and model.env.norm_obs and model.env.norm_reward
    assert model.env.clip_obs == 10.0
    # InvertedPendulum's actions lie in [-3, 3]: the script's half-range units differ from the peer's
    assert any("the action's units" in item for item in setup["unmatched"])
    # the script's four extra steps of the value alone a rollout, which Stable-Baselines3's A2C cannot take
    assert any("4 more gradient steps on the value loss alone" in item for item in setup["unmatched"])
    _, _, setup, model = sb3_peer.build([str(REPO / "a2c_mujoco.py"), "--no-scale-rewards", "--value-steps", "1"])
    assert not model.env.norm_reward
    assert not any("the action's units" in item for item in setup["unmatched"])  # HalfCheetah's are [-1, 1]
    assert not any("value's own steps" in item for item in setup["unmatched"])


@pytest.mark.parametrize("script,optimizer",
                         [("a2c_atari.py", "RMSprop"), ("a2c_atari_tf_rmsprop.py", "RMSpropTFLike")])
def test_the_atari_peer_has_the_scripts_optimizer_and_protocol(script, optimizer):
    args, kind, setup, model = sb3_peer.build([str(REPO / script), "--env-id", "ALE/Breakout-v5", "--num-envs", "2",
                                               "--rmsprop-alpha", "0.95", "--rmsprop-eps", "1e-4",
                                               "--total-timesteps", "100"])
    opt = model.policy.optimizer
    assert type(opt).__name__ == optimizer and (opt.defaults["alpha"], opt.defaults["eps"]) == (0.95, 1e-4)
    # the wrappers of one game, outermost first: Monitor under them all, so its episodes are whole games
    env, chain = model.env.venv.venv.envs[0], []  # VecTransposeImage(VecFrameStack(DummyVecEnv))
    while hasattr(env, "env"):
        chain.append(type(env).__name__)
        env = env.env
    assert chain[:5] == ["ClipRewardEnv", "WarpFrame", "EpisodicLifeEnv", "MaxAndSkipEnv", "NoopResetEnv"]
    assert chain[5] == "Monitor" and "FireResetEnv" not in chain  # the script presses no FIRE at a reset
    assert type(model.env.venv).__name__ == "VecFrameStack" and model.observation_space.shape == (4, 84, 84)
    ale = env.unwrapped
    assert ale._frameskip == 1 and ale.ale.getFloat("repeat_action_probability") == 0.0  # no sticky actions


def test_the_peer_row_runs_beside_its_script(tmp_path):
    out = tmp_path / "out"
    runs = bench.main(["--scripts", "a2c_cartpole.py", "--peer", "sb3", "--seeds", "1", "2", "--out", str(out),
                       "--extra", "--total-timesteps 8000 --eval-episodes 2", "--window", "10",
                       "--baseline", "sb3:a2c_cartpole.py"])
    for seed in (1, 2):
        peer = runs[("sb3:a2c_cartpole.py", (), seed)]
        assert peer["episodes"] > 10 and "eval" in peer and peer["steps"][-1] <= 8000 + 16
    page = (out / "results.md").read_text()
    assert "| sb3:a2c_cartpole.py | " in page and "Against `sb3:a2c_cartpole.py`" in page
    assert "Not matched in `sb3:a2c_cartpole.py`" in page and "the budget: a script's env steps" in page
    # the peer was given the script's own flags, as the script was
    saved = (out / "sb3-a2c_cartpole" / "seed1" / "command.json").read_text()
    assert '"--total-timesteps"' in saved and '"sb3:a2c_cartpole.py"' in saved


def test_the_runner_offers_the_peer_for_exactly_the_scripts_it_has_settings_for():
    assert set(bench.PEER_SCRIPTS) == set(sb3_peer.KINDS)


def test_the_peer_refuses_a_script_it_has_no_settings_for(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "benchmark" / "sb3_peer.py"), "reinforce_cartpole.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "the first argument is the script to copy" in lines[0]
