"""Bad input, one row each: the error type and a message naming the field and value.

Rows run the real entry points (tree builder, config parser, unit input reader, data
loader, grid simulator, the cells scenario's command line); a hypothesis test fuzzes
the MAS configuration inside a real mosaik world: a clean run or one of our documented
errors, never a hang or a raw error from deep inside.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import mosaik
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mosaik_components.mas.model.errors import ConfigError, HierarchyError, MasError, StateError
from mosaik_components.mas.model.hierarchy import build_tree
from mosaik_components.mas.mosaik.config import parse_config
from mosaik_components.mas.mosaik.unit_io import unit_state
from mosaik_components.massca.scenarios import cells  # noqa: E402
from mosaik_components.massca_grid.simulator import GridSimulator
from mosaik_components.massca_units.timeseries import load_table
from tests.conftest import SIM_CONFIG
from tests.integration.helpers import build_two_cells

CORE = {"core": "core"}


def tree(parents: dict[str, str | None]) -> Callable[[], object]:
    return lambda: build_tree(parents, CORE)


def data_file(tmp: Path, text: str) -> Callable[[], object]:
    path = tmp / "data.csv"
    path.write_text(text)
    return lambda: load_table(path, ["GHI"])


def grid(tmp: Path, text: str | None) -> Callable[[], object]:
    path = tmp / "grid.json"
    if text is not None:
        path.write_text(text)

    def create() -> object:
        sim = GridSimulator()
        sim.init("Grid-0", 1.0, step_size=None)
        return sim.create(1, "Grid", json=str(path))
    return create


def cli(*argv: str) -> Callable[[], object]:
    return lambda: cells.parse_args(list(argv))


ROWS: dict[str, tuple[Callable[[Path], Callable[[], object]], type, str]] = {
    "unknown controller eid": (
        lambda t: tree({"core": None, "u": "Agent_99"}), HierarchyError,
        r"entity 'u': controller 'Agent_99' is not an entity of this MAS simulator"),
    "cycle in the tree": (
        lambda t: tree({"core": None, "a": "b", "b": "a"}), HierarchyError,
        r"cycle in the controller tree: a -> b -> a"),
    "self as controller": (
        lambda t: tree({"core": None, "a": "a"}), HierarchyError,
        r"entity 'a' names itself as its controller"),
    "two cores": (
        lambda t: (lambda: build_tree({"c1": None, "c2": None}, {"c1": "core",
                                                                  "c2": "core"})),
        HierarchyError, r"only one core agent per MAS simulator, got \['c1', 'c2'\]"),
    "duplicate timestamps in a data file": (
        lambda t: data_file(t, "time,GHI\n2019-01-01 00:00,1\n2019-01-01 00:00,2\n"),
        ValueError, r"timestamps must increase at one fixed frequency"),
    "negative min": (
        lambda t: (lambda: unit_state("u", "producer", {"current": 1.0, "min": -1.0}, {})),
        StateError, r"u.production: production/consumption magnitudes must be >= 0, "
                    r"got current=1.0, min=-1.0"),
    "swapped min/max": (
        lambda t: (lambda: unit_state("u", "prosumer", {"P[MW]": 0.0, "P_min[MW]": 2.0,
                                                        "P_max[MW]": -2.0}, {})),
        StateError, r"u: P_min\[MW\] \(2.0\) is greater than P_max\[MW\] \(-2.0\)"),
    "non-numeric input": (
        lambda t: (lambda: unit_state("u", "producer", {"current": "7"}, {})),
        StateError, r"u.production.current must be a number, got '7'"),
    "missing input": (
        lambda t: (lambda: unit_state("u", "consumer", {}, {})), StateError,
        r"unit 'u' \(consumer\): no power input this step"),
    "unknown input attribute": (
        lambda t: (lambda: unit_state("u", "producer", {"P": 1.0}, {})), StateError,
        r"unit 'u': unknown input attribute\(s\) \['P'\]"),
    "unknown strategy": (
        lambda t: (lambda: parse_config({"strategy": "greedy"})), ConfigError,
        r"strategy: unknown name 'greedy'; known: \['balance', 'grid_aware', 'lookahead'\]"),
    "malformed grid JSON": (
        lambda t: grid(t, '{"not": "a net"'), ValueError,
        r"Grid json='.*grid.json': not a pandapower network file"),
    "grid JSON that is not a network": (
        lambda t: grid(t, '{"a": 1}'), ValueError,
        r"Grid json='.*grid.json': not a pandapower network file"),
    "missing grid JSON": (
        lambda t: grid(t, None), ValueError, r"Grid json='.*grid.json': no such file"),
    "missing data file": (
        lambda t: (lambda: load_table(t / "nope.csv", ["GHI"])), FileNotFoundError,
        r"data file '.*nope.csv' does not exist"),
    "malformed data file": (
        lambda t: data_file(t, "time,GHI\n2019-01-01 00:00,sunny\n"), ValueError,
        r"column 'GHI' at 2019-01-01 00:00:00 is not a"),
    "data file without the column": (
        lambda t: data_file(t, "time,DNI\n2019-01-01 00:00,1\n"), ValueError,
        r"missing column\(s\) \['GHI'\]"),
    "negative cells": (
        lambda t: cli("--cells", "-2"), SystemExit, r"argument --cells: must be >= 1, got -2"),
    "depth 0": (lambda t: cli("--depth", "0"), SystemExit,
                r"argument --depth: must be >= 1, got 0"),
    "until < step": (lambda t: cli("--until", "600"), SystemExit,
                     r"argument --until: 600 s is shorter than --step 900 s"),
    "negative seed": (lambda t: cli("--seed", "-1"), SystemExit,
                      r"argument --seed: must be >= 0, got -1"),
    "containers 0": (lambda t: cli("--containers", "0"), SystemExit,
                     r"argument --containers: must be >= 1, got 0"),
}


@pytest.mark.parametrize("row", sorted(ROWS))
def test_bad_input_names_field_and_value(row, tmp_path, capsys):
    make, error, message = ROWS[row]
    with pytest.raises(error) as caught:
        make(tmp_path)()
    text = capsys.readouterr().err if error is SystemExit else str(caught.value)
    assert caught.type is error
    assert re.search(message, text), (message, text)


# -- fuzzing the MAS configuration in a real world ------------------------------------
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                   st.sampled_from(["balance", "cohda", "tcp", "mqtt", "curtail", "strategy",
                                    "127.0.0.1:1", "0.0.0.0"]),
                   st.dictionaries(st.sampled_from(["levels", "neighbours", "rewire",
                                                    "max_updates", "x"]),
                                   st.integers(-1, 12), max_size=3))
KEYS = st.sampled_from(["strategy", "surplus_priority", "timeout", "tolerance",
                        "max_iterations", "host", "port", "verbose", "within_cell",
                        "between_cells", "cohda", "seed", "containers", "transport",
                        "topic", "performance", "bogus"])


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES, max_size=4))
def test_fuzzed_config_runs_cleanly_or_fails_with_a_documented_error(params):
    params.setdefault("timeout", 5.0)
    world = mosaik.World(SIM_CONFIG)
    try:
        build_two_cells(world, weak=True, mas_params=params)
        world.run(until=900)
    except MasError:
        pass  # one of ours: ConfigError, StateError, ... with a message naming the value
    finally:
        if not world.loop.is_closed():
            world.shutdown()
