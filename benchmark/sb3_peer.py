"""Stable-Baselines3's A2C set up like one of this project's A2C scripts: a peer row for benchmark/run.py.

    pip install stable-baselines3==2.9.2      # only for this row; not a project dependency
    python benchmark/sb3_peer.py a2c_cartpole.py --seed 1 --total-timesteps 100000

The first argument is the script; the rest are that script's own flags, read by the script's own `Args`
(imported, not copied), so every setting the two have in common comes from one place and cannot drift:
envs, steps per update, budget, learning rate and its annealing, gamma, GAE lambda (1 for the n-step
returns of a2c_cartpole.py), entropy and value coefficients, gradient clip, optimizer and its eps, the
network's sizes, activation and initialization, the reward scaling of a2c_shared_gae.py, on MuJoCo the
Gaussian's starting log std and the observation normalization (VecNormalize), and on Atari the
preprocessing. What cannot be matched is written to summary.json (`unmatched`), and run.py lists it.

It logs what run.py reads from the scripts, in runs/<run_name>/: charts/episodic_return (raw returns of
whole episodes; on Atari whole games over all lives, as the scripts log them), charts/SPS and the
evaluation, then summary.json.
"""

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
import tyro
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from rounds import load_script

# each script this peer can copy, and the kind of set-up it needs
KINDS = {"a2c_cartpole.py": "separate", "a2c_shared_gae.py": "shared", "a2c_shared_gae_fast.py": "shared",
         "a2c_atari.py": "atari", "a2c_atari_overlap.py": "atari", "a2c_atari_tf_rmsprop.py": "atari",
         "a2c_mujoco.py": "mujoco"}
ALWAYS = [
    "the budget: a script's env steps include one reset step per finished episode (gymnasium's NEXT_STEP "
    "autoreset), which it neither counts nor learns from; Stable-Baselines3 resets inside the last step, so "
    "its run of the same number of updates plays a few more counted steps",
]

REWARD_SCALING = ("reward scaling: the script divides rewards by the std of every discounted return so far; "
                  "VecNormalize(norm_reward=True) by a running std of its discounted return, plus 1e-8, and clips "
                  "the result to +-10")


def schedule(args):
    """The script's learning rate: constant, or its linear decay. A script sets update u's rate to
    lr * (1 - u / updates) before the rollout; Stable-Baselines3 asks after it, with 1 - (u + 1) / updates
    of the budget left, so the schedule adds that one update back."""
    if not args.anneal_lr:
        return args.learning_rate
    updates = args.total_timesteps // (args.num_envs * args.num_steps)
    return lambda progress_left: args.learning_rate * min(1.0, progress_left + 1.0 / updates)


