"""Run scripts x flag values x seeds, on this machine or on a Ray cluster, into one table and one plot.

    python benchmark/run.py --scripts reinforce_cartpole.py reinforce_rtg_cartpole.py --seeds 1 2 3 4 5

Each run is the script itself, started as a user would start it, in its own folder under `--out`,
with `--num-cpus` torch threads (default 1). When all are done, every run's TensorBoard events are
read back with TensorBoard's own reader and turned into a stamped page, `results.md`, and its plot,
`results.png`.

    python benchmark/run.py --scripts a2c_cartpole.py a2c_shared_gae.py --seeds 1 2 3 \
        --env-id Acrobot-v1 --extra "--total-timesteps 300000"

Sweeps: `--sweep NAME=V1,V2,...` runs every value of one of the scripts' own flags (`ent-coef` or
`ent_coef`); several `--sweep`s give their grid. Each combination is a row of the table, a colour of
the plot and a folder `<out>/<script>/<name>=<value>/seed<k>`:

    python benchmark/run.py --scripts reinforce_rtg_cartpole.py --sweep ent-coef=0,0.001,0.01,0.05,0.1,0.5

A cluster: `--cluster ray` sends each run to Ray as a task of `--num-cpus` CPUs. Without an address
(`--ray-address` or `RAY_ADDRESS`) Ray starts on this machine; with one, the command joins that
cluster. The scripts travel with the tasks (Ray's runtime_env working_dir), and every task sends its
run's files back, so the nodes need the requirements installed but no shared filesystem.

Running the same command again with the same `--out` runs only what has no finished run there (a run
is finished when it has written its summary.json) and names the runs it reused. A finished run is reused
only if its folder's command.json holds the same script, arguments and script contents (its sha256); a
finished run made with others (another `--env-id`, `--extra` or `--num-cpus`, or the script edited since)
is refused with one line, before anything runs: give such a command its own `--out`. An unfinished run
goes on from its checkpoint where it left one (the scripts with `--resume`: Atari and ViZDoom), made with
the same script, flags and script contents, on this machine
(not with `--cluster ray`, whose runs send their files back only when they end); any other unfinished
run's folder is kept beside it as `seed<k>.unfinished<n>` and the run starts again, as does one whose
last start from its checkpoint failed (the script refused it: its training had ended, say). So a run of
hours can span several sittings: give it `--extra "--checkpoint-interval 100000"` so that a stop loses
little, and run the same command again. A run that fails is a row that says so, with the end of its console
output. A seed, a script or a sweep value given twice is refused (the two runs would share a folder).

The page opens with a stamp (the command, the commit and whether the tree had uncommitted changes,
the date, the machine, the versions), so that a figure copied from it can be traced. Each row gives,
over its seeds: solved k/n; the env steps to solve, median with its 95% bootstrap interval, an
unsolved seed counted as never (so the median is "never" when half the seeds or more did not solve);
the final return (the mean of the last `--window` training episodes) as IQM and as mean with their
95% bootstrap intervals; the final evaluation's IQM. `--baseline ROW` adds, for every other row, the
probability that a seed of the row beats a seed of the baseline (higher final return; fewer steps to
solve), its interval, and a verdict: better or worse where the interval leaves 0.5 out and
Mann-Whitney's rank test agrees (p < 0.05), otherwise "cannot tell with N seeds". The curves are the
IQM over seeds with its 95% band. The statistics are in benchmark/stats.py.

    python benchmark/run.py --scripts a2c_cartpole.py --sweep ent-coef=0,0.01 --seeds 1 2 3 4 5 6 7 8 9 10 \
        --baseline "a2c_cartpole.py ent_coef=0.01"

A script may also be a path outside the repo (an earlier version of a file, say), and `--peer sb3` adds,
for each A2C script, a row `sb3:<script>`: Stable-Baselines3's A2C at the script's own settings, read
from its `Args` with the same flags (benchmark/sb3_peer.py; what cannot be matched is listed under the
table). Stable-Baselines3 is an optional install: pip install stable-baselines3==2.9.2.

`--report NAME.md` names the page (default results.md; its plot NAME.png beside it), so that several
comparisons can be written from one folder of runs.

"Solved" follows Gym's definition: the mean return of the last 100 training episodes reaches
`--solve-threshold`, by default the env's own (CartPole-v1 475, Acrobot-v1 -100, MountainCar-v0
-110, the reward thresholds of their gymnasium registrations). Wall seconds count from the run's
first event (its hyperparameter table, written before the envs start) to the episode that solved it.
A run that ended fewer episodes than the window says over how many its "mean of the last" is, and
one that ended none says so.
"""

