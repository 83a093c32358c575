"""Schema of experiment files (TOML), validated with pydantic v2.

Every table is closed (``extra="forbid"``): an unknown key is an error. Physical values are
written with their unit, either as a string ``"10 nM"`` / ``"30 min"`` or as a table
``{ value = 10, unit = "nM" }``; a bare number where a unit is needed is an error. Values keep
the unit they were written in here; :mod:`jaksim.experiment.build` converts them to the units of
the model once the model is known. See ``docs/experiments.md`` for the full reference.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from ..spec.errors import UnitError
from ..spec.units import format_dimension, parse_unit

__all__ = [
    "Quantity",
    "Concentration",
    "Time",
    "ExperimentSection",
    "ModelSection",
    "TimeSection",
    "Stimulus",
    "DrugSection",
    "ProtocolSection",
    "SolverSection",
    "Readout",
    "Axis",
    "Sampling",
    "SweepSection",
    "SensitivitySection",
    "ExperimentConfig",
    "METRICS",
]

CONCENTRATION = (1.0, -3.0, 0.0, 0.0)
TIME = (0.0, 0.0, 1.0, 0.0)

#: Readout metrics (see :mod:`jaksim.analysis.readouts`); ``at = [...]`` adds value-at-t.
METRICS = ("peak", "time_to_peak", "auc", "final", "fold_over_baseline", "percent_inhibition")


class Quantity(NamedTuple):
    """A number with the unit it was written in."""

    value: float
    unit: str

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


def _parse_quantity(raw: Any) -> Quantity:
    if isinstance(raw, Quantity):
        return raw
    if isinstance(raw, bool) or isinstance(raw, int | float):
        raise ValueError(
            f'missing unit for {raw!r}: write e.g. "{raw} nM" or {{ value = {raw}, unit = "nM" }}'
        )
    if isinstance(raw, str):
        number, _, unit = raw.strip().partition(" ")
        try:
            value = float(number)
        except ValueError:
            raise ValueError(f"expected '<number> <unit>' such as \"10 nM\", got {raw!r}") from None
        if not unit.strip():
            raise ValueError(f'missing unit in {raw!r}: write e.g. "{number} nM"')
        raw = {"value": value, "unit": unit.strip()}
    if isinstance(raw, dict):
        extra = set(raw) - {"value", "unit"}
        if extra or "value" not in raw or "unit" not in raw:
            raise ValueError(f'expected a table {{ value = ..., unit = "..." }}, got {raw!r}')
        value, unit = raw["value"], raw["unit"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"'value' must be a number, got {value!r}")
        if not isinstance(unit, str):
            raise ValueError(f"'unit' must be a string, got {unit!r}")
        try:
            parse_unit(unit)
        except UnitError as err:
            raise ValueError(str(err)) from None
        if not math.isfinite(value):
            raise ValueError(f"value must be finite, got {value!r}")
        return Quantity(float(value), unit)
    raise ValueError(f'expected a quantity such as "10 nM", got {type(raw).__name__} {raw!r}')


def _dimension(dim: tuple[float, ...], what: str):
    def check(q: Quantity) -> Quantity:
        got = parse_unit(q.unit).dimension
        if got != dim:
            raise ValueError(
                f"{q.unit!r} is not a {what} unit ({format_dimension(got)}); "
                f"expected {format_dimension(dim)}"
            )
        return q

    return check


def _non_negative(q: Quantity) -> Quantity:
    if q.value < 0:
        raise ValueError(f"must not be negative, got {q}")
    return q


AnyQuantity = Annotated[Quantity, BeforeValidator(_parse_quantity)]
Concentration = Annotated[
    Quantity,
    BeforeValidator(_parse_quantity),
    AfterValidator(_dimension(CONCENTRATION, "concentration")),
    AfterValidator(_non_negative),
]
Time = Annotated[
    Quantity, BeforeValidator(_parse_quantity), AfterValidator(_dimension(TIME, "time"))
]


def _unit_text(text: str) -> str:
    try:
        parse_unit(text)
    except UnitError as err:
        raise ValueError(str(err)) from None
    return text


UnitText = Annotated[str, AfterValidator(_unit_text)]
PositiveInt = Annotated[int, Field(gt=0, strict=True)]
# NaN fails every comparison and inf passes gt=0: both must be refused explicitly
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _safe_name(name: str) -> str:
    # The name becomes the folder ``results/<name>``: a path separator or ".." would write
    # outside ``results``.
    if not _NAME.fullmatch(name) or ".." in name or name.startswith("."):
        raise ValueError(
            f"{name!r} is not a valid experiment name: use letters, digits and '-_.' (not "
            "starting with '.', no '..' or path separators); it names the results folder"
        )
    return name


class ExperimentSection(_Closed):
    """``[experiment]``: name, kind, seed, output directory, execution."""

    name: Annotated[str, AfterValidator(_safe_name)]
    kind: str = "simulation"
    description: str = ""
    seed: Annotated[int, Field(ge=0)] = 0
    output: str | None = None
    executor: Literal["local", "dask"] = "local"
    scheduler: str | None = None
    chunk_size: PositiveInt = 1000
    observables: list[str] = []


class ModelSection(_Closed):
    """``[model]``: shipped model name, ``.toml`` or SBML path, and overrides."""

    ref: str = Field(min_length=1)
    parameters: dict[str, AnyQuantity] = {}
    initial: dict[str, Concentration] = {}


class TimeSection(_Closed):
    """``[time]``: ``end`` and ``points`` (evenly spaced from 0) or explicit ``values``."""

    end: Time | None = None
    points: Annotated[int, Field(ge=2)] = 101
    values: list[FiniteFloat] | None = None
    unit: UnitText | None = None

    @model_validator(mode="after")
    def _one_form(self) -> TimeSection:
        if (self.end is None) == (self.values is None):
            raise ValueError("give either 'end' (with 'points') or 'values' (with 'unit')")
        if self.end is not None and self.end.value <= 0:
            raise ValueError(f"'end' must be > 0, got {self.end}")
        if self.values is not None:
            if self.unit is None:
                raise ValueError("'values' needs a 'unit', e.g. unit = \"min\"")
            _dimension(TIME, "time")(Quantity(1.0, self.unit))
            if len(self.values) < 1 or any(v < 0 for v in self.values):
                raise ValueError("'values' must be a non-empty list of times >= 0")
            if any(b <= a for a, b in zip(self.values, self.values[1:], strict=False)):
                raise ValueError("'values' must be strictly increasing")
            if self.values[-1] <= 0:
                raise ValueError("the last time must be > 0")
        return self


class Stimulus(_Closed):
    """``[[protocol.stimulus]]``: a cytokine added at ``time``, optionally washed out."""

    species: str
    concentration: Concentration
    time: Time = Quantity(0.0, "s")
    washout: Time | None = None

    @model_validator(mode="after")
    def _order(self) -> Stimulus:
        if self.time.value < 0:
            raise ValueError(f"'time' must be >= 0, got {self.time}")
        if self.washout is not None:
            start = self.time.value * parse_unit(self.time.unit).scale
            end = self.washout.value * parse_unit(self.washout.unit).scale
            if end <= start:
                raise ValueError(f"'washout' ({self.washout}) must be after 'time' ({self.time})")
        return self


class DrugSection(_Closed):
    """``[protocol.drug]``: a fixed concentration (present from pre-equilibration on, i.e.
    pre-incubated to equilibrium) or a dosing ``regimen`` driven through the drug's PK."""

    name: str
    concentration: Concentration | None = None
    regimen: str | None = None
    days: PositiveFloat = 1.0

    @model_validator(mode="after")
    def _one_form(self) -> DrugSection:
        if (self.concentration is None) == (self.regimen is None):
            raise ValueError("give exactly one of 'concentration' or 'regimen'")
        return self


