"""A2C on CartPole: separate actor and critic networks, n-step bootstrapped returns.

Synchronous advantage actor-critic (Mnih et al. 2016, "Asynchronous methods for deep
reinforcement learning", in its synchronous A2C form). Every update plays `num_steps` steps in
each of `num_envs` vector envs, then

    R_t = r_t + gamma r_{t+1} + ... + gamma^(k-1) r_{t+k-1} + gamma^k V(s_{t+k})   (n-step return)
    actor loss  = -mean_t (R_t - V(s_t)) log pi(a_t | s_t) - ent_coef * entropy
    critic loss = mean_t (R_t - V(s_t))^2

with the actor and the critic in separate networks, each with its own optimizer.

Run:  python a2c_cartpole.py --seed 1
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
    num_envs: int = 16
    """parallel envs"""

    # algorithm
    total_timesteps: int = 200_000
    """budget in env steps, summed over envs"""
    learning_rate: float = 2.5e-3
    """Adam learning rate of the actor and of the critic"""
    anneal_lr: bool = True
    """if toggled, decay the learning rates linearly to 0 over the budget"""
    num_steps: int = 5
    """steps per env in each rollout (the n of the n-step return)"""
    gamma: float = 0.99
    """discount factor"""
    ent_coef: float = 0.01
    """entropy bonus coefficient (without one, a policy can turn deterministic before it has learned)"""
    vf_coef: float = 0.5
    """value loss coefficient: scales the critic's gradient before clipping (Adam undoes a constant scale)"""
    max_grad_norm: float = 0.5
    """clip each network's gradient to this global norm"""
    hidden_size: int = 64
    """width of the two hidden layers of each network"""
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


def mlp(obs_dim: int, hidden_size: int, out_dim: int, out_std: float) -> nn.Sequential:
    return nn.Sequential(
        layer_init(nn.Linear(obs_dim, hidden_size)),
        nn.Tanh(),
        layer_init(nn.Linear(hidden_size, hidden_size)),
        nn.Tanh(),
        layer_init(nn.Linear(hidden_size, out_dim), std=out_std),
    )


