"""Watch a saved agent play, or evaluate it again, without retraining.

    python enjoy.py runs/<run>/<exp_name>.pt --episodes 20 --capture-video

One command for every script of the project and for a copy of one. The model file holds the
network's weights and the run's arguments. This imports the script that saved it (`<exp_name>.py`,
in the current folder or beside this file, or the one given by `--script`), rebuilds the env and
the network from the saved arguments, and runs the script's own `evaluate()` on the CPU. Only what
an evaluation may change can be changed: the episodes, the seed, greedy or sampled actions,
sticky actions (Atari) and video. With the run's own seed and action choice it replays the run's
final evaluation exactly.

What a copy of a script keeps for this to work (it does unless it renames them), the contract of
every script (docs/contract.md): `Args`, `make_envs(args)`, `evaluate(network: NetworkClass, args,
run_name, device)`, a network built as `NetworkClass(envs, args)`, and a model file holding that
network's weights under "model" and the run's arguments under "args".
"""

import dataclasses
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import torch
import tyro


@dataclass
class Args:
    model: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="MODEL")]
    """a model a run saved: runs/<run>/<exp_name>.pt"""
    episodes: int = 10
    """episodes to play (whole games on Atari)"""
    seed: int | None = None
    """seed of the evaluation; by default the run's own, which replays the run's final evaluation"""
    actions: Literal["saved", "greedy", "sampled"] = "saved"
    """`saved`: as the run's evaluation chose them; `greedy`: the most likely action; `sampled`: from the policy"""
    sticky_actions: bool = False
    """if toggled (Atari), repeat the previous action with probability 0.25 (Machado et al. 2018)"""
    capture_video: bool = False
    """if toggled, record the episodes as mp4 to a new folder `videos/{run_name}_enjoy{n}/`"""
    script: str | None = None
    """the script that saved the model; by default `<exp_name>.py` of the saved arguments"""


def fail(message: str):
    """A user's mistake: one line on stderr, exit status 2, no traceback, nothing written."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def load_model(path: str) -> dict:
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    except Exception:  # not a torch file, or one holding more than tensors and plain values
        fail(f"{path} is not a model saved by these scripts")
    if not isinstance(saved, dict) or not isinstance(saved.get("args"), dict) or "model" not in saved:
        fail(f"{path} is not a model saved by these scripts (no weights and args in it)")
    return saved


def import_script(args: Args, saved_args: dict):
    """The script that saved the model, imported (importing a script of this project runs nothing),
    and its path."""
    script = args.script
    if script is None:
        name = f"{saved_args.get('exp_name')}.py"
        places = [name, os.path.join(os.path.dirname(os.path.abspath(__file__)), name)]
        found = [place for place in places if os.path.isfile(place)]
        if not found:
            fail(f"cannot find {name}, the script that saved {args.model}; give it with --script")
        script = found[0]
    elif not os.path.isfile(script):
        fail(f"--script {script}: no such file")
    sys.dont_write_bytecode = True  # leave no __pycache__ in the user's folder
    spec = importlib.util.spec_from_file_location("saved_script", script)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        fail(f"cannot import {script}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    if not all(hasattr(module, name) for name in ("Args", "make_envs", "evaluate")):
        fail(f"{script} is not a script of this project (it needs Args, make_envs and evaluate)")
    return module, script


def main(args: Args) -> dict:
    if args.episodes < 1:
        fail(f"--episodes must be at least 1, got {args.episodes}")
    saved = load_model(args.model)
    module, script = import_script(args, saved["args"])
    fields = {field.name for field in dataclasses.fields(module.Args)}
    unknown = sorted(set(saved["args"]) - fields)
    if unknown:
        fail(f"{args.model} was saved by another script: {script} has no --{unknown[0].replace('_', '-')}")
    run_args = module.Args(**saved["args"])  # arguments the script has gained since take their defaults

    # what an evaluation may change, and nothing else
    changes = dict(eval_episodes=args.episodes, capture_video=args.capture_video)
    changes["seed"] = run_args.seed if args.seed is None else args.seed
    if args.actions != "saved":
        if "eval_greedy" not in fields:
            fail(f"{script} has no --eval-greedy, so its evaluation cannot change how it acts")
        changes["eval_greedy"] = args.actions == "greedy"
    if args.sticky_actions:
        if "sticky_actions" not in fields:
            fail(f"--sticky-actions is for Atari models; {script} has no such flag")
        changes["sticky_actions"] = True
    eval_args = dataclasses.replace(run_args, **changes)
    if "torch_threads" in fields:
        torch.set_num_threads(eval_args.torch_threads)

    network_class = next(iter(inspect.signature(module.evaluate).parameters.values())).annotation
    if not inspect.isclass(network_class):
        fail(f"{script}'s evaluate() does not name its network's class")
    # the network is built from the env's spaces and the arguments, as the script builds it; the
    # script's own make_envs checks the env
    envs = module.make_envs(dataclasses.replace(eval_args, num_envs=1))
    network = network_class(envs, eval_args)
    envs.close()
    try:
        network.load_state_dict(saved["model"])
    except RuntimeError as e:
        detail = (str(e).splitlines() + [""])[1].strip()[:200]
        fail(f"{args.model} does not fit {script}'s network for {eval_args.env_id}: {detail}")
    network.eval()

    run_name = os.path.basename(os.path.dirname(os.path.abspath(args.model)))
    n = 1
    while os.path.exists(f"videos/{run_name}_enjoy{n}"):  # a new folder, never an earlier one's
        n += 1
    video_name = f"{run_name}_enjoy{n}"
    returns = np.asarray(module.evaluate(network, eval_args, video_name, torch.device("cpu")))
    stats = dict(mean=float(returns.mean()), std=float(returns.std()), min=float(returns.min()),
                 max=float(returns.max()), episodes=len(returns))
    print(f"eval over {args.episodes} episodes: mean {stats['mean']:.1f} +- {stats['std']:.1f} "
          f"(min {stats['min']:.1f}, max {stats['max']:.1f})")
    if args.capture_video:
        print(f"videos in videos/{video_name}/")
    return stats


if __name__ == "__main__":
    main(tyro.cli(Args))
