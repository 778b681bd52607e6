"""benchmark/run.py: sweeps, refusals, reruns that run only what is missing, and Ray on a 2-node cluster."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import benchmark.run as bench
from tests.helpers import REPO, load_script

TINY = "--total-timesteps 4000 --eval-episodes 1"  # 4 envs for REINFORCE: 16 would need 8,000 steps a batch


def refusal(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(list(argv))
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    "sweep,mentions",
    [
        ("ent-coeff=0,0.1", "reinforce_rtg_cartpole.py has no such argument"),
        ("num-envs=4,0.5", "'0.5' is not an int"),
        ("ent_coef=0,high", "'high' is not a float"),
        ("anneal-lr=true,maybe", "'maybe' is not a bool"),
        ("seed=1,2", "use --seeds"),
        ("ent-coef", "expected NAME=V1,V2"),
        ("ent-coef=0,,1", "expected NAME=V1,V2"),
        ("ent-coef=0.1,0.1", "the value 0.1 is given twice"),
    ],
)
def test_sweep_refusals(capsys, tmp_path, sweep, mentions):
    out = tmp_path / "out"
    line = refusal(capsys, "--scripts", "reinforce_rtg_cartpole.py", "--sweep", sweep, "--out", str(out))
    assert mentions in line
    assert not out.exists()


@pytest.mark.parametrize("argv,mentions", [(["--seeds", "1", "2", "1"], "--seeds: 1 is given twice"),
                                           (["--scripts", "a2c_cartpole.py", "a2c_cartpole.py"], "--scripts")])
def test_a_seed_or_script_given_twice_is_refused(capsys, tmp_path, argv, mentions):
    # two runs of one seed would share a folder (and leave an empty seed1.unfinished1)
    out = tmp_path / "out"
    scripts = [] if "--scripts" in argv else ["--scripts", "a2c_cartpole.py"]
    assert mentions in refusal(capsys, *scripts, *argv, "--out", str(out))
    assert not out.exists()


def fake_run(folder, returns: list, steps_per_episode: int = 10):
    """A finished run's folder as a script leaves it: TensorBoard events (the hyperparameters first, then
    one return an episode) and summary.json."""
    from torch.utils.tensorboard import SummaryWriter

    run_dir = folder / "runs" / "fake"
    writer = SummaryWriter(str(run_dir))
    writer.add_text("hyperparameters", "|param|value|")
    for episode, value in enumerate(returns, start=1):
        writer.add_scalar("charts/episodic_return", value, episode * steps_per_episode)
    writer.add_scalar("charts/SPS", 1000, max(len(returns), 1) * steps_per_episode)
    writer.close()
    (run_dir / "summary.json").write_text("{}")


def test_a_window_whose_mean_is_exactly_the_threshold_solves(tmp_path):
    # 100 returns of 195 average 195 exactly, but np.convolve with weights 1/100 gave 194.99999999999994;
    # the window of 50 returns of 450 and 50 of 500 averages 475 exactly: both must count as solved,
    # at the 100th episode (step 1,000), and 99 returns of 195 then one of 194 must not
    for returns, threshold, solved in (([195.0] * 100, 195, 1000), ([450.0] * 50 + [500.0] * 50, 475, 1000),
                                       ([195.0] * 99 + [194.0], 195, None)):
        folder = tmp_path / f"{threshold}-{len(returns)}-{returns[-1]}"
        fake_run(folder, returns)
        assert bench.read_run(folder, threshold, 100)["solved_step"] == solved


def test_runs_with_no_episode_or_fewer_than_the_window_say_so(tmp_path):
    fake_run(tmp_path / "none" / "seed1", [])
    fake_run(tmp_path / "few" / "seed1", [10.0, 20.0, 30.0])
    runs = {(name, (), 1): bench.read_run(tmp_path / name / "seed1", 475, 100) for name in ("none", "few")}
    assert runs[("none", (), 1)]["last"] is None and runs[("few", (), 1)]["last"] == 20.0
    args = SimpleNamespace(env_id="CartPole-v1", seeds=[1], extra="", window=100, solve_threshold=475,
                           rows=["none", "few"], combos=[()], baseline=None)
    table = bench.summarize(args, runs, "here", 0.0)
    # one seed: no interval; a run that never solved has "never" steps to solve, and no mean of nothing
    assert "| none | 0/1 | never | - (1 of 1 seeds ended no episode) | - | - | - | 1,000 |" in table
    assert "| few | 0/1 | never | 20.0 (1 of 1 seeds over fewer episodes: 3-3) | 20.0 | - | - | 1,000 |" in table
    assert "- none: seed 1: not solved / no episode ended / nan" in table
    assert "- few: seed 1: not solved / 20.0 (over 3) / nan" in table


def test_a_seed_with_no_run_in_the_folder_is_not_run(tmp_path):
    # --summarize-only over a folder where seed 2 never ran: its cell says so, nothing breaks
    fake_run(tmp_path / "reinforce_cartpole" / "seed1", [500.0] * 100)
    bench.main(["--scripts", "reinforce_cartpole.py", "--seeds", "1", "2", "--out", str(tmp_path), "--summarize-only"])
    page = (tmp_path / "results.md").read_text()
    assert "- reinforce_cartpole.py: seed 1: 1,000 / 500.0 / nan; seed 2: not run" in page


def test_a_baseline_row_gets_the_others_probability_of_improvement_and_a_verdict(tmp_path):
    # four seeds a row, each seed 100 episodes of one return: row a's seeds end at 10, 20, 30, 40 and
    # never solve (threshold 100); row b's end at 110-140 and all solve at the 100th episode, step 1,000
    runs = {}
    for row, offset in (("a", 0), ("b", 100)):
        for seed in (1, 2, 3, 4):
            fake_run(tmp_path / row / f"seed{seed}", [offset + 10.0 * seed] * 100)
            runs[(row, (), seed)] = bench.read_run(tmp_path / row / f"seed{seed}", 100, 100)
    args = SimpleNamespace(env_id="CartPole-v1", seeds=[1, 2, 3, 4], extra="", window=100, solve_threshold=100,
                           rows=["a", "b"], combos=[()], baseline="a")
    table = bench.summarize(args, runs, "here", 0.0)
    # IQM of 10, 20, 30, 40: the middle two, 25; the interval's ends are resampled IQMs within 10-40
    row_a = next(line for line in table.splitlines() if line.startswith("| a |"))
    assert row_a.startswith("| a | 0/4 | never [never, never] | 25.0 [")
    assert "| b | 4/4 | 1,000 [1,000, 1,000] | 125.0 [" in table
    # every seed of b beats every seed of a on both measures: probability 1, whatever the resampling
    assert "| b | 1.00 [1.00, 1.00] | better | 1.00 [1.00, 1.00] | better |" in table
    assert "| a | " not in table.split("Against `a`")[1]  # the baseline is not compared with itself
    args.baseline = "b"
    table = bench.summarize(args, runs, "here", 0.0)
    assert "| a | 0.00 [0.00, 0.00] | worse | 0.00 [0.00, 0.00] | worse |" in table


@pytest.mark.parametrize(
    "argv,mentions",
    [
        (["--scripts", "a2c_cartpole.py", "--baseline", "a2c_cartpole.py ent_coef=0"], "is not a row of this table"),
        (["--scripts", "a2c_cartpole.py", "--report", "pages/x.md"], "--report must be a file name ending in .md"),
        (["--scripts", "a2c_cartpole.py", "--window", "0"], "--window must be at least 1"),
        (["--scripts", "reinforce_cartpole.py", "--peer", "sb3"], "--peer sb3 has no settings for reinforce_cartpole"),
        (["--scripts", "no/such_script.py"], "no script no/such_script.py"),
    ],
)
def test_mistakes_with_the_new_flags_are_one_line(capsys, tmp_path, argv, mentions):
    out = tmp_path / "out"
    assert mentions in refusal(capsys, *argv, "--out", str(out))
    assert not out.exists()


def test_the_peer_without_stable_baselines3_is_one_line(capsys, tmp_path, monkeypatch):
    real = bench.importlib.util.find_spec
    monkeypatch.setattr(bench.importlib.util, "find_spec",
                        lambda name, *a: None if name == "stable_baselines3" else real(name, *a))
    line = refusal(capsys, "--scripts", "a2c_cartpole.py", "--peer", "sb3", "--out", str(tmp_path / "out"))
    assert "pip install stable-baselines3==2.9.2" in line


def test_a_script_outside_the_checkout_is_a_row_of_its_own(tmp_path):
    # an earlier version of a file, as a user would compare it: its own folder, and its commit on the page
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "a2c_cartpole.py").write_text((REPO / "a2c_cartpole.py").read_text())
    args = bench.parse_args(["--scripts", str(earlier / "a2c_cartpole.py"), "a2c_cartpole.py"])
    assert args.paths["a2c_cartpole.py"] == REPO / "a2c_cartpole.py"
    folders = {bench.run_folder(tmp_path, script, (), 1) for script in args.scripts}
    assert len(folders) == 2  # not one folder for two files of one name
    page = bench.summarize(SimpleNamespace(**{**vars(args), "seeds": []}), {}, "here", 0.0, head="- Command: x")
    assert f"- `{earlier / 'a2c_cartpole.py'}` is from outside this checkout: not a git checkout" in page


def test_sweep_grid_flags_and_folders(tmp_path):
    args = bench.parse_args(["--scripts", "a2c_cartpole.py", "--sweep", "ent-coef=0,0.01",
                             "--sweep", "anneal_lr=false,true"])
    assert args.combos == [
        (("ent_coef", "0"), ("anneal_lr", "false")), (("ent_coef", "0"), ("anneal_lr", "true")),
        (("ent_coef", "0.01"), ("anneal_lr", "false")), (("ent_coef", "0.01"), ("anneal_lr", "true")),
    ]
    combo = args.combos[2]
    assert bench.script_args("a2c_cartpole.py", 3, combo, args, ["--num-envs", "4"]) == [
        "--seed", "3", "--env-id", "CartPole-v1", "--no-save-model", "--torch-threads", "1",
        "--ent-coef", "0.01", "--no-anneal-lr", "--num-envs", "4"]
    assert bench.combo_label("a2c_cartpole.py", combo) == "a2c_cartpole.py ent_coef=0.01 anneal_lr=false"
    assert bench.run_folder(tmp_path, "a2c_cartpole.py", combo, 3) == (
        tmp_path / "a2c_cartpole" / "ent_coef=0.01,anneal_lr=false" / "seed3")


def test_an_optional_flag_sweeps_as_its_type():
    # a2c_vizdoom.py's reward_scale is `float | None`: None picks the scenario's own scale
    args = bench.parse_args(["--scripts", "a2c_vizdoom.py", "--env-id", "VizdoomBasic-v1", "--solve-threshold", "50",
                             "--sweep", "reward-scale=1.0,0.01"])
    assert bench.script_args("a2c_vizdoom.py", 1, args.combos[1], args, [])[-2:] == ["--reward-scale", "0.01"]


def test_an_optional_flag_refuses_none_and_resume_stays_unsweepable(capsys):
    line = refusal(capsys, "--scripts", "a2c_vizdoom.py", "--sweep", "reward-scale=1.0,none")
    assert "'none' is not a float" in line
    line = refusal(capsys, "--scripts", "a2c_vizdoom.py", "--sweep", "resume=a.pt,b.pt")
    assert "only int, float, bool and str can be swept" in line


def test_running_mean_by_hand():
    # window 3: 1 / 1, (1 + 2) / 2, (1 + 2 + 3) / 3, (2 + 3 + 10) / 3
    np.testing.assert_allclose(bench.running_mean(np.array([1.0, 2.0, 3.0, 10.0]), 3), [1.0, 1.5, 2.0, 5.0])


def test_an_address_that_does_not_answer_is_one_line(capsys, tmp_path):
    out = tmp_path / "out"
    line = refusal(capsys, "--scripts", "reinforce_cartpole.py", "--cluster", "ray", "--ray-address", "127.0.0.1:1",
                   "--out", str(out))
    assert "no Ray cluster answers at 127.0.0.1:1" in line
    assert not out.exists()


def test_a_ray_address_without_cluster_ray_is_refused(capsys):
    line = refusal(capsys, "--scripts", "reinforce_cartpole.py", "--ray-address", "127.0.0.1:6379")
    assert "--ray-address needs --cluster ray" in line


def test_a_rerun_runs_only_what_has_not_finished(tmp_path, capsys):
    out = tmp_path / "out"

    def bench_command(*seeds: str) -> str:
        # as a user runs it; afterwards, say whether anything imported Ray
        code = ("import runpy, sys; sys.argv = sys.argv[1:]; "
                "runpy.run_path(sys.argv[0], run_name='__main__'); print('ray imported:', 'ray' in sys.modules)")
        argv = [str(REPO / "benchmark" / "run.py"), "--scripts", "reinforce_cartpole.py", "--seeds", *seeds,
                "--extra", TINY + " --num-envs 4", "--out", str(out)]
        result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = bench_command("1")
    assert "1 runs into" in first and "0 finished there already with the same arguments, 1 to run" in first
    assert "reinforce_cartpole.py seed 1: done" in first and "ray imported: False" in first
    seed1 = out / "reinforce_cartpole" / "seed1"
    events_before = {path: path.stat().st_mtime_ns for path in seed1.rglob("*")}
    # seed 3 as an interrupted run leaves it: a folder with some output and no summary.json
    (out / "reinforce_cartpole" / "seed3").mkdir()
    (out / "reinforce_cartpole" / "seed3" / "stdout.txt").write_text("step 2,000/4,000\n")

    second = bench_command("1", "2", "3")
    assert "3 runs into" in second and "1 finished there already with the same arguments, 2 to run" in second
    assert "reused: reinforce_cartpole.py seed 1" in second
    assert {path: path.stat().st_mtime_ns for path in seed1.rglob("*")} == events_before
    kept = out / "reinforce_cartpole" / "seed3.unfinished1" / "stdout.txt"
    assert kept.read_text() == "step 2,000/4,000\n"
    for seed in (2, 3):
        assert bench.is_finished(out / "reinforce_cartpole" / f"seed{seed}")
    table = (out / "results.md").read_text()
    assert "| reinforce_cartpole.py | 0/3 |" in table and "not run" not in table and "FAILED" not in table

    # the same folder with other arguments: refused before anything runs, the runs there untouched
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--scripts", "reinforce_cartpole.py", "--seeds", "1", "--env-id", "Acrobot-v1",
                    "--extra", TINY + " --num-envs 4", "--out", str(out)])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "other arguments" in lines[0]
    assert {path: path.stat().st_mtime_ns for path in seed1.rglob("*")} == events_before


# A long-run script as the runner sees it: an `Args` with `resume`, a checkpoint in runs/<name>/. Its first
# start stops halfway, as a run cut off at the end of a sitting does; a start with --resume finishes it, or,
# with LONG_RUN_REFUSES set, refuses the checkpoint as a script does one whose training has ended. Each part's
# events are written beforehand (long_run_command), so that the script needs no torch and starts at once.
LONG_RUN = """
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

