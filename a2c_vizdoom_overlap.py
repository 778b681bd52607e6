"""A2C on ViZDoom, faster on a CPU: a2c_vizdoom.py plus a learner thread.

a2c_vizdoom.py's algorithm and defaults, with the CPU speed ideas it leaves out:
- `--overlap-update` (on): each rollout is learned from in a second thread while the next one is
  played, so the policy that acts is one update behind the one that learns (a change of algorithm).
  It fills the time the games would wait for the update; its speed is measured in docs/speed.md.
- channels-last convolutions, and torch's idle OpenMP threads sleeping instead of spinning.
The rest of this docstring is a2c_vizdoom.py's.

A2C on ViZDoom: the A2C of a2c_atari.py, in a 3-D first-person game.

A2C (Mnih et al. 2016) with GAE (Schulman et al. 2016), the Nature CNN (Mnih et al. 2015) as the
shared torso, RMSprop with its learning rate decayed linearly to 0 over the run, and ViZDoom's
gymnasium envs, each game in a process of its own (frame skip 4,
a 160x120 colour screen resized to 84x84, one frame: no stack). Each update plays `num_steps` steps
in `num_envs` envs, then

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t)      r_t = reward_scale * (game's reward - shot_cost * rounds fired)
    A_t     = delta_t + gamma lambda A_{t+1}           (lambda 1, the default, gives the n-step A2C)
    loss    = -mean_t A_t log pi(a_t | s_t) + vf_coef * mean_t (A_t + V(s_t) - V_new(s_t))^2
              - ent_coef * entropy

Every end of an episode stops the bootstrap: a death, and the scenario's timeout too, where the game
reports terminated as well as truncated and its last screen is all zeros, no state to take a value of.

Run:  python a2c_vizdoom_overlap.py --seed 1     (Defend the Center: +1 a kill, -1 on death)
"""

import copy
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata

import cv2
import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import tyro
import vizdoom
import vizdoom.gymnasium_wrapper  # noqa: F401  (registers the Vizdoom* envs)
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
    overlap_update: bool = True
    """if toggled, learn from each rollout in a second thread while the next is played, one update behind"""
    capture_video: bool = False
    """if toggled, record the evaluation episodes as mp4 to `videos/{run_name}/`"""
    save_model: bool = True
    """if toggled, save the weights and args to `runs/{run_name}/{exp_name}.pt`"""
    checkpoint_interval: int = 1_000_000
    """save `runs/{run_name}/checkpoint.pt` for `--resume` every this many steps, at the end and on Ctrl-C"""
    resume: str | None = None
    """a checkpoint.pt to go on from, with fresh games; the other arguments must be the run's own"""

    # environment
    env_id: str = "VizdoomDefendCenter-v1"
    """a ViZDoom scenario of buttons (no mouse-like deltas): VizdoomDefendCenter-v1, VizdoomBasic-v1,
    VizdoomDefendLine-v1, VizdoomHealthGathering-v1"""
    num_envs: int = 16
    """parallel envs, each game in a process of its own"""
    max_buttons_pressed: int = 1
    """buttons one action may press together: 1 gives one action a button (and no-op), 2 adds pairs
    such as turn and attack (Defend the Center: 4 actions, or 7)"""
    shot_cost: float = 0.2
    """the learner's reward loses this for each round the agent fires, so a miss costs now, not when the
    ammunition runs out (the logged return stays the game's; docs/results.md)"""
    reward_scale: float | None = None
    """the learner's rewards are the game's times this; by default the scenario's own (REWARD_SCALES): 0.01 for
    Basic and Health Gathering, whose rewards run to about 100, and 1 for the others"""

    # algorithm
    total_timesteps: int = 3_000_000
    """budget in agent steps (4 frames each), summed over envs"""
    learning_rate: float = 7e-4
    """RMSprop learning rate"""
    anneal_lr: bool = True
    """if toggled, decay the learning rate linearly to 0 over the budget (on here, unlike a2c_atari.py: docs/choices.md)"""
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
    """episodes played on a fresh env after training"""
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
        (args.max_buttons_pressed < 1, f"--max-buttons-pressed must be at least 1, got {args.max_buttons_pressed}"),
        (args.shot_cost < 0, f"--shot-cost must be 0 or more, got {args.shot_cost}"),
        (args.reward_scale is not None and not 0 < args.reward_scale < float("inf"),
         f"--reward-scale must be a positive number, got {args.reward_scale}"),
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
        channels = checkpoint["model"]["torso.0.weight"].shape[1]  # what its network's first layer takes
    except OSError as e:
        fail(f"--resume {args.resume}: {e.strerror}")
    except Exception:  # not a torch file, or a torch file of something else
        fail(f"--resume {args.resume}: not a checkpoint of {args.exp_name}.py")
    if channels != 3:  # a run of another screen, such as the 4 gray frames this file had before
        fail(f"--resume {args.resume}: its network takes {channels} channels, not 3 (one colour frame): a run of "
             "another screen (benchmark/vizdoom_copies.py writes the earlier one as a2c_vizdoom_gray4.py)")
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


