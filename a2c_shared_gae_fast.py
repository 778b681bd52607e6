"""A2C on CartPole with one shared network and GAE(lambda) advantages, with CPU speed tricks.

The algorithm, the arguments and the defaults are a2c_shared_gae.py's; only how the arithmetic is done
changes. Each trick below names the textbook form it replaces and what it bought: the steps/s of this file
over this file without that one trick, the median of 4 rounds on a 2-core AMD EPYC (docs/speed.md).
Together they made 1.72x a2c_shared_gae.py's steps/s. `diff a2c_shared_gae.py a2c_shared_gae_fast.py`
is the lesson in speed.

Synchronous advantage actor-critic (Mnih et al. 2016) with generalized advantage estimation
(Schulman et al. 2016, "High-dimensional continuous control using generalized advantage
estimation"). Every update plays `num_steps` steps in each of `num_envs` vector envs, then

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t)                     (one-step TD error)
    A_t     = delta_t + gamma lambda A_{t+1}                      (GAE; lambda 1 gives n-step, 0 gives TD)
    loss    = -mean_t A_t log pi(a_t | s_t) + vf_coef * mean_t (A_t + V(s_t) - V_new(s_t))^2
              - ent_coef * entropy

with the policy and the value as two heads on one torso, trained by one optimizer.

Run:  python a2c_shared_gae_fast.py --seed 1
"""

import json
import os
import random
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass
from importlib import metadata

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import tyro
from torch.distributions import Categorical
from torch.utils.tensorboard import SummaryWriter


@dataclass
class Args:
    # experiment
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment (part of the run name)"""
    seed: int = 1
    """seed of random, numpy, torch and the envs"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=True`"""
    cuda: bool = False
    """if toggled, use a GPU when one exists (networks this small run faster on the CPU)"""
    torch_threads: int = 1
    """torch's CPU threads: 1, so that runs side by side do not fight over the cores (small networks gain nothing)"""
    capture_video: bool = False
    """if toggled, record the evaluation episodes as mp4 to `videos/{run_name}/`"""
    save_model: bool = True
    """if toggled, save the weights and args to `runs/{run_name}/{exp_name}.pt`"""

    # environment
    env_id: str = "CartPole-v1"
    """a gymnasium env id with a 1-D Box observation and a Discrete action space"""
    num_envs: int = 8
    """parallel envs (8, picked by hand for CartPole where a2c_cartpole.py has 16: docs/choices.md)"""

    # algorithm
    total_timesteps: int = 200_000
    """budget in env steps, summed over envs"""
    learning_rate: float = 2.5e-3
    """Adam learning rate"""
    anneal_lr: bool = True
    """if toggled, decay the learning rates linearly to 0 over the budget"""
    num_steps: int = 5
    """steps per env in each rollout"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE lambda: 1 gives the n-step advantage, 0 the one-step TD error"""
    ent_coef: float = 0.01
    """entropy bonus coefficient (without one, a policy can turn deterministic before it has learned)"""
    vf_coef: float = 0.1
    """value loss coefficient: small, or returns near 100 crowd the policy out of the clipped gradient"""
    scale_rewards: bool = True
    """if toggled, the learner's rewards are divided by the running std of the discounted return (docs/choices.md)"""
    max_grad_norm: float = 0.5
    """clip the gradient to this global norm"""
    hidden_size: int = 64
    """width of the two hidden layers of the shared torso"""
    eval_episodes: int = 10
    """episodes played on a fresh env after training"""
    eval_greedy: bool = True
    """if toggled, the evaluation plays the most likely action; otherwise it samples from the policy"""


def fail(message: str):
    """A user's mistake: one line on stderr, exit status 2, no traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def check_args(args: Args):
    """A user's mistakes, caught before anything is created."""
    mistakes = [
        (args.num_envs < 1, f"--num-envs must be at least 1, got {args.num_envs}"),
        (args.torch_threads < 1, f"--torch-threads must be at least 1, got {args.torch_threads}"),
        (args.num_steps < 1, f"--num-steps must be at least 1, got {args.num_steps}"),
        (args.total_timesteps < args.num_envs * args.num_steps, "--total-timesteps is less than one batch of steps"),
        (not 0.0 <= args.gamma <= 1.0, f"--gamma must be in [0, 1], got {args.gamma}"),
        (not 0.0 <= args.gae_lambda <= 1.0, f"--gae-lambda must be in [0, 1], got {args.gae_lambda}"),
        (args.learning_rate <= 0, f"--learning-rate must be positive, got {args.learning_rate}"),
        (args.max_grad_norm <= 0, f"--max-grad-norm must be positive, got {args.max_grad_norm}"),
        (args.eval_episodes < 0, f"--eval-episodes must be 0 or more, got {args.eval_episodes}"),
        (args.hidden_size < 1, f"--hidden-size must be at least 1, got {args.hidden_size}"),
    ]
    for mistake, message in mistakes:
        if mistake:
            fail(message)