EVENTS = Path(__file__).parent / "events"


@dataclass
class Args:
    seed: int = 1
    resume: str | None = None


argv = sys.argv[1:]
print("flags:", " ".join(argv))
if "--resume" in argv:
    if os.environ.get("LONG_RUN_REFUSES"):
        print("error: --resume: the run cannot go on")
        sys.exit(2)
    checkpoint = Path(argv[argv.index("--resume") + 1])
    print("went on from", checkpoint.read_text())
    shutil.copytree(EVENTS / "part2", checkpoint.parent, dirs_exist_ok=True)
    (checkpoint.parent / "summary.json").write_text("{}")
else:
    shutil.copytree(EVENTS / "part1", "runs/long")
    Path("runs/long/checkpoint.pt").write_text("step 10")
    print("stopped at step 10")
    sys.exit(143)
"""


def long_run_command(tmp_path):
    """LONG_RUN, the events of its two parts, and a command of two seeds. The events carry made-up wall times:
    the first part runs 10 s from time 1,000 (a return of 1 at step 10), the second 30 s from time 5,000 (9 at 20)."""
    from torch.utils.tensorboard import SummaryWriter

    script, out = tmp_path / "long_run.py", tmp_path / "out"
    script.write_text(LONG_RUN)
    for part, start, seconds, value, step in (("part1", 1000.0, 10.0, 1.0, 10), ("part2", 5000.0, 30.0, 9.0, 20)):
        writer = SummaryWriter(str(tmp_path / "events" / part))
        writer.add_text("hyperparameters", "|param|value|", walltime=start)
        writer.add_scalar("charts/episodic_return", value, step, walltime=start + seconds)
        writer.close()
    argv = ["--scripts", str(script), "--seeds", "1", "2", "--workers", "1", "--solve-threshold", "5",
            "--window", "1", "--out", str(out)]
    return argv, out, [bench.run_folder(out, str(script), (), seed) for seed in (1, 2)]


def test_an_unfinished_run_with_a_checkpoint_goes_on_from_it(tmp_path, capsys):
    argv, out, (seed1, seed2) = long_run_command(tmp_path)
    bench.main(argv)
    assert "FAILED (exit 143)" in capsys.readouterr().out
    # seed 2 lost its checkpoint (a run with none starts again, its folder kept aside)
    (seed2 / "runs" / "long" / "checkpoint.pt").unlink()

    bench.main(argv)
    said = capsys.readouterr().out
    assert "2 to run (1 of them from their checkpoints)" in said and f"resumed: {argv[1]} seed 1" in said
    # seed 1 went on in its own folder with its own flags and the checkpoint's path from there; its console
    # holds the two parts; its record of the command has no --resume
    assert [path.name for path in (seed1 / "runs").iterdir()] == ["long"]
    flags = "--seed 1 --env-id CartPole-v1 --no-save-model"
    assert (seed1 / "stdout.txt").read_text() == (f"flags: {flags}\nstopped at step 10\n"
                                                  f"flags: {flags} --resume runs/long/checkpoint.pt\n"
                                                  "went on from step 10\n")
    assert "--resume" not in (seed1 / "command.json").read_text()
    assert (seed2.with_name("seed2.unfinished1") / "runs" / "long").is_dir()
    # both parts' episodes are read: 1 at step 10, then 9 at step 20, which solves (a window of 1, mark 5)
    run = bench.read_run(seed1, threshold=5, window=1)
    assert list(run["steps"]) == [10, 20] and list(run["returns"]) == [1.0, 9.0] and run["solved_step"] == 20
    # 10 s of the first part and 30 s of the second: the 3,990 s between them are left out
    assert run["solved_seconds"] == 40.0
    # seed 2 started again and stopped again: nothing to resume from but its new checkpoint
    assert not bench.is_finished(seed2) and (seed2 / "runs" / "long" / "checkpoint.pt").exists()
    page = (out / "results.md").read_text()
    assert "1 of the 2 runs went on from the checkpoints of an earlier command" in page


def test_a_run_of_another_version_of_its_script_is_neither_resumed_nor_reused(tmp_path, capsys):
    argv, out, (seed1, seed2) = long_run_command(tmp_path)
    script = tmp_path / "long_run.py"
    bench.main(argv)  # both seeds stop, each with a checkpoint
    script.write_text(LONG_RUN + "# edited\n")
    bench.main(argv)  # another version of the script: both start again, their folders kept aside, and say so
    said = capsys.readouterr().out
    assert "2 to run (0 of them from their checkpoints)" in said
    assert said.count("its checkpoint was made by another version of the script (the folder is kept aside)") == 2
    assert (seed1.with_name("seed1.unfinished1") / "runs" / "long" / "checkpoint.pt").exists()
    bench.main(argv)  # the same version goes on from its own checkpoints, to the end
    assert "2 to run (2 of them from their checkpoints)" in capsys.readouterr().out
    assert bench.is_finished(seed1) and bench.is_finished(seed2)
    script.write_text(LONG_RUN + "# edited again\n")
    with pytest.raises(SystemExit) as exit_info:  # finished runs of an earlier version: one line, nothing run
        bench.main(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "made with another version of" in lines[0] and "give another --out" in lines[0]
    # a record from before the contents were kept is compared without them: the runs are reused
    for seed in (seed1, seed2):
        command = json.loads((seed / "command.json").read_text())
        assert len(command.pop("sha256")) == 64
        (seed / "command.json").write_text(json.dumps(command))
    bench.main(argv)
    assert "2 finished there already with the same arguments, 0 to run" in capsys.readouterr().out


def test_a_checkpoint_the_script_refused_is_not_tried_again(tmp_path, capsys, monkeypatch):
    argv, out, (seed1, _) = long_run_command(tmp_path)
    monkeypatch.setenv("LONG_RUN_REFUSES", "1")
    bench.main(argv)
    bench.main(argv)  # goes on from the checkpoints, which the script refuses
    assert "FAILED (exit 2)" in capsys.readouterr().out
    assert "error: --resume: the run cannot go on" in (seed1 / "stdout.txt").read_text()
    bench.main(argv)  # starts the runs again, the refused ones kept aside
    said = capsys.readouterr().out
    assert "2 to run (0 of them from their checkpoints)" in said and "resumed: " not in said
    assert "cannot go on" in (seed1.with_name("seed1.unfinished1") / "stdout.txt").read_text()
    fresh = "flags: --seed 1 --env-id CartPole-v1 --no-save-model\nstopped at step 10\n"
    assert (seed1 / "stdout.txt").read_text() == fresh


def test_which_checkpoint_an_unfinished_run_goes_on_from(tmp_path):
    folder = tmp_path / "seed1"
    (folder / "runs" / "long").mkdir(parents=True)
    (folder / "runs" / "long" / "checkpoint.pt").write_text("step 10")
    command = {"script": "long_run.py", "args": ["--seed", "1"]}
    (folder / "command.json").write_text(json.dumps(command))
    assert bench.checkpoint_to_resume(folder, command, resumable=True) == Path("runs/long/checkpoint.pt")
    assert bench.checkpoint_to_resume(folder, command, resumable=False) is None  # no --resume, or on Ray
    other = {"script": "long_run.py", "args": ["--seed", "1", "--total-timesteps", "5"]}
    assert bench.checkpoint_to_resume(folder, other, resumable=True) is None
    # a record without the script's sha256 (from before it was kept) matches any version; one with it, its own
    assert bench.checkpoint_to_resume(folder, dict(command, sha256="a" * 64), resumable=True) is not None
    (folder / "command.json").write_text(json.dumps(dict(command, sha256="a" * 64)))
    assert bench.checkpoint_to_resume(folder, dict(command, sha256="a" * 64), resumable=True) is not None
    assert bench.checkpoint_to_resume(folder, dict(command, sha256="b" * 64), resumable=True) is None
    (folder / "command.json").write_text(json.dumps(command))
    # a last start from the checkpoint that was stopped (SIGTERM, Ctrl-C, killed) goes on again; a failed one does not
    for code, again in ((143, True), (130, True), (-9, True), (None, True), (2, False), (1, False)):
        (folder / "task.json").write_text(json.dumps({"exit_code": code, "resumed": True}))
        assert (bench.checkpoint_to_resume(folder, command, resumable=True) is not None) == again, code
    (folder / "task.json").write_text(json.dumps({"exit_code": 1, "resumed": False}))  # the first start crashed
    assert bench.checkpoint_to_resume(folder, command, resumable=True) is not None
    # two run folders with a checkpoint each: which one is the run's is not clear, so it starts again
    (folder / "runs" / "other").mkdir()
    (folder / "runs" / "other" / "checkpoint.pt").write_text("step 5")
    assert bench.checkpoint_to_resume(folder, command, resumable=True) is None


def descendants_running(root_pid: int, needle: str) -> bool:
    """Whether a process under root_pid (children, their children, ...) has needle in its command line."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    for pid in parents:
        ancestor = pid
        while ancestor in parents and ancestor != root_pid:
            ancestor = parents[ancestor]
        if ancestor == root_pid and pid != root_pid:
            try:
                if needle in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                    return True
            except OSError:
                continue
    return False