class ProtocolSection(_Closed):
    preequilibrate: bool = True
    stimulus: list[Stimulus] = []
    drug: DrugSection | None = None


class SolverSection(_Closed):
    method: Literal["rodas", "bdf", "radau", "lsoda"] = "rodas"
    rtol: PositiveFloat = 1e-6
    atol: PositiveFloat = 1e-9


class Readout(_Closed):
    """``[[readouts]]``: metrics of one observable; ``at`` adds value-at-time metrics."""

    observable: str
    metrics: list[Literal[METRICS]] = ["peak"]  # type: ignore[valid-type]
    at: list[Time] = []


AXIS_KINDS = ("parameter", "initial", "stimulus", "drug_conc", "drug", "regimen")


class Axis(_Closed):
    """``[[sweep.axes]]``: one swept quantity.

    Values are ``values`` (numbers with ``unit``, or names for ``drug`` / ``regimen``) or a
    range ``low``..``high`` on a ``linear`` or ``log`` ``scale`` with ``points`` (grid) or
    without (sampled by ``[sweep.sampling]``). ``relative = true`` multiplies the model's
    value of a parameter instead (no unit). Axes sharing a ``group`` are zipped.
    """

    kind: Literal[AXIS_KINDS]  # type: ignore[valid-type]
    name: str | None = None
    label: str | None = None
    values: list[float] | list[str] | None = None
    unit: UnitText | None = None
    low: float | None = None
    high: float | None = None
    scale: Literal["linear", "log"] = "linear"
    points: Annotated[int, Field(ge=1)] | None = None
    relative: bool = False
    group: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Axis:
        named = self.kind in ("parameter", "initial", "stimulus")
        if named and not self.name:
            raise ValueError(f"a {self.kind!r} axis needs 'name'")
        categorical = self.kind in ("drug", "regimen")
        if categorical:
            if not self.values or not all(isinstance(v, str) for v in self.values):
                raise ValueError(f"a {self.kind!r} axis needs 'values', a list of names")
            return self
        if self.values is not None and any(isinstance(v, str) for v in self.values):
            raise ValueError("'values' must be numbers (write the unit in 'unit')")
        for key in ("low", "high", "values"):
            value = getattr(self, key)
            numbers = value if isinstance(value, list) else [] if value is None else [value]
            if not all(math.isfinite(v) for v in numbers):
                raise ValueError(f"{key!r} must hold finite numbers, got {value!r}")
        has_range = self.low is not None or self.high is not None
        if (self.values is None) == (not has_range):
            raise ValueError("give either 'values' or a range 'low'/'high'")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("'values' is empty")
        if has_range:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both 'low' and 'high'")
            if not self.high > self.low:
                raise ValueError(f"empty range: high ({self.high}) must be > low ({self.low})")
            if self.scale == "log" and self.low <= 0:
                raise ValueError(f"a log range needs low > 0, got {self.low}")
        if self.relative:
            if self.kind != "parameter" or self.unit is not None:
                raise ValueError("'relative' applies to parameter axes and takes no 'unit'")
        elif self.unit is None:
            raise ValueError("missing 'unit' (or set relative = true for a parameter factor)")
        bounded = [self.low] if has_range else list(self.values or [])
        if self.kind != "parameter" and any(v < 0 for v in bounded):
            raise ValueError(f"a {self.kind!r} axis must not be negative")
        if self.relative and any(v < 0 for v in bounded):
            raise ValueError("a relative factor must not be negative")
        if self.kind in ("initial", "stimulus", "drug_conc"):
            _dimension(CONCENTRATION, "concentration")(Quantity(1.0, self.unit or ""))
        return self

    @property
    def sampled(self) -> bool:
        """True for a range without ``points``: drawn by ``[sweep.sampling]``."""
        return self.values is None and self.points is None

    @property
    def key(self) -> str:
        """Name of this axis as a result coordinate."""
        if self.label:
            return self.label
        if self.kind == "initial":
            return f"{self.name}_0"
        return self.name if self.kind in ("parameter", "stimulus") else self.kind


