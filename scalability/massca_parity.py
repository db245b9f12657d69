"""Parity check: MASSCA's own scalability scenario on massca vs on MASSCA itself.

Extracts MASSCA's repository at revision a5dc1e6 (from a git dir such as a mirror of
``Ellariel/mango_hybit``, or from a checkout) into a temporary folder, replaces the
scenario's two external data sources with local files made from massca's shipped data
(:mod:`mosaik_components.massca.massca_data`: a cached PVGIS answer and the load zip),
creates two virtualenvs and runs ``scalability/scenario.py`` unchanged in both:

* ``massca``: this checkout (editable) + the scenario's own requirements;
* ``orig``: MASSCA's package (``pip install --no-deps``) on mango-agents 1.x and
  nest_asyncio, with the same versions of mosaik, pandapower, numpy and pandas as here.

Then it compares the scenario's recorded CSV (every unit's ``P[MW]`` and the external
grid's ``P[MW]`` at every recorded time) and prints a table. Not part of CI: it needs
MASSCA's sources and takes ~15 min (MASSCA's run; massca's takes ~1.5 min)::

    python scalability/massca_parity.py --source /path/to/mango_hybit.git

``--examples`` instead runs MASSCA's newer ``examples/hyBitCell`` (revision fe750d0) on
massca and compares with the result files committed with it. ``--trace`` also records
every hook call (a wrapper around ``mosaik.World.start`` and the
MAS's ``step``; the scenario's files stay unchanged) and compares the calls step by step.
Exit status 0 when every difference is within ``--tolerance``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mosaik_components.massca.massca_data import (  # noqa: E402
    pvgis_cache_key,
    write_massca_data,
)

REVISION = "a5dc1e6"
#: The repository head with MASSCA's newer examples (hyBitCell, cohda).
EXAMPLES_REVISION = "fe750d0"
#: (--within, --between) of the examples' run.py; results file is f"{between}_{within}_..."
COMBINATIONS = [("default", "default"), ("cohda", "cohda"), ("default", "cohda"),
                ("cohda", "default")]
#: The big load zip is not needed (and absent from partial mirrors).
EXCLUDE = ":(exclude)scalability/data/syntetic_loads_15min.zip"
#: Shared by both environments at the versions installed here.
COMMON = ["mosaik", "mosaik-api-v3", "mosaik-pandapower-2", "pandapower", "lightsim2grid",
          "numpy", "pandas", "networkx"]
#: What the scenario itself imports (``scalability/requirements.txt``), where unpinned.
SCENARIO = ["more_itertools", "mosaik-csv==2.0.1", "arrow", "requests",
            "faas-cache-dict==0.5.0", "matplotlib", "tqdm"]
ORIGINAL = ["mango-agents>=1.1.2,<2", "nest_asyncio>=1.5.8", "termcolor>=2.4.0"]
TRACER = Path(__file__).with_name("massca_parity_trace.py")


def pinned(names: list[str]) -> list[str]:
    """``name==version`` for the packages installed here (so both envs match)."""
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def extract(source: Path, revision: str, dest: Path) -> Path:
    """MASSCA's files at ``revision`` in ``dest`` (from a git dir or a checkout)."""
    dest.mkdir(parents=True, exist_ok=True)
    if (source / "objects").is_dir() or (source / ".git").exists():
        git_dir = source / ".git" if (source / ".git").exists() else source
        archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", revision, "--",
                                  ".", EXCLUDE], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    elif (source / "scalability" / "scenario.py").is_file():
        shutil.copytree(source, dest, dirs_exist_ok=True)
    else:
        raise SystemExit(f"--source {source}: neither a git dir nor a MASSCA checkout")
    return dest


def ensure_env(path: Path, packages: list[str], after: list[list[str]]) -> Path:
    """A virtualenv at ``path`` with ``packages`` (reused when the list is unchanged)."""
    python = path / "bin" / "python"
    marker = path / "massca-parity.json"
    wanted = json.dumps([packages, after])
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *packages], check=True)
    for extra in after:
        subprocess.run([*pip, *extra], check=True)
    marker.write_text(wanted)
    return python


