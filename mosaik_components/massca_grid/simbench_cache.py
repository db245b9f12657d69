"""A disk cache of SimBench grids and their relative profiles.

``simbench.get_simbench_net`` parses SimBench's CSV tables (~6.5 s per MV grid). The
cache keeps, per SimBench code, the pandapower network without its profiles
(pandapower JSON, ~0.5 s to read) and the relative profiles (``profiles.npz``: one float
array per profile table, its column names and SimBench's time labels). Nothing else is
stored: absolute element powers are computed from these on demand (see
:mod:`.simbench`).

Location: the ``cache_dir`` argument, else ``$MASSCA_CACHE_DIR``, else
``$XDG_CACHE_HOME/massca`` (``~/.cache/massca``); below it ``simbench/<version>/<code>/``
so a new simbench release never reads an old cache. A directory inside the installed
package is refused (the package must stay read-only and small). Files are written to a
temporary name and renamed, so an interrupted run leaves no half-written cache.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import numpy as np
import pandapower as pp

from ..mas.model.errors import ConfigError

__all__ = ["CachedGrid", "cache_root", "known_codes", "load_grid", "PROFILE_TABLES"]

#: SimBench's profile tables (``net.profiles`` keys) kept in the cache.
PROFILE_TABLES = ("load", "renewables", "powerplants", "storage")
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # .../mosaik_components


@dataclass(frozen=True)
class CachedGrid:
    """One SimBench grid: the network (no profiles) and its relative profiles.

    ``profiles[table]`` is ``(columns, values)`` with ``values`` of shape
    ``(len(time_labels), len(columns))``; ``time_labels`` are SimBench's own labels
    (``"dd.mm.yyyy HH:MM"``, German civil time, see :mod:`.simbench`).
    """

    code: str
    net: pp.pandapowerNet
    time_labels: tuple[str, ...]
    profiles: dict[str, tuple[tuple[str, ...], np.ndarray]]


def _simbench() -> ModuleType:
    """The simbench package, or an error saying how to install it."""
    try:
        import simbench
    except ImportError:
        raise ConfigError("SimBench grids need the simbench package: "
                          "pip install 'massca[simbench]'") from None
    return simbench


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory for this simbench version (see the module docstring)."""
    simbench = _simbench()

    if cache_dir is not None:
        base = Path(cache_dir)
    elif os.environ.get("MASSCA_CACHE_DIR"):
        base = Path(os.environ["MASSCA_CACHE_DIR"])
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "massca"
    resolved = base.expanduser().resolve()
    if resolved == _PACKAGE_ROOT or _PACKAGE_ROOT in resolved.parents:
        raise ConfigError(f"cache_dir={str(base)!r} lies inside the installed package "
                          f"({_PACKAGE_ROOT}); choose a directory outside it")
    return resolved / "simbench" / simbench.__version__


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """Every SimBench code the installed simbench package can build."""
    simbench = _simbench()
    return frozenset(simbench.collect_all_simbench_codes())


def load_grid(code: str, cache_dir: str | os.PathLike[str] | None = None) -> CachedGrid:
    """The grid of SimBench ``code``, from the cache or built (and cached) by simbench.

    An unknown code raises :class:`ConfigError` naming it, before anything is read.
    """
    if not isinstance(code, str) or code not in known_codes():
        raise ConfigError(f"code={code!r} is not a SimBench code (e.g. '1-MV-rural--1-sw'; "
                          "simbench.collect_all_simbench_codes() lists all)")
    folder = cache_root(cache_dir) / code
    net_file, profile_file = folder / "net.json", folder / "profiles.npz"
    if net_file.is_file() and profile_file.is_file():
        return _read(code, net_file, profile_file)
    grid = _build(code)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(profile_file, lambda path: _save_profiles(path, grid))
    _write_atomic(net_file, lambda path: pp.to_json(grid.net, str(path)))
    return grid


def _build(code: str) -> CachedGrid:
    net = _simbench().get_simbench_net(code)
    frames = net.pop("profiles", {}) if "profiles" in net else {}
    labels: tuple[str, ...] | None = None
    profiles = {}
    for table in PROFILE_TABLES:
        frame = frames.get(table)
        if frame is None or len(frame) == 0:
            continue
        table_labels = tuple(frame["time"].astype(str))
        if labels is None:
            labels = table_labels
        elif table_labels != labels:
            raise RuntimeError(f"SimBench {code}: profile table {table!r} has another time axis")
        columns = tuple(str(c) for c in frame.columns if c != "time")
        profiles[table] = (columns, frame[list(columns)].to_numpy(dtype=float))
    if labels is None:
        raise ConfigError(f"code={code!r}: SimBench grid has no profiles")
    return CachedGrid(code, net, labels, profiles)


def _save_profiles(path: Path, grid: CachedGrid) -> None:
    arrays: dict[str, np.ndarray] = {"time": np.array(grid.time_labels)}
    for table, (columns, values) in grid.profiles.items():
        arrays[f"{table}__columns"] = np.array(columns)
        arrays[f"{table}__values"] = values
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _read(code: str, net_file: Path, profile_file: Path) -> CachedGrid:
    try:
        net = pp.from_json(str(net_file))
        with np.load(profile_file, allow_pickle=False) as data:
            labels = tuple(str(t) for t in data["time"])
            profiles = {
                table: (tuple(str(c) for c in data[f"{table}__columns"]),
                        np.array(data[f"{table}__values"]))
                for table in PROFILE_TABLES if f"{table}__columns" in data.files
            }
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"SimBench cache of {code!r} in {net_file.parent} cannot be read "
                          f"({type(exc).__name__}: {exc}); delete that folder to rebuild it"
                          ) from None
    return CachedGrid(code, net, labels, profiles)


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