def make_envs(args: Args):
    """The training vector env; CartPole gets gymnasium's NumPy-vectorized implementation."""
    try:
        envs = gym.make_vec(args.env_id, num_envs=args.num_envs)
    except (gym.error.Error, ModuleNotFoundError, ImportError) as e:
        fail(f"cannot make env {args.env_id!r}: {str(e).splitlines()[0]}")
    if not isinstance(envs.single_action_space, gym.spaces.Discrete):
        fail(f"{args.env_id} has a {type(envs.single_action_space).__name__} action space; this script needs Discrete")
    obs_space = envs.single_observation_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        fail(f"{args.env_id} observations are {obs_space}; this script needs a 1-D Box (a vector, not an image)")
    if envs.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP) != gym.vector.AutoresetMode.NEXT_STEP:
        fail(f"{args.env_id}'s vector env does not autoreset on the next step, which this script relies on")
    return envs


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class ActorCritic(nn.Module):
    """One torso, two heads: the policy and the value learn features together."""

    def __init__(self, envs, args: Args):
        super().__init__()
        obs_dim, hidden_size = envs.single_observation_space.shape[0], args.hidden_size
        self.torso = nn.Sequential(
            layer_init(nn.Linear(obs_dim, hidden_size)),
            nn.Tanh(),
            layer_init(nn.Linear(hidden_size, hidden_size)),
            nn.Tanh(),
        )
        # a small policy layer starts the policy near uniform
        self.policy_head = layer_init(nn.Linear(hidden_size, int(envs.single_action_space.n)), std=0.01)
        self.value_head = layer_init(nn.Linear(hidden_size, 1), std=1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Action logits and state values."""
        hidden = self.torso(obs)
        return self.policy_head(hidden), self.value_head(hidden).squeeze(-1)

    def logits(self, obs: torch.Tensor) -> torch.Tensor:
        """Action logits alone, in place of forward() when acting: the value head is not run (1.05x)."""
        return self.policy_head(self.torso(obs))


def gae_advantages(rewards, values, terminated, is_reset, gamma: float, gae_lambda: float) -> torch.Tensor:
    """GAE(lambda) advantages over a rollout with gymnasium's NEXT_STEP autoreset.

    rewards, terminated, is_reset: (T, num_envs); values: (T + 1, num_envs), values[t] = V(obs_t)
    and values[T] the value of the observation after the rollout. is_reset[t] marks a reset step:
    the episode ended at t - 1 and obs_t is its final observation, so the step before bootstraps from
    V(final observation), as a truncated episode needs (terminated multiplies it by 0). A reset
    step's advantage is 0, and nothing flows back across it.
    """
    not_reset = 1.0 - is_reset
    deltas = (rewards + gamma * (1.0 - terminated) * values[1:] - values[:-1]) * not_reset
    carry = gamma * gae_lambda * not_reset
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(values[-1])
    for t in reversed(range(rewards.shape[0])):
        running = deltas[t] + carry[t] * running
        advantages[t] = running
    return advantages


def clip_grad_norm_(params: list, max_norm: float):
    """nn.utils.clip_grad_norm_'s arithmetic without its per-call grouping of the grads by device and dtype (1.14x)."""
    grads = [param.grad for param in params]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(grad) for grad in grads]))
    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(scale)


def make_run_dir(args: Args) -> str:
    """A fresh folder runs/{run_name}, never an earlier run's; returns run_name."""
    stamp = int(time.time())
    while True:
        run_name = f"{args.env_id.replace('/', '-')}__{args.exp_name}__{args.seed}__{stamp}"
        try:
            os.makedirs(f"runs/{run_name}")
            return run_name
        except FileExistsError:
            stamp += 1


def evaluate(agent: ActorCritic, args: Args, run_name: str, device: torch.device) -> np.ndarray:
    """Episodes on a fresh single env, greedy or sampled (`--eval-greedy`); returns the episodic returns."""
    if args.capture_video:
        # frames are drawn off-screen; keep SDL from looking for a display or greeting us
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    env = gym.make(args.env_id, render_mode="rgb_array" if args.capture_video else None)
    if args.capture_video:
        env = gym.wrappers.RecordVideo(env, f"videos/{run_name}", episode_trigger=lambda _: True)
    torch.manual_seed(args.seed + 10_000)  # sampled actions, too, are the same for the same seed and weights
    returns = []
    for episode in range(args.eval_episodes):
        obs, _ = env.reset(seed=args.seed + 10_000 if episode == 0 else None)
        episode_return, done = 0.0, False
        while not done:
            with torch.no_grad():
                logits, _ = agent(torch.as_tensor(obs, dtype=torch.float32, device=device))
            action = logits.argmax(-1) if args.eval_greedy else Categorical(logits=logits).sample()
            obs, reward, terminated, truncated, _ = env.step(int(action))
            episode_return += float(reward)
            done = terminated or truncated
        returns.append(episode_return)
    env.close()
    return np.array(returns)


