"""The wheel keeps ``mosaik_components`` a namespace shared with mosaik-pandapower-2."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_imports_side_by_side_with_mosaik_pandapower(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
         str(ROOT)],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("massca-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mosaik_components/mas/__init__.py" in names
    assert "mosaik_components/__init__.py" not in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import mosaik_components.mas as mas, mosaik_components.pandapower as pp;"
        "assert mas.__file__.startswith(sys.argv[1]), mas.__file__;"
        "print(len(mosaik_components.__path__))"
    ).replace("print(", "import mosaik_components; print(")
    out = subprocess.run([sys.executable, "-c", probe, str(target)], check=True,
                         capture_output=True, text=True, cwd=tmp_path)
    assert int(out.stdout.strip()) >= 2  # the namespace spans both distributions
