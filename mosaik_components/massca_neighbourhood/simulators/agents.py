"""``AgentsSimulator``: the neighbourhood's mango agents as a mosaik simulator.

Event-based: stepped when houses announce jobs or predictions (``jobs`` and
``predictions`` of :class:`~.households.HouseholdsSimulator`'s ``House``, one
``Household`` entity per house). In a step it hands every producer its new predictions,
then negotiates the new jobs one after the other (creation time, house, device, id), and
outputs, per household, the contracts made or moved (``contracts``, plain dicts).

``init``, ``setup_done`` and ``step`` are generator functions that ``yield`` the agents'
coroutines: mosaik (in-process) and mosaik_api_v3 (``cmd``) await them on their own
loop, where the mango containers run (no nested loops, no threads). ``finalize`` cannot
await, so the simulator schedules itself a last step at ``until - 1`` and stops the
agents (and saves the scores) there: pass the run's ``until``.

Extra methods: ``scores()`` (the scoreboard), ``stats()`` (message and decision
counters), ``contracts()`` (every contract).
"""

from __future__ import annotations

import asyncio
import logging
import time as clock
from collections.abc import Generator
from pathlib import Path
from typing import Any

import mosaik_api_v3

from ..model import Job, LoadProfile, Neighbourhood, NeighbourhoodError, Prediction, Profile
from ..model import job_order as order_of_job
from ..optimisation import SolverOptions
from ..runtime import AgentSystem
from ..scores import Scoreboard
from ..xmlio import read_neighbourhood

__all__ = ["AgentsSimulator", "META", "contract_dict"]

logger = logging.getLogger(__name__)

STATS = ("requests", "declines", "grid_contracts", "messages", "rejected",
         "negotiation_time[s]")
META = {
    "api_version": "3.0",
    "type": "event-based",
    "models": {
        "Household": {
            "public": True,
            "params": ["id"],
            # event-based: every input triggers a step; contracts is an output only
            "attrs": ["jobs", "predictions", "contracts"],
            "trigger": ["jobs", "predictions", "contracts"],
        },
        "Market": {
            "public": True,
            "params": [],
            "attrs": list(STATS),
            "trigger": list(STATS),
        },
    },
    "extra_methods": ["scores", "stats", "contracts"],
}


def contract_dict(contract: Any) -> dict[str, Any]:
    """A contract as the plain dict sent through mosaik."""
    return {"job": contract.job, "house": contract.house, "producer": contract.producer,
            "start": contract.start, "agreed": contract.agreed, "declines": contract.declines}


