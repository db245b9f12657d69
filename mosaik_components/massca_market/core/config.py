"""The market's validated configuration (pydantic v2): every parameter, one place.

Models nest the way the simulators take them: a home's physics (:class:`HomeSpec`, the
``Home`` unit simulator's params), its behaviour (:class:`PolicySpec`, the ``HomeAgent``
params), tariffs, price formation, the external events, and the whole run
(:class:`MarketConfig`). Validation is strict (no bools or strings for numbers, no
``inf``/``nan``, no unknown fields); :func:`validate` turns pydantic's errors into one
:class:`~..errors.MarketConfigError` whose lines name each field and the value given,
e.g. ``homes.3.policy: Input should be 'sell', 'give' or 'hold' (got 'steal')``.

Units: energy kWh, power kW, money EUR, prices EUR/kWh, temperatures degC, time in
periods of ``step_s`` seconds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import MarketConfigError

__all__ = [
    "Policy", "Demand", "Scope", "HomeSpec", "PolicySpec", "HomeConfig", "Tariffs",
    "PriceParams", "EventKind", "ScheduledEvent", "EventSettings", "MarketConfig",
    "DEFAULT_EVENT_KINDS", "LOOPBACK", "validate", "format_errors",
]

Policy = Literal["sell", "give", "hold"]
Demand = Literal["buy", "ask"]
Scope = Literal["cell", "system"]

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Efficiency = Annotated[float, Field(gt=0, le=1)]
Count = Annotated[int, Field(ge=0)]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class HomeSpec(_Model):
    """One home's physics: consumption, PV production and its stock (home storage).

    Consumption is ``load_peak_kw * P_pu`` (a profile input) times a factor drawn each
    period from ``U(1 - load_noise, 1 + load_noise)`` with ``load="profile"``, or drawn
    each period from ``U(load_min_kw, load_max_kw)`` with ``load="random"``. PV produces
    ``pv_kwp * GHI / 1000 W/m2 * pv_pr``. The stock (``stock_kwh`` capacity,
    ``stock_kw`` charge and discharge limit, round-trip ``stock_efficiency``, state of
    charge kept within ``[stock_min, stock_max]`` x capacity, starting at ``stock_init``)
    serves the home's own balance first.
    """

    load: Literal["profile", "random"] = "random"
    load_peak_kw: NonNegative = 1.0
    load_noise: Fraction = 0.0
    load_min_kw: NonNegative = 0.1
    load_max_kw: NonNegative = 1.0
    pv_kwp: NonNegative = 0.0
    pv_pr: Efficiency = 0.8
    stock_kwh: NonNegative = 0.0
    stock_kw: NonNegative = 0.0
    stock_efficiency: Efficiency = 0.9
    stock_init: Fraction = 0.5
    stock_min: Fraction = 0.0
    stock_max: Fraction = 1.0

    @model_validator(mode="after")
    def _ranges(self) -> HomeSpec:
        if self.load_min_kw > self.load_max_kw:
            raise ValueError(f"load_min_kw ({self.load_min_kw}) must not exceed load_max_kw "
                             f"({self.load_max_kw})")
        if not self.stock_min <= self.stock_init <= self.stock_max:
            raise ValueError(f"need stock_min <= stock_init <= stock_max, got "
                             f"{self.stock_min}, {self.stock_init}, {self.stock_max}")
        return self


class PolicySpec(_Model):
    """What a home does with energy it cannot use or store, and how it covers a need.

    ``policy`` for a surplus: ``sell`` it on the market, ``give`` it as a gift, or
    ``hold``: offer it as a gift and sell only once no taker asked in its market for
    ``ttl`` periods in a row (see :mod:`.policy`). ``demand`` for a need: ``buy`` it on
    the market, or ``ask`` for a gift first (the rest is bought).
    """

    policy: Policy = "sell"
    demand: Demand = "buy"
    ttl: Annotated[int, Field(ge=1)] = 4


class HomeConfig(HomeSpec, PolicySpec):
    """A home of a run: physics, behaviour and the cell it belongs to."""

    cell: Count = 0

    def spec(self) -> HomeSpec:
        """The physics part (the ``Home`` unit simulator's params)."""
        return HomeSpec(**{name: getattr(self, name) for name in HomeSpec.model_fields})

    def policy_spec(self) -> PolicySpec:
        """The behaviour part (the ``HomeAgent`` params)."""
        return PolicySpec(**{name: getattr(self, name) for name in PolicySpec.model_fields})


class Tariffs(_Model):
    """The external grid: what importing costs and exporting earns (EUR/kWh)."""

    import_eur_kwh: NonNegative = 0.32
    export_eur_kwh: NonNegative = 0.08

    @model_validator(mode="after")
    def _order(self) -> Tariffs:
        if self.export_eur_kwh > self.import_eur_kwh:
            raise ValueError(f"export_eur_kwh ({self.export_eur_kwh}) must not exceed "
                             f"import_eur_kwh ({self.import_eur_kwh})")
        return self


class PriceParams(_Model):
    """Price formation (see :mod:`.price` for the equations).

    ``reference`` is the level the base price reverts to (``theta``: the share of the
    log distance closed per period), ``kappa`` its log move per period at a full
    imbalance of bids vs offers,
    ``beta_heat``/``beta_cool`` the relative rise per kelvin below ``t_heat`` / above
    ``t_cool``. ``initial`` is the base price before the first period (default:
    ``reference``).
    """

    reference: Positive = 0.20
    initial: Positive | None = None
    kappa: Annotated[float, Field(ge=0, le=1)] = 0.04
    theta: Fraction = 0.1
    t_heat: float = 15.0
    t_cool: float = 24.0
    beta_heat: NonNegative = 0.01
    beta_cool: NonNegative = 0.01

    @model_validator(mode="after")
    def _consistent(self) -> PriceParams:
        if self.t_heat > self.t_cool:
            raise ValueError(f"t_heat ({self.t_heat}) must not exceed t_cool ({self.t_cool})")
        return self

    @property
    def start(self) -> float:
        """The base price before the first period."""
        return self.initial if self.initial is not None else self.reference


class EventKind(_Model):
    """A kind of external event: the price times ``1 + coef`` for ``ttl`` periods.

    Random arrivals pick kinds in proportion to ``weight``.
    """

    coef: Annotated[float, Field(gt=-1)]
    ttl: Annotated[int, Field(ge=1)]
    weight: Positive = 1.0


class ScheduledEvent(_Model):
    """An event of a known kind that starts at period ``period`` (0 = the first)."""

    kind: str
    period: Count


#: The default catalogue: supply shocks raise the price, abundance lowers it.
DEFAULT_EVENT_KINDS: dict[str, EventKind] = {
    "plant_outage": EventKind(coef=0.5, ttl=4),
    "cold_snap": EventKind(coef=0.25, ttl=8),
    "wind_surge": EventKind(coef=-0.2, ttl=6),
    "holiday": EventKind(coef=-0.1, ttl=16),
}


class EventSettings(_Model):
    """The external event process: seeded random arrivals plus scheduled events.

    In every period an event arrives with probability ``rate_per_day * step / 1 day``
    (at most one per period); its kind is drawn by weight from ``kinds``.
    """

    kinds: dict[str, EventKind] = Field(default_factory=lambda: dict(DEFAULT_EVENT_KINDS))
    rate_per_day: NonNegative = 4.0
    scheduled: list[ScheduledEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> EventSettings:
        for index, event in enumerate(self.scheduled):
            if event.kind not in self.kinds:
                raise ValueError(f"scheduled.{index}.kind: unknown event {event.kind!r}; "
                                 f"known: {sorted(self.kinds)}")
        if self.rate_per_day > 0 and not self.kinds:
            raise ValueError(f"rate_per_day is {self.rate_per_day} but no event kinds are "
                             "defined")
        return self

    def probability(self, step_s: int) -> float:
        """The chance of an arrival in one period of ``step_s`` seconds."""
        return self.rate_per_day * step_s / 86400.0


class MarketConfig(_Model):
    """A whole run: the homes, one market per cell or one for the system, prices, events."""

    homes: Annotated[list[HomeConfig], Field(min_length=1)]
    scope: Scope = "cell"
    step_s: Annotated[int, Field(ge=1)] = 900
    seed: Count = 0
    tariffs: Tariffs = Field(default_factory=Tariffs)
    price: PriceParams = Field(default_factory=PriceParams)
    events: EventSettings = Field(default_factory=EventSettings)
    timeout_s: Positive = 30.0
    containers: Annotated[int, Field(ge=1, le=64)] = 1
    host: str = "127.0.0.1"

    @model_validator(mode="after")
    def _consistent(self) -> MarketConfig:
        chance = self.events.probability(self.step_s)
        if chance > 1:
            raise ValueError(f"events.rate_per_day ({self.events.rate_per_day}) exceeds one "
                             f"event per period of {self.step_s} s")
        if self.host not in LOOPBACK:
            raise ValueError(f"host must be a loopback address {LOOPBACK}, got {self.host!r}")
        return self

    def cells(self) -> list[int]:
        """The cells that have homes, ascending."""
        return sorted({home.cell for home in self.homes})


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, where: str = "") -> M:
    """``model`` from ``data`` (a dict or an instance); errors become one MarketConfigError."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise MarketConfigError(format_errors(exc, where)) from None


def format_errors(exc: ValidationError, where: str = "") -> str:
    """One line per error: ``field.path: message (got value)``."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in (where, *error["loc"]) if part != "")
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "value_error":  # ours: the message names fields and values
            lines.append(f"{loc}: {message}" if loc else message)
        else:
            lines.append(f"{loc or model_name(exc)}: {message} (got {error['input']!r})")
    return "invalid market configuration:\n  " + "\n  ".join(lines)


def model_name(exc: ValidationError) -> str:
    """The model's name, for errors at its top level."""
    return str(exc.title)