import argparse
import ast
import hashlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

sys.path.insert(0, str(Path(__file__).resolve().parent))  # stats.py and stamp.py, also when imported by the tests
import stats  # noqa: E402
from stamp import commit, stamp, tool_argv  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PEER = REPO / "benchmark" / "sb3_peer.py"
# the scripts Stable-Baselines3's A2C can be set up like (benchmark/sb3_peer.py has their settings)
PEER_SCRIPTS = ("a2c_cartpole.py", "a2c_shared_gae.py", "a2c_shared_gae_fast.py", "a2c_atari.py",
                "a2c_atari_overlap.py", "a2c_atari_tf_rmsprop.py", "a2c_mujoco.py")
# flags this runner sets itself, so a sweep may not
OWN_FLAGS = {"seed": "--seeds", "env_id": "--env-id", "torch_threads": "--num-cpus", "save_model": "(always off)"}


def fail(message: str):
    """A user's mistake: one line on stderr, exit status 2, nothing run."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scripts", nargs="+", required=True, help="scripts of the family, e.g. a2c_cartpole.py")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--sweep", action="append", default=[], metavar="NAME=V1,V2,...",
                        help="values of one of the scripts' flags to run (repeat it for a grid)")
    parser.add_argument("--workers", type=int, default=None,
                        help="runs at once on this machine (default: cores / --num-cpus; Ray schedules its own)")
    parser.add_argument("--num-cpus", type=int, default=1, help="CPUs of a run: its torch threads and Ray's num_cpus")
    parser.add_argument("--cluster", choices=["ray"], default=None, help="run each run as a Ray task")
    parser.add_argument("--ray-address", default=None,
                        help="the Ray cluster to join (default: RAY_ADDRESS; without either, Ray starts here)")
    parser.add_argument("--out", default=None, help="output folder (default: benchmark/out/<time>)")
    parser.add_argument("--env-id", default="CartPole-v1", help="the env every script runs on (its --env-id)")
    parser.add_argument("--solve-threshold", type=float, default=None, help="default: the env's reward threshold")
    parser.add_argument("--window", type=int, default=100, help="episodes in the solve criterion's mean")
    parser.add_argument("--extra", default="", help="more arguments for every script, e.g. '--total-timesteps 100000'")
    parser.add_argument("--summarize-only", action="store_true", help="only read the runs already in --out")
    parser.add_argument("--baseline", default=None, metavar="ROW",
                        help="a row of the table (as it is labelled there) to compare every other row with")
    parser.add_argument("--peer", choices=["sb3"], default=None,
                        help="add Stable-Baselines3's A2C at each script's settings as a row of its own")
    parser.add_argument("--report", default="results.md", help="the page's file name in --out (default results.md)")
    args = parser.parse_args(argv)
    if args.num_cpus < 1:
        fail(f"--num-cpus must be at least 1, got {args.num_cpus}")
    if args.workers is None:
        args.workers = max(1, (os.cpu_count() or 1) // args.num_cpus)
    if args.workers < 1:
        fail(f"--workers must be at least 1, got {args.workers}")
    if args.window < 1:
        fail(f"--window must be at least 1, got {args.window}")
    if Path(args.report).name != args.report or not args.report.endswith(".md"):
        fail(f"--report must be a file name ending in .md (it is written into --out), got {args.report!r}")
    args.paths = {}
    for script in args.scripts:
        path = (REPO / script if (REPO / script).is_file() else Path(script)).resolve()
        if not path.is_file() or path.suffix != ".py":
            fail(f"no script {script} in {REPO} or here")
        args.paths[script] = path
    # two runs of one seed would share a folder
    for flag, values in (("--scripts", [folder_name(script) for script in args.scripts]), ("--seeds", args.seeds)):
        twice = [value for value in values if values.count(value) > 1]
        if twice:
            fail(f"{flag}: {twice[0]} is given twice")
    if args.peer:
        for script in args.scripts:
            if Path(script).name not in PEER_SCRIPTS:
                fail(f"--peer sb3 has no settings for {script}; it takes {', '.join(PEER_SCRIPTS)}")
        if not args.summarize_only and importlib.util.find_spec("stable_baselines3") is None:
            fail("--peer sb3 needs Stable-Baselines3: pip install stable-baselines3==2.9.2")
    args.rows = args.scripts + [f"sb3:{script}" for script in args.scripts if args.peer]
    if args.summarize_only and args.out is None:
        fail("--summarize-only needs --out")
    if args.ray_address and args.cluster != "ray":
        fail("--ray-address needs --cluster ray")
    if args.cluster == "ray":
        args.ray_address = args.ray_address or os.environ.get("RAY_ADDRESS")
        if args.ray_address and not args.summarize_only:
            check_answers(args.ray_address)
    args.fields = {script: args_fields(args.paths[script]) for script in args.scripts}
    args.combos = sweep_grid(args.sweep, args.fields)
    labels = [combo_label(row, combo) for row in args.rows for combo in args.combos]
    if args.baseline is not None and args.baseline not in labels:
        fail(f"--baseline {args.baseline!r} is not a row of this table; its rows are: {'; '.join(labels)}")
    if args.solve_threshold is None:
        import ale_py
        import gymnasium as gym

        gym.register_envs(ale_py)
        try:
            args.solve_threshold = gym.spec(args.env_id).reward_threshold
        except gym.error.Error as e:
            fail(f"--env-id {args.env_id}: {str(e).splitlines()[0]}")
        if args.solve_threshold is None:
            fail(f"{args.env_id} has no reward threshold of its own; give --solve-threshold")
    return args


def args_fields(script: Path) -> dict:
    """The fields of the script's `Args` dataclass and their types, read from its source (nothing is imported)."""
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.ClassDef) and node.name == "Args":
            # an optional number (`float | None`, whose None is the script's own default) sweeps as a number;
            # `resume: str | None` stays unsweepable
            return {
                field.target.id: re.sub(r"^(int|float) \| None$", r"\1", ast.unparse(field.annotation))
                for field in node.body
                if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
            }
    fail(f"{script.name} has no `Args` dataclass")


