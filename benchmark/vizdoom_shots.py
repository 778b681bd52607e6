"""Where a2c_vizdoom.py's shots go: plays a saved Defend the Center model and counts its shots.

    python benchmark/vizdoom_shots.py runs/<run>/a2c_vizdoom.pt --episodes 20

Plays the model as its evaluation does (sampled actions, the script's own game and preprocessing),
one game in this process, and reads the ammunition from the game after every step. A step in which the
ammunition drops is a shot; the shot killed when the kill reward (+1) comes in that step or the
next. Prints the mean return and length, how many episodes ended with no ammunition left, and the
share of shots that killed, split by the action the agent took while the shot left the gun: the
pistol fires about one step after the attack button is pressed, so what the agent does next
decides where the bullet goes.
"""

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import vizdoom
from torch.distributions import Categorical

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import a2c_vizdoom  # noqa: E402  (the script's network and its gymnasium envs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model saved by a2c_vizdoom.py on VizdoomDefendCenter-v1")
    parser.add_argument("--episodes", type=int, default=20, help="episodes to play")
    parser.add_argument("--seed", type=int, default=1, help="seed of the games and of the sampled actions")
    args = parser.parse_args()
    try:
        saved = torch.load(args.model, map_location="cpu", weights_only=True)
        run_args, channels = saved["args"], saved["model"]["torso.0.weight"].shape[1]
    except OSError as e:
        parser.error(f"{args.model}: {e.strerror}")
    except Exception:
        parser.error(f"{args.model}: not a model saved by a2c_vizdoom.py")
    if run_args.get("env_id") != "VizdoomDefendCenter-v1":
        parser.error(f"{args.model}: a model of {run_args.get('env_id')}, not of VizdoomDefendCenter-v1")
    if channels != 3:
        parser.error(f"{args.model}: its network takes {channels} channels, not 3 (one colour frame): a model of "
                     "another screen, such as the 4 gray frames of an earlier a2c_vizdoom.py")

    scratch = tempfile.TemporaryDirectory()  # removed at the end
    os.chdir(scratch.name)  # the game's _vizdoom/ files go here, not into the user's folder
    # the run's arguments that a2c_vizdoom.py has (a model of a2c_vizdoom_overlap.py saves --overlap-update too)
    known = a2c_vizdoom.Args.__dataclass_fields__
    run = a2c_vizdoom.Args(**{key: value for key, value in run_args.items() if key in known})
    # one game in this process, with the script's own preprocessing (one colour frame, 84x84)
    env = a2c_vizdoom.make_game(run, scratch.name)()
    game = env.unwrapped.game
    agent = a2c_vizdoom.ActorCritic(SimpleNamespace(single_action_space=env.action_space), run)
    agent.load_state_dict(saved["model"])
    buttons = [button.name for button in game.get_available_buttons()]
    names = ["+".join(b for b, on in zip(buttons, pressed) if on) or "no-op" for pressed in env.unwrapped.button_map]
    torch.manual_seed(args.seed)

    returns, lengths, ammo_left, shots, kills = [], [], [], Counter(), Counter()
    for episode in range(args.episodes):
        obs, _ = env.reset(seed=args.seed + episode)
        steps = []  # (action, ammunition before, ammunition after, reward) of each step but the last
        episode_return, length = 0.0, 0
        while True:
            ammo = game.get_game_variable(vizdoom.GameVariable.AMMO2)
            with torch.no_grad():
                logits, _ = agent(torch.as_tensor(obs[None]))
            action = int(Categorical(logits=logits).sample())
            obs, reward, terminated, truncated, _ = env.step(action)
            episode_return += reward
            length += 1
            if terminated or truncated:  # the game has no state to read after the end
                break
            steps.append((action, ammo, game.get_game_variable(vizdoom.GameVariable.AMMO2), reward))
        returns.append(episode_return)
        lengths.append(length)
        ammo_left.append(steps[-1][2] if steps else np.nan)
        for t, (action, before, after, reward) in enumerate(steps):
            if after < before:
                shots[names[action]] += 1
                kills[names[action]] += reward > 0 or (t + 1 < len(steps) and steps[t + 1][3] > 0)

    env.close()
    scratch.cleanup()
    print(f"{args.episodes} episodes: return {np.mean(returns):.1f} +- {np.std(returns):.1f}, "
          f"length {np.mean(lengths):.0f} steps, no ammunition left at the end in "
          f"{sum(a == 0 for a in ammo_left)} of {args.episodes}")
    total = sum(shots.values())
    print(f"{total} shots, {sum(kills.values())} killed ({sum(kills.values()) / max(total, 1):.0%})")
    print("| action while the shot left | shots | share of shots | killed |\n|---|---|---|---|")
    for name in names:
        if shots[name]:
            print(f"| {name} | {shots[name]} | {shots[name] / total:.0%} | {kills[name] / shots[name]:.0%} |")


if __name__ == "__main__":
    main()
