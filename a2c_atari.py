"""A2C on Atari: the shared-network A2C of a2c_shared_gae.py, taken to pixels.

A2C (Mnih et al. 2016) with GAE (Schulman et al. 2016), the Nature CNN (Mnih et al. 2015) as the
shared torso, RMSprop, and ale-py's vector env (games in C++ threads; frame skip 4, 84x84 grayscale,
4 stacked frames, up to 30 no-op starts). Each update plays `num_steps` steps in `num_envs` envs, then

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t)          with r_t the reward clipped to its sign
    A_t     = delta_t + gamma lambda A_{t+1}           (lambda 1, the default, gives the n-step A2C)
    loss    = -mean_t A_t log pi(a_t | s_t) + vf_coef * mean_t (A_t + V(s_t) - V_new(s_t))^2
              - ent_coef * entropy

The learner sees clipped rewards and a lost life as the end of its episode; the log keeps whole games.

Run:  python a2c_atari.py --env-id ALE/Breakout-v5 --seed 1
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

import ale_py
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
    cuda: bool = True
    """if toggled, use a GPU when one exists"""
    capture_video: bool = False
    """if toggled, record the evaluation episodes as mp4 to `videos/{run_name}/`"""
    save_model: bool = True
    """if toggled, save the weights and args to `runs/{run_name}/{exp_name}.pt`"""
    checkpoint_interval: int = 1_000_000
    """save `runs/{run_name}/checkpoint.pt` for `--resume` every this many steps, at the end and on Ctrl-C"""
    resume: str | None = None
    """a checkpoint.pt to go on from, with fresh games; the other arguments must be the run's own"""

    # environment
    env_id: str = "ALE/SpaceInvaders-v5"
    """an ALE game id, `ALE/<Game>-v5`"""
    num_envs: int = 16
    """parallel envs"""
    sticky_actions: bool = False
    """if toggled, repeat the previous action with probability 0.25 (Machado et al. 2018); off as in A2C"""
    noop_max: int = 30
    """each game starts with a random number of no-op frames, up to this many"""
    life_loss_terminal: bool = True
    """if toggled, a lost life ends the learner's episode (no bootstrap past it); the log keeps whole games"""

    # algorithm
    total_timesteps: int = 10_000_000
    """budget in agent steps (4 frames each), summed over envs"""
    learning_rate: float = 7e-4
    """RMSprop learning rate"""
    anneal_lr: bool = False
    """if toggled, decay the learning rate linearly to 0 over the budget (off: a constant rate)"""
    num_steps: int = 5
    """steps per env in each rollout"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 1.0
    """GAE lambda: 1 gives the n-step advantage of the A2C papers, 0 the one-step TD error"""
    ent_coef: float = 0.01
    """entropy bonus coefficient (without one, a policy can turn deterministic before it has learned)"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """clip the gradient to this global norm"""
    rmsprop_alpha: float = 0.99
    """RMSprop decay of the mean squared gradient"""
    rmsprop_eps: float = 1e-5
    """RMSprop epsilon"""
    eval_episodes: int = 10
    """whole games played on a fresh env after training"""
    eval_greedy: bool = False
    """if toggled, the evaluation plays the most likely action; otherwise it samples from the policy"""


def fail(message: str):
    """A user's mistake: one line on stderr, exit status 2, no traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def check_args(args: Args):
    """A user's mistakes, caught before anything is created."""
    mistakes = [
        (args.num_envs < 1, f"--num-envs must be at least 1, got {args.num_envs}"),
        (args.num_steps < 1, f"--num-steps must be at least 1, got {args.num_steps}"),
        (args.total_timesteps < args.num_envs * args.num_steps, "--total-timesteps is less than one batch of steps"),
        (not 0.0 <= args.gamma <= 1.0, f"--gamma must be in [0, 1], got {args.gamma}"),
        (not 0.0 <= args.gae_lambda <= 1.0, f"--gae-lambda must be in [0, 1], got {args.gae_lambda}"),
        (args.learning_rate <= 0, f"--learning-rate must be positive, got {args.learning_rate}"),
        (args.max_grad_norm <= 0, f"--max-grad-norm must be positive, got {args.max_grad_norm}"),
        (not 0.0 <= args.rmsprop_alpha < 1.0, f"--rmsprop-alpha must be in [0, 1), got {args.rmsprop_alpha}"),
        (args.rmsprop_eps <= 0, f"--rmsprop-eps must be positive, got {args.rmsprop_eps}"),
        (args.noop_max < 0, f"--noop-max must be 0 or more, got {args.noop_max}"),
        (args.eval_episodes < 0, f"--eval-episodes must be 0 or more, got {args.eval_episodes}"),
        (args.checkpoint_interval < 0, f"--checkpoint-interval must be 0 or more, got {args.checkpoint_interval}"),
    ]
    for mistake, message in mistakes:
        if mistake:
            fail(message)


