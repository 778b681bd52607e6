"""A2C with GAE(lambda) on MuJoCo: a Gaussian policy for continuous actions.

Synchronous advantage actor-critic (Mnih et al. 2016) with generalized advantage estimation
(Schulman et al. 2016, "High-dimensional continuous control using generalized advantage
estimation"). Every update plays `num_steps` steps in each of `num_envs` vector envs, then

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t)                     (one-step TD error)
    A_t     = delta_t + gamma lambda A_{t+1}                      (GAE; lambda 1 gives n-step, 0 gives TD)
    loss    = -mean_t A_t log pi(a_t | s_t) + vf_coef * mean_t (A_t + V(s_t) - V_new(s_t))^2
              - ent_coef * entropy

as in a2c_shared_gae.py. What changes is the action. The policy is a diagonal Gaussian,

    u ~ N(mu(s), sigma^2)       mu from the network, log sigma one learned parameter per action dimension
    log pi(u | s) = sum_i [ -(u_i - mu_i)^2 / (2 sigma_i^2) - log sigma_i - log(2 pi) / 2 ]

and the env gets u clipped to [-1, 1] and mapped onto its action bounds; the learner keeps u itself
(clipped rather than squashed by tanh: docs/choices.md). Two things MuJoCo needs besides
(Andrychowicz et al. 2021, "What matters in on-policy reinforcement learning"): observations
normalized by their running mean and std (kept in the network, so that an evaluation sees what
training saw), and a policy and a value that do not share a torso, the value's network the wider
(256 units against 64, as they found better too). The optimizer is RMSprop, as in a2c_atari.py and
Tianshou's A2C for MuJoCo, where a2c_shared_gae.py has Adam. And the value is fitted closer: after the
one step on the loss above, four more gradient steps on the value loss alone, on the same rollout and
targets (`--value-steps 5` in all; Wang et al. 2025 found the value's fit to be what holds vanilla
policy gradient back), where a2c_shared_gae.py takes the one step.

Run:  python a2c_mujoco.py --seed 1          (HalfCheetah-v5; any env with a bounded 1-D Box action space)
"""

import json
import os
import random
import signal
import sys
import time
import warnings
from collections import deque
from dataclasses import dataclass
from importlib import metadata

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import tyro
from torch.distributions import Normal
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
    env_id: str = "HalfCheetah-v5"
    """a gymnasium env id with a 1-D Box observation and a Box action space (MuJoCo's, or Pendulum-v1)"""
    num_envs: int = 16
    """parallel envs"""

    # algorithm
    total_timesteps: int = 1_000_000
    """budget in env steps, summed over envs"""
    learning_rate: float = 7e-4
    """RMSprop learning rate"""
    anneal_lr: bool = True
    """if toggled, decay the learning rates linearly to 0 over the budget"""
    num_steps: int = 5
    """steps per env in each rollout"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE lambda: 1 gives the n-step advantage, 0 the one-step TD error"""
    ent_coef: float = 0.0
    """entropy bonus coefficient: none; 0.01 halved HalfCheetah's return on 2 seeds (docs/results.md)"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    scale_rewards: bool = True
    """if toggled, the learner's rewards are divided by the running std of the discounted return (docs/choices.md)"""
    max_grad_norm: float = 0.5
    """clip the gradient to this global norm"""
    rmsprop_alpha: float = 0.99
    """RMSprop decay of the mean squared gradient"""
    rmsprop_eps: float = 1e-5
    """RMSprop epsilon"""
    hidden_size: int = 64
    """width of the policy's two hidden layers"""
    value_hidden_size: int = 256
    """width of the value's two hidden layers"""
    value_steps: int = 5
    """gradient steps on the value loss for each rollout: the first with the policy's loss, the rest on it alone"""
    init_log_std: float = -0.5
    """log of the policy's std at the start, in units of half the action range"""
    eval_episodes: int = 10
    """episodes played on a fresh env after training"""
    eval_greedy: bool = True
    """if toggled, the evaluation plays the policy's mean action; otherwise it samples from the policy"""


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
        (not 0.0 <= args.rmsprop_alpha < 1.0, f"--rmsprop-alpha must be in [0, 1), got {args.rmsprop_alpha}"),
        (args.rmsprop_eps <= 0, f"--rmsprop-eps must be positive, got {args.rmsprop_eps}"),
        (args.eval_episodes < 0, f"--eval-episodes must be 0 or more, got {args.eval_episodes}"),
        (args.hidden_size < 1, f"--hidden-size must be at least 1, got {args.hidden_size}"),
        (args.value_hidden_size < 1, f"--value-hidden-size must be at least 1, got {args.value_hidden_size}"),
        (args.value_steps < 1, f"--value-steps must be at least 1, got {args.value_steps}"),
        (not np.isfinite(args.init_log_std), f"--init-log-std must be a finite number, got {args.init_log_std}"),
    ]
    for mistake, message in mistakes:
        if mistake:
            fail(message)


