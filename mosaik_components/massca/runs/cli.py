"""``massca runs``: list the runs below a root (name, kind, status, configuration, time).

Rebuilds ``index.json`` from the run folders on the way (``--no-index`` only reads).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .index import DEFAULT_ROOT, scan, write_index

__all__ = ["main", "describe"]

#: configuration keys shown in the listing, when a run has them
SHOWN = ("cells", "depth", "strategy", "within_cell", "between_cells", "seed", "until",
         "no_mas")


def describe(entry: dict[str, Any]) -> str:
    """One line for a run: name, kind, status, its main settings, wall time."""
    config = entry.get("config") or {}
    settings = " ".join(f"{key}={config[key]}" for key in SHOWN if key in config)
    wall = entry.get("wall_s")
    took = f"{wall:.1f} s" if isinstance(wall, int | float) else "-"
    return f"{entry['name']:32s} {entry.get('kind') or '?':8s} {entry['status']:11s} " \
           f"{took:>9s}  {settings}"


def main(argv: list[str] | None = None) -> int:
    """Print one line per run, oldest first."""
    parser = argparse.ArgumentParser(prog="massca runs", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help=f"the folder of run folders (default {DEFAULT_ROOT})")
    parser.add_argument("--no-index", action="store_true", help="do not rewrite index.json")
    args = parser.parse_args(argv)
    entries = scan(args.root)
    if not args.no_index and args.root.is_dir():
        write_index(args.root)
    if not entries:
        print(f"no runs in {args.root}")
        return 0
    print(f"{'name':32s} {'kind':8s} {'status':11s} {'wall':>9s}  settings")
    for entry in entries:
        print(describe(entry))
    return 0
