"""a2c_mujoco.py's own ideas: the Gaussian policy's log-probability, entropy and gradients through the
training loop worked out by hand, the clipped actions mapped onto the env's bounds while the learner keeps
its sample, the running observation moments that travel with the model, a run on HalfCheetah-v5 (the
contract's tests run it on Pendulum-v1), and its own bad input."""

import math
import warnings
from pathlib import Path
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import torch

from tests.fake_envs import ContinuousCountingEnv
from tests.helpers import (
    A2C_TAGS, COEFS, assert_rejected, assert_summary, capture, load_script, only_run_dir, read_scalars,
    record_gradient, run_in_process, run_script,
)

mujoco_a2c = load_script("a2c_mujoco.py")
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)  # 0.9189385...


def spaces(obs_dim: int, action_dim: int):
    """What ActorCritic reads from a vector env."""
    return SimpleNamespace(single_observation_space=gym.spaces.Box(-np.inf, np.inf, (obs_dim,)),
                           single_action_space=gym.spaces.Box(-1.0, 1.0, (action_dim,)))


def test_clipped_actions_mapped_onto_the_bounds_by_hand():
    symmetric = torch.tensor([-2.0]), torch.tensor([2.0])
    u = torch.tensor([[-3.0], [-0.5], [0.0], [0.5], [3.0]])
    assert mujoco_a2c.env_action(u, *symmetric)[:, 0].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    shifted = torch.tensor([0.0]), torch.tensor([4.0])  # [-1, 1] onto [0, 4]: a = 2 + 2 c
    assert mujoco_a2c.env_action(u, *shifted)[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_running_observation_moments_match_numpy_on_a_stream():
    agent = mujoco_a2c.ActorCritic(spaces(3, 2), mujoco_a2c.Args())
    rng = np.random.default_rng(0)
    # far from 0 and on different scales, in batches of uneven size (a batch of 1 has no spread of its own)
    batches = [rng.normal([100.0, -3.0, 0.0], [5.0, 0.1, 1e3], size=(n, 3)) for n in (1, 16, 7, 1, 16, 30)]
    seen = []
    for batch in batches:
        agent.update_obs_stats(torch.as_tensor(batch, dtype=torch.float32))
        seen.append(np.float32(batch).astype(np.float64))
        stream = np.concatenate(seen)
        np.testing.assert_allclose(agent.obs_mean.numpy(), stream.mean(0), rtol=1e-10)
        np.testing.assert_allclose(agent.obs_var.numpy(), stream.var(0), rtol=1e-9)
        assert agent.obs_count.item() == len(stream)

    # the networks are given the stream standardized: mean 0 and variance 1 in every dimension
    normalized = agent.normalize(torch.as_tensor(stream, dtype=torch.float32))
    np.testing.assert_allclose(normalized.mean(0).numpy(), 0.0, atol=1e-5)
    np.testing.assert_allclose(normalized.var(0, unbiased=False).numpy(), 1.0, rtol=1e-4)
    # an observation far out is held at 10 standard deviations
    assert agent.normalize(torch.tensor([[100.0 + 5.0 * 1e3, -3.0, 0.0]]))[0, 0].item() == pytest.approx(10.0)

    # the moments are state the model file keeps, and not parameters the optimizer moves
    assert {"obs_count", "obs_mean", "obs_var"} <= set(agent.state_dict())
    assert not any(name.startswith("obs_") for name, _ in agent.named_parameters())


# The loss through the loop, as in tests/test_a2c_wiring.py: one env of CountingEnv with a continuous
# action, rollouts of 5 steps, gamma 0.5, lambda 1, V(obs) = 10 t on the raw observation, and the policy
# held at mean 0.5 with sigma 2. With w_t the weight of step t (1/4, 0 for the reset step 3) and
# A_t = R_t - V_t, and log N(u; mu, sigma) = -(u - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2:
#     policy loss            = -sum_t w_t A_t log N(u_t; mu, sigma)
#     d loss / d mu_t        = -w_t A_t (u_t - mu) / sigma^2
#     d loss / d log sigma   = -sum_t w_t A_t ((u_t - mu)^2 / sigma^2 - 1) - ent_coef    (dH/dlog sigma = 1)
#     d loss / d V(s_t)      = 2 vf_coef w_t (V_t - R_t)
# The returns R are those of tests/test_a2c_wiring.py; the env gets 2 clip(u, -1, 1), the learner u.
ADVANTAGES = {"ContinuousTruncating-v0": [6.5, 1.0, -2.0, 0.0, 6.0],
              "ContinuousTerminating-v0": [2.75, -6.5, -17.0, 0.0, 6.0]}
WEIGHTS = torch.tensor([0.25, 0.25, 0.25, 0.0, 0.25])


@pytest.mark.parametrize("env_id", list(ADVANTAGES))
def test_gaussian_loss_and_its_gradients_by_hand(env_id, in_tmp, monkeypatch):
    module = load_script("a2c_mujoco.py")
    mean_grads, log_std_grads, value_grads, env_actions = [], [], [], []

    class FixedPolicyCountValue(module.ActorCritic):
        def __init__(self, envs, args):
            super().__init__(envs, args)
            self.actor_log_std.register_hook(lambda grad: log_std_grads.append(grad.clone()))

        def normalize(self, obs):  # the raw count t, so that V = 10 t
            return obs.float()

        def forward(self, obs):
            means, values = super().forward(obs)
            means = record_gradient(0.5 + 0.0 * means, mean_grads)
            return means, record_gradient(10.0 * obs[..., 0] + 0.0 * values, value_grads)

    def recording_envs(args):
        envs = make_envs(args)
        step = envs.step
        envs.step = lambda actions: env_actions.append(float(actions[0, 0])) or step(actions)
        return envs

    make_envs = module.make_envs
    monkeypatch.setattr(module, "ActorCritic", FixedPolicyCountValue)
    monkeypatch.setattr(module, "make_envs", recording_envs)
    samples = capture(monkeypatch, module, "env_action")
    module.main(module.Args(env_id=f"tests.fake_envs:{env_id}", num_envs=1, num_steps=5, total_timesteps=5,
                            gamma=0.5, gae_lambda=1.0, scale_rewards=False, init_log_std=math.log(2.0),
                            eval_episodes=0, **COEFS))

    u = torch.stack([seen[0][0, 0] for seen in samples])  # the policy's samples, step by step
    assert (u.abs() > 1).any()  # some fall outside the bounds (seed 1), so clipping shows
    assert env_actions == pytest.approx((2.0 * u.clamp(-1.0, 1.0)).tolist())
    advantages, mu, sigma = torch.tensor(ADVANTAGES[env_id]), 0.5, 2.0
    log_density = -((u - mu) ** 2) / (2 * sigma**2) - math.log(sigma) - HALF_LOG_2PI
    policy_loss = read_scalars(only_run_dir(in_tmp))["losses/policy_loss"][0][1]
    assert policy_loss == pytest.approx(-(WEIGHTS * advantages * log_density).sum().item(), rel=1e-5)
    mean_grad = torch.zeros(6)
    mean_grad[:5] = -WEIGHTS * advantages * (u - mu) / sigma**2
    torch.testing.assert_close(mean_grads[0][:, 0, 0], mean_grad)
    log_std_grad = -(WEIGHTS * advantages * ((u - mu) ** 2 / sigma**2 - 1)).sum() - COEFS["ent_coef"]
    torch.testing.assert_close(log_std_grads[0], log_std_grad.reshape(1))
    value_grad = torch.zeros(6)
    value_grad[:5] = -2 * COEFS["vf_coef"] * WEIGHTS * advantages
    torch.testing.assert_close(value_grads[0][:, 0], value_grad)


# The value's own steps after the joint one (--value-steps): in the same loop as above, each of them takes
# the gradient of vf_coef * sum_t w_t (R_t - V_k(s_t))^2 with the joint step's targets R_t = A_t + 10 t, whatever
# V_k, the value network of the moment, predicts; so d loss / d V_k(s_t) = 2 vf_coef w_t (V_k(s_t) - R_t). The
# policy gets no gradient from them, not even a zero one that would age RMSprop's average of its squared
# gradients: after two updates (the second's advantages lean on V = 10 t, not on the value network) its
# weights are those of a run with one step.
@pytest.mark.parametrize("env_id", list(ADVANTAGES))
def test_the_values_own_steps_fit_the_same_targets_and_leave_the_policy_alone(env_id, tmp_path, monkeypatch):
    module = load_script("a2c_mujoco.py")
    refits = []  # each of the value's own steps: the counts t the value network saw, its values, their gradients

    class CountValueInTheJointStep(module.ActorCritic):
        def __init__(self, envs, args):
            super().__init__(envs, args)
            self.critic.register_forward_hook(self.record)

        @staticmethod
        def record(critic, inputs, values):
            if values.requires_grad and values.shape[0] == 5:  # the joint step's pass has the 6th observation too
                refit = [inputs[0][:, 0, 0].clone(), values[:, 0, 0].detach().clone(), None]
                refits.append(refit)

                def keep_gradient(grad):
                    refit[2] = grad[:, 0, 0].clone()
                values.register_hook(keep_gradient)

        def normalize(self, obs):  # the raw count t
            return obs.float()

        def forward(self, obs):  # the joint step's V = 10 t, so that its targets are the test above's
            means, values = super().forward(obs)
            return means, 10.0 * obs[..., 0] + 0.0 * values

    monkeypatch.setattr(module, "ActorCritic", CountValueInTheJointStep)
    weights = {}
    for value_steps in (1, 5):
        folder = tmp_path / f"value_steps{value_steps}"
        folder.mkdir()
        monkeypatch.chdir(folder)
        module.main(module.Args(env_id=f"tests.fake_envs:{env_id}", num_envs=1, num_steps=5, total_timesteps=10,
                                gamma=0.5, gae_lambda=1.0, scale_rewards=False, eval_episodes=0,
                                value_steps=value_steps, **COEFS))
        weights[value_steps] = torch.load(next(Path("runs").glob("*/a2c_mujoco.pt")))["model"]

    assert len(refits) == 8  # none with --value-steps 1, four an update with 5
    for counts, values, grad in refits[:4]:  # the first update's, whose advantages are those of the test above
        targets = torch.tensor(ADVANTAGES[env_id]) + 10.0 * counts
        torch.testing.assert_close(grad, 2 * COEFS["vf_coef"] * WEIGHTS * (values - targets))
    assert not torch.equal(refits[0][1], refits[3][1])  # the value network moved between its steps
    one, five = weights[1], weights[5]
    for name in one:
        if name.startswith("actor"):
            assert torch.equal(one[name], five[name]), name
    assert any(not torch.equal(one[name], five[name]) for name in one if name.startswith("critic"))


@pytest.mark.parametrize("greedy", [True, False])
def test_the_evaluation_plays_the_mean_action_or_samples(greedy, monkeypatch):
    envs = gym.make_vec("tests.fake_envs:ContinuousTruncating-v0", num_envs=1)
    args = mujoco_a2c.Args(env_id="tests.fake_envs:ContinuousTruncating-v0", eval_episodes=2, eval_greedy=greedy)
    agent = mujoco_a2c.ActorCritic(envs, args)
    torch.nn.init.zeros_(agent.actor[-1].weight)
    torch.nn.init.constant_(agent.actor[-1].bias, 0.3)  # the mean is 0.3 everywhere: the env's action 0.6
    monkeypatch.setattr(ContinuousCountingEnv, "actions_seen", [])
    returns = mujoco_a2c.evaluate(agent, args, "unused", torch.device("cpu"))
    assert returns.tolist() == [6.0, 6.0]  # 1 + 2 + 3 a truncated episode
    seen = ContinuousCountingEnv.actions_seen
    assert len(seen) == 6 and all(-2.0 <= a <= 2.0 for a in seen)
    assert (seen == pytest.approx([0.6] * 6)) == greedy


def test_a_run_on_halfcheetah(tmp_path):
    result = run_in_process("a2c_mujoco.py", "--num-envs", "2", "--num-steps", "5", "--total-timesteps", "200",
                            "--eval-episodes", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run_dir = only_run_dir(tmp_path)
    assert_summary(result, run_dir, versions=("torch", "gymnasium", "mujoco"))
    scalars = read_scalars(run_dir)
    for tag in A2C_TAGS[2:]:  # no HalfCheetah episode ends in 200 steps (they last 1000)
        assert all(np.isfinite(value) for _, value in scalars[tag]), tag
    # the first update's entropy, before any step: 6 dimensions of sigma = e^-0.5 (--init-log-std -0.5),
    # each 1/2 + log(2 pi) / 2 + log sigma
    assert scalars["losses/entropy"][0][1] == pytest.approx(6 * (0.5 + HALF_LOG_2PI - 0.5), rel=1e-6)
    # the model keeps the moments of all 200 observations the agent acted on
    saved = torch.load(run_dir / "a2c_mujoco.pt", weights_only=True)["model"]
    assert saved["obs_count"].item() == 200 and saved["obs_var"].min() > 0 and saved["obs_mean"].abs().max() > 0
    # the policy's hidden layers are 64 wide, the value's 256 (HalfCheetah: 17 observations, 6 actions)
    assert saved["actor.0.weight"].shape == (64, 17) and saved["actor.2.weight"].shape == (64, 64)
    assert saved["actor.4.weight"].shape == (6, 64)
    assert saved["critic.0.weight"].shape == (256, 17) and saved["critic.2.weight"].shape == (256, 256)
    assert saved["critic.4.weight"].shape == (1, 256)


def opengl_draws() -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            env = gym.make("HalfCheetah-v5", render_mode="rgb_array")
            env.reset(seed=0)
            env.render()
            env.close()
        return True
    except Exception:
        return False


BAD_INPUT = [
    (["--env-id", "CartPole-v1"], "Box"),
    (["--env-id", "tests.fake_envs:UnboundedActions-v0"], "unbounded"),
    (["--rmsprop-alpha", "1"], "--rmsprop-alpha"),
    (["--rmsprop-eps", "0"], "--rmsprop-eps"),
    (["--value-hidden-size", "0"], "--value-hidden-size"),
    (["--value-steps", "0"], "--value-steps"),
]


@pytest.mark.parametrize("bad_args,mentions", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_one_line_exit_2_nothing_written(bad_args, mentions, tmp_path):
    assert_rejected(run_in_process("a2c_mujoco.py", *bad_args, cwd=tmp_path), mentions, tmp_path)


@pytest.mark.skipif(opengl_draws(), reason="this machine has an OpenGL library, so MuJoCo can draw")
def test_video_without_opengl_stops_before_training_with_what_to_install(tmp_path):
    result = run_script("a2c_mujoco.py", "--capture-video", cwd=tmp_path)
    assert_rejected(result, "apt-get install libosmesa6", tmp_path)
    assert "MUJOCO_GL=osmesa" in result.stderr