def load_checkpoint(args: Args) -> dict:
    try:
        checkpoint = torch.load(args.resume, map_location="cpu", weights_only=True)
        saved_args, update = checkpoint["args"], checkpoint["update"]
    except OSError as e:
        fail(f"--resume {args.resume}: {e.strerror}")
    except Exception:  # not a torch file, or a torch file of something else
        fail(f"--resume {args.resume}: not a checkpoint of {args.exp_name}.py")
    may_change = {"resume", "total_timesteps", "checkpoint_interval", "eval_episodes", "eval_greedy", "capture_video",
                  "save_model", "cuda"}  # none of these changes what the run learns
    for key, value in vars(args).items():
        if key not in may_change and saved_args.get(key) != value:
            fail(f"--resume: the run had {key}={saved_args.get(key)!r}, not {value!r}; give it its own arguments")
    if args.anneal_lr and args.total_timesteps != saved_args["total_timesteps"]:
        fail(f"--resume with --anneal-lr: the run's schedule needs --total-timesteps {saved_args['total_timesteps']}")
    if update >= args.total_timesteps // (args.num_envs * args.num_steps):
        if args.anneal_lr:  # its learning rate has reached 0: no budget can take the run further
            fail(f"--resume: the run is at step {checkpoint['global_step']:,} already, the end of its --anneal-lr "
                 "schedule; it cannot go on")
        fail(f"--resume: the run is at step {checkpoint['global_step']:,} already; give a larger --total-timesteps")
    return checkpoint


