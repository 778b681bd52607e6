"""REINFORCE on CartPole with reward-to-go: each log-prob weighted by the rewards that follow it.

Williams (1992); the reward-to-go form as in Spinning Up's "don't let the past distract you":
an action cannot change the rewards that came before it, so leaving them out of its weight
removes noise without bias. Each update plays one complete episode in each of `num_envs`
vector envs with the current policy and takes one gradient step on

    loss = -(1/N) * sum over episodes of sum_t (G_t - b_t) / sigma * log pi(a_t | s_t),

where G_t = sum_{t' >= t} gamma^(t'-t) r_t' is the discounted reward-to-go, b_t the mean G_t of the
batch's episodes still running at step t (a baseline that depends on the time step, never on the
action, adds no bias) and sigma the std of G_t - b_t over the batch.

Run:  python reinforce_rtg_cartpole.py --seed 1
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
    """if toggled, use a GPU when one exists (a network this small runs faster on the CPU)"""
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
    """parallel envs; each update learns from one complete episode per env"""

    # algorithm
    total_timesteps: int = 200_000
    """budget in env steps, summed over envs (only steps of learned-from episodes count)"""
    learning_rate: float = 2e-2
    """Adam learning rate"""
    anneal_lr: bool = True
    """if toggled, decay the learning rate linearly to 0 over the budget (steadies the policy once it is good)"""
    gamma: float = 0.99
    """discount factor"""
    normalize_returns: bool = True
    """if toggled, weight the log-probs by G_t - b_t over its std (see the top of the file), not by G_t"""
    ent_coef: float = 0.0
    """entropy bonus coefficient"""
    hidden_size: int = 64
    """width of the two hidden layers of the policy"""
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
        (not 0.0 <= args.gamma <= 1.0, f"--gamma must be in [0, 1], got {args.gamma}"),
        (args.learning_rate <= 0, f"--learning-rate must be positive, got {args.learning_rate}"),
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
    max_episode_steps = envs.spec.max_episode_steps
    if max_episode_steps is None:
        fail(f"{args.env_id} has no time limit; REINFORCE needs episodes that end")
    if args.total_timesteps < args.num_envs * max_episode_steps:
        fail(
            f"--total-timesteps {args.total_timesteps} is smaller than one batch "
            f"(up to num_envs * max_episode_steps = {args.num_envs * max_episode_steps} steps)"
        )
    return envs


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Policy(nn.Module):
    def __init__(self, envs, args: Args):
        super().__init__()
        obs_dim, num_actions = envs.single_observation_space.shape[0], int(envs.single_action_space.n)
        hidden_size = args.hidden_size
        self.net = nn.Sequential(
            layer_init(nn.Linear(obs_dim, hidden_size)),
            nn.Tanh(),
            layer_init(nn.Linear(hidden_size, hidden_size)),
            nn.Tanh(),
            # a small last layer starts the policy near uniform
            layer_init(nn.Linear(hidden_size, num_actions), std=0.01),
        )

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Action logits."""
        return self.net(obs)


def rewards_to_go(rewards: torch.Tensor, dones: torch.Tensor, gamma: float) -> torch.Tensor:
    """G_t: the discounted sum of the rewards from step t to the end of its episode.

    rewards, dones: (T, num_envs); dones[t] is true where an episode ends at step t (terminated
    or truncated alike: without a critic there is nothing to bootstrap from).
    """
    returns_to_go = torch.zeros_like(rewards)
    discounts = gamma * (1.0 - dones)  # a done cuts the sum at the episode's end
    running = torch.zeros_like(rewards[0])
    for t in reversed(range(rewards.shape[0])):
        running = rewards[t] + discounts[t] * running
        returns_to_go[t] = running
    return returns_to_go


