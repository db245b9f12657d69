#!/usr/bin/env bash
# Build the sweep image and run the smoke sweep in Docker for real, then check the results.
#
#   scalability/docker_smoke.sh
#
# Needs a Docker engine (DOCKER_HOST is honoured) and docker-compose. Engines without a
# bridge network (e.g. ../shared/tools/docker-local) get docker-compose.local.yml added
# automatically (force with SMOKE_LOCAL=1 or 0). SMOKE_COLD=1 removes the image first to
# time a build from scratch. Checks, in order:
#   1. the build context is small (.dockerignore) and the image builds;
#   2. a code change rebuilds only the code layer: the dependency layer comes from cache;
#   3. the smoke sweep (4 points, Dask scheduler + 2 workers) exits 0, as a non-root user,
#      with every point ok in runs.csv/steps.csv and the MASSCA exports;
#   4. a failing point (timeout) makes `up --exit-code-from sweep` exit 1;
#   5. a worker container killed mid-sweep makes it exit non-zero;
#   6. a results folder the user cannot write gives a clear error and exit 1, no point run.
# Prints the timings; exits non-zero at the first failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPOSE_PROJECT_NAME=massca-smoke
image=massca-sweep:0.1.0
compose=(docker-compose -f docker-compose.yml)
build_network=()
local_mode=${SMOKE_LOCAL:-auto}
if [[ $local_mode == auto ]]; then
    local_mode=0
    docker network inspect bridge >/dev/null 2>&1 || local_mode=1
fi
if [[ $local_mode == 1 ]]; then
    compose+=(-f docker-compose.local.yml)
    build_network=(--network host)
