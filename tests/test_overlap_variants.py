"""The overlap variants' own ideas: the learner thread that learns from one rollout while the next
is played (--overlap-update, in a2c_atari_overlap.py and a2c_vizdoom_overlap.py), and
a2c_atari_overlap.py's bfloat16 passes (--bf16) and passive OpenMP waiting. What a variant shares
with its rung (the loop's bookkeeping, checkpoints, bad input) is tested in the rung's tests
(tests/test_a2c_atari.py runs its tests on both Atari files)."""

import os
import time
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import torch

from tests.helpers import ATARI_ARGS, load_script, only_run_dir, openmp_settings, read_scalars, run_script
from tests.fake_envs import ScriptedGames

VARIANT = "a2c_atari_overlap.py"
# each variant, its rung and the arguments of a short run of ScriptedGames (1 env, 5 steps an update)
VARIANTS = {
    VARIANT: ("a2c_atari.py", ATARI_ARGS),
    "a2c_vizdoom_overlap.py": ("a2c_vizdoom.py", dict(ATARI_ARGS, env_id="VizdoomDefendCenter-v1")),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_without_its_ideas_it_is_the_rung(variant, in_tmp, monkeypatch):
    # with the learner thread (and bf16) off, the variant is the rung: the same run logs the same values,
    # but for the rounding of its channels-last convolutions
    rung, args = VARIANTS[variant]
    logs = []
    for script, extra in ((rung, {}), (variant, dict(overlap_update=False))):
        module = load_script(script)
        monkeypatch.setattr(module, "make_envs", scripted_games)
        module.main(module.Args(**dict(args, num_envs=2, total_timesteps=100), **extra))
        logs.append(read_scalars(sorted((in_tmp / "runs").iterdir())[-1]))
    rung, variant = logs
    assert rung.keys() == variant.keys() and "losses/policy_loss" in rung
    for tag in rung:
        if tag != "charts/SPS":
            assert [step for step, _ in rung[tag]] == [step for step, _ in variant[tag]], tag
            values = [value for _, value in variant[tag]]
            # a policy loss, a sum of terms of both signs, can be near 0: there absolute (0.02 differed by 4e-6)
            near_zero = 1e-5 if tag == "losses/policy_loss" else 0
            assert [value for _, value in rung[tag]] == pytest.approx(values, rel=1e-4, abs=near_zero), tag


def test_bf16_and_overlap_update_short_run(tmp_path):
    # the real games and the learner thread together (their bookkeeping: the ScriptedGames tests below)
    result = run_script(
        VARIANT, "--env-id", "ALE/Breakout-v5", "--num-envs", "2", "--total-timesteps", "200",
        "--eval-episodes", "0", "--bf16", "--overlap-update", cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    scalars = read_scalars(only_run_dir(tmp_path))
    for tag in ("losses/policy_loss", "losses/value_loss", "losses/entropy"):
        assert all(np.isfinite(value) for _, value in scalars[tag]), tag


def test_bf16_network_stays_close_to_float32_and_returns_float32():
    # --bf16 runs the torso in bfloat16 (8 significant bits: each op rounds by up to 0.4%); the
    # frames' scaling to [0, 1], the heads, the losses and the gradients the optimizer sees stay as
    # in float32. Same weights and frames: the outputs agree to a few percent, and the first layer's
    # gradient (rounded through four layers on the way back, 4-12% off in norm) points the same way.
    module = load_script(VARIANT)
    torch.manual_seed(0)
    envs = SimpleNamespace(single_action_space=gym.spaces.Discrete(6))
    fp32 = module.ActorCritic(envs, module.Args(bf16=False))
    bf16 = module.ActorCritic(envs, module.Args(bf16=True))
    bf16.load_state_dict(fp32.state_dict())
    frames = torch.randint(0, 256, (8, 4, 84, 84), dtype=torch.uint8)
    outputs = {}
    for name, agent in (("fp32", fp32), ("bf16", bf16)):
        logits, values = agent(frames)
        assert logits.dtype == values.dtype == torch.float32
        (values.square().sum() + logits.logsumexp(-1).sum()).backward()
        grad = agent.torso[0].weight.grad
        assert grad.dtype == torch.float32
        outputs[name] = (logits, values, grad)
    for ours, exact in zip(outputs["bf16"], outputs["fp32"]):
        assert not torch.equal(ours, exact)  # bfloat16 was used
    for ours, exact in zip(outputs["bf16"][:2], outputs["fp32"][:2]):
        assert (ours - exact).norm() < 0.03 * exact.norm()
    ours, exact = outputs["bf16"][2].flatten(), outputs["fp32"][2].flatten()
    assert torch.nn.functional.cosine_similarity(ours, exact, dim=0) > 0.98


@pytest.mark.parametrize("given, policy, spins", [(None, "PASSIVE", "0"), ("ACTIVE", "ACTIVE", "30000000000")])
def test_torch_threads_wait_passively_unless_the_user_sets_a_policy(given, policy, spins):
    # With OMP_DISPLAY_ENV=VERBOSE, libgomp prints the settings it read when torch loaded it: the
    # script's default must be set before that to take effect (it starts again with it), and a policy
    # given by the user wins.
    # libgomp's documented spin counts: 0 when passive, 30 billion when active.
    settings = openmp_settings(VARIANT, given)
    assert f"OMP_WAIT_POLICY = '{policy}'" in settings
    assert f"GOMP_SPINCOUNT = '{spins}'" in settings


class SlowGames(ScriptedGames):
    """ScriptedGames taking `delay` seconds a step: a learner thread's update ends mid-rollout."""

    def __init__(self, num_envs: int, delay: float, channels: int):
        super().__init__(num_envs, channels)
        self.delay = delay

    def step(self, actions):
        time.sleep(self.delay)
        return super().step(actions)


def scripted_games(args, delay: float = 0.0) -> SlowGames:
    """The games a variant's make_envs gives, scripted, with the screens its network takes: one colour
    frame (3 channels) for ViZDoom, 4 gray frames for Atari."""
    return SlowGames(args.num_envs, delay, 3 if args.env_id.startswith("Vizdoom") else 4)


class Fingerprinted:
    """Make the module's ActorCritic record the policy head's weights at each call: those that act
    (no gradient, this thread) and those that learn (the learner thread, or this one)."""

    def __init__(self, monkeypatch, module):
        self.acting, self.learning = [], []
        fingerprints = self

        class Recording(module.ActorCritic):
            def forward(self, obs):
                weights = self.policy_head.weight.detach().clone()
                (fingerprints.learning if torch.is_grad_enabled() else fingerprints.acting).append(weights)
                return super().forward(obs)

        monkeypatch.setattr(module, "ActorCritic", Recording)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "overlap, checkpoint_interval, acted_with, saved_at",
    [
        # rollout k is played with the weights after k updates; one checkpoint, at the end
        (False, 1000, [0, 1, 2, 3], [4]),
        # update k is under way while rollout k + 1 is played, with the weights from before it:
        # rollout 1 acts with those after 0 updates, rollout 2 after 1, rollout 3 after 2
        (True, 1000, [0, 0, 1, 2], [4]),
        # a checkpoint at step 10 (after rollout 1, the second of 5 steps) waits for update 1 to
        # end, so the weights saved are those after 2 updates, and rollouts 2 and 3 act with them
        (True, 10, [0, 0, 2, 2], [2, 4]),
    ],
)
def test_overlap_update_acts_one_update_behind_and_learns_every_rollout(
    variant, overlap, checkpoint_interval, acted_with, saved_at, in_tmp, monkeypatch
):
    module = load_script(variant)
    fingerprints = Fingerprinted(monkeypatch, module)
    monkeypatch.setattr(module, "make_envs", lambda args: scripted_games(args, 0.02))
    saved = []  # what each checkpoint holds (read back: a state_dict is a view of the live weights)
    replace = os.replace

    def replace_and_keep(source, destination):  # a checkpoint is written, then renamed into place
        replace(source, destination)
        if str(destination).endswith("checkpoint.pt"):
            saved.append(torch.load(destination, weights_only=True))

    monkeypatch.setattr(os, "replace", replace_and_keep)
    threads = torch.get_num_threads()
    module.main(
        module.Args(
            **dict(VARIANTS[variant][1], total_timesteps=20, save_model=True),
            overlap_update=overlap,
            checkpoint_interval=checkpoint_interval,
        )
    )
    assert torch.get_num_threads() == threads  # given back after the learner thread's split

    # 4 updates of 1 env x 5 steps: the weights each update learned with were those after 0..3 updates
    learning = fingerprints.learning
    assert len(learning) == 4 and len(fingerprints.acting) == 20
    model_file = only_run_dir(in_tmp) / variant.replace(".py", ".pt")
    final = torch.load(model_file, weights_only=False)["model"]["policy_head.weight"]
    after = learning + [final]  # after[k]: the weights after k updates, all different
    assert all(not torch.equal(after[i], after[j]) for i in range(5) for j in range(i))
    for rollout, updates in enumerate(acted_with):
        for step in range(5):
            assert torch.equal(fingerprints.acting[5 * rollout + step], after[updates]), (rollout, step)
    # each checkpoint holds the weights and optimizer state after every update it counts
    assert [checkpoint["update"] for checkpoint in saved] == saved_at
    for checkpoint in saved:
        assert torch.equal(checkpoint["model"]["policy_head.weight"], after[checkpoint["update"]])
        assert all(state["step"] == checkpoint["update"] for state in checkpoint["optimizer"]["state"].values())


@pytest.mark.parametrize("variant", VARIANTS)
def test_overlap_update_does_not_depend_on_which_thread_runs_ahead(variant, in_tmp, monkeypatch):
    # the same run three times: as it comes, with a slow learner thread and with slow games. Had the
    # learner read buffers the next rollout writes into, or a learning rate set for the next update
    # (--anneal-lr), a slow learner would have learned from those.
    module = load_script(variant)
    learn = module.learn_from_rollout
    args = module.Args(
        **dict(VARIANTS[variant][1], num_envs=2, total_timesteps=60, save_model=True),
        overlap_update=True, anneal_lr=True,
    )
    step = torch.optim.RMSprop.step
    weights = []
    for learner_delay, games_delay in [(0, 0), (0.1, 0), (0, 0.02)]:
        learning_rates = []

        def slow_learn(*rollout, delay=learner_delay):
            time.sleep(delay)
            return learn(*rollout)

        def step_and_record(optimizer):
            learning_rates.append(optimizer.param_groups[0]["lr"])
            return step(optimizer)

        monkeypatch.setattr(module, "make_envs", lambda args, delay=games_delay: scripted_games(args, delay))
        monkeypatch.setattr(module, "learn_from_rollout", slow_learn)
        monkeypatch.setattr(torch.optim.RMSprop, "step", step_and_record)
        module.main(args)
        # 6 updates of 2 envs x 5 steps; update k steps with 7e-4 (1 - k / 6)
        assert learning_rates == [7e-4 * (1.0 - k / 6) for k in range(6)]
        run_dir = sorted((in_tmp / "runs").iterdir())[-1]
        weights.append(torch.load(run_dir / variant.replace(".py", ".pt"), weights_only=False)["model"])
    for name in weights[0]:
        assert torch.equal(weights[0][name], weights[1][name]) and torch.equal(weights[0][name], weights[2][name]), name