def minus_step_mean(returns_to_go: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """G_t - b_t, where b_t is the mean G_t over the envs whose first episode still runs at step t.

    The mean of all the batch's G_t would be a baseline too, but a worse one where episodes are cut by
    a time limit: before Acrobot's first success every episode is cut after 500 steps, the last steps'
    G_t are then the highest of the batch (their sums were cut short, not better), and whatever was done
    there is reinforced, until the policy turns deterministic without ever reaching the goal.
    With b_t, equal rewards-to-go give no gradient at all. It is computed from offsets to the step's
    largest G_t so that equal ones give exactly 0: rounding noise, once divided by its own tiny std and
    fed to Adam, would move the policy as a signal does.
    """
    top = torch.where(valid, returns_to_go, -torch.inf).amax(dim=1, keepdim=True)
    offsets = torch.where(valid, returns_to_go - top, 0.0)
    mean_offset = offsets.sum(dim=1, keepdim=True) / valid.sum(dim=1, keepdim=True).clamp(min=1)
    return torch.where(valid, offsets - mean_offset, 0.0)  # 0 where no episode of the batch runs


def first_episode_mask(dones: torch.Tensor) -> torch.Tensor:
    """True on the steps of each env's first episode, up to and including its last step.

    Later steps belong to the next episode (with NEXT_STEP autoreset, the step right after a done
    is a reset step whose action is ignored), so they are not learned from or counted.
    """
    ended_before = torch.cumsum(dones, dim=0) - dones
    return ended_before == 0


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


def evaluate(policy: Policy, args: Args, run_name: str, device: torch.device) -> np.ndarray:
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
                logits = policy(torch.as_tensor(obs, dtype=torch.float32, device=device))
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
    max_episode_steps = envs.spec.max_episode_steps

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

    policy = Policy(envs, args).to(device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.learning_rate)

    global_step = 0
    recent_returns = deque(maxlen=100)
    start_time = last_print = time.time()
    next_obs, _ = envs.reset(seed=args.seed)
    while global_step < args.total_timesteps:
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = args.learning_rate * (1.0 - global_step / args.total_timesteps)
        # 1. play one complete episode in every env with the current policy
        obs_buf, action_buf, reward_buf, done_buf = [], [], [], []
        ended = np.zeros(args.num_envs, dtype=bool)
        for _ in range(max_episode_steps):
            obs = torch.as_tensor(next_obs, dtype=torch.float32, device=device)
            with torch.no_grad():
                logits = policy(obs)
            action = Categorical(logits=logits).sample()
            next_obs, reward, terminated, truncated, _ = envs.step(action.cpu().numpy())
            done = terminated | truncated
            obs_buf.append(obs)
            action_buf.append(action)
            reward_buf.append(reward)
            done_buf.append(done)
            ended |= done
            if ended.all():
                break
        # the next batch starts from fresh episodes in every env; nothing of the
        # episodes begun after a done is learned from or counted
        next_obs, _ = envs.reset()

        obs_t = torch.stack(obs_buf)  # (T, num_envs, obs_dim)
        actions = torch.stack(action_buf)  # (T, num_envs)
        rewards = torch.as_tensor(np.stack(reward_buf), dtype=torch.float32, device=device)
        dones = torch.as_tensor(np.stack(done_buf), dtype=torch.float32, device=device)
        valid = first_episode_mask(dones)

        # 2. one gradient step on the whole batch
        returns_to_go = rewards_to_go(rewards, dones, args.gamma)
        if args.normalize_returns:
            weights = minus_step_mean(returns_to_go, valid)[valid]
            weights = weights / (weights.std(correction=0) + 1e-8)
        else:
            weights = returns_to_go[valid]
        dist = Categorical(logits=policy(obs_t[valid]))
        log_probs = dist.log_prob(actions[valid])
        entropy = dist.entropy().mean()
        policy_loss = -(weights * log_probs).sum() / args.num_envs
        loss = policy_loss - args.ent_coef * entropy
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        # 3. logging: each episode at the step count where it ended, in the order they ended
        lengths = valid.sum(dim=0).cpu().numpy()
        undiscounted = (rewards * valid).sum(dim=0).cpu().numpy()
        for env_index in np.argsort(lengths, kind="stable"):
            global_step += int(lengths[env_index])
            recent_returns.append(float(undiscounted[env_index]))
            writer.add_scalar("charts/episodic_return", undiscounted[env_index], global_step)
            writer.add_scalar("charts/episodic_length", lengths[env_index], global_step)
        sps = int(global_step / (time.time() - start_time))
        writer.add_scalar("charts/SPS", sps, global_step)
        writer.add_scalar("charts/learning_rate", optimizer.param_groups[0]["lr"], global_step)
        writer.add_scalar("losses/policy_loss", policy_loss.item(), global_step)
        writer.add_scalar("losses/entropy", entropy.item(), global_step)
        last_update = global_step >= args.total_timesteps or bool(stop_signal)
        if time.time() - last_print > 5 or last_update:
            last_print = time.time()
            left = max(args.total_timesteps - global_step, 0) / max(sps, 1)
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
        torch.save({"model": policy.state_dict(), "args": vars(args)}, model_path)
        print(f"model saved to {model_path}")

    summary = dict(run_name=run_name, seed=args.seed, global_step=global_step, train_seconds=train_seconds, sps=sps)
    summary["versions"] = {package: metadata.version(package) for package in ("torch", "gymnasium", "ale-py")}
    if args.eval_episodes > 0:
        eval_returns = evaluate(policy, args, run_name, device)
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