def check_value(name: str, kind: str, value: str):
    """Refuse a value the flag's type cannot take, as tyro would, before anything runs."""
    try:
        if kind == "int":
            int(value)
        elif kind == "float":
            float(value)
        elif kind == "bool" and value.lower() not in ("true", "false"):
            raise ValueError
    except ValueError:
        fail(f"--sweep {name}: {value!r} is not a{'n' if kind == 'int' else ''} {kind}")


def sweep_grid(sweeps: list, fields: dict) -> list:
    """Every combination of the swept values, each a tuple of (name, value); [()] without sweeps."""
    axes = []
    for sweep in sweeps:
        name, _, values = sweep.partition("=")
        name = name.strip().lstrip("-").replace("-", "_")
        values = [value.strip() for value in values.split(",")]
        if not name or not all(values):
            fail(f"--sweep {sweep!r}: expected NAME=V1,V2,... with no empty value")
        twice = [value for value in values if values.count(value) > 1]
        if twice:
            fail(f"--sweep {name}: the value {twice[0]} is given twice")
        if name in OWN_FLAGS:
            fail(f"--sweep {name}: this runner sets it; use {OWN_FLAGS[name]}")
        if name in (axis_name for axis_name, _ in axes):
            fail(f"--sweep {name} is given twice; put all its values in one --sweep")
        for script, script_fields in fields.items():
            if name not in script_fields:
                fail(f"--sweep {name}: {script} has no such argument")
            kind = script_fields[name]
            if kind not in ("int", "float", "bool", "str"):
                fail(f"--sweep {name}: its type in {script} is {kind}; only int, float, bool and str can be swept")
            for value in values:
                check_value(name, kind, value)
        axes.append((name, values))
    return [tuple(zip([name for name, _ in axes], values)) for values in itertools.product(*[v for _, v in axes])]


def combo_flags(combo: tuple, fields: dict) -> list:
    """The script's command-line flags for one combination."""
    flags = []
    for name, value in combo:
        flag = name.replace("_", "-")
        if fields[name] == "bool":
            flags.append(f"--{flag}" if value.lower() == "true" else f"--no-{flag}")
        else:
            flags += [f"--{flag}", value]
    return flags


def combo_label(script: str, combo: tuple) -> str:
    return " ".join([script] + [f"{name}={value}" for name, value in combo])


def folder_name(row: str) -> str:
    """A row's folder in --out: the script's name without .py; a path's "/" and a peer's ":" become "-"."""
    return row.removesuffix(".py").replace("/", "-").replace(":", "-").lstrip("-")


def run_folder(out: Path, row: str, combo: tuple, seed: int) -> Path:
    """<out>/<row>/[<name>=<value>,...]/seed<k>: the folder says which combination it holds."""
    folder = out / folder_name(row)
    if combo:
        folder = folder / ",".join(f"{name}={value}".replace("/", "-") for name, value in combo)
    return folder / f"seed{seed}"


def is_finished(folder: Path) -> bool:
    return any(folder.glob("runs/*/summary.json"))


