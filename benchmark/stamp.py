"""The head of every page the benchmark tools write: what ran, from which code, when, where, with what.

A figure copied from such a page into the docs can be traced back to the exact command and commit, and
a reader can tell whether it was measured on a machine like theirs.
"""

import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ["torch", "gymnasium", "ale-py", "vizdoom", "mujoco", "numpy", "scipy", "stable-baselines3"]


def commit(checkout: Path = REPO) -> str:
    """The commit checked out, and whether the tree differs from it (a figure of uncommitted code says so)."""
    def git(*argv):
        return subprocess.run(["git", *argv], cwd=checkout, capture_output=True, text=True, check=True).stdout.rstrip()

    try:
        head = git("rev-parse", "--short", "HEAD").strip()
        changed = git("status", "--porcelain").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    if not changed:
        return f"{head} (no uncommitted changes)"
    files = ", ".join(line[3:] for line in changed[:5]) + (", ..." if len(changed) > 5 else "")
    return f"{head} with uncommitted changes to {len(changed)} file{'s' * (len(changed) > 1)}: {files}"


def cpu() -> str:
    """The CPU's model, its cores and the instruction sets that change speed here."""
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    has = {"AVX-512": "avx512f", "AVX512_BF16": "avx512_bf16", "AMX": "amx_tile"}
    sets = ", ".join(f"{name} {'yes' if flag in flags else 'no'}" for name, flag in has.items())
    return f"{model}, {os.cpu_count()} cores ({sets})"


def gpu() -> str:
    try:
        result = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                                text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    names = result.stdout.strip().splitlines() if result.returncode == 0 else []
    return ", ".join(names) or "none"


def versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for package in PACKAGES:
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def stamp(tool: str, argv: list) -> str:
    """The page's head in markdown: `python <tool> <argv>` as typed, commit, date, machine, versions."""
    command = shlex.join(["python", tool, *argv])
    return "\n".join([
        f"- Command: `{command}`",
        f"- Commit: {commit()}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Machine: {cpu()}; GPU: {gpu()}",
        f"- Versions: {versions()}",
    ])


def tool_argv(argv) -> list:
    """The arguments the tool was given: its own command line's, unless a caller (a test) passed them."""
    return list(sys.argv[1:] if argv is None else argv)