class AgentsSimulator(mosaik_api_v3.Simulator):
    """See the module docstring."""

    def __init__(self) -> None:
        super().__init__(META)
        self.system: AgentSystem | None = None
        self.neighbourhood: Neighbourhood | None = None
        self.households: dict[str, str] = {}     # eid -> house id
        self.market: str | None = None
        self.until = 0
        self.scores_path: Path | None = None
        self.out: dict[str, list[dict[str, Any]]] = {}
        self.step_stats: dict[str, float] = dict.fromkeys(STATS, 0.0)
        self.producer_order: dict[str, int] = {}
        self._closing: asyncio.Task[None] | None = None
        self.sid = ""

    # -- mosaik API -----------------------------------------------------------------------
    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             path: str | None = None, jobs: str | None = None,
             neighbourhood: Neighbourhood | None = None, until: int | None = None,
             method: str = "descent", eps: float = 1.0, tol: float = 1e-6, niter: int = 10,
             stepsize: float = 1800.0, time_limit: float | None = None,
             max_grid_share: float = 0.0, seed: int = 0, scores: str | None = None,
             save_scores: bool = True, containers: int = 1, host: str = "127.0.0.1",
             allow_remote: bool = False, timeout: float = 30.0
             ) -> Generator[Any, Any, dict[str, Any]]:
        if isinstance(until, bool) or not isinstance(until, int) or until < 1:
            raise ValueError(f"{sid}: until (the run's end, s) must be an integer >= 1, got "
                             f"{until!r}; the agents stop in their last step")
        if (path is None) == (neighbourhood is None):
            raise ValueError(f"{sid}: give exactly one of path (an XML file) and neighbourhood")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{sid}: seed must be an integer >= 0, got {seed!r}")
        self.sid = sid
        self.until = until
        nb = neighbourhood if neighbourhood is not None else read_neighbourhood(
            Path(path), jobs)  # type: ignore[arg-type]
        self.neighbourhood = nb
        options = SolverOptions(method=method, eps=eps, tol=tol, niter=niter,  # type: ignore
                                stepsize=stepsize, time_limit=time_limit)
        self.scores_path = Path(scores) if scores is not None and save_scores else None
        board = Scoreboard.load(Path(scores), nb.id) if scores is not None else Scoreboard(nb.id)
        self.producer_order = {p.id: i for i, (_, p) in enumerate(nb.producers())}
        self.system = AgentSystem(nb, step_size, options, board, seed=seed,
                                  max_grid_share=max_grid_share, containers=containers,
                                  host=host, allow_remote=allow_remote, timeout=timeout)
        yield self.system.start()
        return self.meta

    def create(self, num: int, model: str, **params: Any) -> list[dict[str, str]]:
        assert self.neighbourhood is not None
        if model == "Market":
            if num != 1 or self.market is not None:
                raise ValueError("create exactly one Market entity")
            self.market = "market"
            return [{"eid": self.market, "type": model}]
        if model != "Household":
            raise ValueError(f"unknown model {model!r}; known: Household, Market")
        if num != 1:
            raise ValueError(f"create Households one at a time (id=...), got num={num}")
        house_id = params.get("id")
        known = {h.id for h in self.neighbourhood.houses}
        if house_id not in known:
            raise ValueError(f"Household id={house_id!r}: no such house (known: {sorted(known)})")
        eid = f"Household-{house_id}"
        if eid in self.households:
            raise ValueError(f"Household id={house_id!r} created twice")
        self.households[eid] = house_id
        return [{"eid": eid, "type": model}]

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]],
             max_advance: int) -> Generator[Any, Any, int | None]:
        assert self.system is not None
        predictions, jobs = self._read(inputs)
        before = self._counters()
        started = clock.perf_counter()
        if predictions or jobs:
            yield self._negotiate(time, predictions, jobs)
        self.out = {f"Household-{house}": [contract_dict(c) for c in changed]
                    for house, changed in self.system.changes().items()}
        after = self._counters()
        self.step_stats = {s: after[s] - before[s] for s in STATS}
        self.step_stats["negotiation_time[s]"] = clock.perf_counter() - started
        if time >= self.until - 1:
            yield self._stop()
            return None
        return self.until - 1

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = {}
        for eid, attrs in outputs.items():
            values: dict[str, Any] = {}
            for attr in attrs:
                if eid == self.market and attr in STATS:
                    values[attr] = self.step_stats[attr]
                elif attr == "contracts":
                    if self.out.get(eid):
                        values[attr] = self.out[eid]
                else:
                    raise ValueError(f"{eid}: {attr!r} is not an output")
            data[eid] = values
        return data

    def finalize(self) -> None:
        if self.system is None or not self.system.activation.active:
            return
        # the run ended before the last step (an error elsewhere, or run() stopped early):
        # finalize cannot await, so the shutdown is handed to the running loop if any
        logger.warning("%s: the agents were still running at finalize; stopping them (pass "
                       "the run's until and run the world until then)", self.sid)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._closing = loop.create_task(self.system.stop())

    # -- extra methods --------------------------------------------------------------------
    def scores(self) -> dict[str, int]:
        """The scoreboard (producer -> score)."""
        assert self.system is not None
        return dict(self.system.scoreboard.scores)

    def stats(self) -> dict[str, float]:
        """Message and decision counters of the whole run."""
        assert self.system is not None
        return {**{k: float(v) for k, v in vars(self.system.stats).items()},
                "rejected": float(self.system.rejected)}

    def _counters(self) -> dict[str, float]:
        """The counters of :data:`STATS` now (rejected: frames and agents' refusals)."""
        assert self.system is not None
        counters = {s: float(getattr(self.system.stats, s, 0)) for s in STATS}
        counters["rejected"] = float(self.system.rejected)
        return counters

    def contracts(self) -> list[dict[str, Any]]:
        """Every job's current contract."""
        assert self.system is not None
        return [contract_dict(c) for c in self.system.contracts().values()]

    # -- internals ------------------------------------------------------------------------
    def _read(self, inputs: dict[str, dict[str, dict[str, Any]]]
              ) -> tuple[list[tuple[str, Prediction]], list[Job]]:
        predictions: list[tuple[str, Prediction]] = []
        jobs: list[Job] = []
        for eid, attrs in inputs.items():
            house = self.households.get(eid)
            if house is None:
                raise ValueError(f"inputs for unknown entity {eid!r}")
            for source, items in attrs.get("predictions", {}).items():
                for item in items or ():
                    predictions.append(self._prediction(eid, source, house, item))
            for source, items in attrs.get("jobs", {}).items():
                for item in items or ():
                    jobs.append(self._job(eid, source, house, item))
        predictions.sort(key=lambda p: (p[1].issued, self.producer_order[p[0]]))
        jobs.sort(key=order_of_job)
        return predictions, jobs

    def _prediction(self, eid: str, source: str, house: str, item: Any
                    ) -> tuple[str, Prediction]:
        assert self.neighbourhood is not None
        where = f"{eid}: prediction from {source}"
        try:
            producer = item["producer"]
            if producer not in {p.id for p in self.neighbourhood.house(house).producers()}:
                raise NeighbourhoodError(f"producer {producer!r} is not a PV unit of house "
                                         f"{house}")
            return producer, Prediction(item["issued"], Profile(tuple(item["times"]),
                                                                tuple(item["energy"])))
        except (KeyError, TypeError, NeighbourhoodError) as exc:
            raise NeighbourhoodError(f"{where}: {exc!s} ({item!r:.200})") from None

    def _job(self, eid: str, source: str, house: str, item: Any) -> Job:
        where = f"{eid}: job from {source}"
        try:
            job = Job(item["id"], item["house"], item["device"], item["created"],
                      item["earliest"], item["latest"], item["template"],
                      LoadProfile(tuple(item["times"]), tuple(item["energy"])))
        except (KeyError, TypeError, NeighbourhoodError) as exc:
            raise NeighbourhoodError(f"{where}: {exc!s} ({item!r:.200})") from None
        if job.house != house:
            raise NeighbourhoodError(f"{where}: job {job.id} belongs to house {job.house}, not "
                                     f"{house}")
        return job

    async def _negotiate(self, time: int, predictions: list[tuple[str, Prediction]],
                         jobs: list[Job]) -> None:
        assert self.system is not None
        for producer, prediction in predictions:
            await self.system.predict(producer, prediction, time)
        for job in jobs:
            if job.created // self.system.step != time // self.system.step:
                raise NeighbourhoodError(f"job {job.id} created at {job.created} s announced "
                                         f"at {time} s")
            await self.system.negotiate(job, time)

    async def _stop(self) -> None:
        assert self.system is not None
        await self.system.stop()
        if self.scores_path is not None:
            self.system.scoreboard.save(self.scores_path)


def main() -> None:
    """Run as a mosaik ``cmd`` simulator: ``python -m ...simulators.agents ADDR``."""
    mosaik_api_v3.start_simulation(AgentsSimulator())


if __name__ == "__main__":
    main()