def massca_env(envs: Path) -> Path:
    """massca's interpreter: this checkout (editable) and the scenario's requirements."""
    return ensure_env(envs / "massca", [*pinned(COMMON), *SCENARIO, "-e", f"{ROOT}[grid]"], [])


def environments(envs: Path, massca_src: Path) -> dict[str, Path]:
    """The two interpreters: massca's and MASSCA's."""
    return {
        "massca": massca_env(envs),
        "orig": ensure_env(envs / "orig", [*pinned(COMMON), *SCENARIO, *ORIGINAL],
                           [["--no-deps", str(massca_src)]]),
    }


def seed_cache(python: Path, data: Path) -> None:
    """Put the PVGIS answer into the scenario's cache with the env's own faas_cache_dict."""
    code = ("import json, sys\n"
            "from faas_cache_dict.file_faas_cache_dict import FileBackedFaaSCache\n"
            "cache = FileBackedFaaSCache.init(key_name='pvgis_cache', root_path=sys.argv[1])\n"
            "cache[sys.argv[2]] = json.loads(open(sys.argv[3]).read())\n")
    subprocess.run([str(python), "-c", code, str(data), pvgis_cache_key(),
                    str(data / "pvgis_answer.json")], check=True)


def run(name: str, python: Path, src: Path, work: Path, args: list[str], trace: bool,
        timeout: float, reuse: bool = False) -> tuple[Path, float, Path | None]:
    """Run the unchanged scenario in a fresh copy; returns (results CSV, seconds, trace).

    With ``reuse`` a finished run in ``work/name`` (results, and the trace if asked) is
    taken as it is (its time reads as 0 s).
    """
    folder = work / name
    results, trace_file = folder / "results" / "results.csv", folder / "trace.jsonl"
    if reuse and results.is_file() and (trace_file.is_file() or not trace):
        return results, 0.0, trace_file if trace else None
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(src / "scalability", folder)
    write_massca_data(folder / "data", columns=1000, days=7)
    seed_cache(python, folder / "data")
    command = [str(python), "scenario.py", *args]
    if trace:
        command = [str(python), str(TRACER), str(trace_file), "scenario.py", *args]
    start = time.perf_counter()
    with open(folder / "run.log", "w") as log:
        done = subprocess.run(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                              timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{name}: scenario failed (exit {done.returncode}); see "
                         f"{folder / 'run.log'}")
    return results, seconds, trace_file if trace else None


def group_of(column: str) -> str:
    """Which kind of entity a recorded column belongs to."""
    for key, group in (("ExternalGrid", "external grid"), ("FLSim", "flexible loads"),
                       ("PVSim", "PV"), ("wecs", "wind")):
        if key in column:
            return group
    return "other"


def compare(orig: Path, ours: Path) -> pd.DataFrame:
    """Per group: columns, rows, the largest |difference| and the largest |value| (MW)."""
    a = pd.read_csv(orig, index_col=0)
    b = pd.read_csv(ours, index_col=0)
    if list(a.columns) != list(b.columns) or list(a.index) != list(b.index):
        raise SystemExit(f"recorded columns/times differ: {len(a.columns)} vs "
                         f"{len(b.columns)} columns, {len(a)} vs {len(b)} rows; "
                         f"only in MASSCA: {sorted(set(a.columns) - set(b.columns))[:5]}, "
                         f"only in massca: {sorted(set(b.columns) - set(a.columns))[:5]}")
    diff = (a - b).abs()
    rows = []
    for group in sorted({group_of(c) for c in a.columns}):
        cols = [c for c in a.columns if group_of(c) == group]
        rows.append({"group": group, "columns": len(cols), "times": len(a),
                     "max |diff| MW": float(diff[cols].max().max()),
                     "max |value| MW": float(a[cols].abs().max().max()),
                     "values that moved": int((a[cols].diff().abs() > 1e-9).sum().sum())})
    return pd.DataFrame(rows)


