"""A2C on Atari: the shared-network A2C of a2c_shared_gae.py, taken to pixels.

Synchronous advantage actor-critic (Mnih et al. 2016) with GAE(lambda) advantages (Schulman et al.
2016), the Nature CNN (Mnih et al. 2015) as the shared torso, RMSprop, and ale-py's native vector
env, which runs the games in C++ threads with the classic preprocessing built in: frame skip 4 with
max-pooling over the last two frames, 84x84 grayscale, 4 stacked frames, up to 30 no-op starts.
Every update plays `num_steps` steps in each of `num_envs` envs, then

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t)          with r_t the reward clipped to its sign
    A_t     = delta_t + gamma lambda A_{t+1}           (lambda 1, the default, gives the n-step A2C)
    loss    = -mean_t A_t log pi(a_t | s_t) + vf_coef * mean_t (A_t + V(s_t) - V_new(s_t))^2
              - ent_coef * entropy

The learner sees clipped rewards and, by default, a lost life as the end of its episode; the logged
`charts/episodic_return` is always the raw score of a whole game over all its lives. Long runs save
a checkpoint every million steps and on Ctrl-C, and go on from it with `--resume`.

Run:  python a2c_atari.py --env-id ALE/Breakout-v5 --seed 1
"""

import os
import random
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass

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
    """if toggled, record the evaluation games as mp4 to `videos/{run_name}/`"""
    save_model: bool = True
    """if toggled, save the weights and args to `runs/{run_name}/{exp_name}.pt`"""
    checkpoint_interval: int = 1_000_000
    """every this many agent steps and at the end, save what `--resume` needs (weights, optimizer,
    step count) to `runs/{run_name}/checkpoint.pt`; Ctrl-C saves one too (0: only on Ctrl-C)"""
    resume: str | None = None
    """a checkpoint.pt to go on from, in its run's folder, with fresh games; the other arguments must
    be the run's own, except the budget, the evaluation and saving flags, and --cuda"""

    # environment
    env_id: str = "ALE/SpaceInvaders-v5"
    """an ALE game id, `ALE/<Game>-v5`"""
    num_envs: int = 16
    """parallel envs (games played at once in ale-py's C++ threads)"""
    sticky_actions: bool = False
    """if toggled, the game repeats the previous action with probability 0.25 (Machado et al. 2018);
    off is the protocol of the A2C papers"""
    noop_max: int = 30
    """each game starts with a random number of no-op frames, up to this many"""
    life_loss_terminal: bool = True
    """if toggled, the learner treats a lost life as the end of its episode (no bootstrapping past
    it); the game goes on, and the logged return is still the whole game's"""

    # algorithm
    total_timesteps: int = 10_000_000
    """budget in agent steps (4 frames each), summed over envs"""
    learning_rate: float = 7e-4
    """RMSprop learning rate"""
    anneal_lr: bool = False
    """if toggled, decay the learning rate linearly to 0 over the budget (off: in a 2M-step Breakout
    run the decay held the score near 2 where a constant rate reached 4)"""
    num_steps: int = 5
    """steps per env in each rollout"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 1.0
    """GAE lambda: 1 gives the n-step advantage of the A2C papers, 0 the one-step TD error"""
    ent_coef: float = 0.01
    """entropy bonus coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """clip the gradient to this global norm"""
    rmsprop_alpha: float = 0.99
    """RMSprop decay of the mean squared gradient"""
    rmsprop_eps: float = 1e-5
    """RMSprop epsilon"""
    tf_rmsprop: bool = False
    """if toggled, RMSprop as TensorFlow computes it (epsilon inside the square root, mean square
    starting at 1), as in the A2C papers; off uses torch.optim.RMSprop, which learned Breakout far
    faster here (a mean score of 54 after 1M steps against 2)"""
    eval_episodes: int = 10
    """whole games played on a fresh env after training"""