class Sampling(_Closed):
    """``[sweep.sampling]``: draws for range axes without ``points``."""

    method: Literal["random", "lhs", "sobol"] = "lhs"
    samples: PositiveInt


class SweepSection(_Closed):
    axes: list[Axis] = Field(min_length=1)
    sampling: Sampling | None = None

    @model_validator(mode="after")
    def _unique_keys(self) -> SweepSection:
        keys = [a.key for a in self.axes]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"axes {dup} appear twice (set 'label' to tell them apart)")
        return self


class SensitivitySection(_Closed):
    """``[sensitivity]``: Sobol indices of every readout over the sampled axes (SALib)."""

    method: Literal["sobol"] = "sobol"
    samples: PositiveInt = 256
    second_order: bool = False

    @model_validator(mode="after")
    def _power_of_two(self) -> SensitivitySection:
        if self.samples & (self.samples - 1):
            raise ValueError(
                f"'samples' must be a power of 2 for Sobol' sequences, got {self.samples}"
            )
        return self


class ExperimentConfig(_Closed):
    """A whole experiment file (the kind-specific table, if any, is validated separately)."""

    experiment: ExperimentSection
    model: ModelSection | None = None
    time: TimeSection | None = None
    protocol: ProtocolSection = ProtocolSection()
    solver: SolverSection = SolverSection()
    readouts: list[Readout] = []
    sweep: SweepSection | None = None
    sensitivity: SensitivitySection | None = None