class Actor(nn.Module):
    def __init__(self, envs, args: Args):
        super().__init__()
        # a small last layer starts the policy near uniform
        obs_dim, num_actions = envs.single_observation_space.shape[0], int(envs.single_action_space.n)
        self.net = mlp(obs_dim, args.hidden_size, num_actions, out_std=0.01)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Action logits."""
        return self.net(obs)


class Critic(nn.Module):
    def __init__(self, envs, args: Args):
        super().__init__()
        self.net = mlp(envs.single_observation_space.shape[0], args.hidden_size, 1, out_std=1.0)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """State values, one per observation."""
        return self.net(obs).squeeze(-1)


def n_step_returns(
    rewards: torch.Tensor, values: torch.Tensor, terminated: torch.Tensor, is_reset: torch.Tensor, gamma: float
) -> torch.Tensor:
    """Bootstrapped n-step returns over a rollout with gymnasium's NEXT_STEP autoreset.

    rewards, terminated, is_reset: (T, num_envs); values: (T + 1, num_envs), values[t] = V(obs_t)
    and values[T] the value of the observation after the rollout. is_reset[t] marks a reset step:
    the episode ended at t - 1, obs_t is that episode's final observation, and the env ignored
    the action and started a new episode. So the return at a reset step is V(final observation),
    which is exactly the bootstrap a truncated episode needs; a terminated one multiplies it by 0.
    Nothing crosses into the next episode: a reset step starts the recursion afresh.
    """
    discounts = gamma * (1.0 - terminated)
    is_reset = is_reset.bool()
    returns = torch.zeros_like(rewards)
    running = values[-1]
    for t in reversed(range(rewards.shape[0])):
        running = torch.where(is_reset[t], values[t], rewards[t] + discounts[t] * running)
        returns[t] = running
    return returns


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


def evaluate(actor: Actor, args: Args, run_name: str, device: torch.device) -> np.ndarray:
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
                logits = actor(torch.as_tensor(obs, dtype=torch.float32, device=device))
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

    actor = Actor(envs, args).to(device)
    critic = Critic(envs, args).to(device)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=args.learning_rate)
    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=args.learning_rate)

    obs = torch.zeros((args.num_steps + 1, args.num_envs) + envs.single_observation_space.shape, device=device)
    actions = torch.zeros((args.num_steps, args.num_envs), dtype=torch.long, device=device)
    rewards = torch.zeros((args.num_steps, args.num_envs), device=device)
    terminated_buf = torch.zeros((args.num_steps, args.num_envs), device=device)
    is_reset_buf = torch.zeros((args.num_steps, args.num_envs), device=device)

    global_step = 0
    recent_returns = deque(maxlen=100)
    episode_returns = np.zeros(args.num_envs)
    episode_lengths = np.zeros(args.num_envs, dtype=np.int64)
    start_time = last_print = time.time()
    next_obs, _ = envs.reset(seed=args.seed)
    # With NEXT_STEP autoreset the step after a done is a reset step: the env ignores its action,
    # returns the next episode's first observation and reward 0. It is not learned from or counted.
    next_is_reset = np.zeros(args.num_envs, dtype=bool)
    for update in range(num_updates):
        if args.anneal_lr:
            lr = args.learning_rate * (1.0 - update / num_updates)
            for optimizer in (actor_optimizer, critic_optimizer):
                optimizer.param_groups[0]["lr"] = lr

        # 1. a rollout of num_steps steps in every env
        for step in range(args.num_steps):
            obs[step] = torch.as_tensor(next_obs, device=device)
            is_reset_buf[step] = torch.as_tensor(next_is_reset, device=device)
            with torch.no_grad():
                logits = actor(obs[step])
            actions[step] = Categorical(logits=logits).sample()
            next_obs, reward, terminated, truncated, _ = envs.step(actions[step].cpu().numpy())
            rewards[step] = torch.as_tensor(reward, device=device)
            terminated_buf[step] = torch.as_tensor(terminated, device=device)
            real_step = ~next_is_reset
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
        obs[args.num_steps] = torch.as_tensor(next_obs, device=device)

        # 2. the critic's values of the rollout and of the observation after it, in one pass; the
        # targets and advantages use them detached (a target does not move with the prediction)
        values = critic(obs)
        returns = n_step_returns(rewards, values.detach(), terminated_buf, is_reset_buf, args.gamma)
        advantages = returns - values[:-1].detach()

        # 3. one step of each optimizer on the whole rollout, in one batched pass per network.
        # Reset steps stay in the batch (fixed shapes are cheaper than indexing) with weight 0.
        learn = is_reset_buf == 0  # reset steps carry no decision of the agent's
        # each learned-from step's weight in the batch means; a reset step's is 0
        step_weight = learn / learn.sum().clamp(min=1)
        dist = Categorical(logits=actor(obs[:-1]))
        policy_loss = -(step_weight * advantages * dist.log_prob(actions)).sum()
        entropy = (step_weight * dist.entropy()).sum()
        value_loss = (step_weight * (returns - values[:-1]) ** 2).sum()
        loss = policy_loss + args.vf_coef * value_loss - args.ent_coef * entropy
        actor_optimizer.zero_grad()
        critic_optimizer.zero_grad()
        # the networks share no parameter, so one backward of the sum gives each its own gradient
        loss.backward()
        nn.utils.clip_grad_norm_(actor.parameters(), args.max_grad_norm)
        nn.utils.clip_grad_norm_(critic.parameters(), args.max_grad_norm)
        actor_optimizer.step()
        critic_optimizer.step()

        # 4. logging
        last_update = update == num_updates - 1 or bool(stop_signal)
        if update % 10 == 0 or last_update:
            target, predicted = returns[learn], values[:-1].detach()[learn]
            explained_var = 1.0 - (target - predicted).var() / target.var()
            sps = int(global_step / (time.time() - start_time))
            writer.add_scalar("charts/SPS", sps, global_step)
            writer.add_scalar("charts/learning_rate", actor_optimizer.param_groups[0]["lr"], global_step)
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
        torch.save({"model": actor.state_dict(), "critic": critic.state_dict(), "args": vars(args)}, model_path)
        print(f"model saved to {model_path}")

    summary = dict(run_name=run_name, seed=args.seed, global_step=global_step, train_seconds=train_seconds, sps=sps)
    summary["versions"] = {package: metadata.version(package) for package in ("torch", "gymnasium", "ale-py")}
    if args.eval_episodes > 0:
        eval_returns = evaluate(actor, args, run_name, device)
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
