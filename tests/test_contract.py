"""The contract every top-level script meets, variants included (DESIGN.md, "The contract every script
meets"): `--help`; importing sets nothing; a few updates end to end as a user runs them, with the tags,
summary.json and a model file that enjoy.py replays to the run's own evaluation; the same seed gives the
same scalars; the common mistakes are one `error:` line; Ctrl-C ends training with one line, exit
status 130 and what was logged kept. A new script is covered by adding it to SCRIPTS.

Each file's own ideas (its math, its env's protocol, its speed tricks) are tested in its own module.
"""

import dataclasses
import inspect
import json
import os
import signal
import subprocess
import sys
import time

import cv2  # noqa: F401  (opencv sets Qt variables when imported: imported first, they are not the script's)
import numpy as np
import pytest
import torch
import tyro

from tests.helpers import (
    A2C_TAGS, REPO, assert_rejected, assert_summary, load_script, only_run_dir, read_scalars, run_in_process,
    run_script,
)

enjoy = load_script("enjoy.py")

REINFORCE = ["--num-envs", "2", "--total-timesteps", "1000"]
CARTPOLE_A2C = ["--num-envs", "4", "--num-steps", "5", "--total-timesteps", "400"]
# 600 steps: long enough for a few whole Breakout games to end
ATARI = ["--env-id", "ALE/Breakout-v5", "--num-envs", "2", "--num-steps", "5", "--total-timesteps", "600"]
VIZDOOM = ["--num-envs", "2", "--num-steps", "20", "--total-timesteps", "200"]
# Pendulum-v1: continuous actions with a video that needs no OpenGL (tests/test_a2c_mujoco.py runs HalfCheetah)
MUJOCO = ["--env-id", "Pendulum-v1", "--num-envs", "2", "--num-steps", "5", "--total-timesteps", "400"]
# every top-level script but enjoy.py, with the arguments of a run of a few updates
SCRIPTS = {
    "reinforce_cartpole.py": REINFORCE,
    "reinforce_rtg_cartpole.py": REINFORCE,
    "a2c_cartpole.py": CARTPOLE_A2C,
    "a2c_shared_gae.py": CARTPOLE_A2C,
    "a2c_shared_gae_fast.py": CARTPOLE_A2C,
    "a2c_atari.py": ATARI,
    "a2c_atari_overlap.py": ATARI,
    "a2c_atari_tf_rmsprop.py": ATARI,
    "a2c_vizdoom.py": VIZDOOM,
    "a2c_vizdoom_overlap.py": VIZDOOM,
    "a2c_mujoco.py": MUJOCO,
}
REINFORCE_TAGS = [tag for tag in A2C_TAGS if tag not in ("losses/value_loss", "losses/explained_variance")]
COMMON_NAMES = ["exp_name", "seed", "torch_deterministic", "cuda", "capture_video", "save_model", "env_id",
                "total_timesteps", "learning_rate", "num_envs", "gamma", "ent_coef", "eval_episodes", "eval_greedy"]
COMMON_BAD_INPUT = [
    (["--env-id", "NoSuchEnv-v0"], "NoSuchEnv-v0"),
    (["--num-envs", "0"], "--num-envs"),
    (["--gamma", "1.5"], "--gamma"),
    (["--learning-rate", "0"], "--learning-rate"),
    (["--eval-episodes", "-1"], "--eval-episodes"),
]


def versions(script: str) -> tuple:
    third = "vizdoom" if "vizdoom" in script else "mujoco" if "mujoco" in script else "ale-py"
    return ("torch", "gymnasium", third)


