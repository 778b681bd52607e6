"""What the test modules share: running and importing the scripts, reading their runs, the checks every
script meets, and the hand-worked quantities of more than one test file. Fixtures live in conftest.py."""

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import gymnasium as gym
import torch
import tyro
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

REPO = Path(__file__).resolve().parent.parent


def load_script(name: str):
    """Import a top-level script as a module (importing one has no side effects)."""
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), REPO / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a script as a user would, from `cwd`, with the tests package importable."""
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, str(REPO / name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_in_process(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """What `python <name> <args>` does (tyro's parse, then main), in this process: no second of
    interpreter and torch start-up per call. A traceback is not caught: it fails the test."""
    module = load_script(name)
    out, err, code = io.StringIO(), io.StringIO(), 0
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            module.main(tyro.cli(module.Args, args=list(args)))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess([name, *args], code, out.getvalue(), err.getvalue())


def openmp_settings(name: str, wait_policy: str | None) -> str:
    """What libgomp read when the torch of a script's last process loaded it (OMP_DISPLAY_ENV), with the user's
    OMP_WAIT_POLICY set to `wait_policy` (None: unset, as is GOMP_SPINCOUNT)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env["OMP_DISPLAY_ENV"] = "VERBOSE"
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    result = subprocess.run(
        [sys.executable, str(REPO / name), "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.split("OPENMP DISPLAY ENVIRONMENT BEGIN")[-1]  # the process that ran, if it started again


def read_scalars(run_dir: Path) -> dict:
    """Every scalar tag of a run as a list of (step, value), read with TensorBoard's own reader."""
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


# the MLP scripts' own mistakes, beyond the common ones of tests/test_contract.py
MLP_BAD_INPUT = [
    (["--env-id", "Pendulum-v1"], "Discrete"),
    (["--env-id", "tests.fake_envs:ImageObs-v0"], "1-D Box"),
    (["--torch-threads", "0"], "--torch-threads"),
    (["--gamma", "-0.1"], "--gamma"),
    (["--learning-rate", "-1"], "--learning-rate"),
]


def assert_rejected(result: subprocess.CompletedProcess, mentions: str, cwd: Path):
    """A user's mistake: one `error:` line naming the problem, exit status 2, nothing on disk."""
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and mentions in lines[0]
    assert "Traceback" not in result.stderr
    assert list(cwd.iterdir()) == []


def only_run_dir(cwd: Path) -> Path:
    run_dirs = list((cwd / "runs").iterdir())
    assert len(run_dirs) == 1, run_dirs
    return run_dirs[0]


def assert_summary(result: subprocess.CompletedProcess, run_dir: Path, seed: int = 1,
                   versions: tuple = ("torch", "gymnasium", "ale-py")):
    """The run said where it is written, and its summary.json holds what it printed."""
    assert f"run folder: runs/{run_dir.name} (watch it: tensorboard --logdir runs)" in result.stdout
    summary = json.loads((run_dir / "summary.json").read_text())
    printed = re.search(r"eval over (\d+) episodes: mean (\S+) \+- (\S+) \(min (\S+), max (\S+)\)", result.stdout)
    assert summary["eval_episodes"] == int(printed[1])
    for key, value in zip(("mean", "std", "min", "max"), printed.groups()[1:]):
        assert f"{summary[f'eval_{key}']:.1f}" == value, key
    step, sps = re.findall(r"step ([\d,]+)/[\d,]+ \| ([\d,]+) steps/s", result.stdout)[-1]
    assert (summary["global_step"], summary["sps"]) == (int(step.replace(",", "")), int(sps.replace(",", "")))
    assert summary["run_name"] == run_dir.name and summary["seed"] == seed and summary["train_seconds"] > 0
    assert summary["versions"] == {package: metadata.version(package) for package in versions}
    assert summary["versions"]["torch"] == torch.__version__ and summary["versions"]["gymnasium"] == gym.__version__


# the tags every A2C script logs
A2C_TAGS = [
    "charts/episodic_return",
    "charts/episodic_length",
    "charts/SPS",
    "charts/learning_rate",
    "losses/policy_loss",
    "losses/value_loss",
    "losses/entropy",
    "losses/explained_variance",
    "eval/episodic_return",
]

# a few Atari steps in this process: one env, three updates of 5 steps, nothing saved or evaluated
ATARI_ARGS = dict(
    env_id="ALE/Breakout-v5", num_envs=1, num_steps=5, total_timesteps=15, save_model=False, eval_episodes=0
)

# the loss coefficients of the hand-worked gradients (tests/test_a2c_wiring.py)
COEFS = dict(vf_coef=0.5, ent_coef=0.1)


def expected_output_gradients(returns, values, weights, actions, logits):
    """The two formulas above; returns, weights, actions: (T,); values: (T + 1,); logits: (num_actions,)."""
    pi = logits.softmax(-1)
    entropy = -(pi * pi.log()).sum()
    advantages = returns - values[:-1]
    onehot = torch.nn.functional.one_hot(torch.tensor(actions), len(pi)).float()
    value_grad = torch.zeros(len(values))
    value_grad[:-1] = 2 * COEFS["vf_coef"] * weights * (values[:-1] - returns)
    logit_grad = torch.zeros(len(values), len(pi))
    logit_grad[:-1] = -(weights * advantages)[:, None] * (onehot - pi)
    logit_grad[:-1] += COEFS["ent_coef"] * weights[:, None] * pi * (pi.log() + entropy)
    return value_grad, logit_grad


def capture(monkeypatch, module, name):
    """Record the output of the module's function `name` at every update."""
    seen = []
    original = getattr(module, name)

    def wrapper(*args):
        result = original(*args)
        seen.append([a.clone() if isinstance(a, torch.Tensor) else a for a in args] + [result.clone()])
        return result

    monkeypatch.setattr(module, name, wrapper)
    return seen


def record_gradient(tensor: torch.Tensor, into: list) -> torch.Tensor:
    """Keep the gradient that reaches `tensor` in the backward pass (acting passes have none)."""
    if tensor.requires_grad:
        tensor.register_hook(lambda grad: into.append(grad.clone()))
    return tensor


def recording_step(envs, into: list):
    """Make `envs` keep the actions the loop sends to its first env."""
    step = envs.step

    def step_and_record(actions):
        into.append(int(actions[0]))
        return step(actions)

    envs.step = step_and_record
    return envs
