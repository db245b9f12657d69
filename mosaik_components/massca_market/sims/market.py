"""``MarketSimulator``: the market agents (mango) as one mosaik simulator.

Time-based with ``step_size`` seconds (one period per step); every output is persistent
(mosaik's default for time-based simulators). ``init``, ``setup_done`` and ``step`` are
generator functions that ``yield`` awaitables, so the mango containers run on mosaik's
own event loop (in-process and as a ``cmd`` subprocess alike): no nested loops, no
threads. The containers start in ``setup_done`` (after every entity was validated) and
stop after the step that reaches ``until`` (simulator param), or when a step fails.

Models:

* ``Market`` (params: none): one market agent. Inputs ``T_air[degC]`` (the air
  temperature; required) and ``events`` (the active events as published by
  :class:`~.events.EventSimulator`; optional).
* ``HomeAgent`` (params: ``market`` = the eid of its ``Market``, the fields of
  :class:`~..core.config.PolicySpec`, optional ``hid`` = entity id): one home agent.
  Input ``E[kWh]``: the home's residual energy this period (from ``HomeSimulator``).

Per step the runtime runs one period (:meth:`~..agents.runtime.MarketRuntime.run_period`)
and the outputs below are that period's. Extra method ``get_ledger()`` returns every
settled home's fills per period (trades) and the gift pairs.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Generator
from typing import Any

import mosaik_api_v3

from ..agents.runtime import MarketRuntime, PeriodReport
from ..core.config import PolicySpec, PriceParams, Tariffs, validate
from ..errors import MarketConfigError

__all__ = ["MarketSimulator", "META", "MARKET_OUTPUTS", "HOME_OUTPUTS", "main"]

logger = logging.getLogger(__name__)

MARKET_OUTPUTS = [
    "price[EUR/kWh]", "price_formed[EUR/kWh]", "price_base[EUR/kWh]", "imbalance",
    "temperature_factor", "event_factor", "bids[kWh]", "offers[kWh]", "traded[kWh]",
    "gift_offers[kWh]", "gift_asks[kWh]", "gifted[kWh]", "import[kWh]", "export[kWh]",
    "paid[EUR]", "earned[EUR]", "grid_bill[EUR]", "welfare[EUR]", "messages", "duplicates",
    "rejected",
]
HOME_OUTPUTS = ["bought[kWh]", "sold[kWh]", "given[kWh]", "received[kWh]", "import[kWh]",
                "export[kWh]", "paid[EUR]", "earned[EUR]", "cost[EUR]", "bill[EUR]"]
META = {
    "api_version": "3.0",
    "type": "time-based",
    "models": {
        "Market": {"public": True, "params": [],
                   "attrs": ["T_air[degC]", "events", *MARKET_OUTPUTS]},
        "HomeAgent": {"public": True, "params": ["market", "hid", *PolicySpec.model_fields],
                      "attrs": ["E[kWh]", *HOME_OUTPUTS]},
    },
    "extra_methods": ["get_ledger", "get_stats"],
}


class MarketSimulator(mosaik_api_v3.Simulator):
    """The market agents (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.until: int | None = None
        self.keep_ledger = True
        #: per period: messages (all markets), agent wall seconds
        self.stats: list[tuple[int, int, float]] = []
        self.runtime: MarketRuntime | None = None
        self.settings: dict[str, Any] = {}
        self.markets: list[str] = []
        self.homes: dict[str, tuple[str, PolicySpec]] = {}
        self.report: PeriodReport | None = None
        self.trades: list[tuple[Any, ...]] = []
        self.gifts: list[tuple[Any, ...]] = []
        #: per market: messages, duplicates, rejected (totals so far, this period's delta)
        self.counts: dict[str, tuple[int, int, int]] = {}
        self.deltas: dict[str, tuple[int, int, int]] = {}
        self._closing: Any = None

    # -- mosaik API -------------------------------------------------------------------
    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             tariffs: dict[str, Any] | None = None, price: dict[str, Any] | None = None,
             timeout: float = 30.0, containers: int = 1, host: str = "127.0.0.1",
             placement: str = "market", until: int | None = None, ledger: bool = True
             ) -> dict[str, Any]:
        """Validate the parameters; the containers start in ``setup_done``.

        ``ledger=False`` keeps no per-home trades (``get_ledger`` is then empty): for runs
        with very many homes.
        """
        self.sid = sid
        for name, value, low in (("step_size", step_size, 1), ("containers", containers, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise MarketConfigError(f"{sid}: {name} must be an integer >= {low}, got "
                                        f"{value!r}")
        if until is not None and (isinstance(until, bool) or not isinstance(until, int)):
            raise MarketConfigError(f"{sid}: until must be an integer (seconds), got {until!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not (
                math.isfinite(timeout) and timeout > 0):
            raise MarketConfigError(f"{sid}: timeout must be a number > 0, got {timeout!r}")
        if not isinstance(ledger, bool):
            raise MarketConfigError(f"{sid}: ledger must be true or false, got {ledger!r}")
        self.step_size, self.until, self.keep_ledger = step_size, until, ledger
        self.settings = {
            "tariffs": validate(Tariffs, tariffs or {}, where=f"{sid}.tariffs"),
            "price": validate(PriceParams, price or {}, where=f"{sid}.price"),
            "runtime": (containers, host, float(timeout), placement),
        }
        MarketRuntime.check(*self.settings["runtime"])
        return self.meta

    def create(self, num: int, model: str, **params: Any) -> list[dict[str, Any]]:
        """``Market`` or ``HomeAgent`` entities (validated here, before the run)."""
        if model == "Market":
            if params:
                raise MarketConfigError(f"{self.sid}: Market takes no params, got "
                                        f"{sorted(params)}")
            eids = [f"Market_{len(self.markets) + i}" for i in range(num)]
            self.markets.extend(eids)
            return [{"eid": eid, "type": model} for eid in eids]
        if model != "HomeAgent":
            raise MarketConfigError(f"{self.sid}: unknown model {model!r}; known: 'Market', "
                                    "'HomeAgent'")
        market, hid = params.pop("market", None), params.pop("hid", None)
        if market not in self.markets:
            raise MarketConfigError(f"{self.sid}: HomeAgent market must be the eid of a Market "
                                    f"created before, got {market!r}; known: {self.markets}")
        if hid is not None and (num != 1 or not isinstance(hid, str) or hid in self.homes
                                or hid in self.markets):
            raise MarketConfigError(f"{self.sid}: hid must be a new entity id for exactly one "
                                    f"home agent, got hid={hid!r} for {num}")
        policy = validate(PolicySpec, params, where=f"{self.sid}.HomeAgent")
        created = []
        for _ in range(num):
            eid = hid if hid is not None else f"HomeAgent_{len(self.homes)}"
            self.homes[eid] = (market, policy)
            created.append({"eid": eid, "type": model})
        return created

    def setup_done(self) -> Generator[Any, Any, None]:
        """Start the containers and create one agent per entity."""
        runtime = MarketRuntime(*self.settings["runtime"])
        yield runtime.start()
        self.runtime = runtime
        for market in self.markets:
            runtime.add_market(market, self.settings["price"], self.settings["tariffs"])
        for home, (market, policy) in self.homes.items():
            runtime.add_home(home, market, policy)
        self.counts = {m: (0, 0, 0) for m in self.markets}

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]], max_advance: int
             ) -> Generator[Any, Any, int]:
        """One period: the agents trade; the containers stop after the last period."""
        runtime = self.runtime
        assert runtime is not None, "setup_done() first"
        try:
            residuals, temperature, coefficients = self._read(inputs)
            self.report = yield runtime.run_period(time // self.step_size, residuals,
                                                   temperature, coefficients)
        except BaseException:
            yield runtime.close()
            raise
        self._keep(time)
        if self.until is not None and time + self.step_size >= self.until:
            yield runtime.close()
        return time + self.step_size

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        """The outputs of markets and home agents for the last period."""
        report = self.report
        data: dict[str, dict[str, Any]] = {}
        if report is None:
            return data
        for eid, attrs in outputs.items():
            if eid in self.homes:
                values = self._home_values(eid, report)
            elif eid in report.clearings:
                values = self._market_values(eid, report)
            else:
                raise MarketConfigError(f"{self.sid}: unknown entity {eid!r}")
            missing = [a for a in attrs if a not in values]
            if missing:
                raise MarketConfigError(f"{self.sid}.{eid}: no output attribute(s) {missing}")
            data[eid] = {attr: values[attr] for attr in attrs}
        return data

    def finalize(self) -> None:
        """Nothing to do after ``until``; otherwise schedule the agents' shutdown.

        Best effort: mosaik calls ``finalize`` synchronously, inside its running loop.
        """
        if self.runtime is None or not self.runtime.containers.running:
            return
        logger.warning("%s: the market agents were still running at finalize (the run ended "
                       "early or without until=<end>); shutting them down", self.sid)
        try:
            self._closing = asyncio.get_running_loop().create_task(self.runtime.close())
        except RuntimeError:  # no running loop (e.g. called from plain code)
            asyncio.run(self.runtime.close())

    # -- extra method -----------------------------------------------------------------
    def get_ledger(self) -> dict[str, list[list[Any]]]:
        """Every home's fill per period and every gift pair (plain lists)."""
        return {
            "trades_columns": ["time", "market", "home", "mode", "bought", "sold", "given",
                               "received", "imported", "exported", "price", "paid",
                               "earned"],
            "trades": [list(row) for row in self.trades],
            "gifts_columns": ["time", "market", "giver", "taker", "kWh"],
            "gifts": [list(row) for row in self.gifts],
        }

    def get_stats(self) -> dict[str, list[Any]]:
        """Per period: time (s), messages of all markets, wall seconds the agents took."""
        return {"time": [row[0] for row in self.stats],
                "messages": [row[1] for row in self.stats],
                "seconds": [row[2] for row in self.stats]}

    # -- helpers ----------------------------------------------------------------------
    def _read(self, inputs: dict[str, dict[str, dict[str, Any]]]
              ) -> tuple[dict[str, float], dict[str, float], dict[str, list[float]]]:
        residuals = {}
        for home in self.homes:
            value = _one(inputs.get(home, {}).get("E[kWh]"), f"{self.sid}.{home}.E[kWh]")
            if value is None:
                raise MarketConfigError(f"{self.sid}.{home}: no E[kWh] input this step; "
                                        "connect the home's E[kWh] to its agent")
            residuals[home] = value
        temperature, coefficients = {}, {}
        for market in self.markets:
            given = inputs.get(market, {})
            value = _one(given.get("T_air[degC]"), f"{self.sid}.{market}.T_air[degC]")
            if value is None:
                raise MarketConfigError(f"{self.sid}.{market}: no T_air[degC] input this "
                                        "step; connect the weather to every Market")
            temperature[market] = value
            coefficients[market] = _coefficients(given.get("events"), f"{self.sid}.{market}")
        return residuals, temperature, coefficients

    def _keep(self, time: int) -> None:
        report, runtime = self.report, self.runtime
        assert report is not None and runtime is not None
        for market, agent in runtime.markets.items():
            now = (agent.received + agent.sent, agent.duplicates, agent.rejected)
            self.deltas[market] = tuple(  # type: ignore[assignment]
                a - b for a, b in zip(now, self.counts[market], strict=True))
            self.counts[market] = now
        self.stats.append((time, sum(d[0] for d in self.deltas.values()), report.seconds))
        if not self.keep_ledger:
            return
        for market, clearing in report.clearings.items():
            price = clearing.price.price
            for home, f in clearing.fills.items():
                if f.mode != "idle":
                    self.trades.append((time, market, home, f.mode, f.bought, f.sold, f.given,
                                        f.received, f.imported, f.exported, price, f.paid,
                                        f.earned))
            self.gifts.extend((time, market, giver, taker, kwh)
                              for giver, taker, kwh in clearing.gifts)

    def _market_values(self, eid: str, report: PeriodReport) -> dict[str, Any]:
        clearing = report.clearings[eid]
        point, totals = clearing.price, clearing.totals
        messages, duplicates, rejected = self.deltas[eid]
        return {
            "price[EUR/kWh]": point.price, "price_formed[EUR/kWh]": point.formed,
            "price_base[EUR/kWh]": point.base, "imbalance": point.imbalance,
            "temperature_factor": point.temperature_factor, "event_factor": point.event_factor,
            "bids[kWh]": totals.bids, "offers[kWh]": totals.offers,
            "traded[kWh]": totals.traded, "gift_offers[kWh]": totals.gift_offers,
            "gift_asks[kWh]": totals.gift_asks, "gifted[kWh]": totals.gifted,
            "import[kWh]": totals.imported, "export[kWh]": totals.exported,
            "paid[EUR]": totals.paid, "earned[EUR]": totals.earned,
            "grid_bill[EUR]": totals.grid_bill, "welfare[EUR]": totals.welfare,
            "messages": messages, "duplicates": duplicates, "rejected": rejected,
        }

    def _home_values(self, eid: str, report: PeriodReport) -> dict[str, Any]:
        f = report.fills[eid]
        agent = self.runtime.homes[eid] if self.runtime is not None else None
        return {"bought[kWh]": f.bought, "sold[kWh]": f.sold, "given[kWh]": f.given,
                "received[kWh]": f.received, "import[kWh]": f.imported,
                "export[kWh]": f.exported, "paid[EUR]": f.paid, "earned[EUR]": f.earned,
                "cost[EUR]": f.cost, "bill[EUR]": agent.bill if agent else 0.0}