def settings(script_name: str, args) -> dict:
    """A2C's keyword arguments, its policy's, and what the peer cannot match, for a script's parsed Args."""
    kind = KINDS[script_name]
    a2c = dict(learning_rate=schedule(args), n_steps=args.num_steps, gamma=args.gamma, ent_coef=args.ent_coef,
               vf_coef=args.vf_coef, max_grad_norm=args.max_grad_norm, normalize_advantage=False,
               gae_lambda=getattr(args, "gae_lambda", 1.0))
    unmatched = list(ALWAYS)
    if kind in ("separate", "shared"):
        # Adam at torch's own eps (Stable-Baselines3 would set 1e-5 where no optimizer_kwargs are given)
        policy = dict(activation_fn=nn.Tanh, ortho_init=True, optimizer_class=torch.optim.Adam,
                      optimizer_kwargs=dict(eps=1e-8))
        a2c["use_rms_prop"] = False
    if kind == "mujoco":
        # torch's RMSprop at the script's alpha and eps, given as the policy's optimizer
        policy = dict(activation_fn=nn.Tanh, ortho_init=True, optimizer_class=torch.optim.RMSprop,
                      optimizer_kwargs=dict(alpha=args.rmsprop_alpha, eps=args.rmsprop_eps, weight_decay=0))
        # two tanh MLPs (the policy's 64-64, the value's 256-256) under one optimizer and one gradient clip, as
        # in the script; the log std starts where the script's does; VecNormalize (make_env) normalizes the observations
        policy.update(net_arch=dict(pi=[args.hidden_size] * 2, vf=[args.value_hidden_size] * 2),
                      log_std_init=args.init_log_std)
        unmatched.append("observation normalization: VecNormalize's running moments start from a count of 1e-4 "
                         "rather than 0; both clip at 10 standard deviations")
        if args.value_steps > 1:
            unmatched.append(f"the value's own steps: after each update the script takes {args.value_steps - 1} more "
                             "gradient steps on the value loss alone; Stable-Baselines3's A2C has no such steps")
        if args.scale_rewards:
            unmatched.append(REWARD_SCALING)
        probe = gym.make(args.env_id)
        bounds = probe.action_space
        probe.close()
        if not (np.all(bounds.low == -1.0) and np.all(bounds.high == 1.0)):
            unmatched.append(f"the action's units: the script maps [-1, 1] onto {args.env_id}'s bounds, so its mean "
                             "and std are in half-ranges; Stable-Baselines3's are in the env's units, clipped to them")
    elif kind == "separate":
        # two 64-64 tanh MLPs; one Adam over both equals one Adam each (its steps are per parameter)
        policy["net_arch"] = dict(pi=[args.hidden_size] * 2, vf=[args.hidden_size] * 2)
        unmatched.append(f"gradient clipping: the script clips the actor's and the critic's gradients each to norm "
                         f"{args.max_grad_norm}; Stable-Baselines3 clips the two together")
    elif kind == "shared":
        # one torso for both heads: since version 1.8 a shared torso is a shared features extractor
        policy.update(features_extractor_class=shared_torso_class(), share_features_extractor=True,
                      features_extractor_kwargs=dict(hidden=args.hidden_size), net_arch=dict(pi=[], vf=[]))
        if args.scale_rewards:
            unmatched.append(REWARD_SCALING)
    elif kind == "atari":
        # the Nature CNN with its 512 features feeding both heads directly, images over 255: CnnPolicy's default
        # RMSprop given as the policy's optimizer: A2C's own rms_prop settings fix alpha at 0.99
        if script_name == "a2c_atari_tf_rmsprop.py":
            from stable_baselines3.common.sb2_compat.rmsprop_tf_like import RMSpropTFLike as rmsprop
        else:
            rmsprop = torch.optim.RMSprop
        policy = dict(ortho_init=True, optimizer_class=rmsprop,
                      optimizer_kwargs=dict(alpha=args.rmsprop_alpha, eps=args.rmsprop_eps, weight_decay=0))
        unmatched += [
            "the frames: ale-py's vector env makes its 84x84 grayscale frames in C++; Stable-Baselines3's "
            "wrappers resize the emulator's grayscale screen with OpenCV, so pixel values can differ slightly",
            "the games: one gymnasium env each, stepped one after another in Python (DummyVecEnv); the script "
            "steps all of them in ale-py's C++ threads (this changes speed, not learning)",
        ]
        if script_name == "a2c_atari_overlap.py":
            bf16 = " and has no bf16" if getattr(args, "bf16", False) else ""
            unmatched.append("the overlap of acting and playing (a2c_atari_overlap.py): its policy lags one step; "
                             f"the peer acts on the current frames{bf16}")
    return dict(a2c=a2c, policy=policy, unmatched=unmatched)


def atari_wrappers(args, train: bool):
    """Stable-Baselines3's Atari wrappers as the script's protocol has them: up to noop_max no-ops at a reset,
    4 frames a step with the last two max-pooled, 84x84 grayscale, a lost life ending the learner's episode,
    rewards clipped to their sign, and no FIRE pressed at a reset (AtariWrapper would press it)."""
    from stable_baselines3.common import atari_wrappers as wrappers

    def wrap(env):
        env = wrappers.NoopResetEnv(env, noop_max=args.noop_max) if args.noop_max > 0 else env
        env = wrappers.MaxAndSkipEnv(env, skip=4)
        if train and args.life_loss_terminal:
            env = wrappers.EpisodicLifeEnv(env)
        env = wrappers.WarpFrame(env, width=84, height=84)
        return wrappers.ClipRewardEnv(env) if train else env

    return wrap


def make_env(kind: str, args, seed: int, num_envs: int, train: bool):
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecFrameStack, VecNormalize

    if kind == "atari":
        import ale_py

        gym.register_envs(ale_py)
        env_kwargs = dict(frameskip=1, repeat_action_probability=0.25 if args.sticky_actions else 0.0)
        # Monitor sits under the wrappers, so its episodes are whole games with raw scores
        envs = make_vec_env(args.env_id, n_envs=num_envs, seed=seed, env_kwargs=env_kwargs,
                            wrapper_class=atari_wrappers(args, train))
        return VecFrameStack(envs, n_stack=4)
    envs = make_vec_env(args.env_id, n_envs=num_envs, seed=seed)
    if kind == "mujoco":  # an evaluation's VecNormalize is given the training moments (main)
        return VecNormalize(envs, training=train, norm_obs=True, norm_reward=train and args.scale_rewards,
                            clip_obs=10.0, gamma=args.gamma)
    if train and kind == "shared" and args.scale_rewards:
        envs = VecNormalize(envs, norm_obs=False, norm_reward=True, gamma=args.gamma)
    return envs


