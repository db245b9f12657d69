"""Static checks of the Dockerfile and docker-compose.yml (no Docker engine in CI).

The exact command the containers run is executed outside Docker by
``test_compose_command_runs_outside_docker`` with the smoke sweep.
"""

import re
import shlex
import subprocess
import sys

import yaml

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "scalability" / "Dockerfile").read_text()


def services():
    return COMPOSE["services"]


def test_compose_builds_the_image_from_the_repository():
    assert len(services()) >= 2
    for service in services().values():
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file()
        assert not service.get("privileged", False)
        assert service["ulimits"]["nofile"]["soft"] >= 4096
        host, container = service["volumes"][0].split(":")
        assert host.startswith("./results") and container == "/results"


def test_workers_shard_one_sweep():
    shards = []
    for service in services().values():
        command = service["command"]
        assert command[0] == "run"
        shards.append(command[command.index("--shard") + 1])
        out = command[command.index("--out") + 1]
        assert out.startswith("/results/")
    n = {s.split("/")[1] for s in shards}
    assert len(n) == 1 and sorted(int(s.split("/")[0]) for s in shards) == list(
        range(1, int(n.pop()) + 1))


def test_dockerfile_installs_at_build_time_and_copies_what_exists():
    for source in re.findall(r"^COPY (\S+)", DOCKERFILE, flags=re.M):
        assert (ROOT / source).exists(), source
    for line in DOCKERFILE.splitlines():
        for name in line.split()[1:-1] if line.startswith("COPY ") else []:
            assert (ROOT / name).exists(), name
    assert re.search(r'^RUN pip install "\.\[cells\]"', DOCKERFILE, flags=re.M)
    assert "ENTRYPOINT" in DOCKERFILE and "pip install" not in DOCKERFILE.split("ENTRYPOINT")[1]
    assert re.search(r"^USER \w+", DOCKERFILE, flags=re.M)


def test_compose_command_runs_outside_docker(tmp_path):
    """The worker's command, with the smoke config and a local output folder."""
    entry = re.search(r"^ENTRYPOINT (\[.*\])", DOCKERFILE, flags=re.M).group(1)
    program = yaml.safe_load(entry)
    command = list(services()["worker-1"]["command"])
    config = command.index("--config") + 1
    assert command[config] == "${SWEEP_CONFIG:-scalability/sweep.massca.json}"
    command[config] = "scalability/sweep.smoke.json"
    command[command.index("--out") + 1] = str(tmp_path / "shard-1")
    argv = [sys.executable if program[0] == "python" else program[0], *program[1:], *command]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, shlex.join(argv) + "\n" + done.stderr[-2000:]
    assert (tmp_path / "shard-1" / "simulation_time.csv").read_text().count("\n") == 1 + 2