# The scenarios this script takes, each with the scale that brings its rewards to about 1. Defend the
# Center and Defend the Line pay +1 a kill and -1 on death. Basic pays about 100 a kill and -1 a tic (-4
# a step): beside advantages of about 100 the entropy bonus counts for nothing, and Basic at 1.0 turned
# deterministic within 11 updates and never fired again (docs/results.md). Health Gathering, +1 a tic
# alive and -100 on death, takes 0.01 by the same reasoning.
REWARD_SCALES = {"VizdoomDefendCenter-v1": 1.0, "VizdoomBasic-v1": 0.01, "VizdoomDefendLine-v1": 1.0,
                 "VizdoomHealthGathering-v1": 0.01}
SCENARIOS = tuple(REWARD_SCALES)
# The scenarios whose games draw their status bar. Health Gathering's reward is the same every step until
# death, so the health the bar shows is what tells a good state from a bad one: with the bar hidden the
# rung ended below a random policy, with it drawn far above (docs/results.md). The others hide it.
STATUS_BAR = {"VizdoomHealthGathering-v1"}


class RoundsFired(gym.Wrapper):
    """Puts the rounds fired in each step into its info["rounds_fired"]: the drop in the game's ammunition.

    Read from the game, not the observation: at an episode's end the observation is all zeros, and
    some scenarios report no ammunition with it (Health Gathering: the game says 0, always)."""

    def ammo(self) -> float:
        return self.env.unwrapped.game.get_game_variable(vizdoom.GameVariable.AMMO2)

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.ammo_left = self.ammo()
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        ammo_left = self.ammo()
        info["rounds_fired"] = max(self.ammo_left - ammo_left, 0.0)
        self.ammo_left = ammo_left
        return obs, reward, terminated, truncated, info


def make_game(args: Args, scratch_dir: str, video_dir: str | None = None):
    """A function that makes one game with its preprocessing, for a vector env to run in a process of its own."""

    main_process = os.getpid()

    def thunk():
        # the vector env also makes one game in the main process, only to read its spaces (it never starts)
        in_game_process = os.getpid() != main_process
        if in_game_process:
            # Ctrl-C, or a kill sent to the whole process group, reaches the game processes too: the main
            # one alone decides how a run stops (it checkpoints first, then closes the games)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            # a game writes _vizdoom/ and _vizdoom.ini into its working folder: a scratch one, not the user's,
            # and one for each game (two games creating one _vizdoom/ at once can crash the second)
            os.chdir(tempfile.mkdtemp(dir=scratch_dir))
        env = gym.make(
            args.env_id, frame_skip=4, max_buttons_pressed=args.max_buttons_pressed,
            render_mode="rgb_array" if video_dir else None,
            screen_resolution=vizdoom.ScreenResolution.RES_160X120, screen_format=vizdoom.ScreenFormat.RGB24,
            render_hud=args.env_id in STATUS_BAR,
        )
        if video_dir and in_game_process:
            # the evaluation's episodes, not the start of the one that follows them
            env = gym.wrappers.RecordVideo(env, video_dir, episode_trigger=lambda episode: episode < args.eval_episodes)
        env = RoundsFired(env)
        # the screen alone (not the game's variables): 84x84 as the Nature CNN takes it, its 3 colours as
        # channels, one frame with no stack of past ones (on Defend the Center this learned sooner and scored
        # higher than 4 gray frames, as a2c_atari.py sees its games, and ran faster: docs/results.md)
        screen = gym.spaces.Box(0, 255, (3, 84, 84), np.uint8)
        return gym.wrappers.TransformObservation(
            env, lambda obs: cv2.resize(obs["screen"], (84, 84), interpolation=cv2.INTER_AREA).transpose(2, 0, 1),
            screen,
        )

    return thunk