def shared_torso_class():
    """The scripts' two-layer tanh torso as a Stable-Baselines3 features extractor, the two heads on top of it."""
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

    class Torso(BaseFeaturesExtractor):
        def __init__(self, observation_space, hidden: int):
            super().__init__(observation_space, features_dim=hidden)
            obs_dim = int(np.prod(observation_space.shape))
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden),
                                     nn.Tanh())

        def forward(self, obs):
            return self.net(obs)

    return Torso


def build(argv: list):
    """The peer for `script [its flags]`: the script's parsed Args, the set-up, the training envs and the model."""
    if not argv or Path(argv[0]).name not in KINDS:
        print(f"error: the first argument is the script to copy, one of {', '.join(KINDS)}", file=sys.stderr)
        sys.exit(2)
    if importlib.util.find_spec("stable_baselines3") is None:
        print("error: Stable-Baselines3 is not installed: pip install stable-baselines3==2.9.2", file=sys.stderr)
        sys.exit(2)
    from stable_baselines3 import A2C

    script_path, kind = Path(argv[0]).resolve(), KINDS[Path(argv[0]).name]
    script = load_script(script_path)
    args = tyro.cli(script.Args, args=argv[1:])
    script.check_args(args)
    if hasattr(args, "torch_threads"):
        torch.set_num_threads(args.torch_threads)
    setup = settings(script_path.name, args)
    envs = make_env(kind, args, args.seed, args.num_envs, train=True)
    device = "cuda" if getattr(args, "cuda", False) and torch.cuda.is_available() else "cpu"
    policy_name = "CnnPolicy" if kind == "atari" else "MlpPolicy"
    model = A2C(policy_name, envs, policy_kwargs=setup["policy"], seed=args.seed, device=device, verbose=0,
                **setup["a2c"])
    return args, kind, setup, model


def main(argv: list):
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.evaluation import evaluate_policy

    args, kind, setup, model = build(argv)
    updates = args.total_timesteps // (args.num_envs * args.num_steps)
    run_name = f"{args.env_id.replace('/', '-')}__sb3_{args.exp_name}__{args.seed}__{int(time.time())}"
    os.makedirs(f"runs/{run_name}")
    writer = SummaryWriter(f"runs/{run_name}")
    shown = {**setup["a2c"], **{f"policy {key}": value for key, value in setup["policy"].items()}}
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in shown.items()))
    start = time.time()

    class Log(BaseCallback):
        """The scripts' tags: each finished episode's raw return and length, and the steps per second."""

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    writer.add_scalar("charts/episodic_return", info["episode"]["r"], self.num_timesteps)
                    writer.add_scalar("charts/episodic_length", info["episode"]["l"], self.num_timesteps)
            return True

        def _on_rollout_end(self):
            writer.add_scalar("charts/SPS", int(self.num_timesteps / (time.time() - start)), self.num_timesteps)

    print(f"run folder: runs/{run_name}; Stable-Baselines3's A2C set up like {Path(argv[0]).name}", flush=True)
    model.learn(total_timesteps=updates * args.num_envs * args.num_steps, callback=Log())
    train_seconds = time.time() - start
    sps = int(model.num_timesteps / train_seconds)
    writer.add_scalar("charts/SPS", sps, model.num_timesteps)
    summary = dict(run_name=run_name, seed=args.seed, global_step=model.num_timesteps, train_seconds=train_seconds,
                   sps=sps, unmatched=setup["unmatched"])
    if args.eval_episodes > 0:
        eval_env = make_env(kind, args, args.seed + 10_000, 1, train=False)
        if kind == "mujoco":
            eval_env.obs_rms = model.get_env().obs_rms  # what training saw, frozen
        returns, _ = evaluate_policy(model, eval_env, n_eval_episodes=args.eval_episodes,
                                     deterministic=args.eval_greedy, return_episode_rewards=True)
        returns = np.asarray(returns, dtype=np.float64)
        writer.add_scalar("eval/episodic_return", returns.mean(), model.num_timesteps)
        writer.add_scalar("eval/episodic_return_std", returns.std(), model.num_timesteps)
        summary.update(eval_episodes=args.eval_episodes, eval_mean=returns.mean(), eval_std=returns.std())
        print(f"eval over {args.eval_episodes} episodes: mean {returns.mean():.1f} +- {returns.std():.1f}")
    writer.close()
    with open(f"runs/{run_name}/summary.json", "w") as f:
        json.dump(summary, f, indent=2)
    print(f"{model.num_timesteps:,} steps at {sps:,} steps/s")
    return model, setup


if __name__ == "__main__":
    main(sys.argv[1:])