def make_envs(args: Args):
    """The training vector env (MuJoCo's envs step one after another in this process)."""
    try:
        envs = gym.make_vec(args.env_id, num_envs=args.num_envs)
    except (gym.error.Error, ModuleNotFoundError, ImportError) as e:
        fail(f"cannot make env {args.env_id!r}: {str(e).splitlines()[0]}")
    action_space = envs.single_action_space
    if not isinstance(action_space, gym.spaces.Box) or len(action_space.shape) != 1:
        fail(f"{args.env_id} has a {type(action_space).__name__} action space; this script needs a 1-D Box "
             "(a2c_shared_gae.py takes Discrete ones)")
    if not (np.isfinite(action_space.low).all() and np.isfinite(action_space.high).all()):
        fail(f"{args.env_id}'s actions are unbounded; this script maps its actions onto finite bounds")
    obs_space = envs.single_observation_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        fail(f"{args.env_id} observations are {obs_space}; this script needs a 1-D Box (a vector, not an image)")
    if envs.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP) != gym.vector.AutoresetMode.NEXT_STEP:
        fail(f"{args.env_id}'s vector env does not autoreset on the next step, which this script relies on")
    if args.capture_video:  # one frame now, rather than a failure after training: MuJoCo draws with OpenGL
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the windowing library warns before it fails
                probe = gym.make(args.env_id, render_mode="rgb_array")
                probe.reset(seed=0)
                probe.render()
                probe.close()
        except Exception as e:
            reason = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:80]}"
            fail(f"--capture-video cannot draw {args.env_id} ({reason}); MuJoCo draws with OpenGL: "
                 "apt-get install libosmesa6, then set MUJOCO_GL=osmesa PYOPENGL_PLATFORM=osmesa")
    return envs


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class ActorCritic(nn.Module):
    """The policy's mean and the value, each from its own network, on normalized observations."""

    def __init__(self, envs, args: Args):
        super().__init__()
        obs_dim, hidden_size = envs.single_observation_space.shape[0], args.hidden_size
        action_dim = envs.single_action_space.shape[0]
        self.actor = nn.Sequential(
            layer_init(nn.Linear(obs_dim, hidden_size)),
            nn.Tanh(),
            layer_init(nn.Linear(hidden_size, hidden_size)),
            nn.Tanh(),
            layer_init(nn.Linear(hidden_size, action_dim), std=0.01),  # a small last layer starts the mean near 0
        )
        # the std does not depend on the state: one learned log std per action dimension
        self.actor_log_std = nn.Parameter(torch.full((action_dim,), args.init_log_std))
        # a wider value network (Andrychowicz et al. 2021): the 5-step advantages lean on its estimates
        value_size = args.value_hidden_size
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_dim, value_size)),
            nn.Tanh(),
            layer_init(nn.Linear(value_size, value_size)),
            nn.Tanh(),
            layer_init(nn.Linear(value_size, 1), std=1.0),
        )
        # the running mean and variance of the observations seen in training: buffers, not parameters, so
        # the optimizer leaves them alone and the model file keeps them (float64, for millions of steps)
        self.register_buffer("obs_count", torch.zeros((), dtype=torch.float64))
        self.register_buffer("obs_mean", torch.zeros(obs_dim, dtype=torch.float64))
        self.register_buffer("obs_var", torch.ones(obs_dim, dtype=torch.float64))

    def update_obs_stats(self, obs: torch.Tensor):
        """Fold a batch of observations (batch, obs_dim) into the running moments (Chan et al. 1979)."""
        batch = obs.double()
        count, batch_mean, batch_var = batch.shape[0], batch.mean(0), batch.var(0, unbiased=False)
        total = self.obs_count + count
        delta = batch_mean - self.obs_mean
        self.obs_var.copy_((self.obs_var * self.obs_count + batch_var * count
                            + delta**2 * self.obs_count * count / total) / total)
        self.obs_mean.add_(delta * count / total)
        self.obs_count.copy_(total)

    def normalize(self, obs: torch.Tensor) -> torch.Tensor:
        """Observations standardized by the running moments, held within 10 standard deviations (a rare
        observation far out does not saturate the tanh units)."""
        return ((obs - self.obs_mean) / torch.sqrt(self.obs_var + 1e-8)).float().clamp(-10.0, 10.0)

    def forward(self, normalized_obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The policy's mean (before the action bounds) and the state values, from normalized observations."""
        return self.actor(normalized_obs), self.critic(normalized_obs).squeeze(-1)


def env_action(u: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """The env's action for the policy's sample u: u clipped to [-1, 1], mapped onto [low, high]."""
    return low + (u.clamp(-1.0, 1.0) + 1.0) * (high - low) / 2


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
    """Episodes on a fresh single env, the mean action or sampled (`--eval-greedy`); returns the episodic returns."""
    if args.capture_video:
        # frames are drawn off-screen; keep SDL from looking for a display or greeting us
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    env = gym.make(args.env_id, render_mode="rgb_array" if args.capture_video else None)
    if args.capture_video:
        env = gym.wrappers.RecordVideo(env, f"videos/{run_name}", episode_trigger=lambda _: True)
    low, high = (torch.as_tensor(bound, device=device) for bound in (env.action_space.low, env.action_space.high))
    torch.manual_seed(args.seed + 10_000)  # sampled actions, too, are the same for the same seed and weights
    returns = []
    for episode in range(args.eval_episodes):
        obs, _ = env.reset(seed=args.seed + 10_000 if episode == 0 else None)
        episode_return, done = 0.0, False
        while not done:
            with torch.no_grad():
                action_mean, _ = agent(agent.normalize(torch.as_tensor(obs, dtype=torch.float32, device=device)))
                u = action_mean if args.eval_greedy else Normal(action_mean, agent.actor_log_std.exp()).sample()
            obs, reward, terminated, truncated, _ = env.step(env_action(u, low, high).cpu().numpy())
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
    # RMSprop as in Tianshou's A2C for MuJoCo: on 10 seeds of each task it did better than Adam, or could
    # not be told from it (docs/results.md)
    optimizer = torch.optim.RMSprop(agent.parameters(), lr=args.learning_rate, alpha=args.rmsprop_alpha,
                                    eps=args.rmsprop_eps)
    action_space = envs.single_action_space
    low, high = (torch.as_tensor(bound, device=device) for bound in (action_space.low, action_space.high))

    # normalized as the agent acted on them, so that the update sees what acting saw
    obs = torch.zeros((args.num_steps + 1, args.num_envs) + envs.single_observation_space.shape, device=device)
    actions = torch.zeros((args.num_steps, args.num_envs) + action_space.shape, device=device)  # the samples u
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
    # Reward scaling (Engstrom et al. 2020): the learner sees each reward over the std of the discounted
    # return so far, so that values stay near 1 on any reward scale (MuJoCo's returns run into thousands).
    discounted_return = np.zeros(args.num_envs)
    return_sums = np.zeros(3)  # the count, sum and sum of squares of every discounted return so far
    for update in range(num_updates):
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = args.learning_rate * (1.0 - update / num_updates)

        # 1. a rollout of num_steps steps in every env
        for step in range(args.num_steps):
            raw_obs = torch.as_tensor(next_obs, device=device)
            agent.update_obs_stats(raw_obs)
            obs[step] = agent.normalize(raw_obs)
            is_reset_buf[step] = torch.as_tensor(next_is_reset, device=device)
            with torch.no_grad():
                action_means, _ = agent(obs[step])
                actions[step] = Normal(action_means, agent.actor_log_std.exp()).sample()
            next_obs, reward, terminated, truncated, _ = envs.step(env_action(actions[step], low, high).cpu().numpy())
            rewards[step] = torch.as_tensor(reward, device=device)
            terminated_buf[step] = torch.as_tensor(terminated, device=device)
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
        obs[args.num_steps] = agent.normalize(torch.as_tensor(next_obs, device=device))  # folded in next rollout
        count, total, total_sq = return_sums
        return_std = float(np.sqrt(max(total_sq / count - (total / count) ** 2, 0.0)))
        reward_scale = return_std if args.scale_rewards and return_std > 0 else 1.0

        # 2. both networks on the rollout and on the observation after it, in one pass; the advantages
        # and value targets use the values detached (a target does not move with the prediction)
        action_means, values = agent(obs)
        advantages = gae_advantages(
            rewards / reward_scale, values.detach(), terminated_buf, is_reset_buf, args.gamma, args.gae_lambda
        )
        returns = advantages + values[:-1].detach()

        # 3. one optimizer step on the whole rollout, then value_steps - 1 of the value alone; reset steps
        # stay in the rollout (fixed shapes) with weight 0
        learn = is_reset_buf == 0  # reset steps carry no decision of the agent's
        # each learned-from step's weight in the batch means; a reset step's is 0
        step_weight = learn / learn.sum().clamp(min=1)
        dist = Normal(action_means[:-1], agent.actor_log_std.exp())
        # log-probabilities and entropies of the Gaussian's action dimensions, summed: pi(u|s) is their product
        policy_loss = -(step_weight * advantages * dist.log_prob(actions).sum(-1)).sum()
        entropy = (step_weight * dist.entropy().sum(-1)).sum()
        value_loss = (step_weight * (returns - values[:-1]) ** 2).sum()
        loss = policy_loss + args.vf_coef * value_loss - args.ent_coef * entropy
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
        optimizer.step()
        # then more steps of the value alone on the same targets (Wang et al. 2025, "Improving value estimation
        # critically enhances vanilla policy gradient", arXiv 2505.19247), so that the next rollout's advantages
        # lean on a closer fit; the policy's parameters get no gradient here (None), and the optimizer skips them
        for _ in range(args.value_steps - 1):
            value_only_loss = (step_weight * (returns - agent.critic(obs[:-1]).squeeze(-1)) ** 2).sum()
            optimizer.zero_grad()
            (args.vf_coef * value_only_loss).backward()
            nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
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
    summary["versions"] = {package: metadata.version(package) for package in ("torch", "gymnasium", "mujoco")}
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