fi
if [[ $(id -u) == 0 ]]; then uid=1000 gid=1000; else uid=$(id -u) gid=$(id -g); fi
SWEEP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SWEEP_PORT
results=results/docker-smoke
work=$(mktemp -d)
cleanup() {
    "${compose[@]}" down --remove-orphans >/dev/null 2>&1 || true
    docker image rm massca-sweep:smoke-rebuild >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "SMOKE FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
took() { python3 -c "print(f'{$(now) - $1:.1f} s')"; }
declare -A timings

# a fresh results folder owned by the user the containers run as
fresh() { rm -rf "$results/$1"; mkdir -p "$results/$1"; [[ $(id -u) != 0 ]] || chown "$uid:$gid" "$results" "$results/$1"; }
# docker-compose up for one sweep; its exit status in $status, its log in $work/$1.log
up() {
    local name=$1 config=$2; shift 2
    "${compose[@]}" down --remove-orphans >/dev/null 2>&1 || true
    status=0
    env UID="$uid" GID="$gid" SWEEP_CONFIG="$config" SWEEP_RESULTS="./$results/$name" \
        "${compose[@]}" up --scale worker=2 --exit-code-from sweep "$@" \
        >"$work/$name.log" 2>&1 || status=$?
    echo "status=$status" >"$work/$name.status"
}
rows() { python3 -c "import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1])))))" "$1"; }
statuses() { python3 -c "import csv,sys; print(' '.join(sorted({r['status'] for r in csv.DictReader(open(sys.argv[1]))})))" "$1"; }

echo "== 1. build (local override: $local_mode)"
if [[ ${SMOKE_COLD:-0} == 1 ]]; then docker image rm -f "$image" >/dev/null 2>&1 || true; fi
start=$(now)
"${compose[@]}" build >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build"; }
timings[build]=$(took "$start")
context=$(DOCKER_BUILDKIT=0 docker build "${build_network[@]}" -f scalability/Dockerfile -t "$image" . 2>&1 \
    | sed -n "s/^Sending build context to Docker daemon *//p" | tr -d "\r ")
echo "build context: $context"
python3 -c "import sys; c = sys.argv[1].strip(); v, u = c[:-2], c[-2:]; sys.exit(not (u in ('B', 'kB') or u == 'MB' and float(v) < 20))" "$context" \
    || fail "build context $context (not under 20 MB: check .dockerignore)"
timings[build context]=$context

echo "== 2. a code change rebuilds only the code layer"
mkdir "$work/context"
git ls-files -co --exclude-standard pyproject.toml README.md mosaik_components scalability/requirements.lock \
    | tar -cf - -T - | tar -xf - -C "$work/context"
cp .dockerignore "$work/context/" && cp scalability/Dockerfile "$work/context/scalability/"
echo "# changed by docker_smoke.sh at $(date +%s.%N)" >> "$work/context/mosaik_components/massca/sweep/__init__.py"
start=$(now)
DOCKER_BUILDKIT=0 docker build "${build_network[@]}" -f "$work/context/scalability/Dockerfile" \
    -t massca-sweep:smoke-rebuild "$work/context" >"$work/rebuild.log" 2>&1 || { tail -30 "$work/rebuild.log"; fail "rebuild"; }
timings[rebuild after a code change]=$(took "$start")
grep -A1 "pip install --no-deps -r requirements.lock" "$work/rebuild.log" | grep -q "Using cache" \
    || fail "the dependency layer was rebuilt after a code change"
layers() { docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$1" | grep -v '^$'; }
layers "$image" | head -4 > "$work/a"; layers massca-sweep:smoke-rebuild | head -4 > "$work/b"
cmp -s "$work/a" "$work/b" || fail "base/dependency layers differ after a code change"
[[ $(layers "$image" | tail -1) != $(layers massca-sweep:smoke-rebuild | tail -1) ]] || fail "code layer unchanged"


echo "== 3. the smoke sweep in Docker"
fresh ok
start=$(now)
up ok ./scalability/sweep.smoke.json
timings[smoke sweep (4 points, 2 workers)]=$(took "$start")
[[ $status == 0 ]] || { tail -30 "$work/ok.log"; fail "smoke sweep exited $status"; }
out=$results/ok/sweep
[[ $(rows "$out/runs.csv") == 4 && $(statuses "$out/runs.csv") == ok ]] || fail "runs.csv: $(cat "$out/runs.csv")"
[[ $(rows "$out/steps.csv") == 16 ]] || fail "steps.csv: $(rows "$out/steps.csv") rows, expected 4 x 4"
[[ $(rows "$out/simulation_time.csv") == 4 && $(rows "$out/scalability_time.csv") == 16 ]] || fail "MASSCA exports"
[[ $(stat -c %u "$out/runs.csv") == "$uid" ]] || fail "runs.csv not owned by uid $uid"
grep -q "sweep finished in" "$work/ok.log" || fail "no final line in the log"

echo "== 4. a failing point: exit 1"
fresh failing
python3 -c 'import json; c=json.load(open("scalability/sweep.smoke.json")); c["timeout"]=0.5; print(json.dumps(c))' > "$work/failing.json"
chmod 644 "$work/failing.json"; chmod 755 "$work"
up failing "$work/failing.json"
[[ $status == 1 ]] || { tail -20 "$work/failing.log"; fail "failing points: exit $status, expected 1"; }
[[ $(statuses "$results/failing/sweep/runs.csv") == failed ]] || fail "failed points not recorded"
grep -q "timed out after 0.5 s" "$results/failing/sweep/runs.csv" || fail "error not recorded"

echo "== 5. a worker killed mid-sweep: exit non-zero"
fresh killed
up killed ./scalability/sweep.smoke.json &
upping=$!
for _ in $(seq 240); do
    docker top "${COMPOSE_PROJECT_NAME}_worker_1" 2>/dev/null | grep -q "scenarios.cells" && break
    sleep 0.5
done
docker top "${COMPOSE_PROJECT_NAME}_worker_1" | grep -q "scenarios.cells" || fail "no point started on worker 1"
docker kill "${COMPOSE_PROJECT_NAME}_worker_1" >/dev/null
wait "$upping" || true
status=$(sed -n 's/^status=//p' "$work/killed.status")
# the killed worker's exit stops every container: the sweep ends early, non-zero
[[ $status != 0 ]] || { tail -20 "$work/killed.log"; fail "a killed worker: exit 0"; }
echo "exit status with a killed worker: $status"

echo "== 6. a results folder the containers cannot write: clear error, exit 1"
rm -rf "$results/readonly"; mkdir -p "$results/readonly"; chmod 555 "$results/readonly"
[[ $(id -u) != 0 ]] || chown 0:0 "$results/readonly"
[[ $(id -u) != 0 ]] || chmod 755 "$results/readonly"
up readonly ./scalability/sweep.smoke.json
[[ $status == 1 ]] || { tail -20 "$work/readonly.log"; fail "unwritable results: exit $status, expected 1"; }
grep -q "error: out: cannot write to '/results/sweep' as uid $uid" "$work/readonly.log" \
    || { tail -20 "$work/readonly.log"; fail "no clear error for an unwritable folder"; }
chmod 755 "$results/readonly"

echo "== all checks passed; timings:"
for name in "${!timings[@]}"; do echo "  $name: ${timings[$name]}"; done