def test_every_script_is_on_the_list():
    on_disk = sorted(path.name for path in REPO.glob("*.py") if path.name != "enjoy.py")
    assert on_disk == sorted(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_interface_and_an_import_that_sets_nothing(script, capsys, monkeypatch):
    environ = dict(os.environ)
    module = load_script(script)
    assert dict(os.environ) == environ
    monkeypatch.setitem(sys.modules, module.__name__, module)  # where tyro reads the docstrings of --help
    assert dataclasses.is_dataclass(module.Args)
    assert set(COMMON_NAMES) <= {field.name for field in dataclasses.fields(module.Args)}
    assert callable(module.make_envs) and callable(module.main)
    network_class = next(iter(inspect.signature(module.evaluate).parameters.values())).annotation
    assert list(inspect.signature(network_class).parameters) == ["envs", "args"]
    with pytest.raises(SystemExit) as stop:
        tyro.cli(module.Args, args=["--help"])
    assert stop.value.code == 0
    assert "--total-timesteps" in capsys.readouterr().out


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_short_run_end_to_end_and_enjoy_replays_its_evaluation(script, tmp_path, monkeypatch):
    result = run_script(script, *SCRIPTS[script], "--eval-episodes", "1", "--capture-video", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    run_dir = only_run_dir(tmp_path)
    assert len(list((tmp_path / "videos" / run_dir.name).glob("*.mp4"))) == 1  # the evaluation episode
    # nothing else in the user's folder (ViZDoom's games work in a scratch folder)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["runs", "videos"]
    scalars = read_scalars(run_dir)
    for tag in REINFORCE_TAGS if script.startswith("reinforce") else A2C_TAGS:
        assert tag in scalars, tag
        assert all(np.isfinite(value) for _, value in scalars[tag]), tag
    assert_summary(result, run_dir, versions=versions(script))
    model_path = run_dir / f"{script.removesuffix('.py')}.pt"
    saved = torch.load(model_path, weights_only=True)
    assert {"model", "args"} <= set(saved) and saved["args"]["seed"] == 1

    # the saved network, rebuilt by enjoy.py from the env and the saved arguments, plays the run's
    # own evaluation again: the same episodes, the same returns
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    stats = enjoy.main(enjoy.Args(model=str(model_path), episodes=1))
    torch.set_num_threads(threads)
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("mean", "std", "min", "max"):
        assert stats[key] == summary[f"eval_{key}"], key


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_same_seed_gives_the_same_scalars(script, tmp_path):
    quiet = ["--eval-episodes", "0", "--no-save-model"]
    if script in ("a2c_atari.py", "a2c_atari_overlap.py", "a2c_atari_tf_rmsprop.py"):
        quiet += ["--total-timesteps", "100"]  # 10 updates are enough here; no game needs to end
    runs = []
    for seed, name in (("1", "first"), ("1", "second"), ("2", "other")):
        result = run_in_process(script, *SCRIPTS[script], *quiet, "--seed", seed, "--exp-name", name, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        runs.append(read_scalars(next((tmp_path / "runs").glob(f"*__{name}__*"))))
    first, second, other = runs
    assert first.keys() == second.keys() and "losses/policy_loss" in first
    for tag in first:
        if tag != "charts/SPS":
            assert [value for _, value in first[tag]] == [value for _, value in second[tag]], tag
    assert [v for _, v in other["losses/policy_loss"]] != [v for _, v in first["losses/policy_loss"]]


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("bad_args,mentions", COMMON_BAD_INPUT, ids=[" ".join(a) for a, _ in COMMON_BAD_INPUT])
def test_common_mistakes_are_one_line_exit_2_nothing_written(script, bad_args, mentions, tmp_path):
    assert_rejected(run_in_process(script, *bad_args, cwd=tmp_path), mentions, tmp_path)


@pytest.mark.parametrize("script", ["a2c_shared_gae.py", "a2c_atari.py"])
def test_a_mistake_from_the_command_line(script, tmp_path):
    # the cases above run in this process; one goes the whole way, as a user meets it
    assert_rejected(run_script(script, "--num-envs", "0", cwd=tmp_path), "--num-envs", tmp_path)


# Ctrl-C for every script; a SIGTERM to the whole process group (a scheduler's cancel, `kill -- -PGID`) for the
# long-run scripts too, whose promise is a checkpoint to resume from
STOPS = [(script, signal.SIGINT) for script in SCRIPTS] + [
    (script, signal.SIGTERM) for script in ("a2c_atari.py", "a2c_vizdoom.py", "a2c_vizdoom_overlap.py")
]


# the ViZDoom scripts decay their rate over the budget by default, and such a run resumes only with its own budget:
# held here, so that the resume below may set a new one (tests/test_a2c_vizdoom.py checks the annealed resume)
HELD_RATE = {"a2c_vizdoom.py": ["--no-anneal-lr"], "a2c_vizdoom_overlap.py": ["--no-anneal-lr"]}


@pytest.mark.parametrize("script,sig", STOPS, ids=[f"{script}-{sig.name}" for script, sig in STOPS])
def test_ctrl_c_or_a_kill_ends_training_with_one_line_and_keeps_the_log(script, sig, tmp_path):
    command = [sys.executable, str(REPO / script), *SCRIPTS[script], *HELD_RATE.get(script, []),
               "--total-timesteps", "10000000"]
    # its own session, and the signal to all of it, as a terminal sends Ctrl-C (ViZDoom's game processes too)
    process = subprocess.Popen(command, cwd=tmp_path, env=dict(os.environ, OMP_NUM_THREADS="1"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 60
    while not list(tmp_path.glob("runs/*/events.*")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # into the training loop (the envs are made before the run folder)
    os.killpg(process.pid, sig)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + sig, stderr  # 130 for Ctrl-C, 143 for SIGTERM
    assert "Traceback" not in stderr
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("stopped at step "), last
    run_dir = only_run_dir(tmp_path)
    assert "losses/policy_loss" in read_scalars(run_dir)
    assert not (run_dir / "summary.json").exists()  # the run is not over

    if sig == signal.SIGTERM:  # only the long-run scripts are killed here: each must offer to go on
        assert "--resume " in last, last
    if "--resume " in last:  # the long-run scripts: a checkpoint, and the command that goes on from it
        assert tmp_path / last.split("--resume ")[1] == run_dir / "checkpoint.pt"
        checkpoint = torch.load(run_dir / "checkpoint.pt", weights_only=True)
        assert 0 < checkpoint["global_step"] < 10_000_000
    # the command goes on, for 2 more updates (once a script; the overlap variant's resume is tested in
    # depth, in this process, in tests/test_a2c_atari.py)
    if "--resume " in last and sig == signal.SIGINT and script != "a2c_atari_overlap.py":
        batch = int(SCRIPTS[script][SCRIPTS[script].index("--num-envs") + 1]) * int(
            SCRIPTS[script][SCRIPTS[script].index("--num-steps") + 1])
        budget = str(batch * (checkpoint["update"] + 2))
        result = run_script(script, *SCRIPTS[script], *HELD_RATE.get(script, []), "--total-timesteps", budget,
                            "--eval-episodes", "0",
                            "--resume", last.split("--resume ")[1], cwd=tmp_path, timeout=120)
        assert result.returncode == 0, result.stderr
        assert only_run_dir(tmp_path) == run_dir
        assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["update"] == checkpoint["update"] + 2
        assert (run_dir / f"{script.removesuffix('.py')}.pt").exists()
