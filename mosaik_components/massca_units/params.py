"""The unit simulators' parameters as declared models (pydantic, strict).

One model per unit model (:class:`BatteryParams`, :class:`PVParams`, ...), one for the
simulator parameters every unit simulator takes (:class:`SimParams`), PV's site
(:class:`PVSiteParams`) and the data sources' forecast options (:class:`ForecastParams`).
Each declares its fields with type, range and default; a ``model_validator`` holds the
rules between fields. :meth:`UnitParams.checked` validates raw keyword arguments and
turns pydantic's :class:`~pydantic.ValidationError` into the :class:`ValueError` mosaik
surfaces: every problem (joined by ``; ``) names ``{where}.{field}`` and the value, e.g.
``Battery_0.soc_min must be in [0, 1] (...), got 1.5``; unknown parameters are named.

Numbers are strict as before: ``int`` and ``float`` (numpy's ``float64`` is a ``float``)
are accepted and stored as ``float``; ``bool``, strings, NaN and infinities are refused.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self, Union, get_args, get_origin

import annotated_types as at
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

__all__ = ["UnitParams", "SimParams", "BatteryParams", "CurtailableLoadParams",
           "FlexLoadParams", "GeneratorParams", "PVParams", "PVSiteParams",
           "ShiftableLoadParams", "WecsParams", "ForecastParams", "ForecastMethod",
           "Terminal"]



def _real(value: Any) -> Any:
    """Only ``int`` and ``float`` (pydantic's strict float also takes numpy's integers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


#: a finite number (int or float, stored as float; no bool, NaN or infinity)
Finite = Annotated[float, BeforeValidator(_real), Field(allow_inf_nan=False)]
NonNegative = Annotated[Finite, Field(ge=0)]
Positive = Annotated[Finite, Field(gt=0)]
Share = Annotated[Finite, Field(ge=0, le=1)]
#: an efficiency or a power factor
Fraction = Annotated[Finite, Field(gt=0, le=1)]
Cost = Annotated[Finite, Field(ge=0, description="per MWh")]
Terminal = Literal["cyclic", "free"]
ForecastMethod = Literal["perfect", "persistence", "noisy"]

SOC_RULE = "share of capacity_mwh; need 0 <= soc_min <= soc_init <= soc_max <= 1"
Soc = Annotated[Share, Field(description=SOC_RULE)]
#: pydantic's error types of a value that is not a finite number or not an integer
TYPE_ERRORS = {"float_type", "finite_number", "float_parsing", "int_type", "int_parsing",
               "int_from_float", "string_type"}


class UnitParams(BaseModel):
    """Base of the parameter models: strict, unknown fields refused, frozen."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    #: how unknown keyword arguments are called in the error
    unknown_label: ClassVar[str] = "parameter"

    @classmethod
    def checked(cls, where: str, params: Mapping[str, Any],
                context: Mapping[str, Any] | None = None) -> Self:
        """The validated model of ``params``, or a ``ValueError`` naming field and value.

        ``where`` (an entity id or a simulator id) starts every name in the message;
        ``context`` reaches the model's validators (e.g. the simulator's step).
        """
        try:
            return cls.model_validate(dict(params), context=dict(context or {}))
        except ValidationError as exc:
            raise ValueError(describe(cls, where, exc)) from None


def describe(model: type[BaseModel], where: str, error: ValidationError) -> str:
    """Every problem of ``error``: ``{where}.{field} must be ..., got {value!r}``; ..."""
    problems = error.errors(include_url=False)
    unknown = sorted(str(p["loc"][0]) for p in problems if p["type"] == "extra_forbidden")
    label = getattr(model, "unknown_label", "parameter")
    lines = [f"{where}: unknown {label}(s) {unknown}"] if unknown else []
    for problem in problems:
        if problem["type"] == "extra_forbidden":
            continue
        if not problem["loc"]:  # a rule between fields: its text starts with the field
            lines.append(f"{where}.{_text(problem)}")
            continue
        name = str(problem["loc"][0])
        lines.append(f"{where}.{name} {_requirement(model.model_fields[name], problem)}, "
                     f"got {problem['input']!r}")
    return "; ".join(lines)


def _text(problem: Mapping[str, Any]) -> str:
    """The message of a validator's ``ValueError`` (or pydantic's own message)."""
    error = problem.get("ctx", {}).get("error")
    return str(error) if error is not None else str(problem["msg"])


def _requirement(info: FieldInfo, problem: Mapping[str, Any]) -> str:
    """What the field needs: ``must be in [0, 1] (share of the demand)``, ..."""
    if problem["type"] == "value_error":  # a field validator's own rule
        return _text(problem)
    base, metadata, hint = _declared(info)
    if get_origin(base) is Literal:
        return f"must be one of {list(get_args(base))}"
    bounds = _bounds(metadata)
    note = f" ({hint})" if hint else ""
    if base is int:
        return f"must be an integer{' ' + bounds if bounds else ''}{note}"
    if base is str:
        return "must be a string"
    if problem["type"] in TYPE_ERRORS or not bounds:
        return "must be a finite number"
    return f"must be {bounds}{note}"


def _declared(info: FieldInfo) -> tuple[Any, list[Any], str | None]:
    """A field's type, its constraints and its description (also inside ``X | None``)."""
    annotation, metadata, hint = info.annotation, list(info.metadata), info.description
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        for item in extra:
            if isinstance(item, FieldInfo):
                metadata.extend(item.metadata)
                hint = hint or item.description
            else:
                metadata.append(item)
    return annotation, metadata, hint