def main(args: Args) -> dict:
    check_args(args)
    envs = make_envs(args)
    batch_size = args.num_envs * args.num_steps
    num_updates = args.total_timesteps // batch_size

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    torch.set_num_threads(args.torch_threads)
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")

    stop_signal = []  # Ctrl-C or a kill ends the run after the update under way, keeping what was logged
    handlers = {sig: signal.signal(sig, lambda s, _: stop_signal.append(s)) for sig in (signal.SIGINT, signal.SIGTERM)}

    run_name = make_run_dir(args)
    writer = SummaryWriter(f"runs/{run_name}")
    hyperparameters = "\n".join(f"|{key}|{value}|" for key, value in vars(args).items())
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + hyperparameters)
    print(f"run folder: runs/{run_name} (watch it: tensorboard --logdir runs)", flush=True)

    agent = ActorCritic(envs, args).to(device)
    params = list(agent.parameters())  # listed once, not on every clip
    # fused=True in place of Adam's default: its step as one kernel, not several small ops per parameter (1.15x)
    optimizer = torch.optim.Adam(params, lr=args.learning_rate, fused=True)

    # NumPy buffers in place of tensors written step by step: one tensor each per rollout, not per step (1.20x)
    obs_np = np.zeros((args.num_steps + 1, args.num_envs) + envs.single_observation_space.shape, dtype=np.float32)
    actions = torch.zeros((args.num_steps, args.num_envs), dtype=torch.long, device=device)
    rewards_np = np.zeros((args.num_steps, args.num_envs), dtype=np.float32)
    terminated_np = np.zeros((args.num_steps, args.num_envs), dtype=np.float32)
    is_reset_np = np.zeros((args.num_steps, args.num_envs), dtype=np.float32)

    global_step = 0
    recent_returns = deque(maxlen=100)
    episode_returns = np.zeros(args.num_envs)
    episode_lengths = np.zeros(args.num_envs, dtype=np.int64)
    start_time = last_print = time.time()
    next_obs, _ = envs.reset(seed=args.seed)
    # With NEXT_STEP autoreset the step after a done is a reset step: the env ignores its action,
    # returns the next episode's first observation and reward 0. It is not learned from or counted.
    next_is_reset = np.zeros(args.num_envs, dtype=bool)
    # Reward scaling (Engstrom et al. 2020): the learner sees each reward over the std of the discounted
    # return so far, so that values stay near 1 on any reward scale. Values near -100 (Acrobot) drive the
    # shared torso's tanh units into saturation, and a saturated torso gives the policy nothing to go on.
    discounted_return = np.zeros(args.num_envs)
    return_sums = np.zeros(3)  # the count, sum and sum of squares of every discounted return so far
    for update in range(num_updates):
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = args.learning_rate * (1.0 - update / num_updates)

        # 1. a rollout of num_steps steps in every env
        for step in range(args.num_steps):
            obs_np[step] = next_obs
            is_reset_np[step] = next_is_reset
            with torch.no_grad():
                logits = agent.logits(torch.as_tensor(obs_np[step], device=device))
            # Gumbel-max in place of Categorical(logits=logits).sample(): the same draws, no argument checks (1.31x)
            torch.argmax(logits - torch.empty_like(logits).exponential_().log(), dim=-1, out=actions[step])
            next_obs, reward, terminated, truncated, _ = envs.step(actions[step].cpu().numpy())
            rewards_np[step] = reward
            terminated_np[step] = terminated
            real_step = ~next_is_reset
            discounted_return = np.where(real_step, args.gamma * discounted_return + reward, 0.0)
            seen = discounted_return[real_step]
            return_sums += (len(seen), seen.sum(), (seen**2).sum())
            global_step += int(real_step.sum())
            episode_returns += reward
            episode_lengths += real_step
            next_is_reset = terminated | truncated
            for env_index in np.nonzero(next_is_reset)[0]:
                recent_returns.append(episode_returns[env_index])
                writer.add_scalar("charts/episodic_return", episode_returns[env_index], global_step)
                writer.add_scalar("charts/episodic_length", episode_lengths[env_index], global_step)
            episode_returns[next_is_reset] = 0.0
            episode_lengths[next_is_reset] = 0
        obs_np[args.num_steps] = next_obs
        obs, rewards = torch.as_tensor(obs_np, device=device), torch.as_tensor(rewards_np, device=device)
        terminated_buf = torch.as_tensor(terminated_np, device=device)
        is_reset_buf = torch.as_tensor(is_reset_np, device=device)
        count, total, total_sq = return_sums
        return_std = float(np.sqrt(max(total_sq / count - (total / count) ** 2, 0.0)))
        reward_scale = return_std if args.scale_rewards and return_std > 0 else 1.0

        # 2. both heads on the rollout and on the observation after it, in one pass; the advantages
        # and value targets use the values detached (a target does not move with the prediction)
        logits, values = agent(obs)
        advantages = gae_advantages(
            rewards / reward_scale, values.detach(), terminated_buf, is_reset_buf, args.gamma, args.gae_lambda
        )
        returns = advantages + values[:-1].detach()

        # 3. one optimizer step on the whole rollout; reset steps stay in it (fixed shapes) with weight 0
        learn = is_reset_buf == 0  # reset steps carry no decision of the agent's
        # each learned-from step's weight in the batch means; a reset step's is 0
        step_weight = learn / learn.sum().clamp(min=1)
        # log_softmax in place of Categorical(logits): the same log-probs and entropy, no distribution object (1.28x)
        log_pi = logits[:-1].log_softmax(dim=-1)
        log_prob = log_pi.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        policy_loss = -(step_weight * advantages * log_prob).sum()
        entropy = -(step_weight * (log_pi.exp() * log_pi).sum(-1)).sum()
        value_loss = (step_weight * (returns - values[:-1]) ** 2).sum()
        loss = policy_loss + args.vf_coef * value_loss - args.ent_coef * entropy
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(params, args.max_grad_norm)  # in place of nn.utils.clip_grad_norm_
        optimizer.step()

        # 4. logging
        last_update = update == num_updates - 1 or bool(stop_signal)
        if update % 10 == 0 or last_update:
            target, predicted = returns[learn], values[:-1].detach()[learn]
            explained_var = 1.0 - (target - predicted).var() / target.var()
            sps = int(global_step / (time.time() - start_time))
            writer.add_scalar("charts/SPS", sps, global_step)
            writer.add_scalar("charts/learning_rate", optimizer.param_groups[0]["lr"], global_step)
            writer.add_scalar("losses/policy_loss", policy_loss.item(), global_step)
            writer.add_scalar("losses/value_loss", value_loss.item(), global_step)
            writer.add_scalar("losses/entropy", entropy.item(), global_step)
            writer.add_scalar("losses/explained_variance", explained_var.item(), global_step)
            if time.time() - last_print > 5 or last_update:
                last_print = time.time()
                left = (num_updates - update - 1) * batch_size / max(sps, 1)
                mean_return = np.mean(recent_returns) if recent_returns else float("nan")
                print(f"step {global_step:,}/{args.total_timesteps:,} | {sps:,} steps/s | "
                      f"mean return (last 100) {mean_return:.1f} | {left / 60:.1f} min left", flush=True)
        if stop_signal:
            break
    envs.close()
    train_seconds = time.time() - start_time
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    if stop_signal:
        writer.close()
        print(f"stopped at step {global_step:,}; what was logged is in runs/{run_name}", flush=True)
        sys.exit(128 + stop_signal[0])

    if args.save_model:
        model_path = f"runs/{run_name}/{args.exp_name}.pt"
        torch.save({"model": agent.state_dict(), "args": vars(args)}, model_path)
        print(f"model saved to {model_path}")

    summary = dict(run_name=run_name, seed=args.seed, global_step=global_step, train_seconds=train_seconds, sps=sps)
    summary["versions"] = {package: metadata.version(package) for package in ("torch", "gymnasium", "ale-py")}
    if args.eval_episodes > 0:
        eval_returns = evaluate(agent, args, run_name, device)
        stats = dict(mean=eval_returns.mean(), std=eval_returns.std(), min=eval_returns.min(), max=eval_returns.max())
        writer.add_scalar("eval/episodic_return", stats["mean"], global_step)
        for key in ("std", "min", "max"):
            writer.add_scalar(f"eval/episodic_return_{key}", stats[key], global_step)
        print(f"eval over {args.eval_episodes} episodes: mean {stats['mean']:.1f} +- {stats['std']:.1f} "
              f"(min {stats['min']:.1f}, max {stats['max']:.1f})")
        summary.update(eval_episodes=args.eval_episodes, **{f"eval_{key}": float(stat) for key, stat in stats.items()})
    writer.close()
    with open(f"runs/{run_name}/summary.json", "w") as f:
        json.dump(summary, f, indent=2)
    return summary


if __name__ == "__main__":
    main(tyro.cli(Args))
