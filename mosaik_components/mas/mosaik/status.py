"""A live status API of a running co-simulation: small JSON over HTTP, read-only.

Off unless the MAS simulator gets ``status_port`` (``0``: a free port). The server is an
``asyncio`` server started from the simulator's generator-style ``init`` on the
simulator's own event loop (mosaik's loop in-process, mosaik_api_v3's as a ``cmd``
process): no threads. Everything it reports is read from the simulator's typed state:
at the end of every ``step`` the simulator hands over what that step settled
(:class:`Settled`: the :class:`~..runtime.runtime.CycleReport`, the unit states the
cycle started from, time, iteration, convergence), and ``entities`` give the tree; never
agent internals. A request that arrives while a cycle runs therefore sees the last
finished cycle, whole, never a new state beside an old setpoint.

Routes (``GET``; anything else 405, unknown paths 404, all bodies JSON):

* ``/health`` – ``{"status": "ok", ...}`` while the simulator serves.
* ``/status`` – simulated time, progress (with ``status_until``), steps per second,
  the last cycle's agent time and messages, iterations and convergence at this time,
  rejected messages, agent counts.
* ``/agents`` – every agent (the tree: parent, children) with its current state and
  setpoint.
* ``/cells/{id}`` – one cell: a controller directly below the core, by eid
  (``Agent_0``) or position (``0``), with its subtree.

It binds loopback (``status_host``, default ``127.0.0.1``); another host needs
``allow_remote=True`` and a ``status_token``. With a token every request must carry
``Authorization: Bearer <token>`` (else 401). Requests are bounded (size, time,
concurrent connections).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model.errors import ConfigError
from ..model.flexibility import Target, UnitState
from ..runtime.runtime import CycleReport
from ..runtime.transport import is_loopback
from .bridge import state_attrs

if TYPE_CHECKING:
    from .simulator import MosaikAgents

__all__ = ["StatusServer", "StatusSettings", "Settled", "snapshot_status",
           "snapshot_agents", "snapshot_cell"]

logger = logging.getLogger(__name__)

#: bounds on one request
MAX_REQUEST_BYTES = 8192
REQUEST_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 16
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 503: "Service Unavailable"}


@dataclass(frozen=True, slots=True)
class Settled:
    """What one finished ``step`` decided, captured at its end (all from one cycle)."""

    time: int
    iteration: int
    converged: bool
    steptime: float
    offset: float
    report: CycleReport
    states: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StatusSettings:
    """Where the status API listens and who may ask (validated by :meth:`checked`)."""

    port: int
    host: str = "127.0.0.1"
    token: str | None = None
    until: int | None = None

    @classmethod
    def checked(cls, port: int | None, host: str, token: str | None, until: int | None,
                allow_remote: bool) -> StatusSettings | None:
        """The settings, None when off; :class:`ConfigError` for an unsafe exposure."""
        if port is None:
            return None
        if not is_loopback(host):
            if not allow_remote:
                raise ConfigError(f"status_host {host!r} is not loopback: exposing the "
                                  "status API needs allow_remote=True")
            if not token:
                raise ConfigError(f"status_host {host!r} is not loopback: set status_token "
                                  "(clients send 'Authorization: Bearer <token>')")
            logger.warning("the status API listens on non-loopback host %s", host)
        if token is not None and len(token) < 16:
            raise ConfigError("status_token must have at least 16 characters")
        return cls(port, host, token, until)


def _jsonable(value: Any) -> Any:
    """Typed states and targets as attribute dicts; MASSCA dicts as they are."""
    if isinstance(value, UnitState):
        return state_attrs(value)
    if isinstance(value, Target):
        return {"P_set[MW]": value.net, "production[MW]": value.production,
                "consumption[MW]": value.consumption}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


class StatusServer:
    """The HTTP server of the status API for one :class:`MosaikAgents` simulator."""

    def __init__(self, sim: MosaikAgents, settings: StatusSettings) -> None:
        self.sim = sim
        self.settings = settings
        self.server: asyncio.Server | None = None
        self.address: tuple[str, int] | None = None
        self.started = time.monotonic()
        self.first_step: float | None = None
        self.steps = 0
        self.times: deque[int] = deque(maxlen=2)
        self.settled: Settled | None = None
        self.connections = 0
        self.routes: dict[str, Callable[[], dict[str, Any]]] = {
            "/health": self.health, "/status": self.status, "/agents": self.agents,
        }

    async def start(self) -> None:
        """Listen (on the running loop)."""
        try:
            self.server = await asyncio.start_server(
                self._serve, self.settings.host, self.settings.port, limit=MAX_REQUEST_BYTES)
        except OSError as exc:
            raise ConfigError(f"status API: cannot listen on {self.settings.host}:"
                              f"{self.settings.port}: {exc.strerror}") from None
        self.address = self.server.sockets[0].getsockname()[:2]
        logger.info("status API on %s", self.url)

    @property
    def url(self) -> str:
        """The base URL (``http://host:port``)."""
        assert self.address is not None, "start() first"
        host = self.address[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.address[1]}"

    def describe(self) -> dict[str, Any]:
        """Where the API listens (for ``get_info``)."""
        return {"url": self.url, "host": self.address[0] if self.address else None,
                "port": self.address[1] if self.address else None,
                "token_required": self.settings.token is not None}

    def stepped(self, states: Mapping[str, Any]) -> None:
        """Capture what the step that just ended settled (called at the end of ``step``).

        ``states``: the unit states its cycle started from.
        """
        sim = self.sim
        assert sim.report is not None
        if sim.iteration == 0:
            self.steps += 1
            self.times.append(sim.time)
            if self.first_step is None:
                self.first_step = time.monotonic()
        self.settled = Settled(sim.time, sim.iteration, sim.convergence.converged, sim.steptime,
                               sim.offset, sim.report, states)

    def close(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()
            self.server = None

    # -- routes -----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Alive, and for how long."""
        return {"status": "ok", "sid": getattr(self.sim, "sid", None),
                "uptime_s": time.monotonic() - self.started}

    def status(self) -> dict[str, Any]:
        """Progress and the last cycle (module docstring)."""
        step = self.times[1] - self.times[0] if len(self.times) == 2 else None
        return snapshot_status(self.sim, self.settled, self.settings.until, self.steps,
                               self._elapsed(), step)

    def agents(self) -> dict[str, Any]:
        """Every agent with its state and setpoint."""
        return snapshot_agents(self.sim, self.settled)

    def _elapsed(self) -> float | None:
        return None if self.first_step is None else time.monotonic() - self.first_step

    def _route(self, path: str) -> tuple[int, dict[str, Any]]:
        if path in self.routes:
            return 200, self.routes[path]()
        if path.startswith("/cells/"):
            cell = snapshot_cell(self.sim, self.settled, path.removeprefix("/cells/"))
            if cell is None:
                return 404, {"error": f"no cell {path.removeprefix('/cells/')!r}"}
            return 200, cell
        return 404, {"error": f"no route {path!r}; routes: /health, /status, /agents, "
                              "/cells/{id}"}

    # -- HTTP -------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                     ) -> None:
        self.connections += 1
        try:
            if self.connections > MAX_CONNECTIONS:
                code, body = 503, {"error": "too many connections"}
            else:
                code, body = await self._answer(reader)
            payload = json.dumps(body, allow_nan=False, default=repr).encode()
            head = (f"HTTP/1.1 {code} {REASONS[code]}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\nCache-Control: no-store\r\n"
                    "Connection: close\r\n")
            if code == 401:
                head += 'WWW-Authenticate: Bearer realm="massca"\r\n'
            writer.write(head.encode() + b"\r\n" + payload)
            await asyncio.wait_for(writer.drain(), REQUEST_TIMEOUT_S)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the client went away or stalled: nothing to answer
        finally:
            self.connections -= 1
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT_S)
        except (asyncio.LimitOverrunError, ValueError):
            return 400, {"error": f"request larger than {MAX_REQUEST_BYTES} bytes"}
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, {"error": "malformed request line"}
        method, target, _ = parts
        if method != "GET":
            return 405, {"error": f"method {method} not allowed; use GET"}
        if not self._authorised(lines[1:]):
            return 401, {"error": "missing or wrong bearer token"}
        return self._route(target.split("?", 1)[0].rstrip("/") or "/")

    def _authorised(self, header_lines: list[str]) -> bool:
        token = self.settings.token
        if token is None:
            return True
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "authorization":
                scheme, _, given = value.strip().partition(" ")
                return scheme.lower() == "bearer" and hmac.compare_digest(
                    given.strip().encode(), token.encode())
        return False


def snapshot_status(sim: MosaikAgents, settled: Settled | None, until: int | None,
                    steps: int, elapsed: float | None, step: int | None = None
                    ) -> dict[str, Any]:
    """``/status``: where the simulation is and what the last finished cycle cost.

    ``progress`` is the share of ``until`` simulated once the step at ``time`` is done
    (``step``: the last difference between stepped times; unknown before the second).
    """
    roles = [e.role for e in sim.entities.values()]
    counts = {"agents": len(roles), "units": roles.count("unit"),
              "controllers": roles.count("controller"), "steps": steps, "until": until,
              "steps_per_s": steps / elapsed if elapsed else None}
    if settled is None:
        return {"time": None, "progress": None, "iterations": 0, "converged": None,
                "step_agent_time_s": 0.0, "cycle": None, "rejected": 0, "offset_MW": None,
                **counts}
    report = settled.report
    return {
        "time": settled.time,
        "progress": min(1.0, (settled.time + (step or 0)) / until) if until else None,
        "iterations": settled.iteration + 1,
        "converged": settled.converged,
        "step_agent_time_s": settled.steptime,
        "cycle": {"cycle": report.cycle, "agent_time_s": report.seconds,
                  "messages": report.messages, "negotiations": report.negotiations,
                  "deviation_MW": report.deviation},
        "rejected": report.rejected,
        "offset_MW": settled.offset,
        **counts,
    }


def _agent(sim: MosaikAgents, settled: Settled | None, eid: str,
           children: dict[str, list[str]], root: str | None) -> dict[str, Any]:
    entity = sim.entities[eid]
    report = settled.report if settled is not None else None
    parent = entity.parent if entity.parent is not None or eid == root else root
    item: dict[str, Any] = {"eid": eid, "role": entity.role, "parent": parent,
                            "children": children.get(eid, [])}
    if entity.role == "unit":
        item["kind"] = entity.kind
        item["state"] = _jsonable(settled.states.get(eid)) if settled else None
        item["setpoint"] = _jsonable(report.results.get(eid)) if report else None
    elif entity.role == "controller":
        item["state"] = _jsonable(report.aggregates.get(eid)) if report else None
        item["setpoint"] = _jsonable(report.targets.get(eid)) if report else None
    return item


def _children(sim: MosaikAgents) -> tuple[str | None, dict[str, list[str]]]:
    tree: dict[str, list[str]] = {}
    root = next((e.eid for e in sim.entities.values() if e.role == "core"), None)
    for entity in sim.entities.values():
        if entity.role is None or entity.eid == root:
            continue
        parent = entity.parent if entity.parent is not None else root
        if parent is not None:
            tree.setdefault(parent, []).append(entity.eid)
    return root, tree


def snapshot_agents(sim: MosaikAgents, settled: Settled | None) -> dict[str, Any]:
    """``/agents``: the tree (flat, with parents and children), states and setpoints."""
    root, children = _children(sim)
    return {"time": settled.time if settled else None, "root": root,
            "agents": [_agent(sim, settled, eid, children, root) for eid in sim.entities]}


def snapshot_cell(sim: MosaikAgents, settled: Settled | None, ref: str
                  ) -> dict[str, Any] | None:
    """``/cells/{ref}``: one cell (by eid or position below the core) and its subtree."""
    root, children = _children(sim)
    cells = [c for c in children.get(root, []) if sim.entities[c].role == "controller"] \
        if root else []
    if ref.isdigit() and int(ref) < len(cells):
        eid = cells[int(ref)]
    elif ref in cells:
        eid = ref
    else:
        return None
    subtree, todo = [], deque([eid])
    while todo:
        current = todo.popleft()
        subtree.append(_agent(sim, settled, current, children, root))
        todo.extend(children.get(current, []))
    return {"time": settled.time if settled else None, "cell": eid,
            "index": cells.index(eid), "agents": subtree}