def row_script(row: str) -> str:
    """The script whose arguments a row's runs take: the row's own, or the one a peer row copies."""
    return row.removeprefix("sb3:")


def row_files(row: str, args) -> list:
    """The files a row's run starts, as (name in a copy, path here): the script, or the peer and the script."""
    script = row_script(row)
    files = [(folder_name(script) + ".py", args.paths[script])]
    return [(PEER.name, PEER)] + files if row.startswith("sb3:") else files


def script_args(script: str, seed: int, combo: tuple, args, extra: list) -> list:
    """A run's arguments after the script's name."""
    fields = args.fields[row_script(script)]
    flags = ["--seed", str(seed), "--env-id", args.env_id, "--no-save-model"]
    if "torch_threads" in fields:
        flags += ["--torch-threads", str(args.num_cpus)]
    return flags + combo_flags(combo, fields) + extra


def run_local(files: list, flags: list, folder: Path, num_cpus: int) -> int:
    """One run as a subprocess on this machine, in its own folder."""
    env = dict(os.environ, OMP_NUM_THREADS=str(num_cpus), MKL_NUM_THREADS=str(num_cpus))
    with open(folder / "stdout.txt", "a") as log:  # a run that goes on from its checkpoint adds to its console
        code = subprocess.call([sys.executable, *[str(path) for _, path in files], *flags], cwd=folder, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    task = {"exit_code": code, "host": socket.gethostname(), "cwd": str(folder), "resumed": "--resume" in flags}
    (folder / "task.json").write_text(json.dumps(task, indent=2))
    return code


def ray_task(names: list, flags: list, num_cpus: int) -> dict:
    """On a Ray worker: one run in a fresh folder of that node; its files and exit code go back to the driver."""
    import ray

    paths = [os.path.join(os.getcwd(), name) for name in names]  # the task starts in this node's copy of the files
    folder = Path(tempfile.mkdtemp(prefix="benchmark-run-"))
    env = dict(os.environ, OMP_NUM_THREADS=str(num_cpus), MKL_NUM_THREADS=str(num_cpus))
    try:
        with open(folder / "stdout.txt", "w") as log:
            code = subprocess.call([sys.executable, *paths, *flags], cwd=folder, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        files = {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    node_id = ray.get_runtime_context().get_node_id()
    return {"files": files, "task": {"exit_code": code, "host": socket.gethostname(), "node_id": node_id,
                                     "cwd": os.getcwd()}}


def check_answers(address: str):
    """A cluster address that does not answer is one line, not a minute of Ray retrying."""
    if address == "auto":
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError):
        fail(f"no Ray cluster answers at {address}")


def run_on_ray(todo: list, args, report) -> str:
    """Each run a Ray task; Ray starts (or joins the cluster) once for all of them. Returns where they ran."""
    import ray

    stage = Path(tempfile.mkdtemp(prefix="benchmark-scripts-"))
    for row in args.rows:
        for name, path in row_files(row, args):
            shutil.copy(path, stage / name)
    options = dict(runtime_env={"working_dir": str(stage)}, logging_level="ERROR", log_to_driver=False)
    try:
        if args.ray_address:
            ray.init(address=args.ray_address, **options)
        else:
            ray.init(include_dashboard=False, **options)
    except (ConnectionError, RuntimeError) as e:
        shutil.rmtree(stage)
        fail(f"cannot join the Ray cluster at {args.ray_address}: {str(e).splitlines()[0]}")
    try:
        if __name__ != "__main__":  # imported (as by the tests): send ray_task's code, not a module name
            ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        nodes = [node for node in ray.nodes() if node["Alive"]]
        where = (f"a Ray cluster of {len(nodes)} nodes and {ray.cluster_resources().get('CPU', 0):g} CPUs, "
                 f"{args.num_cpus} per run")
        print(f"Ray: {where}", flush=True)
        task = ray.remote(num_cpus=args.num_cpus)(ray_task)
        pending = {}
        for row, combo, seed, folder, flags in todo:
            names = [name for name, _ in row_files(row, args)]
            pending[task.remote(names, flags, args.num_cpus)] = (row, combo, seed, folder)
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            script, combo, seed, folder = pending.pop(ref)
            try:
                result = ray.get(ref)
            except Exception as e:  # a task lost with its node, a worker that died, ...
                message = f"the Ray task failed: {type(e).__name__}: {e}"
                result = {"files": {"stdout.txt": message.encode()}, "task": {"exit_code": None, "error": message}}
            for name, data in result["files"].items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
            (folder / "task.json").write_text(json.dumps(result["task"], indent=2))
            report(script, combo, seed, result["task"]["exit_code"])
    finally:
        ray.shutdown()
        shutil.rmtree(stage, ignore_errors=True)
    return where


def script_sha256(path: Path) -> str:
    """What command.json keeps of a script's contents, so that a run is reused or resumed only by the same file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def same_command(saved: dict, command: dict) -> bool:
    """Whether a run folder's command.json records this command: its script, flags and the script's contents (a
    record from before the contents were kept is compared without them)."""
    if "sha256" not in saved:
        command = {key: value for key, value in command.items() if key != "sha256"}
    return saved == command


def checkpoint_to_resume(folder: Path, command: dict, resumable: bool) -> Path | None:
    """The checkpoint an unfinished run goes on from: its own (one run folder under runs/, one checkpoint.pt),
    made with the same script, flags and script contents. None where there is none, where the script cannot
    resume, and where the run's last start went on from it and ended neither stopped (exit 130 or 143, or
    killed by a signal) nor done: the script refused the checkpoint (a run whose training had ended, say) or
    failed on it, and would again."""
    saved = folder / "command.json"
    if not resumable or not saved.exists() or not same_command(json.loads(saved.read_text()), command):
        return None
    task = json.loads((folder / "task.json").read_text()) if (folder / "task.json").exists() else {}
    code = task.get("exit_code")
    if task.get("resumed") and code is not None and code >= 0 and code not in (130, 143):
        return None
    checkpoints = list(folder.glob("runs/*/checkpoint.pt"))
    return checkpoints[0].relative_to(folder) if len(checkpoints) == 1 else None


def prepare(jobs: list, out: Path, fields: dict, local: bool, digests: dict) -> tuple[list, list, list]:
    """The runs to make, the finished runs in `out` to reuse, and the unfinished ones that go on. A finished
    run is reused only if it was made with the same script, arguments and script contents (its folder's
    command.json; `digests` holds each row's sha256, none for a peer row); one made with others is refused,
    before anything runs. An unfinished run with a checkpoint of its own goes on from it with the script's
    --resume (on this machine); any other one's folder is moved aside, not deleted."""
    todo, reused, resumed = [], [], []
    for script, combo, seed, flags in jobs:
        folder = run_folder(out, script, combo, seed)
        command = {"script": script, "args": flags}
        if digests.get(script):
            command["sha256"] = digests[script]
        if is_finished(folder):
            saved = folder / "command.json"
            if not saved.exists():
                fail(f"{folder} holds a finished run that kept no record of its arguments; give another --out")
            saved = json.loads(saved.read_text())
            if not same_command({key: value for key, value in saved.items() if key != "sha256"}, command):
                fail(f"{folder} holds a finished run made with other arguments than `{script} {' '.join(flags)}`; "
                     "give another --out")
            if not same_command(saved, command):
                fail(f"{folder} holds a finished run made with another version of {script} (the file has changed "
                     "since); give another --out")
            reused.append((script, combo, seed))
            continue
        # a peer row's run (Stable-Baselines3) takes the script's flags but writes no checkpoint
        resumable = local and not script.startswith("sb3:") and "resume" in fields[row_script(script)]
        checkpoint = checkpoint_to_resume(folder, command, resumable)
        if checkpoint:
            resumed.append((script, combo, seed))
            # the folder and its command.json stay; only this start of the run adds the flag
            todo.append((script, combo, seed, folder, flags + ["--resume", str(checkpoint)], None))
            continue
        saved = folder / "command.json"
        if resumable and saved.exists() and list(folder.glob("runs/*/checkpoint.pt")):
            record = json.loads(saved.read_text())
            # an edited script starts its runs again: said, so that hours of training are not set aside quietly
            if record.get("args") == flags and not same_command(record, command):
                print(f"starting again: {script} seed {seed}: its checkpoint was made by another version of the script "
                      "(the folder is kept aside)", flush=True)
        todo.append((script, combo, seed, folder, flags, command))
    for *_, folder, _, command in todo:
        if command is None:  # goes on from its checkpoint, in its own folder
            continue
        if folder.exists():
            attempt = 1
            while folder.with_name(f"{folder.name}.unfinished{attempt}").exists():
                attempt += 1
            folder.rename(folder.with_name(f"{folder.name}.unfinished{attempt}"))
        folder.mkdir(parents=True)
        (folder / "command.json").write_text(json.dumps(command, indent=2))
    return [job[:5] for job in todo], reused, resumed


def read_run(folder: Path, threshold: float, window: int) -> dict:
    """The run's curve and figures from its events; {"failed": ...} for a run that did not finish."""
    if not folder.exists():
        return {}
    if not is_finished(folder):
        task = json.loads((folder / "task.json").read_text()) if (folder / "task.json").exists() else {}
        log = folder / "stdout.txt"
        tail = log.read_text(errors="replace").strip().splitlines()[-5:] if log.exists() else []
        code = task.get("exit_code")
        return {"failed": "no exit code (did not end)" if code is None else f"exit {code}", "tail": tail}
    run_dir = sorted(path.parent for path in folder.glob("runs/*/summary.json"))[-1]
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    # every start of the run (the first, and each that went on from a checkpoint) logs its hyperparameters first
    starts = sorted(event.wall_time for event in acc.Tensors("hyperparameters/text_summary"))
    start = starts[0]
    # a run whose budget ended before its first episode did has no return to read
    episodes = acc.Scalars("charts/episodic_return") if "charts/episodic_return" in tags["scalars"] else []
    steps = np.array([e.step for e in episodes], dtype=np.int64)
    returns = np.array([e.value for e in episodes], dtype=np.float64)
    walls = np.array([e.wall_time for e in episodes])
    # the wall seconds of a run that went on from a checkpoint leave out the time between its parts: from its
    # last episode before a later start to that start
    for later in starts[1:]:
        before = walls[walls < later]
        gap = later - (before.max() if len(before) else start)
        walls = np.where(walls >= later, walls - gap, walls)
    walls = walls - start
    run = {"steps": steps, "returns": returns, "solved_step": None, "solved_seconds": None}
    run["unmatched"] = json.loads((run_dir / "summary.json").read_text()).get("unmatched", [])
    run["episodes"] = len(returns)
    run["last"] = returns[-window:].mean() if len(returns) else None  # over fewer episodes where there are fewer
    if len(returns) >= window:
        # sums compared with window * threshold, not means with the threshold: a mean rounds (100 returns
        # of 195 average 194.99999999999994), while sums of whole returns are exact in float64
        window_sums = np.convolve(returns, np.ones(window), mode="valid")
        hits = np.nonzero(window_sums >= threshold * window)[0]
        if len(hits):
            index = hits[0] + window - 1
            run["solved_step"], run["solved_seconds"] = int(steps[index]), float(walls[index])
    if "charts/SPS" in tags["scalars"]:
        run["sps"] = acc.Scalars("charts/SPS")[-1].value
    for key in ("", "_std"):
        if f"eval/episodic_return{key}" in tags["scalars"]:
            run[f"eval{key}"] = acc.Scalars(f"eval/episodic_return{key}")[-1].value
    return run


def fewer(seed_runs: list, window: int) -> str:
    """What the mean of the last `window` episodes is over, where some seeds ended fewer episodes."""
    short = [r["episodes"] for r in seed_runs if 0 < r["episodes"] < window]
    none = sum(r["episodes"] == 0 for r in seed_runs)
    notes = [f"{len(short)} of {len(seed_runs)} seeds over fewer episodes: {min(short)}-{max(short)}"] if short else []
    notes += [f"{none} of {len(seed_runs)} seeds ended no episode"] if none else []
    return f" ({'; '.join(notes)})" if notes else ""


def number(value: float, fmt: str) -> str:
    return "never" if value == np.inf else "-" if np.isnan(value) else fmt.format(value)


def with_interval(statistic, values, fmt: str) -> str:
    """The statistic of the values and its 95% bootstrap interval, e.g. `500.0 [480.2, 500.0]`."""
    if not len(values):
        return "-"
    low, high = stats.interval(statistic, values)
    bounds = f" [{number(low, fmt)}, {number(high, fmt)}]" if not np.isnan(low) else ""
    return number(float(statistic(np.asarray(values, dtype=np.float64))), fmt) + bounds


def measures(seed_runs: list) -> dict:
    """Each seed's final return (the mean of its last episodes) and its steps to solve (inf: never)."""
    done = [r for r in seed_runs if "steps" in r]
    return {"final": [r["last"] for r in done if r["last"] is not None],
            "steps": [np.inf if r["solved_step"] is None else r["solved_step"] for r in done]}


def comparison(row: dict, base: dict) -> list:
    """The probability of improvement of a row over the baseline on both measures: cells of the table."""
    cells = []
    for key, higher in (("final", True), ("steps", False)):
        if not row[key] or not base[key]:
            cells += ["-", "-"]
            continue
        probability, low, high, verdict = stats.improvement(row[key], base[key], higher_is_better=higher)
        cells += [f"{probability:.2f}" + (f" [{low:.2f}, {high:.2f}]" if not np.isnan(low) else ""), verdict]
    return cells


def summarize(args, runs: dict, where: str, wall: float, head: str = "") -> str:
    lines = [head] if head else []
    for script, path in getattr(args, "paths", {}).items():  # an earlier version of a file, say
        if not path.is_relative_to(REPO):
            origin = commit(path.parent)
            origin = origin if origin == "not a git checkout" else f"commit {origin}"
            lines.append(f"- `{script}` is from outside this checkout: {origin}")
    lines += [""] if lines else []
    lines += [
        f"Env: {args.env_id}. Ran on {where}; one torch thread per CPU of a run.",
        f"Seeds: {' '.join(map(str, args.seeds))}; extra arguments: `{args.extra or 'none'}`."
        + (f" Wall time of the runs: {wall:,.0f} s." if wall else ""),
        f"Final return: the mean of a seed's last {args.window} training episodes. Solved: it reaches "
        f"{args.solve_threshold:g}. Brackets: 95% bootstrap intervals over the seeds (benchmark/stats.py); "
        "an unsolved seed counts as never solving.",
        "",
        "| row | solved | env steps to solve, median | final return, IQM | final return, mean "
        "| wall s to solve, median of solved | eval, IQM | steps/s, median |",
        "|---|---|---|---|---|---|---|---|",
    ]
    table = {}
    for row, combo in itertools.product(args.rows, args.combos):
        seed_runs = [runs[(row, combo, seed)] for seed in args.seeds]
        failed = sum("failed" in r for r in seed_runs)
        seed_runs = [r for r in seed_runs if "steps" in r]
        solved = [r for r in seed_runs if r["solved_step"] is not None]
        table[combo_label(row, combo)] = values = measures(seed_runs)
        lines.append(
            f"| {combo_label(row, combo)} | {len(solved)}/{len(args.seeds)}{f' ({failed} failed)' * bool(failed)} "
            f"| {with_interval(stats.median, values['steps'], '{:,.0f}')} "
            f"| {with_interval(stats.iqm, values['final'], '{:.1f}')}{fewer(seed_runs, args.window)} "
            f"| {with_interval(np.mean, values['final'], '{:.1f}')} "
            f"| {number(np.median([r['solved_seconds'] for r in solved]), '{:.1f}') if solved else '-'} "
            f"| {with_interval(stats.iqm, [r['eval'] for r in seed_runs if 'eval' in r], '{:.1f}')} "
            f"| {number(np.median([r['sps'] for r in seed_runs if 'sps' in r] or [np.nan]), '{:,.0f}')} |"
        )
    if args.baseline:
        lines += [
            "", f"Against `{args.baseline}`: the probability that a seed of the row does better than a seed of "
            "the baseline (a tie counts half; 0.5 is no difference), with its 95% stratified bootstrap interval. "
            "Better or worse only where the interval leaves 0.5 out and Mann-Whitney's rank test agrees "
            "(p < 0.05).", "",
            "| row | final return higher | verdict | solves in fewer steps | verdict |", "|---|---|---|---|---|",
        ]
        for label, values in table.items():
            if label != args.baseline:
                lines.append(f"| {label} | " + " | ".join(comparison(values, table[args.baseline])) + " |")
    for row in args.rows:  # a peer's runs say what of the script's settings they could not take
        items = next((r["unmatched"] for (run_row, _, _), r in runs.items() if run_row == row and r.get("unmatched")),
                     [])
        if items:
            lines += ["", f"Not matched in `{row}` (Stable-Baselines3 cannot be set up that way):", ""]
            lines += [f"- {item}" for item in items]
    lines += ["", f"Per seed (steps to solve / mean of the last {args.window} episodes / eval mean):", ""]
    failures = []
    for row, combo in itertools.product(args.rows, args.combos):
        cells = []
        for seed in args.seeds:
            r = runs[(row, combo, seed)]
            if "failed" in r:
                cells.append(f"seed {seed}: FAILED ({r['failed']})")
                failures.append((f"{combo_label(row, combo)}, seed {seed}, {r['failed']}", r["tail"]))
            elif not r:
                cells.append(f"seed {seed}: not run")
            else:
                solved = f"{r['solved_step']:,}" if r.get("solved_step") else "not solved"
                if r["last"] is None:
                    last = "no episode ended"
                else:
                    last = f"{r['last']:.1f}" + (f" (over {r['episodes']})" if r["episodes"] < args.window else "")
                cells.append(f"seed {seed}: {solved} / {last} / {r.get('eval', float('nan')):.1f}")
        lines.append(f"- {combo_label(row, combo)}: " + "; ".join(cells))
    if failures:
        lines += ["", "Failed runs (the end of their console output):"]
        for title, tail in failures:
            lines += ["", f"- {title}:", "", "  ```", *[f"  {line}" for line in tail], "  ```"]
    return "\n".join(lines) + "\n"


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each value and the up to window - 1 values before it."""
    sums = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def plot(args, path: Path, runs: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # a sweep gets a panel per row, its values in colours; otherwise the rows share one panel
    panels = [[row] for row in args.rows] if args.sweep else [args.rows]
    columns = min(2, len(panels))
    rows = (len(panels) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(8 * columns, 5 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, panel in zip(axes.flat, panels):
        for row, combo in itertools.product(panel, args.combos):
            curves = [runs[(row, combo, s)] for s in args.seeds if "steps" in runs[(row, combo, s)]]
            curves = [c for c in curves if len(c["steps"])]
            if not curves:
                continue
            end = min(c["steps"][-1] for c in curves)
            grid = np.linspace(0, end, 200)
            # smooth each seed over its last 10 episodes (fewer at the start), then put all seeds on one step grid
            smoothed = np.array([np.interp(grid, c["steps"], running_mean(c["returns"], 10)) for c in curves]).T
            label = f"{combo_label(folder_name(row), combo)} ({len(curves)} seeds)"
            line = ax.plot(grid, stats.iqm(smoothed), label=label)
            if len(curves) > 1:
                low, high = stats.interval(stats.iqm, smoothed, resamples=2_000)
                ax.fill_between(grid, low, high, alpha=0.15, color=line[0].get_color())
        ax.axhline(args.solve_threshold, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("env steps (summed over envs)")
        ax.set_ylabel("episodic return (mean of 10 episodes)")
        name = f"{folder_name(panel[0])}: " if len(panel) == 1 else ""
        ax.set_title(f"{name}IQM over seeds, 95% bootstrap band")
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    argv = tool_argv(argv)
    args = parse_args(argv)
    out = Path(args.out) if args.out else REPO / "benchmark" / "out" / time.strftime("%Y%m%d-%H%M%S")
    extra = args.extra.split()
    jobs = [(row, combo, seed) for row in args.rows for combo in args.combos for seed in args.seeds]
    where, wall = "the machines in each run's task.json (this page was read back with --summarize-only)", 0.0
    if not args.summarize_only:
        where = f"this machine, {args.workers} runs at a time"
        out.mkdir(parents=True, exist_ok=True)
        digests = {row: script_sha256(path) for row, path in args.paths.items()}
        todo, reused, resumed = prepare([(*job, script_args(job[0], job[2], job[1], args, extra)) for job in jobs],
                                        out, args.fields, local=args.cluster is None, digests=digests)
        print(f"{len(jobs)} runs into {out}: {len(reused)} finished there already with the same arguments, "
              f"{len(todo)} to run ({len(resumed)} of them from their checkpoints)", flush=True)
        for row, combo, seed in reused:
            print(f"reused: {combo_label(row, combo)} seed {seed}", flush=True)
        for row, combo, seed in resumed:
            print(f"resumed: {combo_label(row, combo)} seed {seed}", flush=True)
        if reused:
            where += f" ({len(reused)} of the {len(jobs)} runs reused from an earlier command into the same folder)"
        if resumed:
            where += (f" ({len(resumed)} of the {len(jobs)} runs went on from the checkpoints of an earlier command: "
                      "their wall seconds leave out the time between the parts)")

        def report(row, combo, seed, code):
            outcome = "done" if code == 0 else f"FAILED ({'lost' if code is None else f'exit {code}'})"
            print(f"{combo_label(row, combo)} seed {seed}: {outcome}", flush=True)

        start = time.time()
        if args.cluster == "ray":
            where = run_on_ray(todo, args, report)
        else:
            with ThreadPoolExecutor(args.workers) as pool:
                futures = {}
                for row, combo, seed, folder, flags in todo:
                    future = pool.submit(run_local, row_files(row, args), flags, folder, args.num_cpus)
                    futures[future] = (row, combo, seed)
                for future in futures:
                    report(*futures[future], future.result())
        wall = time.time() - start
        print(f"runs took {wall:,.0f} s", flush=True)
    runs = {job: read_run(run_folder(out, *job), args.solve_threshold, args.window) for job in jobs}
    page = summarize(args, runs, where, wall, head=stamp("benchmark/run.py", argv))
    report_path = out / args.report
    report_path.write_text(page)
    plot(args, report_path.with_suffix(".png"), runs)
    print(page)
    print(f"wrote {report_path} and {report_path.with_suffix('.png')}")
    return runs


if __name__ == "__main__":
    main()