def vector_env(args: Args, num_envs: int, video_dir: str | None = None, autoreset=gym.vector.AutoresetMode.NEXT_STEP):
    """`num_envs` games, each in a process of its own that works in a scratch folder, all removed with the env."""
    scratch_dir = tempfile.mkdtemp(prefix="a2c_vizdoom-")
    games = [make_game(args, scratch_dir, video_dir) for _ in range(num_envs)]
    envs = gym.vector.AsyncVectorEnv(games, autoreset_mode=autoreset)
    weakref.finalize(envs, shutil.rmtree, scratch_dir, ignore_errors=True)
    return envs


def make_envs(args: Args):
    """The training games: one ViZDoom scenario whose actions are buttons."""
    if args.env_id not in SCENARIOS:
        fail(f"--env-id {args.env_id!r}: this script takes one of {', '.join(SCENARIOS)}")
    return vector_env(args, args.num_envs)


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
            layer_init(nn.Conv2d(3, 32, 8, stride=4)), nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)), nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)), nn.ReLU(),
            nn.Flatten(), layer_init(nn.Linear(64 * 7 * 7, 512)), nn.ReLU(),
        )
        # a small policy layer starts the policy near uniform
        self.policy_head = layer_init(nn.Linear(512, num_actions), std=0.01)
        self.value_head = layer_init(nn.Linear(512, 1), std=1.0)
        self.to(memory_format=torch.channels_last)  # the weights in the layout of the frames below

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Action logits and state values of a batch of uint8 screens."""
        # channels-last frames instead of the default NCHW layout: faster CPU convolutions (docs/speed.md)
        hidden = self.torso((obs.float() / 255.0).contiguous(memory_format=torch.channels_last))
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
    not_terminated = 1.0 - terminated
    deltas = (rewards + gamma * not_terminated * values[1:] - values[:-1]) * not_reset
    carry = gamma * gae_lambda * not_terminated * not_reset
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(values[-1])
    for t in reversed(range(rewards.shape[0])):
        running = deltas[t] + carry[t] * running
        advantages[t] = running
    return advantages


def learn_from_rollout(agent, optimizer, args: Args, obs, actions, rewards, terminated_buf, is_reset_buf) -> dict:
    """a2c_vizdoom.py's steps 2 and 3, one optimizer step on a rollout, in a function for the learner
    thread; returns what is logged of it, as tensors."""
    num_steps, num_envs = actions.shape
    logits, values = agent(obs.flatten(0, 1))
    logits = logits.view(num_steps + 1, num_envs, -1)
    values = values.view(num_steps + 1, num_envs)
    advantages = gae_advantages(rewards, values.detach(), terminated_buf, is_reset_buf, args.gamma, args.gae_lambda)
    returns = advantages + values[:-1].detach()
    learn = is_reset_buf == 0  # reset steps carry no decision of the agent's
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
    target, predicted = returns[learn], values[:-1].detach()[learn]
    explained_var = 1.0 - (target - predicted).var() / target.var()
    return dict(policy_loss=policy_loss, value_loss=value_loss, entropy=entropy, explained_variance=explained_var)


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
    """Episodes on a fresh game; returns their rewards. Sampled by default, as on Atari."""
    video_dir = os.path.abspath(f"videos/{run_name}") if args.capture_video else None  # the game works elsewhere
    env = vector_env(args, 1, video_dir, autoreset=gym.vector.AutoresetMode.SAME_STEP)
    torch.manual_seed(args.seed + 10_000)  # sampled actions, too, are the same for the same seed and weights
    returns, episode_return = [], 0.0
    obs, _ = env.reset(seed=args.seed + 10_000)
    while len(returns) < args.eval_episodes:
        with torch.no_grad():
            logits, _ = agent(torch.as_tensor(obs, device=device))
        action = logits.argmax(-1) if args.eval_greedy else Categorical(logits=logits).sample()
        # with SAME_STEP autoreset, an episode's last step returns the next one's first observation
        obs, reward, terminated, truncated, _ = env.step(action.cpu().numpy())
        episode_return += float(reward[0])
        if terminated[0] or truncated[0]:
            returns.append(episode_return)
            episode_return = 0.0
    env.close()
    return np.array(returns)


def main(args: Args) -> dict:
    check_args(args)
    if args.reward_scale is None:  # the scenario's own (an unknown scenario is refused with the envs)
        args.reward_scale = REWARD_SCALES.get(args.env_id, 1.0)
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

    # With --overlap-update a learner thread learns from one rollout while this thread plays the next
    # with `actor`, a copy of the network that takes the learner's weights after each update (so the
    # result does not depend on which thread runs ahead). Each thread gets half of torch's threads:
    # with all of them each, the two ran slower together than one update after another.
    torch_threads = torch.get_num_threads()
    if args.overlap_update:
        actor = copy.deepcopy(agent).requires_grad_(False)
        half = max(1, torch_threads // 2)
        torch.set_num_threads(half)
        learner = ThreadPoolExecutor(1, initializer=torch.set_num_threads, initargs=(half,))
    else:
        actor = agent
    pending, stats = None, None  # the update under way in the learner thread; the last one's losses

    def finish(update_under_way) -> dict:
        """Wait for the learner thread's update, and act with its weights from now on."""
        stats = update_under_way.result()
        actor.load_state_dict(agent.state_dict())
        return stats

    # frames stay uint8 until the network's first layer: a quarter of the memory and the copies.
    # Two sets of rollout buffers with --overlap-update: one is played into, the other learned from.
    buffers = [
        (
            torch.zeros((args.num_steps + 1, args.num_envs, 3, 84, 84), dtype=torch.uint8, device=device),
            torch.zeros((args.num_steps, args.num_envs), dtype=torch.long, device=device),
            torch.zeros((args.num_steps, args.num_envs), device=device),
            torch.zeros((args.num_steps, args.num_envs), device=device),
            torch.zeros((args.num_steps, args.num_envs), device=device),
        )
        for _ in range(2 if args.overlap_update else 1)
    ]

    global_step = start_step = checkpoint["global_step"] if checkpoint else 0
    recent_returns = deque(checkpoint["recent_returns"] if checkpoint else [], maxlen=100)
    checkpoint_path = f"{run_dir}/checkpoint.pt"
    interval = args.checkpoint_interval or float("inf")
    next_checkpoint = (global_step // interval + 1) * interval
    episode_returns = np.zeros(args.num_envs)
    episode_lengths = np.zeros(args.num_envs, dtype=np.int64)
    start_time = last_print = time.time()
    next_obs, _ = envs.reset(seed=seed)
    # With NEXT_STEP autoreset the step after a done is a reset step: the env ignores its action,
    # returns the next episode's first observation and reward 0. It is not learned from or counted.
    next_is_reset = np.zeros(args.num_envs, dtype=bool)
    for update in range(start_update, num_updates):
        obs, actions, rewards, terminated_buf, is_reset_buf = buffers[update % len(buffers)]
        # 1. a rollout of num_steps steps in every env
        for step in range(args.num_steps):
            obs[step] = torch.as_tensor(next_obs, device=device)
            is_reset_buf[step] = torch.as_tensor(next_is_reset, device=device)
            with torch.no_grad():
                logits, _ = actor(obs[step])
            actions[step] = Categorical(logits=logits).sample()
            next_obs, reward, terminated, truncated, info = envs.step(actions[step].cpu().numpy())
            # a reset step's info has no rounds fired: the vector env gives 0 there
            learner_reward = (reward - args.shot_cost * info.get("rounds_fired", 0.0)) * args.reward_scale
            rewards[step] = torch.as_tensor(learner_reward, device=device)
            # at a death and at the scenario's timeout alike the game says terminated (at the timeout,
            # truncated too): no bootstrap from the last screen, which is all zeros, not a state
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

        # 2-3. learn from the rollout: here, or with --overlap-update in the learner thread, which
        # learns from it while the next rollout is played (by the weights from before this update)
        if pending is not None:
            stats = finish(pending)
        if args.anneal_lr:  # set between updates: the learner thread reads it
            optimizer.param_groups[0]["lr"] = args.learning_rate * (1.0 - update / num_updates)
        rollout = (obs, actions, rewards, terminated_buf, is_reset_buf)
        if args.overlap_update:
            pending = learner.submit(learn_from_rollout, agent, optimizer, args, *rollout)
        else:
            stats = learn_from_rollout(agent, optimizer, args, *rollout)

        # 4. logging
        last_update = update == num_updates - 1 or bool(stop_signal)
        checkpoint_due = global_step >= next_checkpoint or (last_update and args.checkpoint_interval) or stop_signal
        if pending is not None and (last_update or checkpoint_due):
            stats, pending = finish(pending), None  # what is saved and logged last is fully learned
        if update % 10 == 0 or last_update:
            sps = int((global_step - start_step) / (time.time() - start_time))
            writer.add_scalar("charts/SPS", sps, global_step)
            writer.add_scalar("charts/learning_rate", optimizer.param_groups[0]["lr"], global_step)
            # with --overlap-update, mostly those of the update before (this one is under way)
            for name, value in stats.items() if stats else ():
                writer.add_scalar(f"losses/{name}", value.item(), global_step)
            if time.time() - last_print > 5 or last_update:
                last_print = time.time()
                left = (num_updates - update - 1) * batch_size / max(sps, 1)
                mean_return = np.mean(recent_returns) if recent_returns else float("nan")
                print(f"step {global_step:,}/{args.total_timesteps:,} | {sps:,} steps/s | "
                      f"mean return (last 100) {mean_return:.1f} | {left / 60:.1f} min left", flush=True)

        # 5. a checkpoint now and then, at the end, and when asked to stop
        if checkpoint_due:
            state = dict(model=agent.state_dict(), optimizer=optimizer.state_dict(), args=vars(args), update=update + 1,
                         global_step=global_step, recent_returns=[float(r) for r in recent_returns])
            # written beside the last one, then renamed over it: a crash mid-write loses nothing
            torch.save(state, checkpoint_path + ".tmp")
            os.replace(checkpoint_path + ".tmp", checkpoint_path)
            next_checkpoint = (global_step // interval + 1) * interval
        if stop_signal:
            break
    envs.close()
    if args.overlap_update:
        learner.shutdown()
        torch.set_num_threads(torch_threads)
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
    summary["versions"] = {package: metadata.version(package) for package in ("torch", "gymnasium", "vizdoom")}
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
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        # torch's idle OpenMP threads sleep at once instead of spinning (libgomp's default) on the cores
        # the game processes want. libgomp reads this when `import torch` loads it, so the script
        # starts again with it set (importing this file sets nothing); an OMP_WAIT_POLICY or
        # GOMP_SPINCOUNT you set wins.
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        os.execv(sys.executable, sys.orig_argv)
    main(tyro.cli(Args))
