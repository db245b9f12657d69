"""The data shipped with massca (weather, load profiles, site); see ``README.md`` here."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_dir"]


def data_dir() -> Path:
    """The folder that holds the shipped data files (inside the installed package)."""
    return Path(str(files(__name__)))
