"""enjoy.py: a saved model is played again without retraining, by one command for every script."""

import shutil
import subprocess
import sys

import cv2
import pytest
import torch

from tests.helpers import REPO, load_script, only_run_dir

enjoy = load_script("enjoy.py")


@pytest.fixture(autouse=True)
def keep_torch_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def train(script: str, **kwargs) -> tuple[dict, str]:
    """A few updates of a script, in the current folder; returns its summary and its model's path."""
    module = load_script(script)
    summary = module.main(module.Args(**kwargs))
    return summary, f"runs/{summary['run_name']}/{script.removesuffix('.py')}.pt"


# every script's own default is replayed by tests/test_contract.py; here, sampled actions on CartPole
RUNS = {
    "sampled": ("a2c_cartpole.py", dict(total_timesteps=2_000, eval_episodes=3, eval_greedy=False)),
}


@pytest.mark.parametrize("run", RUNS)
def test_replays_the_runs_own_final_evaluation_to_the_bit(run, in_tmp):
    script, kwargs = RUNS[run]
    summary, model = train(script, **kwargs)
    stats = enjoy.main(enjoy.Args(model=model, episodes=kwargs["eval_episodes"]))
    for key in ("mean", "std", "min", "max"):
        assert stats[key] == summary[f"eval_{key}"], key  # exactly: same weights, seed, draws and arithmetic
    assert stats["episodes"] == kwargs["eval_episodes"]


def test_what_an_evaluation_may_change(in_tmp):
    _, model = train("a2c_cartpole.py", total_timesteps=2_000, eval_episodes=0)
    greedy = enjoy.main(enjoy.Args(model=model, episodes=4))
    again = enjoy.main(enjoy.Args(model=model, episodes=4, actions="greedy"))
    sampled = enjoy.main(enjoy.Args(model=model, episodes=4, actions="sampled"))
    other_seed = enjoy.main(enjoy.Args(model=model, episodes=4, actions="sampled", seed=7))
    assert greedy == again  # a2c_cartpole.py evaluates greedily by default
    assert sampled != greedy and other_seed != sampled
    assert list(in_tmp.iterdir()) == [in_tmp / "runs"]  # no video asked, none written


def read_frames(path) -> int:
    video = cv2.VideoCapture(str(path))
    frames = 0
    while video.read()[0]:
        frames += 1
    return frames


def test_a_copy_under_a_new_name_trains_saves_and_is_played_by_the_same_command(tmp_path):
    shutil.copy(REPO / "a2c_shared_gae.py", tmp_path / "my_variant.py")
    train = subprocess.run([sys.executable, "my_variant.py", "--total-timesteps", "2000", "--eval-episodes", "1"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert train.returncode == 0, train.stderr
    run_dir = only_run_dir(tmp_path)
    model = f"runs/{run_dir.name}/my_variant.pt"
    command = [sys.executable, str(REPO / "enjoy.py"), model, "--episodes", "1", "--capture-video"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == train.stdout.splitlines()[-1]  # the run's own "eval over 1 episodes" line

    # a CartPole episode scores 1 a step; its video holds the first frame and one a step
    episode_return = float(first.stdout.split("mean ")[1].split()[0])
    (video,) = (tmp_path / "videos" / f"{run_dir.name}_enjoy1").glob("*.mp4")
    assert read_frames(video) == episode_return + 1
    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert len(list((tmp_path / "videos" / f"{run_dir.name}_enjoy2").glob("*.mp4"))) == 1
    assert list((tmp_path / "videos" / f"{run_dir.name}_enjoy1").glob("*.mp4")) == [video]  # the first kept


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Models of three scripts, and doctored copies, in a folder of their own."""
    store = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(store)
        paths = {script: train(script, num_envs=1, total_timesteps=500, eval_episodes=0)[1]
                 for script in ("a2c_cartpole.py", "a2c_shared_gae.py", "reinforce_cartpole.py")}
    paths = {script: str(store / path) for script, path in paths.items()}
    saved = torch.load(paths["a2c_shared_gae.py"], weights_only=True)
    torch.save(dict(saved, args=dict(saved["args"], env_id="Acrobot-v1")), store / "acrobot_args.pt")
    torch.save(dict(saved, args=dict(saved["args"], exp_name="no_such_script")), store / "renamed.pt")
    torch.save([1, 2, 3], store / "a_list.pt")
    (store / "notes.txt").write_text("not a model")
    return store, paths


REFUSALS = {
    "missing file": (lambda m, s: [str(s / "nothing_here.pt")], "No such file"),
    "not a torch file": (lambda m, s: [str(s / "notes.txt")], "not a model saved by these scripts"),
    "a torch file of something else": (lambda m, s: [str(s / "a_list.pt")], "not a model saved by these scripts"),
    "the script is not found": (lambda m, s: [str(s / "renamed.pt")], "cannot find no_such_script.py"),
    "another script's model": (
        lambda m, s: [m["a2c_cartpole.py"], "--script", str(REPO / "a2c_shared_gae.py")], "does not fit"),
    "a model of another family": (
        lambda m, s: [m["reinforce_cartpole.py"], "--script", str(REPO / "a2c_atari.py")], "saved by another script"),
    "an env the weights do not fit": (lambda m, s: [str(s / "acrobot_args.pt")], "does not fit"),
    "no episodes": (lambda m, s: [m["a2c_cartpole.py"], "--episodes", "0"], "--episodes"),
    "sticky actions off Atari": (lambda m, s: [m["a2c_cartpole.py"], "--sticky-actions"], "Atari"),
    "a missing --script": (lambda m, s: [m["a2c_cartpole.py"], "--script", "nope.py"], "nope.py"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_one_line_exit_2_nothing_written(case, models, in_tmp, capsys):
    store, paths = models
    make_argv, mentions = REFUSALS[case]
    with pytest.raises(SystemExit) as exit_info:
        enjoy.main(enjoy.tyro.cli(enjoy.Args, args=make_argv(paths, store)))
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and mentions in lines[0], lines
    assert list(in_tmp.iterdir()) == []


def test_refusal_from_the_command_line(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "enjoy.py"), "missing.pt"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.strip() == "error: missing.pt: No such file or directory"
    assert list(tmp_path.iterdir()) == []