def fail(message: str):
    """A user's mistake: one line on stderr, exit status 2, no traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def check_args(args: Args):
    if args.num_envs < 1:
        fail(f"--num-envs must be at least 1, got {args.num_envs}")
    if args.num_steps < 1:
        fail(f"--num-steps must be at least 1, got {args.num_steps}")
    if args.total_timesteps < args.num_envs * args.num_steps:
        fail(
            f"--total-timesteps {args.total_timesteps} is smaller than one batch "
            f"(num_envs * num_steps = {args.num_envs * args.num_steps} steps)"
        )
    if not 0.0 <= args.gamma <= 1.0:
        fail(f"--gamma must be in [0, 1], got {args.gamma}")
    if not 0.0 <= args.gae_lambda <= 1.0:
        fail(f"--gae-lambda must be in [0, 1], got {args.gae_lambda}")
    if args.learning_rate <= 0:
        fail(f"--learning-rate must be positive, got {args.learning_rate}")
    if args.max_grad_norm <= 0:
        fail(f"--max-grad-norm must be positive, got {args.max_grad_norm}")
    if not 0.0 <= args.rmsprop_alpha < 1.0:
        fail(f"--rmsprop-alpha must be in [0, 1), got {args.rmsprop_alpha}")
    if args.rmsprop_eps <= 0:
        fail(f"--rmsprop-eps must be positive, got {args.rmsprop_eps}")
    if args.noop_max < 0:
        fail(f"--noop-max must be 0 or more, got {args.noop_max}")
    if args.eval_episodes < 0:
        fail(f"--eval-episodes must be 0 or more, got {args.eval_episodes}")
    if args.checkpoint_interval < 0:
        fail(f"--checkpoint-interval must be 0 or more, got {args.checkpoint_interval}")


# what a resumed run may set anew: none of these changes what it learns
RESUME_MAY_CHANGE = {
    "resume", "total_timesteps", "checkpoint_interval", "eval_episodes", "capture_video", "save_model", "cuda"
}


def load_checkpoint(args: Args) -> dict:
    """The checkpoint `--resume` names, once it is known to go on with the same experiment."""
    try:
        checkpoint = torch.load(args.resume, map_location="cpu", weights_only=True)
        saved_args, update = checkpoint["args"], checkpoint["update"]
    except OSError as e:
        fail(f"--resume {args.resume}: {e.strerror}")
    except Exception:  # not a torch file, or a torch file of something else
        fail(f"--resume {args.resume}: not a checkpoint of {args.exp_name}.py")
    for key, value in vars(args).items():
        if key not in RESUME_MAY_CHANGE and saved_args.get(key) != value:
            fail(f"--resume: the run had {key}={saved_args.get(key)!r}, not {value!r}; give it its own arguments")
    if args.anneal_lr and args.total_timesteps != saved_args["total_timesteps"]:
        fail(f"--resume with --anneal-lr: the run's schedule needs --total-timesteps {saved_args['total_timesteps']}")
    if update >= args.total_timesteps // (args.num_envs * args.num_steps):
        fail(f"--resume: the run is at step {checkpoint['global_step']:,} already; give a larger --total-timesteps")
    return checkpoint


def save_checkpoint(path: str, **checkpoint):
    # written beside the last one and then renamed over it: a crash mid-write loses nothing
    torch.save(checkpoint, path + ".tmp")
    os.replace(path + ".tmp", path)


def unused(path: str, global_step: int) -> str:
    """`path`, or if an earlier part of a resumed run wrote there, `path` tagged with the step count."""
    root, extension = os.path.splitext(path)
    return f"{root}_{global_step}{extension}" if os.path.exists(path) else path


def check_env_id(env_id: str):
    gym.register_envs(ale_py)
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as e:
        fail(f"cannot make env {env_id!r}: {str(e).splitlines()[0]}")
    if "AtariVectorEnv" not in str(spec.vector_entry_point):
        fail(f"{env_id} is not an ALE game; this script takes ids like ALE/Breakout-v5")


def make_envs(args: Args):
    """The training games, all in one ale-py vector env.

    The env's own reward clipping and life-loss episodes are off: it reports raw scores and whole
    games, and the training loop clips and splits for the learner, so the logged return stays true.
    Its FIRE press after a reset is off too: the policy must learn to fire after every lost life
    anyway, and without it the evaluation env (which has no such press) plays the same games.
    """
    return gym.make_vec(
        args.env_id,
        num_envs=args.num_envs,
        vectorization_mode="vector_entry_point",
        repeat_action_probability=0.25 if args.sticky_actions else 0.0,
        noop_max=args.noop_max,
        reward_clipping=False,
        episodic_life=False,
        use_fire_reset=False,
    )


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class ActorCritic(nn.Module):
    """The Nature CNN as one torso, with a policy head and a value head."""

    def __init__(self, num_actions: int):
        super().__init__()
        self.torso = nn.Sequential(
            layer_init(nn.Conv2d(4, 32, 8, stride=4)),
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)),
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)),
            nn.ReLU(),
            nn.Flatten(),
            layer_init(nn.Linear(64 * 7 * 7, 512)),
            nn.ReLU(),
        )
        # a small policy layer starts the policy near uniform
        self.policy_head = layer_init(nn.Linear(512, num_actions), std=0.01)
        self.value_head = layer_init(nn.Linear(512, 1), std=1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Action logits and state values of a batch of uint8 frame stacks."""
        # channels-last frames (instead of the default NCHW layout) make the CPU convolutions faster:
        # 1.14x-1.49x the steps/s of this script in 3 alternating rounds on a 2-core CPU machine
        hidden = self.torso((obs.float() / 255.0).contiguous(memory_format=torch.channels_last))
        return self.policy_head(hidden), self.value_head(hidden).squeeze(-1)


