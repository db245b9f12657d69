"""What the web app may launch: a validated scenario and its command lines."""

import datetime as dt
import sys
from pathlib import Path

import pytest

from mosaik_components.massca.scenarios import cells
from mosaik_components.massca.ui.spec import RunSpec


@pytest.mark.parametrize(("fields", "message"), [
    ({"cells": 0}, r"cells: must be within \[1, 50\], got 0"),
    ({"depth": 2.5}, "depth: must be a whole number, got 2.5"),
    ({"runs": 11}, r"runs: must be within \[1, 10\], got 11"),
    ({"strategy": "os:system"}, "strategy: must be one of"),
    ({"within_cell": "market"}, "within_cell: must be one of"),
    ({"start": "yesterday"}, "start: not a date, got 'yesterday'"),
    ({"start": "2019-06-21 00:07"}, "start: a local time on the 15-min grid"),
    ({"start": "2019-12-31", "hours": 48}, "the data covers 2019"),
    ({"der_scale": float("inf")}, r"der_scale: must be a number within \[0, 100\]"),
    ({"prefix": "../x"}, "name: letters, digits"),
])
def test_bad_fields_are_named(fields, message):
    with pytest.raises(ValueError, match=message):
        RunSpec.checked(**fields)


def test_runs_are_seeds_and_their_command_lines_parse(tmp_path):
    spec = RunSpec.checked(cells=2, hours=6, seed=7, runs=3, prefix="june")
    names = spec.names()
    assert names == ["june-s7", "june-s8", "june-s9"]
    argv = spec.argv(names[1], 8, tmp_path)
    assert argv[:4] == [sys.executable, "-m", "mosaik_components.massca", "cells"]
    args = cells.parse_args(argv[4:])  # what the run will get
    assert (args.cells, args.seed, args.until, args.name, args.status_port) == (
        2, 8, 6 * 3600, "june-s8", 0)
    assert args.runs == Path(tmp_path)
    unnamed = RunSpec.checked().names(dt.datetime(2026, 1, 2, 3, 4, 5))
    assert unnamed == ["ui-20260102-030405-s42"]
    baseline = cells.parse_args(RunSpec.checked(no_mas=True).argv("b", 1, tmp_path)[4:])
    assert baseline.no_mas and baseline.status_port is None
