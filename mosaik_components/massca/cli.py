"""The ``massca`` command: one entry point for every job, importing only what it runs.

    massca cells [options]     the power-cells scenario (the main scenario)
    massca study [options]     the cells scenario's strategies side by side (KPI table)
    massca demo [options]      a small grid-free example
    massca cohda [options]     COHDA vs balance within and between cells
    massca neighbourhood ...   peer-to-peer neighbourhood scheduling (PySSMic)
    massca market [options]    a local energy market among homes
    massca sweep ...           scalability sweeps (run, merge, report)
    massca runs [--root DIR]   list the runs (folders with run.json) and rebuild the index
    massca compare RUN...      KPIs side by side, overlay plots, spread over seeds
    massca ui [--port P]       the web app (loopback): create, follow, view, compare runs

``massca COMMAND --help`` shows a command's options.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["COMMANDS", "main"]

#: command -> (module, function taking argv and returning the exit status, summary)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "cells": ("mosaik_components.massca.scenarios.cells", "cli",
              "the power-cells scenario (grid, units, agents)"),
    "study": ("mosaik_components.massca.scenarios.study", "cli",
              "uncontrolled vs balance vs lookahead vs grid_aware, one KPI table"),
    "demo": ("mosaik_components.massca.scenarios.demo", "cli",
             "a small grid-free example"),
    "cohda": ("mosaik_components.massca.scenarios.cohda", "cli",
              "COHDA vs balance within and between cells"),
    "neighbourhood": ("mosaik_components.massca.scenarios.neighbourhood", "cli",
                      "peer-to-peer neighbourhood scheduling (PySSMic)"),
    "market": ("mosaik_components.massca.scenarios.market", "cli",
               "a local energy market among homes (mango agents, mosaik)"),
    "sweep": ("mosaik_components.massca.sweep.runner", "main",
              "scalability sweeps: run, merge, report"),
    "runs": ("mosaik_components.massca.runs.cli", "main", "list the runs (and rebuild the index)"),
    "compare": ("mosaik_components.massca.compare", "main", "compare runs: KPIs, overlays, spread"),
    "ui": ("mosaik_components.massca.ui.app", "main", "the web app: create, follow, compare runs"),
}


def usage() -> str:
    """The top-level help text."""
    lines = ["usage: massca COMMAND [options]", "", "commands:"]
    lines += [f"  {name:8s} {summary}" for name, (_, _, summary) in COMMANDS.items()]
    lines += ["", "massca COMMAND --help shows a command's options; massca --version its version."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status (2 for an unknown command)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] == "--version":
        from . import __version__

        print(f"massca {__version__}")
        return 0
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"massca: error: unknown command {args[0]!r}; choose from "
              f"{', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module, function, _ = command
    return int(getattr(importlib.import_module(module), function)(args[1:]) or 0)