class RMSpropTF(torch.optim.Optimizer):
    """RMSprop as TensorFlow 1 computes it, the optimizer behind the published A2C results.

    torch.optim.RMSprop differs in two places: it adds eps after the square root and starts the
    mean square at 0. After clipping, most gradient entries are far below sqrt(eps) ~ 3e-3, so eps
    inside the root damps their steps, while PyTorch's form lets them grow to about lr; and a mean
    square starting at 1 makes the first steps tiny. So this form takes much smaller steps at the
    same lr. Measured on Breakout (seed 1, lr 7e-4): it was far slower to learn (a mean score of 2
    after 1M steps, 3.9 after 2M) than torch.optim.RMSprop (54 after 1M), which is the default;
    it stays here to reproduce the papers' setting.
    """

    def __init__(self, params, lr: float, alpha: float, eps: float):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                square_avg = self.state[param].setdefault("square_avg", torch.ones_like(param))
                square_avg.mul_(group["alpha"]).addcmul_(param.grad, param.grad, value=1 - group["alpha"])
                param.addcdiv_(param.grad, (square_avg + group["eps"]).sqrt_(), value=-group["lr"])


def gae_advantages(
    rewards: torch.Tensor,
    values: torch.Tensor,
    terminated: torch.Tensor,
    is_reset: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> torch.Tensor:
    """GAE(lambda) advantages over a rollout with gymnasium's NEXT_STEP autoreset.

    rewards, terminated, is_reset: (T, num_envs); values: (T + 1, num_envs), values[t] = V(obs_t)
    and values[T] the value of the observation after the rollout. terminated[t] says the learner's
    episode ended at t with nothing to bootstrap: the game is over, or a life was lost while the
    game goes on, so the cut comes from `terminated` itself and not only from a reset step.
    is_reset[t] marks a reset step: the game ended at t - 1, obs_t is its final observation, and the
    env ignored the action and started a new game. A truncated game (the frame limit) bootstraps
    from V(final observation); a reset step's advantage is 0 and nothing flows back across it.
    """
    not_reset = 1.0 - is_reset
    not_terminated = 1.0 - terminated
    deltas = (rewards + gamma * not_terminated * values[1:] - values[:-1]) * not_reset
    carry = gamma * gae_lambda * not_terminated * not_reset
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(values[-1])
    for t in reversed(range(rewards.shape[0])):
        running = deltas[t] + carry[t] * running
        advantages[t] = running
    return advantages


def make_eval_env(args: Args, video_dir: str):
    """One game at a time, for evaluation: unlike the vector env, it can render for the videos.

    gymnasium's AtariPreprocessing and a zero-padded frame stack give exactly the observations of
    ale-py's vector env (a test checks it).
    """
    env = gym.make(
        args.env_id,
        frameskip=1,
        repeat_action_probability=0.25 if args.sticky_actions else 0.0,
        render_mode="rgb_array" if args.capture_video else None,
    )
    if args.capture_video:
        env = gym.wrappers.RecordVideo(env, video_dir, episode_trigger=lambda _: True)
    env = gym.wrappers.AtariPreprocessing(env, noop_max=args.noop_max, frame_skip=4, terminal_on_life_loss=False)
    return gym.wrappers.FrameStackObservation(env, 4, padding_type="zero")


def evaluate(agent: ActorCritic, args: Args, video_dir: str, device: torch.device) -> np.ndarray:
    """Whole games on a fresh env; returns their raw scores. The policy is sampled, not greedy:
    a greedy Atari policy can stall for the whole game (in Breakout, by never firing)."""
    env = make_eval_env(args, video_dir)
    returns = []
    for episode in range(args.eval_episodes):
        obs, _ = env.reset(seed=args.seed + 10_000 if episode == 0 else None)
        episode_return, done = 0.0, False
        while not done:
            with torch.no_grad():
                logits, _ = agent(torch.as_tensor(np.asarray(obs), device=device).unsqueeze(0))
            action = Categorical(logits=logits).sample()
            obs, reward, terminated, truncated, _ = env.step(int(action))
            episode_return += float(reward)
            done = terminated or truncated
        returns.append(episode_return)
    env.close()
    return np.array(returns)


def main(args: Args) -> dict:
    check_args(args)
    check_env_id(args.env_id)
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

    # Ctrl-C or a kill ends the run after the update under way, with a checkpoint to resume from
    stop_signal = []
    previous_handlers = {
        sig: signal.signal(sig, lambda sig, _: stop_signal.append(sig)) for sig in (signal.SIGINT, signal.SIGTERM)
    }

    # a fresh run directory, never an earlier run's; a resumed run goes on in its own
    if checkpoint:
        run_dir = os.path.dirname(args.resume) or "."
    else:
        stamp = int(time.time())
        while True:
            run_dir = f"runs/{args.env_id.replace('/', '-')}__{args.exp_name}__{args.seed}__{stamp}"
            try:
                os.makedirs(run_dir)
                break
            except FileExistsError:
                stamp += 1
    run_name = os.path.basename(os.path.abspath(run_dir))
    writer = SummaryWriter(run_dir)
    writer.add_text(
        "hyperparameters",
        "|param|value|\n|-|-|\n" + "\n".join(f"|{key}|{value}|" for key, value in vars(args).items()),
    )

    num_actions = int(envs.single_action_space.n)
    agent = ActorCritic(num_actions).to(device).to(memory_format=torch.channels_last)
    rmsprop = RMSpropTF if args.tf_rmsprop else torch.optim.RMSprop
    optimizer = rmsprop(agent.parameters(), lr=args.learning_rate, alpha=args.rmsprop_alpha, eps=args.rmsprop_eps)
    if checkpoint:
        agent.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])

    # frames stay uint8 until the network's first layer: a quarter of the memory and the copies
    obs = torch.zeros((args.num_steps + 1, args.num_envs) + envs.single_observation_space.shape, dtype=torch.uint8, device=device)
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
    # returns the next game's first observation and reward 0. It is not learned from or counted.
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
            lost_life = info["lives"] < lives
            lives = info["lives"]
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
        advantages = gae_advantages(
            rewards, values.detach(), terminated_buf, is_reset_buf, args.gamma, args.gae_lambda
        )
        returns = advantages + values[:-1].detach()

        # 3. one optimizer step on the whole rollout, in one batched pass.
        # Reset steps stay in the batch (fixed shapes are cheaper than indexing) with weight 0.
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
            if time.time() - last_print > 10 or last_update:
                last_print = time.time()
                left = (num_updates - update - 1) * batch_size / max(sps, 1)
                mean_return = np.mean(recent_returns) if recent_returns else float("nan")
                print(
                    f"step {global_step:,}/{args.total_timesteps:,} | {sps:,} steps/s | "
                    f"mean score (last 100 games) {mean_return:.1f} | {left / 60:.0f} min left",
                    flush=True,
                )

        # 5. a checkpoint now and then, at the end, and when asked to stop
        if global_step >= next_checkpoint or (last_update and args.checkpoint_interval) or stop_signal:
            save_checkpoint(
                checkpoint_path,
                model=agent.state_dict(),
                optimizer=optimizer.state_dict(),
                args=vars(args),
                update=update + 1,
                global_step=global_step,
                recent_returns=[float(r) for r in recent_returns],
            )
            next_checkpoint = (global_step // interval + 1) * interval
        if stop_signal:
            break
    envs.close()
    train_seconds = time.time() - start_time
    for sig, handler in previous_handlers.items():
        signal.signal(sig, handler)
    finished = update + 1 == num_updates
    if stop_signal and not finished:
        writer.close()
        print(f"stopped at step {global_step:,}; to go on, add: --resume {checkpoint_path}", flush=True)
        sys.exit(128 + stop_signal[0])

    if args.save_model:
        model_path = unused(f"{run_dir}/{args.exp_name}.pt", global_step)
        torch.save({"model": agent.state_dict(), "args": vars(args)}, model_path)
        print(f"model saved to {model_path}")
    if stop_signal:  # the stop came during the last update: training is over, the evaluation is skipped
        writer.close()
        print(f"stopped at the end of training, step {global_step:,}; no evaluation was run", flush=True)
        sys.exit(128 + stop_signal[0])

    summary = {"run_name": run_name, "global_step": global_step, "train_seconds": train_seconds}
    if args.eval_episodes > 0:
        try:
            eval_returns = evaluate(agent, args, unused(f"videos/{run_name}", global_step), device)
        except KeyboardInterrupt:  # training is over: Ctrl-C here only cuts the evaluation short
            writer.close()
            print(f"training finished at step {global_step:,}; the evaluation was stopped", flush=True)
            sys.exit(130)
        stats = {
            "mean": eval_returns.mean(),
            "std": eval_returns.std(),
            "min": eval_returns.min(),
            "max": eval_returns.max(),
        }
        writer.add_scalar("eval/episodic_return", stats["mean"], global_step)
        for key in ("std", "min", "max"):
            writer.add_scalar(f"eval/episodic_return_{key}", stats[key], global_step)
        print(
            f"eval over {args.eval_episodes} games: mean {stats['mean']:.1f} +- {stats['std']:.1f} "
            f"(min {stats['min']:.1f}, max {stats['max']:.1f})"
        )
        summary.update({f"eval_{key}": float(value) for key, value in stats.items()})
    writer.close()
    return summary


if __name__ == "__main__":
    main(tyro.cli(Args))