def run_examples(python: Path, source: Path, revision: str, work: Path,
                 timeout: float) -> pd.DataFrame:
    """MASSCA's ``examples/hyBitCell`` on massca against the results its authors committed.

    Every combination of ``run.py`` with ``--performance ""`` (README: mosaik >= 3.6 fails
    in ``plot_dataflow_graph`` before ``run``); the example's files are unchanged.
    """
    src = extract(source, revision, work / "examples-src")
    rows = []
    for within, between in COMBINATIONS:
        folder = work / f"hyBitCell-{within}-{between}"
        shutil.copytree(src / "examples" / "hyBitCell", folder)
        name = f"{between}_{within}_results.csv"
        committed = pd.read_csv(folder / "results" / name, index_col=0)
        (folder / "results" / name).unlink()
        with open(folder / "run.log", "w") as log:
            done = subprocess.run([str(python), "scenario.py", "--within", within, "--between",
                                   between, "--performance", ""], cwd=folder, stdout=log,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        if done.returncode != 0:
            raise SystemExit(f"hyBitCell {within}/{between} failed; see {folder / 'run.log'}")
        ours = pd.read_csv(folder / "results" / name, index_col=0)
        columns = [c for c in committed.columns if "steptime" not in c]
        diff = (committed[columns] - ours.loc[committed.index, columns]).abs()
        exchange = [c for c in columns if c.startswith("GridSim") and "ExternalGrid" in c]
        rows.append({"within": within, "between": between, "times": len(committed),
                     "series": len(columns), "max |diff| MW": float(diff.max().max()),
                     "exchange max |diff| MW": float(diff[exchange].max().max())})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path,
                        default=Path("/work/.mirror/Ellariel+mango_hybit/repo"),
                        help="MASSCA's git dir (or a checkout of revision a5dc1e6)")
    parser.add_argument("--revision", default=REVISION)
    parser.add_argument("--envs", type=Path, default=Path.home() / ".cache" / "massca-parity",
                        help="where the two virtualenvs live (reused)")
    parser.add_argument("--work", type=Path, default=None, help="keep the runs here")
    parser.add_argument("--args", default="", help="flags for scenario.py (default: none)")
    parser.add_argument("--tolerance", type=float, default=1e-9, help="MW")
    parser.add_argument("--trace", action="store_true", help="also compare every hook call")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--reuse", choices=["orig", "massca", "both"], default=None,
                        help="take a finished run of that side from --work as it is")
    parser.add_argument("--examples", action="store_true",
                        help=f"instead: MASSCA's examples/hyBitCell ({EXAMPLES_REVISION}) on "
                             "massca against the results committed with it")
    opts = parser.parse_args(argv)
    work = opts.work or Path(tempfile.mkdtemp(prefix="massca-parity-"))
    if opts.examples:
        table = run_examples(massca_env(opts.envs), opts.source, EXAMPLES_REVISION, work,
                             opts.timeout)
        print(table.to_string(index=False))
        return 0
    src = work / "src" if opts.reuse and (work / "src").is_dir() else extract(
        opts.source, opts.revision, work / "src")
    pythons = environments(opts.envs, src)
    args = opts.args.split()
    results = {name: run(name, python, src, work, args, opts.trace, opts.timeout,
                         reuse=opts.reuse in (name, "both"))
               for name, python in pythons.items()}
    table = compare(results["orig"][0], results["massca"][0])
    print(f"MASSCA {opts.revision} scalability/scenario.py {' '.join(args) or '(no flags)'}")
    print(f"wall time: MASSCA {results['orig'][1]:.0f} s, massca {results['massca'][1]:.0f} s")
    print(table.to_string(index=False))
    worst = float(table["max |diff| MW"].max())
    ok = worst <= opts.tolerance
    if opts.trace:
        from massca_parity_trace import compare_traces

        mismatches = compare_traces(results["orig"][2], results["massca"][2], opts.tolerance)
        ok = ok and not mismatches
    print(f"{'PASS' if ok else 'FAIL'}: largest difference {worst:.3g} MW "
          f"(tolerance {opts.tolerance:g} MW); runs in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
