"""The writer of benchmark/mujoco_copies.py and benchmark/vizdoom_copies.py: a rung with lines replaced."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_copies(rung: str, copies: dict, argv: list):
    """Writes each copy of `rung` (a file name in the repo) into the folder `argv` names."""
    if len(argv) != 1:
        print("error: give the folder to write the copies to", file=sys.stderr)
        sys.exit(2)
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    rung_text = (REPO / rung).read_text()
    for name, replacements in copies.items():
        text = rung_text
        for old, new in replacements:
            if text.count(old) != 1:
                print(f"error: {name}: {rung} no longer has the line {old.splitlines()[0].strip()!r}",
                      file=sys.stderr)
                sys.exit(1)
            text = text.replace(old, new)
        (out / name).write_text(text)
        print(f"wrote {out / name}")