def make_envs(args: Args):
    """The training games in one ale-py vector env, with its reward clipping, life-loss episodes and FIRE
    press off: the loop clips and splits for the learner; the log and the eval env see raw whole games."""
    gym.register_envs(ale_py)
    try:
        spec = gym.spec(args.env_id)
    except gym.error.Error as e:
        fail(f"cannot make env {args.env_id!r}: {str(e).splitlines()[0]}")
    if "AtariVectorEnv" not in str(spec.vector_entry_point):
        fail(f"{args.env_id} is not an ALE game; this script takes ids like ALE/Breakout-v5")
    sticky = 0.25 if args.sticky_actions else 0.0
    return gym.make_vec(
        args.env_id, num_envs=args.num_envs, vectorization_mode="vector_entry_point", repeat_action_probability=sticky,
        noop_max=args.noop_max, reward_clipping=False, episodic_life=False, use_fire_reset=False,
    )


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class ActorCritic(nn.Module):
    """The Nature CNN as one torso, with a policy head and a value head."""

    def __init__(self, envs, args: Args):
        super().__init__()
        num_actions = int(envs.single_action_space.n)
        self.torso = nn.Sequential(
            layer_init(nn.Conv2d(4, 32, 8, stride=4)), nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)), nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)), nn.ReLU(),
            nn.Flatten(), layer_init(nn.Linear(64 * 7 * 7, 512)), nn.ReLU(),
        )
        # a small policy layer starts the policy near uniform
        self.policy_head = layer_init(nn.Linear(512, num_actions), std=0.01)
        self.value_head = layer_init(nn.Linear(512, 1), std=1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Action logits and state values of a batch of uint8 frame stacks."""
        hidden = self.torso(obs.float() / 255.0)
        return self.policy_head(hidden), self.value_head(hidden).squeeze(-1)


def gae_advantages(rewards, values, terminated, is_reset, gamma: float, gae_lambda: float) -> torch.Tensor:
    """GAE(lambda) advantages over a rollout with gymnasium's NEXT_STEP autoreset.

    rewards, terminated, is_reset: (T, num_envs); values: (T + 1, num_envs), values[t] = V(obs_t)
    and values[T] the value of the observation after the rollout. is_reset[t] marks a reset step:
    the episode ended at t - 1 and obs_t is its final observation, so the step before bootstraps from
    V(final observation), as a truncated episode needs (terminated multiplies it by 0). A reset
    step's advantage is 0, and nothing flows back across it.
    """
    not_reset = 1.0 - is_reset
    not_terminated = 1.0 - terminated  # a lost life ends the learner's episode with no reset step: cut there too
    deltas = (rewards + gamma * not_terminated * values[1:] - values[:-1]) * not_reset
    carry = gamma * gae_lambda * not_terminated * not_reset
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(values[-1])
    for t in reversed(range(rewards.shape[0])):
        running = deltas[t] + carry[t] * running
        advantages[t] = running
    return advantages


def make_eval_env(args: Args, video_dir: str):
    """One game at a time (it can render videos), seeing exactly what the vector env sees (a test checks it)."""
    sticky, render_mode = 0.25 if args.sticky_actions else 0.0, "rgb_array" if args.capture_video else None
    env = gym.make(args.env_id, frameskip=1, repeat_action_probability=sticky, render_mode=render_mode)
    if args.capture_video:
        env = gym.wrappers.RecordVideo(env, video_dir, episode_trigger=lambda _: True)
    env = gym.wrappers.AtariPreprocessing(env, noop_max=args.noop_max, frame_skip=4, terminal_on_life_loss=False)
    return gym.wrappers.FrameStackObservation(env, 4, padding_type="zero")


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
    """Whole games on a fresh env; returns their raw scores. Sampled by default: a greedy policy can stall a game."""
    env = make_eval_env(args, f"videos/{run_name}")
    torch.manual_seed(args.seed + 10_000)  # sampled actions, too, are the same for the same seed and weights
    returns = []
    for episode in range(args.eval_episodes):
        obs, _ = env.reset(seed=args.seed + 10_000 if episode == 0 else None)
        episode_return, done = 0.0, False
        while not done:
            with torch.no_grad():
                logits, _ = agent(torch.as_tensor(np.asarray(obs), device=device).unsqueeze(0))
            action = logits.argmax(-1) if args.eval_greedy else Categorical(logits=logits).sample()
            obs, reward, terminated, truncated, _ = env.step(int(action))
            episode_return += float(reward)
            done = terminated or truncated
        returns.append(episode_return)
    env.close()
    return np.array(returns)


def main(args: Args) -> dict:
    check_args(args)
    checkpoint = load_checkpoint(args) if args.resume else None
    envs = make_envs(args)
    batch_size = args.num_envs * args.num_steps
    num_updates = args.total_timesteps // batch_size
    start_update = checkpoint["update"] if checkpoint else 0

    # a resumed run seeds anew: the run's own seeds would replay its first games' no-op starts
    seed = args.seed + start_update
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")

    stop_signal = []  # Ctrl-C or a kill ends the run after the update under way, with a checkpoint
    handlers = {sig: signal.signal(sig, lambda s, _: stop_signal.append(s)) for sig in (signal.SIGINT, signal.SIGTERM)}

    # a resumed run goes on in its own folder
    run_dir = (os.path.dirname(args.resume) or ".") if checkpoint else f"runs/{make_run_dir(args)}"
    run_name = os.path.basename(os.path.abspath(run_dir))
    # a resumed run drops what its earlier part logged after the checkpoint (a hard kill's last stretch):
    # readers of the events skip earlier events from purge_step on, so no step is counted twice
    writer = SummaryWriter(run_dir, purge_step=checkpoint["global_step"] + 1 if checkpoint else None)
    hyperparameters = "\n".join(f"|{key}|{value}|" for key, value in vars(args).items())
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + hyperparameters)
    print(f"run folder: {run_dir} (watch it: tensorboard --logdir runs)", flush=True)

    agent = ActorCritic(envs, args).to(device)
    rmsprop = dict(lr=args.learning_rate, alpha=args.rmsprop_alpha, eps=args.rmsprop_eps)
    optimizer = torch.optim.RMSprop(agent.parameters(), **rmsprop)
    if checkpoint:
        agent.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])

    # frames stay uint8 until the network's first layer: a quarter of the memory and the copies
    obs = torch.zeros((args.num_steps + 1, args.num_envs, 4, 84, 84), dtype=torch.uint8, device=device)
    actions = torch.zeros((args.num_steps, args.num_envs), dtype=torch.long, device=device)
    rewards = torch.zeros((args.num_steps, args.num_envs), device=device)
    terminated_buf = torch.zeros((args.num_steps, args.num_envs), device=device)
    is_reset_buf = torch.zeros((args.num_steps, args.num_envs), device=device)

    global_step = start_step = checkpoint["global_step"] if checkpoint else 0
    recent_returns = deque(checkpoint["recent_returns"] if checkpoint else [], maxlen=100)
    checkpoint_path = f"{run_dir}/checkpoint.pt"
    interval = args.checkpoint_interval or float("inf")
    next_checkpoint = (global_step // interval + 1) * interval
    episode_returns = np.zeros(args.num_envs)
    episode_lengths = np.zeros(args.num_envs, dtype=np.int64)
    start_time = last_print = time.time()
    next_obs, info = envs.reset(seed=seed)
    lives = info["lives"]
    # With NEXT_STEP autoreset the step after a done is a reset step: the env ignores its action,
    # returns the next episode's first observation and reward 0. It is not learned from or counted.
    next_is_reset = np.zeros(args.num_envs, dtype=bool)
    for update in range(start_update, num_updates):
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = args.learning_rate * (1.0 - update / num_updates)

        # 1. a rollout of num_steps steps in every env
        for step in range(args.num_steps):
            obs[step] = torch.as_tensor(next_obs, device=device)
            is_reset_buf[step] = torch.as_tensor(next_is_reset, device=device)
            with torch.no_grad():
                logits, _ = agent(obs[step])
            actions[step] = Categorical(logits=logits).sample()
            next_obs, reward, terminated, truncated, info = envs.step(actions[step].cpu().numpy())
            # the learner sees the sign of the reward (so one learning rate fits every game's scale)
            # and, with life_loss_terminal, a lost life as the end of its episode
            rewards[step] = torch.as_tensor(np.sign(reward), device=device)
            lost_life, lives = info["lives"] < lives, info["lives"]
            terminated_buf[step] = torch.as_tensor(terminated | (lost_life & args.life_loss_terminal), device=device)
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

        # 2. both heads on the rollout and on the observation after it, in one pass; the advantages
        # and value targets use the values detached (a target does not move with the prediction)
        logits, values = agent(obs.flatten(0, 1))
        logits = logits.view(args.num_steps + 1, args.num_envs, -1)
        values = values.view(args.num_steps + 1, args.num_envs)
        advantages = gae_advantages(rewards, values.detach(), terminated_buf, is_reset_buf, args.gamma, args.gae_lambda)
        returns = advantages + values[:-1].detach()

        # 3. one optimizer step on the whole rollout; reset steps stay in it (fixed shapes) with weight 0
        learn = is_reset_buf == 0  # reset steps carry no decision of the agent's
        # each learned-from step's weight in the batch means; a reset step's is 0
        step_weight = learn / learn.sum().clamp(min=1)
        dist = Categorical(logits=logits[:-1])
        policy_loss = -(step_weight * advantages * dist.log_prob(actions)).sum()
        entropy = (step_weight * dist.entropy()).sum()
        value_loss = (step_weight * (returns - values[:-1]) ** 2).sum()
        loss = policy_loss + args.vf_coef * value_loss - args.ent_coef * entropy
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
        optimizer.step()

        # 4. logging
        last_update = update == num_updates - 1 or bool(stop_signal)
        if update % 10 == 0 or last_update:
            target, predicted = returns[learn], values[:-1].detach()[learn]
            explained_var = 1.0 - (target - predicted).var() / target.var()
            sps = int((global_step - start_step) / (time.time() - start_time))
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

        # 5. a checkpoint now and then, at the end, and when asked to stop
        if global_step >= next_checkpoint or (last_update and args.checkpoint_interval) or stop_signal:
            state = dict(model=agent.state_dict(), optimizer=optimizer.state_dict(), args=vars(args), update=update + 1,
                         global_step=global_step, recent_returns=[float(r) for r in recent_returns])
            # written beside the last one, then renamed over it: a crash mid-write loses nothing
            torch.save(state, checkpoint_path + ".tmp")
            os.replace(checkpoint_path + ".tmp", checkpoint_path)
            next_checkpoint = (global_step // interval + 1) * interval
        if stop_signal:
            break
    envs.close()
    train_seconds = time.time() - start_time
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    finished = update + 1 == num_updates
    # a resumed run saves beside what the run's earlier part saved
    later = f"_{global_step}" if {f"{args.exp_name}.pt", "summary.json"} & set(os.listdir(run_dir)) else ""
    model_path, summary_path = f"{run_dir}/{args.exp_name}{later}.pt", f"{run_dir}/summary{later}.json"
    video_name = f"{run_name}_{global_step}" if os.path.exists(f"videos/{run_name}") else run_name
    if args.save_model and finished:
        torch.save({"model": agent.state_dict(), "args": vars(args)}, model_path)
        print(f"model saved to {model_path}")
    if stop_signal:  # a stop in the last update ends training too, but skips the evaluation
        writer.close()
        then = "training is over; no evaluation was run" if finished else f"to go on, add: --resume {checkpoint_path}"
        print(f"stopped at step {global_step:,}; {then}", flush=True)
        sys.exit(128 + stop_signal[0])

    summary = dict(run_name=run_name, seed=args.seed, global_step=global_step, train_seconds=train_seconds, sps=sps)
    summary["versions"] = {package: metadata.version(package) for package in ("torch", "gymnasium", "ale-py")}
    if args.eval_episodes > 0:
        try:
            eval_returns = evaluate(agent, args, video_name, device)
        except KeyboardInterrupt:  # training is over: Ctrl-C here only cuts the evaluation short
            writer.close()
            print(f"training finished at step {global_step:,}; the evaluation was stopped", flush=True)
            sys.exit(130)
        stats = dict(mean=eval_returns.mean(), std=eval_returns.std(), min=eval_returns.min(), max=eval_returns.max())
        writer.add_scalar("eval/episodic_return", stats["mean"], global_step)
        for key in ("std", "min", "max"):
            writer.add_scalar(f"eval/episodic_return_{key}", stats[key], global_step)
        print(f"eval over {args.eval_episodes} episodes: mean {stats['mean']:.1f} +- {stats['std']:.1f} "
              f"(min {stats['min']:.1f}, max {stats['max']:.1f})")
        summary.update(eval_episodes=args.eval_episodes, **{f"eval_{key}": float(stat) for key, stat in stats.items()})
    writer.close()
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=2)
    return summary


if __name__ == "__main__":
    main(tyro.cli(Args))
