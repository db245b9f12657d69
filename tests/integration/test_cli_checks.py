"""Every user mistake of the issue: ``error: ...`` and exit 1 before any simulation work.

The cells scenario's command line is parsed and checked (against the shipped data, the
machine, and the MAS's own parameter parser); nothing is built. The worker's command
line fails cleanly too.
"""

from __future__ import annotations

import re
import sys

import pytest

from mosaik_components.mas.runtime.workers import worker
from mosaik_components.massca.scenarios import cells, checks

MISTAKES = {
    "start off the data grid": (
        ["--data", "cigre", "--start", "2019-06-21 00:07"],
        r"argument --start: 2019-06-21 00:07:00 is not on the data's 15 min grid"),
    "start outside the data": (
        ["--data", "cigre", "--start", "2020-06-01"],
        r"argument --start: 2020-06-01 00:00:00 is outside the data \(2019-01-01 00:00:00 "
        r"\.\. 2019-12-31 23:45:00"),
    "span past the data's end": (
        ["--data", "cigre", "--start", "2019-12-31", "--days", "2"],
        r"the simulated span ends at 2020-01-01 23:45:00 .* after the data ends "
        r"\(2019-12-31 23:45:00"),
    "der-scale inf": (["--der-scale", "inf"],
                      r"argument --der-scale: must be a finite number, got inf"),
    "der-scale 1e308": (["--der-scale", "1e308"],
                        r"argument --der-scale: must be <= 20 .* got 1e\+308"),
    "timeout inf": (["--timeout", "inf"], r"argument --timeout: must be a finite number"),
    "unknown strategy": (["--strategy", "foo"], r"agents: strategy: unknown name 'foo'"),
    "broker on the network": (["--transport", "mqtt", "--broker", "10.0.0.5:1883"],
                              r"agents: '10\.0\.0\.5' is not loopback"),
    "topic with a wildcard": (["--transport", "mqtt", "--topic", "a/#"],
                              r"agents: topic must be a non-empty MQTT topic without "
                              r"wildcards, got 'a/#'"),
}


@pytest.mark.parametrize("argv, message", MISTAKES.values(), ids=MISTAKES.keys())
def test_mistakes_exit_1_before_the_run(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cells.parse_args([*argv, "--out", str(tmp_path / "out")])
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert re.search(r"^error: " + message, err, re.MULTILINE), err
    assert not (tmp_path / "out").exists()  # nothing created for a run that never starts


def test_out_naming_a_file(tmp_path, capsys):
    (tmp_path / "results").write_text("not a folder")
    with pytest.raises(SystemExit) as stopped:
        cells.parse_args(["--out", str(tmp_path / "results")])
    assert stopped.value.code == 1
    assert "argument --out: " in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cells.parse_args(["--out", str(tmp_path / "results" / "sub")])
    assert "cannot write in" in capsys.readouterr().err


def test_parquet_without_an_engine(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if pyarrow were not installed
    with pytest.raises(SystemExit) as stopped:
        cells.parse_args(["--format", "parquet", "--out", str(tmp_path)])
    assert stopped.value.code == 1
    assert "error: argument --format: format 'parquet' needs pyarrow" in capsys.readouterr().err


def test_a_good_command_line_passes_and_names_the_topic(tmp_path):
    # the data's last half hour: no planning horizon beyond it with balance
    args = cells.parse_args(["--transport", "mqtt", "--topic", "lab/a", "--out",
                             str(tmp_path / "out"), "--data", "cigre", "--strategy", "balance",
                             "--start", "2019-12-31 23:30", "--until", "1800"])
    assert checks.mas_params(args)["topic"] == "lab/a"
    assert (tmp_path / "out").is_dir()


@pytest.mark.parametrize("argv, message", [
    (["--host", "10.0.0.5"], r"--host 10\.0\.0\.5 is not loopback: pass --allow-remote"),
    (["--host", "10.0.0.5", "--allow-remote", "--secret-file", "{key}"],
     r"cannot listen on 10\.0\.0\.5:0: "),
    ([], r"a worker needs the run's secret: --secret-file FILE"),
    (["--secret-file", "{short}"], r"secret_file .*: a secret needs at least 16 bytes"),
])
def test_worker_command_line_mistakes(argv, message, tmp_path, capsys):
    (tmp_path / "key").write_text("k" * 64)
    (tmp_path / "short").write_text("k")
    argv = [a.format(key=tmp_path / "key", short=tmp_path / "short") for a in argv]
    with pytest.raises(SystemExit) as stopped:
        worker.main(argv)
    assert stopped.value.code == 1
    assert re.search(r"^error: " + message, capsys.readouterr().err, re.MULTILINE)
