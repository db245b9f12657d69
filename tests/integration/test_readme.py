"""Every code block of README.md runs, as a reader would run it.

Blocks are found by their fence language, so a new block is picked up without touching
this file:

* ```` ```python ````: each in a fresh interpreter, in its own empty temporary folder;
* ```` ```bash ````: with ``bash -e``, the test virtualenv's ``bin`` first on ``PATH``, in a
  temporary folder that looks like a checkout (symlinks to the repository's files, no
  ``results/``); the blocks of one ``##`` section run in README order in one folder (a
  later block may use what an earlier one wrote, as ``massca compare`` reads the runs
  before it), sections and python blocks run in parallel;
* anything else must say what it is (``text``, ``xml``, ``toml``, ...): an unlabelled
  fence fails, so nothing runnable hides from this test.

Not executed, with the reason (:data:`NOT_RUN`, exact and checked: every entry names one
block): the Docker blocks (no Docker daemon in CI). The Quick start's two commands run with
two visible adaptations (:data:`QUICK_START`): the ``python3 -m venv .venv && pip install``
part is checked as "already installed" (this test's virtualenv is linked as ``.venv`` and
every requirement of the named extras must be satisfied in it), and the test suite's own
command only collects the tests (running the suite from inside itself would recurse; CI
runs it in full).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RUN = {"python", "bash"}
#: fence languages of blocks that are not programs
DATA = {"text", "xml", "toml", "json", "yaml", "csv", "mermaid", "console-output"}
#: blocks not executed: a phrase that occurs in exactly one block -> why
NOT_RUN = {
    "docker-compose up": "needs a Docker daemon (not available in CI)",
    "scalability/docker_smoke.sh": "builds and runs Docker images (not available in CI)",
}
#: the Quick start's install step, checked as "already installed" (extras it names)
INSTALL = re.compile(r"^python3 -m venv \.venv && \.venv/bin/pip install (-e )?"
                     r"\"\.\[(?P<extras>[a-z,]+)\]\" && (?P<rest>.+)$")
#: the Quick start's test-suite command, which only collects here (see module docstring)
QUICK_START = {".venv/bin/python -m pytest": ".venv/bin/python -m pytest --collect-only -q"}
BLOCK_TIMEOUT_S = 480  # the SimBench study block runs four day-long runs
#: parallel block runs (2 cores: the runs are mostly single-threaded and wait on I/O)
WORKERS = 4
#: entries of the repository a bash block may use, linked into its folder
CHECKOUT_SKIP = {".git", ".venv", "results", ".pytest_cache", ".ruff_cache"}


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    lang: str
    code: str
    section: str  # the ``## `` heading above it


    @property
    def name(self) -> str:
        return f"README.md:{self.line} ({self.lang})"


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of ``text`` with its language and the line of its fence."""
    blocks, open_at, lang, body, section = [], None, "", [], ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if open_at is None:
                open_at, lang, body = number, line[3:].strip(), []
            else:
                blocks.append(Block(open_at, lang, "\n".join(body) + "\n", section))
                open_at = None
        elif open_at is not None:
            body.append(line)
        elif line.startswith("## "):
            section = line
    assert open_at is None, f"README.md:{open_at}: fence never closed"
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def not_run_reason(block: Block) -> str | None:
    return next((why for phrase, why in NOT_RUN.items() if phrase in block.code), None)


def test_every_block_says_what_it_is_and_the_not_run_list_is_exact():
    unlabelled = [b.name for b in BLOCKS if b.lang not in RUN | DATA]
    assert not unlabelled, f"label these fences (python, bash, text, xml, ...): {unlabelled}"
    for phrase in NOT_RUN:  # each entry names exactly one bash block, about Docker
        hits = [b for b in BLOCKS if phrase in b.code]
        assert len(hits) == 1, f"NOT_RUN {phrase!r} matches {[b.name for b in hits]}"
        assert hits[0].lang == "bash" and "docker" in hits[0].code
    assert sum(b.lang in RUN for b in BLOCKS) >= 20  # the extraction found the blocks


