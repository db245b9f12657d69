"""A sweep's configuration: defaults < config file < command line, validated once up front.

Every value of ``massca sweep run`` is checked here, before the first point starts: types
are strict (``"cells": "5"`` is an error, not 5), ranges and the shard are checked, the
strategy must be a built-in name or a ``module:Class`` that imports, the Dask executor
must be installed, and the output folder must be writable. Errors are
:class:`SweepConfigError` naming the field, the value and where it came from.
"""

from __future__ import annotations

import importlib
import json
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["DEFAULTS", "SweepConfig", "SweepConfigError", "int_range", "load_file",
           "parse_shard", "resolve"]

#: The defaults of ``massca sweep run``: MASSCA's grid, one day, one run at a time.
DEFAULTS: dict[str, Any] = {
    "cells": [5, 50, 5], "depth": [1, 10, 1], "attempts": 5, "seed": 13, "until": 86400,
    "strategy": "balance", "jobs": 1, "shard": "1/1", "timeout": None,
    "out": "results/sweep", "executor": "threads", "scheduler": None,
}
STEP_S = 900  # the scenario's data grid (15 min)


class SweepConfigError(ValueError):
    """A sweep option or config value is wrong; the message names field and value."""


def int_range(values: list[int], name: str) -> list[int]:
    """``[start, stop, step]`` (inclusive) or ``[n]`` as a list; errors name the option."""
    if len(values) == 1:
        start = stop = values[0]
        step = 1
    elif len(values) == 3:
        start, stop, step = values
    else:
        raise SweepConfigError(f"{name}: give N or START STOP STEP, got {values}")
    if start < 1 or stop < start or step < 1:
        raise SweepConfigError(
            f"{name}: need 1 <= START <= STOP and STEP >= 1, got {values}")
    return list(range(start, stop + 1, step))


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` with 1 <= K <= N as ``(K, N)``."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise SweepConfigError(f"shard: must look like K/N, got {text!r}") from None
    if not 1 <= k <= n:
        raise SweepConfigError(f"shard: K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def check_strategy(name: str) -> str:
    """A built-in strategy name or an importable ``module:Class``."""
    from mosaik_components.mas.strategies import STRATEGIES

    if name in STRATEGIES:
        return name
    if ":" not in name:
        raise SweepConfigError(f"strategy: unknown name {name!r}; known: "
                               f"{sorted(STRATEGIES)} or 'package.module:Class'")
    module, _, attr = name.partition(":")
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SweepConfigError(f"strategy: cannot import {name!r}: {exc}") from None
    if not callable(found):
        raise SweepConfigError(f"strategy: {name!r} is not a class")
    return name


class SweepConfig(BaseModel):
    """The validated options of one sweep (see ``massca sweep run --help``)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    cells: list[int]
    depth: list[int]
    attempts: int = Field(ge=1)
    seed: int
    until: int = Field(ge=STEP_S)
    strategy: str
    jobs: int = Field(ge=1)
    shard: tuple[int, int]
    timeout: float | None
    out: Path
    executor: Literal["threads", "dask"]
    scheduler: str | None

    @field_validator("cells", "depth", mode="before")
    @classmethod
    def _range(cls, value: Any, info: Any) -> list[int]:
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ValueError(f"give N or [START, STOP, STEP] as integers, got {value!r}")
        return int_range(list(value), info.field_name)

    @field_validator("shard", mode="before")
    @classmethod
    def _shard(cls, value: Any) -> tuple[int, int]:
        if not isinstance(value, str):
            raise ValueError(f"must be a string 'K/N', got {value!r}")
        return parse_shard(value)

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number of seconds, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"must be finite and > 0 s, got {value!r}")
        return float(value)

    @field_validator("out", mode="before")
    @classmethod
    def _out(cls, value: Any) -> Path:
        if not isinstance(value, str | Path) or not str(value):
            raise ValueError(f"must be a folder path (a string), got {value!r}")
        return Path(value)

    @field_validator("strategy", mode="after")
    @classmethod
    def _strategy(cls, value: str) -> str:
        return check_strategy(value)

    @field_validator("scheduler", mode="after")
    @classmethod
    def _scheduler(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be an address like tcp://HOST:PORT, got ''")
        return value

    def scenario_options(self) -> dict[str, Any]:
        """What every point needs besides its cells, depth and attempt (plain data)."""
        return {"seed": self.seed, "until": self.until, "strategy": self.strategy,
                "timeout": self.timeout}


def load_file(path: Path) -> dict[str, Any]:
    """A JSON or TOML file with ``run`` options as keys (unknown keys are an error)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise SweepConfigError(f"--config: cannot read {str(path)!r}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise SweepConfigError(f"--config {path}: not valid {path.suffix[1:] or 'JSON'}: "
                               f"{exc}") from None
    if not isinstance(data, dict):
        raise SweepConfigError(f"--config {path}: must hold an object of options, "
                               f"got {type(data).__name__}")
    unknown = set(data) - set(DEFAULTS)
    if unknown:
        raise SweepConfigError(f"--config {path}: unknown key(s) {sorted(unknown)}; "
                               f"known: {sorted(DEFAULTS)}")
    return data


def resolve(file: Path | None, cli: dict[str, Any]) -> SweepConfig:
    """Merge defaults, the config file and the command line (``None`` = not given)."""
    from_file = load_file(file) if file is not None else {}
    given = {k: v for k, v in cli.items() if v is not None and k in DEFAULTS}
    merged = {**DEFAULTS, **from_file, **given}
    if merged["scheduler"] is not None and "executor" not in {**from_file, **given}:
        merged["executor"] = "dask"  # a scheduler implies the Dask executor
    try:
        config = SweepConfig(**merged)
    except ValidationError as exc:
        raise SweepConfigError(_explain(exc, from_file, given, file)) from None
    except SweepConfigError as exc:  # raised by int_range/parse_shard outside a validator
        raise SweepConfigError(str(exc)) from None
    if config.scheduler is not None and config.executor != "dask":
        raise SweepConfigError(f"scheduler: {config.scheduler!r} needs the executor 'dask', "
                               f"got executor {config.executor!r}")
    if config.executor == "dask":
        _require_dask()
    return config


def _explain(exc: ValidationError, from_file: dict[str, Any], given: dict[str, Any],
             file: Path | None) -> str:
    """One line per wrong field: name, problem, value, and the file it came from."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "config"
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message.removeprefix(f"{field}: ")
        where = f" (from {file})" if field in from_file and field not in given else ""
        value = error.get("input")
        got = "" if "got" in message else f", got {value!r}"
        lines.append(f"{field}: {message}{got}{where}")
    return "; ".join(lines)


def _require_dask() -> None:
    try:
        importlib.import_module("distributed")
    except ImportError:
        raise SweepConfigError("executor 'dask' needs Dask distributed: "
                               "pip install 'massca[sweep]'") from None