def test_a_sweep_on_a_ray_cluster_survives_a_lost_node(tmp_path, monkeypatch):
    # three one-CPU nodes on this machine; the third is killed while one of its runs is under way
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    victim = cluster.add_node(num_cpus=1)
    raylet = victim.all_processes["raylet"][0].process.pid
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    killed = []

    def kill_when_busy():
        deadline = time.time() + 60
        while time.time() < deadline and not descendants_running(raylet, "reinforce_cartpole"):
            time.sleep(0.05)
        if time.time() < deadline:
            cluster.remove_node(victim, allow_graceful=False)
            killed.append(time.time())

    killer = threading.Thread(target=kill_when_busy, daemon=True)
    try:
        killer.start()
        # num_envs 0 is an int, so it passes the sweep's checks, and the script refuses it: a failed run
        runs = bench.main(["--scripts", "reinforce_cartpole.py", "--seeds", "1", "2", "--sweep", "num-envs=4,0",
                           "--extra", TINY, "--out", str(out), "--cluster", "ray", "--ray-address", cluster.address])
        killer.join(timeout=5)
    finally:
        cluster.shutdown()
    assert killed, "no run ever started on the third node"
    tasks = [json.loads(path.read_text()) for path in out.glob("reinforce_cartpole/*/seed*/task.json")]
    assert len(tasks) == 4
    assert len({task.get("node_id") for task in tasks}) >= 2  # runs ran on more than one node
    assert all(task["cwd"] not in (str(tmp_path), os.getcwd()) for task in tasks if "cwd" in task)  # Ray's copy
    for seed in (1, 2):
        good = runs[("reinforce_cartpole.py", (("num_envs", "4"),), seed)]
        # the run that died with its node was run again elsewhere (Ray retries a task lost with its node)
        assert good["steps"][-1] >= 4000 and "eval" in good  # read back from the event files that came back
        assert runs[("reinforce_cartpole.py", (("num_envs", "0"),), seed)]["failed"] == "exit 2"
    table = (out / "results.md").read_text()
    assert table.startswith("- Command: `python benchmark/run.py --scripts reinforce_cartpole.py")
    assert "| reinforce_cartpole.py num_envs=4 | 0/2 |" in table
    assert "| reinforce_cartpole.py num_envs=0 | 0/2 (2 failed) |" in table
    assert "error: --num-envs must be at least 1, got 0" in table  # the failed runs' console tails
    assert "a Ray cluster of 3 nodes and 3 CPUs" in table
    assert (out / "results.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "script,argv,mentions",
    [
        ("speed.py", ["--repeats", "0", "--no-sb3"], "--repeats"),
        ("speed.py", ["--scripts", "no_such_script.py", "--no-sb3"], "no_such_script.py"),
        ("atari_speed.py", ["--total-timesteps", "10", "--no-sb3"], "--total-timesteps"),
        ("vizdoom_speed.py", ["--repeats", "0", "--no-sb3"], "--repeats"),
        ("vizdoom_speed.py", ["--copies", "no_such_copy.py", "--no-sb3"], "no_such_copy.py: no such file"),
        ("speed.py", ["--page", "speed.txt", "--no-sb3"], "--page must end in .md"),
        ("vizdoom_random.py", ["--episodes", "0"], "--episodes"),
    ],
)
def test_the_speed_scripts_refuse_a_mistake_with_one_line(script, argv, mentions, tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "benchmark" / script), *argv], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and mentions in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv,mentions",
    [
        (["--env-id", "VizdoomDeathmatch-v1"], "--env-id"),
        (["--seeds", "1", "1"], "--seeds"),
        (["--page", "no_such_folder/random.md"], "--page"),
    ],
)
def test_the_random_policy_refuses_a_mistake_with_one_line(argv, mentions, tmp_path, monkeypatch, capsys):
    # in this process (the case above goes the whole way); a subprocess each would cost a ViZDoom import each
    monkeypatch.chdir(tmp_path)
    import benchmark.vizdoom_random as random_policy

    with pytest.raises(SystemExit) as exit_info:
        random_policy.main(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and mentions in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_the_random_policy_takes_as_many_episodes_from_each_game(tmp_path, monkeypatch):
    # the first episodes to end are the short ones: 3 episodes from 2 games are 2 from each, not the first 3
    monkeypatch.chdir(tmp_path)
    import benchmark.vizdoom_random as random_policy

    returns = random_policy.play("VizdoomBasic-v1", seed=1, episodes=3, num_envs=2)
    assert returns.shape == (2, 2)  # a row a game
    # Basic: -1 a tic for at most 300 tics (75 steps), -5 a miss (at most one a step), +101 for its one kill
    assert (returns < 101).all() and (returns >= -300 - 5 * 75).all()


def test_the_shots_script_refuses_a_model_of_the_earlier_gray_screen(tmp_path, monkeypatch, capsys):
    # a model saved before a2c_vizdoom.py saw one colour frame: its first layer takes 4 channels (4 gray frames)
    import benchmark.vizdoom_shots as vizdoom_shots

    model = tmp_path / "a2c_vizdoom.pt"
    torch.save({"args": {"env_id": "VizdoomDefendCenter-v1"}, "model": {"torso.0.weight": torch.zeros(32, 4, 8, 8)}},
               model)
    monkeypatch.setattr(sys, "argv", ["vizdoom_shots.py", str(model)])
    with pytest.raises(SystemExit) as exit_info:
        vizdoom_shots.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "its network takes 4 channels, not 3 (one colour frame): a model of another screen" in err


def test_the_copies_change_the_rung_where_they_say_and_a_lost_line_stops_them(tmp_path, capsys):
    import contextlib
    import difflib

    import cv2
    import gymnasium as gym
    import vizdoom
    import vizdoom.gymnasium_wrapper  # noqa: F401  (registers the Vizdoom* envs)

    import benchmark.copies as copies
    import benchmark.vizdoom_copies as vizdoom_copies

    vizdoom_copies.write_copies("a2c_vizdoom.py", vizdoom_copies.COPIES, [str(tmp_path)])
    rung = (REPO / "a2c_vizdoom.py").read_text().splitlines()
    gray = (tmp_path / "a2c_vizdoom_gray4.py").read_text().splitlines()
    # the former screen, and nothing else: the docstring, the screen format, the screen's lines (a comment of
    # 3, the space, the resize's first 3 of 4: 7) that become 5 with the frame stack, the first layer's 4
    # channels, the rollout's 4 frames and the 4 channels a checkpoint it resumes must have (2 lines)
    diff = list(difflib.unified_diff(rung, gray, lineterm="", n=0))
    removed = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    screen = next(i for i, line in enumerate(rung) if "# the screen alone" in line)
    expected = [line for line in rung if "160x120 colour screen" in line or "ScreenFormat.RGB24" in line]
    expected += rung[screen:screen + 7]
    expected += [line for line in rung if "nn.Conv2d(3, 32, 8" in line or "args.num_envs, 3, 84, 84)" in line]
    expected += [line for line in rung if "if channels != 3:" in line or "not 3 (one colour frame)" in line]
    assert sorted(removed) == sorted(expected) and rung[screen + 7] == "        )"
    assert len(added) == 11 and sum("FrameStackObservation(env, 4" in line for line in added) == 1
    assert any("grayscale screen resized to 84x84, 4 stacked frames" in line for line in added)
    assert any("ScreenFormat.GRAY8" in line for line in added)
    assert any("nn.Conv2d(4, 32, 8" in line for line in added)
    assert any("args.num_envs, 4, 84, 84)" in line for line in added)
    # its game gives 4 gray frames, the newest the game's first screen resized by hand, the older ones zeros
    gray4 = load_script(str(tmp_path / "a2c_vizdoom_gray4.py"))
    with contextlib.chdir(tmp_path):
        env = gray4.make_game(gray4.Args(), str(tmp_path))()
        obs, _ = env.reset(seed=1)
        env.close()
        game = gym.make("VizdoomDefendCenter-v1", frame_skip=4, max_buttons_pressed=1, render_hud=False,
                        screen_resolution=vizdoom.ScreenResolution.RES_160X120,
                        screen_format=vizdoom.ScreenFormat.GRAY8)
        first, _ = game.reset(seed=1)
        game.close()
    assert obs.shape == (4, 84, 84) and not obs[:3].any()
    assert np.array_equal(obs[3], cv2.resize(first["screen"].squeeze(-1), (84, 84), interpolation=cv2.INTER_AREA))

    # each copy's network takes its own screens: 4 gray frames, 2 and 4 colour frames (6 and 12 channels), and
    # the rung's one colour frame with the status bar in it
    envs = SimpleNamespace(single_action_space=SimpleNamespace(n=3))
    for name, shape in (("gray4", (4, 84, 84)), ("color2", (6, 84, 84)), ("color4", (12, 84, 84)),
                        ("hud", (3, 84, 84))):
        copy = load_script(str(tmp_path / f"a2c_vizdoom_{name}.py"))
        logits, value = copy.ActorCritic(envs, copy.Args())(torch.zeros((2, *shape), dtype=torch.uint8))
        assert logits.shape == (2, 3) and value.shape == (2,), name
        # and it resumes only checkpoints of its own screen
        assert f"    if channels != {shape[0]}:" in (tmp_path / f"a2c_vizdoom_{name}.py").read_text(), name

    # the learning copies change their defaults and nothing else: the rate held, and halved and held
    held = ("    anneal_lr: bool = True", "    anneal_lr: bool = False")
    for name, lines in (("constant_lr", [held]),
                        ("lr35", [("    learning_rate: float = 7e-4", "    learning_rate: float = 3.5e-4"), held])):
        copy = (tmp_path / f"a2c_vizdoom_{name}.py").read_text().splitlines()
        assert len(copy) == len(rung) and [(old, new) for old, new in zip(rung, copy) if old != new] == lines, name
    assert load_script(str(tmp_path / "a2c_vizdoom_lr35.py")).Args().learning_rate == 3.5e-4
    # the default-schedule copy decays over the default budget, whatever the run's own budget
    schedule = (tmp_path / "a2c_vizdoom_default_schedule.py").read_text().splitlines()
    old_line = '            optimizer.param_groups[0]["lr"] = args.learning_rate * (1.0 - update / num_updates)'
    assert old_line in rung and schedule[:rung.index(old_line)] == rung[:rung.index(old_line)]
    assert schedule[rung.index(old_line):rung.index(old_line) + 2] == [
        '            optimizer.param_groups[0]["lr"] = args.learning_rate * max(',
        "                0.0, 1.0 - update * batch_size / Args.total_timesteps)"]
    assert schedule[rung.index(old_line) + 2:] == rung[rung.index(old_line) + 1:]
    assert load_script(str(tmp_path / "a2c_vizdoom_default_schedule.py")).Args().total_timesteps == 3_000_000
    # the former screen with that schedule: its copy with the schedule's lines, and nothing else
    gray_text = (tmp_path / "a2c_vizdoom_gray4.py").read_text()
    both = (tmp_path / "a2c_vizdoom_gray4_default_schedule.py").read_text()
    new_lines = "\n".join(schedule[rung.index(old_line):rung.index(old_line) + 2])
    assert both == gray_text.replace(old_line + "\n", new_lines + "\n") and both != gray_text

    # a line the rung no longer has: one error line naming the copy, and no copy written
    lost = {"a2c_vizdoom_lost.py": [("no such line in the rung", "anything")]}
    with pytest.raises(SystemExit) as exit_info:
        copies.write_copies("a2c_vizdoom.py", lost, [str(tmp_path / "lost")])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip() == (
        "error: a2c_vizdoom_lost.py: a2c_vizdoom.py no longer has the line 'no such line in the rung'")
    assert not (tmp_path / "lost" / "a2c_vizdoom_lost.py").exists()


def test_the_mujoco_copies_load_and_the_envs_copy_changes_one_default(tmp_path):
    import benchmark.mujoco_copies as mujoco_copies

    mujoco_copies.write_copies("a2c_mujoco.py", mujoco_copies.COPIES, [str(tmp_path)])
    rung = (REPO / "a2c_mujoco.py").read_text().splitlines()
    envs8 = (tmp_path / "a2c_mujoco_envs8.py").read_text().splitlines()
    assert len(rung) == len(envs8)
    assert [(old, new) for old, new in zip(rung, envs8) if old != new] == [
        ("    num_envs: int = 16", "    num_envs: int = 8")]
    std1 = (tmp_path / "a2c_mujoco_std1.py").read_text().splitlines()
    assert len(rung) == len(std1)
    assert [(old, new) for old, new in zip(rung, std1) if old != new] == [
        ("    init_log_std: float = -0.5", "    init_log_std: float = 0.0")]
    for name in mujoco_copies.COPIES:
        copy = load_script(str(tmp_path / name))
        assert copy.Args().num_envs == (8 if name == "a2c_mujoco_envs8.py" else 16), name
    # the value-steps copy changes the default and the docstring's count with it, nothing else
    steps10 = (tmp_path / "a2c_mujoco_value_steps10.py").read_text().splitlines()
    changed = [(old, new) for old, new in zip(rung, steps10) if old != new]
    assert len(rung) == len(steps10) and changed == [
        (rung[23], rung[23].replace("four more gradient steps", "nine more gradient steps")),
        (rung[24], rung[24].replace("(`--value-steps 5` in all;", "(`--value-steps 10` in all;")),
        ("    value_steps: int = 5", "    value_steps: int = 10")]
    assert "four more" in rung[23] and "--value-steps 5" in rung[24]
    assert load_script(str(tmp_path / "a2c_mujoco_value_steps10.py")).Args().value_steps == 10


def test_the_vizdoom_breakdown_splits_one_games_step_into_the_game_and_its_preprocessing(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmark"))  # the speed scripts import their neighbours by name
    import benchmark.vizdoom_speed as vizdoom_speed

    monkeypatch.chdir(tmp_path)
    rows = vizdoom_speed.game_alone(vizdoom_speed.load_script("a2c_vizdoom.py"), 50).splitlines()[-2:]
    (game_us, game_share), (pre_us, pre_share) = [[cell.strip() for cell in row.split("|")[2:4]] for row in rows]
    # each part took some time, and the game's own step is a part of the whole step, not all of it
    assert int(game_us) > 0 and int(pre_us) > 0
    game_share, pre_share = int(game_share.rstrip("%")), int(pre_share.rstrip("%"))
    assert 0 < game_share < 100 and game_share + pre_share in (99, 100, 101)  # rounded to whole percents
    assert os.listdir(tmp_path) == []  # the game wrote its files into a scratch folder, not the working one


def test_across_tasks_averages_the_probability_of_improvement_and_combines_the_rank_tests(
        tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPO / "benchmark"))  # the tools import their neighbours by name
    import benchmark.across_tasks as across

    # task A: each row seed beats each baseline seed (P = 1); task B: row [1, 4], baseline [2, 3]: 4 beats
    # both, 1 neither, P = 2/4. Their mean is 0.75.
    a_row, a_base, b_row, b_base = [3.0, 4.0], [1.0, 2.0], [1.0, 4.0], [2.0, 3.0]
    assert across.mean_improvement(np.array(a_row), np.array(a_base), np.array(b_row), np.array(b_base)) == 0.75
    # one-sided rank tests of 2 against 2 by the normal approximation: U has mean 2 and sd sqrt(2 * 2 * 5 / 12),
    # so A's U = 4 gives z = (4 - 2 - 0.5) / sd = 1.16190 and B's U = 2 gives z = -0.5 / sd = -0.38730
    # (continuity corrections); Stouffer: Z = (1.16190 - 0.38730) / sqrt(2) = 0.54772, two-sided p = 2 (1 - Phi(Z))
    assert across.combined_p([(a_row, a_base), (b_row, b_base)]) == pytest.approx(0.58388, abs=1e-5)
    # a task whose seeds all tie orders nothing: the combination leaves it out (scipy's one-sided p of 1 would
    # make Stouffer's z minus infinity), and alone it gives p = 1
    tied = ([1000.0, 1000.0], [1000.0, 1000.0])
    assert across.combined_p([(a_row, a_base), (b_row, b_base), tied]) == pytest.approx(0.58388, abs=1e-5)
    assert across.combined_p([tied]) == 1.0
    # a task wholly against the others weighs a finite z: four tasks of 5 seeds against 5, each row seed above
    # each baseline seed (U = 25: z = (25 - 12.5 - 0.5) / sqrt(25 * 11 / 12) = 2.50672), and one the other way
    # round (U = 0: z = -2.71561): Z = (4 * 2.50672 - 2.71561) / sqrt(5) = 3.26970, two-sided p = 0.0010766
    high, low = [6.0, 7.0, 8.0, 9.0, 10.0], [1.0, 2.0, 3.0, 4.0, 5.0]
    assert across.combined_p([(high, low)] * 4 + [(low, high)]) == pytest.approx(0.0010766, abs=1e-6)
    # a p-value that three decimals would show as 0.000 is written as a bound instead
    assert (across.p_text(0.0010766), across.p_text(0.0004), across.p_text(0.0005)) == (
        "p = 0.001", "p < 0.001", "p = 0.001")

    # a seed folder without a finished run (still running, or failed) is counted and the row refused, so that
    # no row is judged on the seeds that happened to finish first; names other than seed<k> are not seeds
    partial = tmp_path / "partial"
    (partial / "seed1").mkdir(parents=True)
    (partial / "seed2.bak").mkdir()
    assert across.finals(partial, 100) == ([], 1)
    with pytest.raises(SystemExit) as exit_info:
        across.main(["--task", "A", str(partial), str(partial), "--page", str(tmp_path / "partial.md")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --task A:") and "1 seed folder(s) without a finished run" in err and "\n" not in err

    # the page: one row a task and the mean, from each folder's seeds (read_run is the runner's, tested there)
    folders = {name: tmp_path / name for name in ("a_row", "a_base", "b_row", "b_base")}
    for folder in folders.values():
        folder.mkdir()
    values = dict(a_row=a_row, a_base=a_base, b_row=b_row, b_base=b_base)
    monkeypatch.setattr(across, "finals", lambda folder, window: (values[folder.name], 0))
    page = tmp_path / "across.md"
    across.main(["--task", "A", str(folders["a_row"]), str(folders["a_base"]),
                 "--task", "B", str(folders["b_row"]), str(folders["b_base"]), "--page", str(page)])
    text = page.read_text()
    assert text.startswith("- Command: `python benchmark/across_tasks.py --task A")
    assert "| A | 2 / 2 | 3.5 | 1.5 | 1.00 [1.00, 1.00] | cannot tell with 2 seeds" in text
    assert "| B | 2 / 2 | 2.5 | 2.5 | 0.50 [" in text
    assert "| **across the 2 tasks** (mean) | | | | **0.75 [" in text and "p = 0.584)" in text
    # one task: no "across the 1 tasks", and the p-value is the one behind the task's own verdict, the exact
    # rank test: seeds 3, 4 above 1, 2 is one of the C(4, 2) = 6 equally likely splits, as is its mirror, p = 2/6
    across.main(["--task", "A", str(folders["a_row"]), str(folders["a_base"]), "--page", str(page)])
    text = page.read_text()
    assert "| **the one task** | | | | **1.00 [1.00, 1.00]** | cannot tell with 2 seeds" in text
    assert "(its rank test: p = 0.333) |" in text and "across the 1" not in text

    # a missing folder, or one with fewer than two finished seeds: one error line, exit status 2
    values["few"] = [1.0]
    (tmp_path / "few").mkdir()
    for task, message in ((["A", str(tmp_path / "nope"), str(folders["a_base"])], "nope: no such folder"),
                          (["A", str(tmp_path / "few"), str(folders["a_base"])], "holds 1 finished seed(s)")):
        with pytest.raises(SystemExit) as exit_info:
            across.main(["--task", *task, "--page", str(page)])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --task A:") and message in err and "\n" not in err
