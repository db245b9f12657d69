"""Static checks of the Docker files, and their commands run for real outside Docker.

The image itself is built and run by ``scalability/docker_smoke.sh`` (needs an engine).
Here: docker-compose.yml (Dask scheduler, workers, sweep client; non-root; config mounted
read-only), the local override (only addresses and sandbox limits differ), the
Dockerfile's layer order (pinned dependencies before the code), .dockerignore (an
allow-list of what the Dockerfile copies), the lock against pyproject's requirements,
and the exact scheduler/worker/sweep commands on this machine.
"""

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
LOCAL = yaml.safe_load((ROOT / "docker-compose.local.yml").read_text())
DOCKERFILE = (ROOT / "scalability" / "Dockerfile").read_text()
IGNORE = (ROOT / ".dockerignore").read_text().split("\n")
LOCK = (ROOT / "scalability" / "requirements.lock").read_text()
SCHEDULER = "tcp://scheduler:8786"


def services():
    return COMPOSE["services"]


def instructions():
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [tuple(line.split(None, 1)) for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def test_compose_runs_a_dask_cluster_and_the_sweep_as_non_root():
    assert set(services()) == {"scheduler", "worker", "sweep"}
    for service in services().values():
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file()
        assert "network" not in build and "network_mode" not in service  # local override
        assert service["user"] == "${UID:-1000}:${GID:-1000}"
        assert service["init"] is True and not service.get("privileged", False)
        assert service["ulimits"]["nofile"]["soft"] >= 4096
    assert services()["scheduler"]["command"][:2] == ["dask", "scheduler"]
    port = services()["scheduler"]["command"][services()["scheduler"]["command"].index(
        "--port") + 1]
    assert SCHEDULER.endswith(f":{port}")
    assert services()["worker"]["command"][:3] == ["dask", "worker", SCHEDULER]
    assert "ports" not in services()["scheduler"]  # reachable inside the compose network only


def test_the_sweep_mounts_its_config_read_only_and_writes_the_results_folder():
    sweep = services()["sweep"]
    command = sweep["command"]
    assert command[:3] == ["massca", "sweep", "run"]
    assert command[command.index("--scheduler") + 1] == SCHEDULER
    assert command[command.index("--out") + 1].startswith("/results/")
    config, results = sweep["volumes"]
    source, target, mode = config.rsplit(":", 2)
    assert target == command[command.index("--config") + 1] and mode == "ro"
    default = re.fullmatch(r"\$\{SWEEP_CONFIG:-(.+)\}", source).group(1)
    assert (ROOT / default).is_file()
    assert results.endswith(":/results") and results.startswith("${SWEEP_RESULTS:-./results")
    assert "sweep.massca.json" not in DOCKERFILE and "sweep.smoke.json" not in DOCKERFILE


def localized(command):
    """A docker-compose.yml command with the local override's addresses."""
    address = "tcp://127.0.0.1:${SWEEP_PORT:-8786}"
    out = [address if part == SCHEDULER else part for part in command]
    if out[:2] == ["dask", "scheduler"]:
        out[out.index("--host") + 1] = "127.0.0.1"
        out[out.index("--port") + 1] = "${SWEEP_PORT:-8786}"
    if out[:2] == ["dask", "worker"]:
        out += ["--host", "127.0.0.1"]
    return out


def test_the_local_override_changes_only_addresses_and_sandbox_limits():
    assert set(LOCAL["services"]) == set(services())
    for name, service in LOCAL["services"].items():
        assert service["command"] == localized(services()[name]["command"]), name
        assert service["network_mode"] == "host" and service["build"]["network"] == "host"
        assert service["ulimits"]["nofile"]["hard"] <= 20000
        assert set(service) <= {"build", "network_mode", "ulimits", "command"}


def test_dependencies_are_pinned_and_installed_before_the_code():
    steps = instructions()
    copies = [(i, args.split()[0]) for i, (op, args) in enumerate(steps) if op == "COPY"]
    lock_at = next(i for i, source in copies if source == "scalability/requirements.lock")
    install_at = next(i for i, (op, args) in enumerate(steps)
                      if op == "RUN" and "-r requirements.lock" in args)
    assert "--no-deps" in steps[install_at][1]
    code_at = min(i for i, source in copies if source != "scalability/requirements.lock")
    assert lock_at < install_at < code_at
    final = next(args for op, args in steps[code_at:] if op == "RUN" and "pip install" in args)
    assert "--no-deps" in final and "pip check" in final
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, flags=re.M)
    assert "CMD" in DOCKERFILE and "pip install" not in DOCKERFILE.split("\nUSER")[1]


def test_dockerignore_lets_in_only_what_the_dockerfile_copies():
    rules = [line for line in IGNORE if line and not line.startswith("#")]
    assert rules[0] == "**"  # everything out (.git, .venv, results, caches, tests) ...
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = set()
    for op, args in instructions():
        if op == "COPY":
            copied.update(args.split()[:-1])
    assert allowed == copied  # ... but what the image needs
    for path in allowed:
        assert (ROOT / path).exists(), path
    assert {"**/__pycache__", "**/*.egg-info"} <= set(rules)


def declared_requirements():
    """Every requirement of massca[sweep], extras followed, with its specifier."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    found, todo, seen = [], ["sweep"], set()
    found += [Requirement(r) for r in project["dependencies"]]
    while todo:
        extra = todo.pop()
        seen.add(extra)
        for text in extras[extra]:
            requirement = Requirement(text)
            if requirement.name == "massca":
                todo += [e for e in requirement.extras if e not in seen]
            else:
                found.append(requirement)
    return found


def test_the_lock_pins_every_requirement_within_its_range():
    pins = {}
    for line in LOCK.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version and re.fullmatch(r"[\w.+-]+", version), line
            pins[canonicalize_name(name)] = version
    for requirement in declared_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock: run make_lock.sh"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, pyproject wants {requirement}")
        for extra in requirement.extras:  # e.g. dask[distributed]
            assert extra in pins or canonicalize_name(extra) in pins


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def real(command, port):
    """A local-override command with this machine's executables and a free port."""
    tools = Path(sys.executable).parent
    out = [part.replace("${SWEEP_PORT:-8786}", str(port)).replace("${SWEEP_THREADS:-2}", "2")
           for part in command]
    program = tools / out[0]
    out[0] = str(program if program.exists() else shutil.which(out[0]))
    return out


def test_the_compose_commands_run_a_sweep_on_this_machine(tmp_path):
    """scheduler + worker + sweep as the compose files start them, outside Docker."""
    port = free_port()
    local = LOCAL["services"]
    config = tmp_path / "sweep.json"
    config.write_text(json.dumps({"cells": [1], "depth": [1, 2, 1], "attempts": 1,
                                  "until": 900}))
    started = []
    try:
        for name in ("scheduler", "worker"):
            command = real(local[name]["command"], port)
            if name == "worker":
                command[command.index("--local-directory") + 1] = str(tmp_path)
            started.append(subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
            time.sleep(1 if name == "scheduler" else 0)
        command = real(local["sweep"]["command"], port)
        command[command.index("--config") + 1] = str(config)
        command[command.index("--out") + 1] = str(tmp_path / "results")
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=30)
    assert done.returncode == 0, " ".join(command) + "\n" + done.stderr[-2000:]
    runs = (tmp_path / "results" / "runs.csv").read_text().splitlines()
    assert len(runs) == 1 + 2 and all(",ok," in row for row in runs[1:])
    assert (tmp_path / "results" / "simulation_time.csv").read_text().count("\n") == 1 + 2
