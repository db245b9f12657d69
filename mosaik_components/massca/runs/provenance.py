"""Where a run came from: massca's version and commit, the packages, the machine.

:func:`provenance` is what a run folder's ``run.json`` records so that a result can be
traced to the code and the environment that produced it. The git commit is read only
when massca runs from a checkout (the package lies inside a git work tree whose
``pyproject.toml`` is massca's); ``dirty`` says whether tracked files differed from it.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "provenance", "package_versions", "git_revision", "machine"]

#: the distributions whose versions decide a run's results
PACKAGES = (
    "massca", "mosaik", "mosaik-api-v3", "mango-agents", "numpy", "pandas", "scipy",
    "pydantic", "pandapower", "lightsim2grid", "mosaik-pandapower-2", "pvlib", "mosaik-pv",
    "windpowerlib", "matplotlib", "pyarrow", "h5py",
)
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (``None``: not installed)."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_revision(folder: Path = PACKAGE_DIR) -> dict[str, Any] | None:
    """``{"commit", "dirty", "root"}`` when ``folder`` is in massca's checkout, else None."""
    root = _git(folder, "rev-parse", "--show-toplevel")
    if root is None:
        return None
    pyproject = Path(root) / "pyproject.toml"
    if not pyproject.is_file() or 'name = "massca"' not in pyproject.read_text():
        return None
    commit = _git(folder, "rev-parse", "HEAD")
    if commit is None:  # a repository without commits
        return None
    changes = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(changes), "root": root}


def machine() -> dict[str, Any]:
    """Host name, platform, Python, CPU count and memory of this machine."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory = None
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model() or platform.processor() or None,
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 2) if memory is not None else None,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
    }


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return None
    for line in cpuinfo.read_text(errors="replace").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return None


def provenance() -> dict[str, Any]:
    """Version, commit, packages, machine and the command line of this process."""
    versions = package_versions()
    return {
        "massca": versions["massca"],
        "git": git_revision(),
        "packages": versions,
        "machine": machine(),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else [],
        "pid": os.getpid(),
    }