def _bounds(metadata: list[Any]) -> str:
    """``in [0, 1]``, ``in (0, 1]``, ``>= 0``, ``> 0`` from a field's constraints."""
    low = next((m for m in metadata if isinstance(m, at.Ge | at.Gt)), None)
    high = next((m for m in metadata if isinstance(m, at.Le | at.Lt)), None)
    if low is not None and high is not None:
        left, lo = ("[", low.ge) if isinstance(low, at.Ge) else ("(", low.gt)
        right, hi = ("]", high.le) if isinstance(high, at.Le) else (")", high.lt)
        return f"in {left}{lo}, {hi}{right}"
    if low is not None:
        return f">= {low.ge}" if isinstance(low, at.Ge) else f"> {low.gt}"
    if high is not None:
        return f"<= {high.le}" if isinstance(high, at.Le) else f"< {high.lt}"
    return ""


class SimParams(UnitParams):
    """Every unit simulator's ``init`` params: ``step_size`` (s), ``horizon`` (intervals)."""

    unknown_label: ClassVar[str] = "simulator parameter"

    time_resolution: Any = 1.0
    step_size: Annotated[int, Field(ge=1)] = 900
    horizon: Annotated[int, Field(ge=1, description="intervals")] = 1

    @field_validator("time_resolution")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        if value != 1.0:
            raise ValueError("must be 1.0 (seconds), the only time resolution supported")
        return value


class BatteryParams(UnitParams):
    """A ``Battery``: ``0 <= soc_min <= soc_init <= soc_max <= 1``; efficiencies in (0, 1].

    Give either ``efficiency`` (round trip, default 0.9) or the one-way
    ``charge_efficiency``/``discharge_efficiency`` (each defaults to the square root of
    the round trip), not both.
    """

    capacity_mwh: Positive = 1.0
    p_charge_mw: NonNegative = 0.5
    p_discharge_mw: NonNegative = 0.5
    efficiency: Fraction | None = None
    charge_efficiency: Fraction | None = None
    discharge_efficiency: Fraction | None = None
    soc_init: Soc = 0.5
    soc_min: Soc = 0.0
    soc_max: Soc = 1.0
    wear_cost: Cost = 0.0
    terminal: Terminal = "cyclic"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.efficiency is not None and (self.charge_efficiency is not None
                                            or self.discharge_efficiency is not None):
            raise ValueError(
                f"efficiency ({self.efficiency!r}) comes with charge_efficiency="
                f"{self.charge_efficiency!r}, discharge_efficiency="
                f"{self.discharge_efficiency!r}: give either efficiency (round trip) or "
                "charge_efficiency/discharge_efficiency, not both")
        need = "need 0 <= soc_min <= soc_init <= soc_max <= 1"
        if self.soc_min > self.soc_max:
            raise ValueError(f"soc_min ({self.soc_min}) is greater than soc_max "
                             f"({self.soc_max}); {need}")
        if not self.soc_min <= self.soc_init <= self.soc_max:
            raise ValueError(f"soc_init ({self.soc_init}) contradicts the limits [soc_min, "
                             f"soc_max] = [{self.soc_min}, {self.soc_max}]; {need}")
        return self

    @property
    def one_way(self) -> tuple[float, float]:
        """The charge and discharge efficiencies."""
        eta = math.sqrt(0.9 if self.efficiency is None else self.efficiency)
        charge, discharge = self.charge_efficiency, self.discharge_efficiency
        return (eta if charge is None else charge, eta if discharge is None else discharge)


class FlexLoadParams(UnitParams):
    """A ``FlexLoad``: ``0 <= flex_down <= 1``, ``flex_up >= 0``, ``cos_phi`` in (0, 1]."""

    peak_mw: NonNegative = 1.0
    flex_down: Share = 0.0
    flex_up: NonNegative = 0.0
    cos_phi: Fraction = 1.0
    shed_cost: Cost = 0.0


class CurtailableLoadParams(UnitParams):
    """A ``CurtailableLoad``: ``shed_max`` in [0, 1] of the demand."""

    peak_mw: NonNegative = 1.0
    shed_max: Annotated[Share, Field(description="share of the demand")] = 1.0
    shed_cost: Cost = 0.0
    cos_phi: Fraction = 1.0


