"""Hook-call tracing for the MASSCA parity check (``massca_parity.py --trace``).

Run as ``python massca_parity_trace.py TRACE.jsonl scenario.py [flags]`` in the
scenario's folder: it wraps ``mosaik.World.start`` so that the MAS's hooks
(``input_method``, ``states_agg_method``/``aggregation_method``, ``execute_method``,
``output_method``) record their arguments and results, marks every ``step`` of the MAS
simulator, and then runs the scenario file unchanged (``runpy``). Works with massca and
with MASSCA (only the standard library and numpy are used).

:func:`compare_traces` matches two traces step by step: per step and per (hook, agent),
the calls in order, values equal within a tolerance.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import runpy
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HOOKS = {"input_method": "input", "states_agg_method": "aggregate",
         "aggregation_method": "aggregate", "execute_method": "execute",
         "output_method": "output"}
#: The positional/keyword arguments recorded per hook (the rest, **params, differ by design).
ARGS = {
    "input": ["aeid", "aid", "input_data", "current_state", "current_time", "first_time_step"],
    "aggregate": ["aeid", "aid", "requested_states", "current_state"],
    "execute": ["aeid", "aid", "instruction", "current_state", "requested_states"],
    "output": ["aeid", "aid", "attrs", "current_state", "converged", "current_time_step",
               "first_time_step"],
}


def plain(value: Any) -> Any:
    """JSON-able form: numpy scalars as numbers, tuples as lists, keys as strings."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, str):
        try:
            return value.item()
        except (ValueError, TypeError):
            return repr(value)
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return repr(value)


class Recorder:
    """Appends one JSON line per hook call and per MAS step."""

    def __init__(self, path: Path) -> None:
        self.file = open(path, "w")  # noqa: SIM115 - open for the whole run

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def hook(self, kind: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` recording its named arguments and its result."""
        names = ARGS[kind]

        @functools.wraps(function)
        def traced(*args: Any, **kwargs: Any) -> Any:
            named = dict(zip(names, args, strict=False))
            named.update({k: v for k, v in kwargs.items() if k in names})
            before = plain(named)
            result = function(*args, **kwargs)
            self.write({"kind": kind, "agent": before.get("aeid"), "args": before,
                        "result": plain(result)})
            return result

        return traced

    def step(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """The MAS's ``step`` with a marker (a generator stays a generator)."""
        if inspect.isgeneratorfunction(method):
            @functools.wraps(method)
            def step_gen(sim: Any, time: int, *args: Any) -> Any:
                self.write({"kind": "step", "time": time})
                return (yield from method(sim, time, *args))
            return step_gen

        @functools.wraps(method)
        def step(sim: Any, time: int, *args: Any) -> Any:
            self.write({"kind": "step", "time": time})
            return method(sim, time, *args)
        return step


def install(path: Path) -> None:
    """Wrap the MAS's hooks (through ``World.start``) and its ``step``."""
    import mosaik

    from mosaik_components.mas import MosaikAgents

    recorder = Recorder(path)
    MosaikAgents.step = recorder.step(MosaikAgents.step)
    start = mosaik.World.start

    def traced_start(world: Any, sim_name: str, **params: Any) -> Any:
        for name, kind in HOOKS.items():
            if callable(params.get(name)):
                params[name] = recorder.hook(kind, params[name])
        return start(world, sim_name, **params)

    mosaik.World.start = traced_start


def _segments(path: Path) -> list[dict[tuple[str, str], list[dict[str, Any]]]]:
    segments: list[dict[tuple[str, str], list[dict[str, Any]]]] = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record["kind"] == "step":
            segments.append(defaultdict(list))
            segments[-1][("step", "")].append(record)
        elif segments:
            segments[-1][(record["kind"], str(record["agent"]))].append(record)
    return segments


def _close(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tolerance) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tolerance
    return bool(a == b)


def compare_traces(orig: Path, ours: Path, tolerance: float, show: int = 3) -> int:
    """Print how the hook calls differ; returns how many differ in their *results*.

    Per MAS step and (hook, agent): the calls in order. A group whose arguments differ but
    whose results are equal is reported apart (e.g. MASSCA a5 handing ``output_method``
    the previous cycle's instruction at the converging cycle, where it returns the same).
    """
    a, b = _segments(orig), _segments(ours)
    print(f"trace: {len(a)} MAS steps in MASSCA, {len(b)} in massca")
    counts: dict[str, int] = defaultdict(int)
    for seg in a:
        for (kind, _), records in seg.items():
            counts[kind] += len(records)
    print("trace: hook calls in MASSCA: " + ", ".join(f"{k} {v}" for k, v in sorted(
        counts.items())))
    results: list[tuple[int, tuple[str, str], Any, Any]] = []
    arguments: dict[str, int] = defaultdict(int)
    for index, (sa, sb) in enumerate(zip(a, b, strict=False)):
        for key in sorted(set(sa) | set(sb)):
            ra, rb = sa.get(key, []), sb.get(key, [])
            if _close(ra, rb, tolerance):
                continue
            same = len(ra) == len(rb) and all(
                _close(x.get("result"), y.get("result"), tolerance) for x, y in zip(ra, rb,
                                                                                  strict=True))
            if same:
                arguments[key[0]] += 1
            else:
                results.append((index, key, ra, rb))
    print(f"trace: (step, hook, agent) groups with equal results but other arguments: "
          f"{dict(arguments) or 0}")
    print(f"trace: groups whose results differ: {len(results)}")
    for index, key, ra, rb in results[:show]:
        print(f"  step #{index} {key}: MASSCA {json.dumps(ra)[:400]}")
        print(f"  {' ' * len(f'step #{index} {key}:')} massca {json.dumps(rb)[:400]}")
    return len(results) + abs(len(a) - len(b))


def main(argv: list[str]) -> None:
    """``TRACE.jsonl scenario.py [flags]``: trace and run the scenario."""
    trace, script, *flags = argv
    install(Path(trace))
    sys.argv = [script, *flags]
    sys.path.insert(0, str(Path(script).resolve().parent))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