def _requirements_installed(extras: str) -> list[str]:
    """Requirements of the ``massca`` distribution (and ``extras``) that are missing."""
    missing = []
    for text in metadata.requires("massca") or []:
        req = Requirement(text)
        wanted = not req.marker or any(req.marker.evaluate({"extra": e})
                                       for e in extras.split(","))
        if not wanted:
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(str(req))
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            missing.append(f"{req} (have {version})")
    return missing


def _bash_script(block: Block) -> str:
    """The block's commands, with the Quick start's two adaptations applied."""
    lines = []
    for line in block.code.splitlines():
        match = INSTALL.match(line)
        if match:
            missing = _requirements_installed(match["extras"])
            assert not missing, f"{block.name}: not installed: {missing}"
            line = match["rest"]
        for command, instead in QUICK_START.items():
            if line.strip() == command:
                line = instead
        lines.append(line)
    return "\n".join(lines) + "\n"


def _checkout(folder: Path) -> None:
    for entry in ROOT.iterdir():
        if entry.name not in CHECKOUT_SKIP:
            (folder / entry.name).symlink_to(entry)
    (folder / ".venv").symlink_to(Path(sys.prefix))


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


def _run(argv: list[str], cwd: Path, name: str) -> tuple[str, float, str]:
    """Run one block in its own session; whatever it leaves running is ended after it."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=BLOCK_TIMEOUT_S)
        error = "" if process.returncode == 0 else (
            f"exit status {process.returncode}\n--- stdout\n{out[-3000:]}\n"
            f"--- stderr\n{err[-3000:]}")
    except subprocess.TimeoutExpired:
        error = f"timed out after {BLOCK_TIMEOUT_S} s"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # e.g. a dask worker of a failed block
        process.communicate()
    return name, time.perf_counter() - started, error


def _run_python(block: Block, folder: Path) -> tuple[str, float, str]:
    script = folder / "block.py"
    script.write_text(block.code, encoding="utf-8")
    return _run([sys.executable, str(script)], folder, block.name)


def _run_bash(blocks: list[Block], folder: Path) -> list[tuple[str, float, str]]:
    _checkout(folder)
    results = []
    for block in blocks:
        script = folder / f".block-{block.line}.sh"
        script.write_text(_bash_script(block), encoding="utf-8")
        results.append(_run(["bash", "-e", str(script)], folder, block.name))
    return results


def test_every_python_and_bash_block_runs():
    # GIVEN every runnable block but the listed Docker ones
    python = [b for b in BLOCKS if b.lang == "python"]
    bash = [b for b in BLOCKS if b.lang == "bash" and not_run_reason(b) is None]
    chains: dict[str, list[Block]] = {}
    for block in bash:
        chains.setdefault(block.section, []).append(block)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        py_folders = [root / f"py-{b.line}" for b in python]
        sh_folders = [root / f"sh-{chain[0].line}" for chain in chains.values()]
        for folder in [*py_folders, *sh_folders]:
            folder.mkdir()
        # WHEN each section's bash blocks run in order, beside the other sections and the
        # python blocks (the longest first, so the slowest chain starts at once)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            shells = [pool.submit(_run_bash, chain, folder)
                      for chain, folder in zip(chains.values(), sh_folders, strict=True)]
            results = list(pool.map(_run_python, python, py_folders))
            for shell in shells:
                results += shell.result()
    # THEN each exits with status 0
    for name, seconds, _ in sorted(results, key=lambda r: -r[1]):
        print(f"{seconds:6.1f} s  {name}")
    failures = [f"{name}: {error}" for name, _, error in results if error]
    assert not failures, "\n\n".join(failures)


def test_the_quick_start_is_adapted_not_skipped():
    quick = [b for b in BLOCKS if b.lang == "bash" and INSTALL.match(b.code.strip())]
    assert len(quick) == 2, [b.name for b in quick]
    scripts = [_bash_script(b) for b in quick]
    assert scripts[0].strip() == ".venv/bin/python scenarios/cells.py"
    assert scripts[1].strip() == QUICK_START[".venv/bin/python -m pytest"]