def _one(sources: dict[str, Any] | None, where: str) -> float | None:
    """The single finite number connected to an input (None if nothing is)."""
    if not sources:
        return None
    if len(sources) != 1:
        raise MarketConfigError(f"{where}: one source expected, got {sorted(sources)}")
    (source, value), = sources.items()
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MarketConfigError(f"{where}: not a finite number from {source}: {value!r}")
    return float(value)


def _coefficients(sources: dict[str, Any] | None, where: str) -> list[float]:
    """The coefficients of the active events connected to a market (checked)."""
    coefficients: list[float] = []
    for source, events in (sources or {}).items():
        if not isinstance(events, list):
            raise MarketConfigError(f"{where}.events: a list of events expected from "
                                    f"{source}, got {events!r}")
        for event in events:
            coef = event.get("coef") if isinstance(event, dict) else None
            if isinstance(coef, bool) or not isinstance(coef, int | float) or not (
                    math.isfinite(coef) and coef > -1):
                raise MarketConfigError(f"{where}.events: an event from {source} needs a "
                                        f"finite coef > -1, got {event!r}")
            coefficients.append(float(coef))
    return coefficients


def main() -> None:
    """Run as a mosaik ``cmd`` simulator: ``python -m ...sims.market HOST:PORT``."""
    mosaik_api_v3.start_simulation(MarketSimulator(), "massca market agents")


if __name__ == "__main__":
    main()