class GeneratorParams(UnitParams):
    """A profile-driven ``Generator``."""

    peak_mw: NonNegative = 1.0
    curtail_cost: Cost = 0.0


class PVParams(UnitParams):
    """A ``PV`` plant: ``0 <= tilt <= 90``, ``inverter_eff`` in (0, 1]."""

    peak_mw: NonNegative = 1.0
    tilt: Annotated[Finite, Field(ge=0, le=90)] = 30.0
    azimuth: Finite = 180.0
    gamma_pdc: Finite = -0.004
    inverter_eff: Fraction = 0.96
    curtail_cost: Cost = 0.0


class PVSiteParams(UnitParams):
    """The PV simulator's site; ``start`` is anything ``pandas.Timestamp`` reads."""

    unknown_label: ClassVar[str] = "simulator parameter"

    latitude: Annotated[Finite, Field(ge=-90, le=90)] = 52.52
    longitude: Annotated[Finite, Field(ge=-180, le=180)] = 13.40
    altitude: Finite = 34.0
    utc_offset_h: Finite = 1.0
    start: Any = Field(default="2019-01-01 00:00", validate_default=True)
    albedo: Finite = 0.2

    @field_validator("utc_offset_h")
    @classmethod
    def _whole_hours(cls, value: float) -> float:
        if value != int(value):
            raise ValueError("must be whole hours")
        return value

    @field_validator("start")
    @classmethod
    def _timestamp(cls, value: Any) -> Any:
        import pandas as pd

        try:
            return pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ValueError("must be a timestamp") from None


class ShiftableLoadParams(UnitParams):
    """A ``ShiftableLoad``; ``p_max_mw`` defaults to ``2 peak_mw`` and must reach it.

    ``max_backlog_mwh`` defaults to ``flexible_share x peak_mw x max_delay_h``;
    ``max_delay_h`` must be a multiple of the step (the validation context's ``step_h``).
    """

    peak_mw: NonNegative = 1.0
    flexible_share: Annotated[Share, Field(
        description="share of the demand that may wait")] = 1.0
    max_delay_h: NonNegative = 2.0
    max_backlog_mwh: NonNegative | None = None
    p_max_mw: Finite | None = None
    shift_cost: Cost = 0.0
    cos_phi: Fraction = 1.0
    terminal: Terminal = "cyclic"

    @property
    def rated_mw(self) -> float:
        """``p_max_mw``, by default twice ``peak_mw``."""
        return 2.0 * self.peak_mw if self.p_max_mw is None else self.p_max_mw

    @property
    def backlog_mwh(self) -> float:
        """``max_backlog_mwh``, by default the flexible part of ``max_delay_h`` at peak."""
        if self.max_backlog_mwh is None:
            return self.flexible_share * self.peak_mw * self.max_delay_h
        return self.max_backlog_mwh

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        step_h = (info.context or {}).get("step_h")
        if step_h is not None:
            delay = self.max_delay_h / step_h
            if abs(delay - round(delay)) > 1e-9:
                raise ValueError(f"max_delay_h ({self.max_delay_h}) must be a multiple of "
                                 f"the step ({step_h} h)")
        if self.rated_mw < self.peak_mw:
            raise ValueError(f"p_max_mw ({self.rated_mw} MW) is below peak_mw "
                             f"({self.peak_mw} MW): a peak interval's demand cannot be served "
                             f"within its window of max_delay_h={self.max_delay_h} h, the "
                             "backlog would grow without bound")
        return self


class WecsParams(UnitParams):
    """A ``WECS``: ``0 <= v_cut_in < v_rated < v_cut_out``, heights > 0."""

    P_rated: NonNegative = 7.0
    v_rated: Finite = 13.0
    v_cut_in: NonNegative = 3.5
    v_cut_out: Finite = 25.0
    hub_height: Positive = 100.0
    ref_height: Positive = 10.0
    alpha: Finite = 1 / 7
    turbine_type: str | None = None
    curtail_cost: Cost = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        need = "need 0 <= v_cut_in < v_rated < v_cut_out"
        if not self.v_cut_in < self.v_rated:
            raise ValueError(f"v_cut_in ({self.v_cut_in}) must be below v_rated "
                             f"({self.v_rated}); {need}")
        if not self.v_rated < self.v_cut_out:
            raise ValueError(f"v_rated ({self.v_rated}) must be below v_cut_out "
                             f"({self.v_cut_out}); {need}")
        return self


class ForecastParams(UnitParams):
    """A data source's forecast options (``forecast`` is the method)."""

    forecast: ForecastMethod = "perfect"
    horizon: Annotated[int, Field(ge=1)] = 1
    sigma: NonNegative = 0.0
    seed: Annotated[int, Field(ge=0)] = 0
