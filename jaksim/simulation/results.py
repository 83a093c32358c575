"""Result objects of :func:`~jaksim.simulation.simulate` and friends.

Arrays are read-only views; ids are the model's. Failed solves carry a non-zero ``status`` and
a ``message`` rather than raising, so sweeps keep going; ``raise_for_status`` raises on demand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..spec.errors import SimulationError, did_you_mean

__all__ = ["SimulationResult", "EnsembleResult", "SteadyStateResult", "STAT_NAMES"]

#: ``SimulationResult.stats`` keys, in the order of the solvers' stats rows
STAT_NAMES = ("steps", "rejected", "rhs_evaluations", "jacobian_evaluations", "lu_decompositions")


def _readonly(obj, names: tuple[str, ...]) -> None:
    """Replace the array fields ``names`` of a frozen result by read-only views, whatever
    backend produced them (results are shared between readers; a write is a bug)."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, np.ndarray):
            view = value.view()
            view.flags.writeable = False
            object.__setattr__(obj, name, view)


def _lookup(key: str, names: tuple[str, ...]) -> int:
    try:
        return names.index(key)
    except ValueError:
        raise KeyError(f"no state or output {key!r}{did_you_mean(key, names)}") from None


@dataclass(frozen=True)
class SimulationResult:
    """One simulation.

    Attributes
    ----------
    t : (n_t,) array
        Output times (model time unit).
    states : (n_t, n_state) array
        Selected states (concentrations in the model's unit) at ``t``.
    outputs : (n_t, n_out) array
        Selected observables at ``t``.
    state_ids, output_ids : tuple of str
        Column ids of ``states`` and ``outputs``.
    status : int
        0 = success; negative = failure (values are NaN then), see ``message``.
    message : str
    stats : dict
        ``steps``, ``rejected``, ``rhs_evaluations``, ``jacobian_evaluations``,
        ``lu_decompositions``.
    params : (n_t, n_param) array
        Parameter values at ``t``, recorded by the event driver (SBML events and protocol
        changes may change parameters); shape (n_t, 0) otherwise.
    param_ids : tuple of str
        Column ids of ``params``.
    """

    t: np.ndarray
    states: np.ndarray
    outputs: np.ndarray
    state_ids: tuple[str, ...]
    output_ids: tuple[str, ...]
    status: int = 0
    message: str = "success"
    stats: Mapping[str, int] = field(default_factory=dict)
    params: np.ndarray | None = None
    param_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.params is None:
            object.__setattr__(self, "params", np.zeros((len(self.t), 0)))
        _readonly(self, ("t", "states", "outputs", "params"))

    @property
    def success(self) -> bool:
        return self.status == 0

    @property
    def names(self) -> tuple[str, ...]:
        return self.state_ids + self.output_ids

    def __getitem__(self, key: str) -> np.ndarray:
        """Trajectory (n_t,) of a state, output or (recorded) parameter id."""
        if key not in self.names and key in self.param_ids:
            return self.params[:, self.param_ids.index(key)]
        j = _lookup(key, self.names)
        ns = len(self.state_ids)
        return self.states[:, j] if j < ns else self.outputs[:, j - ns]

    def raise_for_status(self) -> SimulationResult:
        """Return self, or raise :class:`SimulationError` if the solve failed."""
        if self.status != 0:
            raise SimulationError(f"simulation failed (status {self.status}): {self.message}")
        return self

    def to_dataframe(self):
        """Tidy :class:`pandas.DataFrame`: one row per time, columns ``time`` + ids."""
        import pandas as pd

        data = {"time": self.t}
        data.update({sid: self.states[:, j] for j, sid in enumerate(self.state_ids)})
        data.update({oid: self.outputs[:, j] for j, oid in enumerate(self.output_ids)})
        return pd.DataFrame(data)

    def to_xarray(self):
        """:class:`xarray.Dataset` with one variable per id along ``time``."""
        import xarray as xr

        data = {sid: ("time", self.states[:, j]) for j, sid in enumerate(self.state_ids)}
        data.update({oid: ("time", self.outputs[:, j]) for j, oid in enumerate(self.output_ids)})
        return xr.Dataset(
            data, coords={"time": self.t}, attrs={"status": self.status, "message": self.message}
        )


@dataclass(frozen=True)
class EnsembleResult:
    """Many members with one model and protocol.

    Attributes
    ----------
    t : (n_t,) array
    values : (members, n_t, n_names) array
        Selected states then outputs; all NaN for a failed member.
    names : tuple of str
    status : (members,) int array
        0 = success.
    messages : tuple of str
        One per member.
    stats : (members, 5) int array
        Accepted, rejected steps, rhs, Jacobian evaluations, LU factorisations.
    member_params : Mapping[str, array]
        The per-member parameter / initial / protocol values that were varied.
    """

    t: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]
    status: np.ndarray
    messages: tuple[str, ...]
    stats: np.ndarray
    member_params: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _readonly(self, ("t", "values", "status", "stats"))

    def __len__(self) -> int:
        return self.values.shape[0]

    def __getitem__(self, key: str) -> np.ndarray:
        """Trajectories (members, n_t) of one id."""
        return self.values[:, :, _lookup(key, self.names)]

    @property
    def n_failed(self) -> int:
        return int(np.count_nonzero(self.status))

    def to_xarray(self):
        """:class:`xarray.Dataset`: one variable per id on (member, time), plus ``status``
        and the varied member values on ``member``."""
        import xarray as xr

        data = {name: (("member", "time"), self.values[:, :, j]) for j, name in
                enumerate(self.names)}  # fmt: skip
        data["status"] = ("member", self.status)
        coords = {"member": np.arange(len(self)), "time": self.t}
        for key, val in self.member_params.items():
            coords[f"param_{key}"] = ("member", np.asarray(val))
        return xr.Dataset(data, coords=coords)


@dataclass(frozen=True)
class SteadyStateResult:
    """A steady state: ``y`` (n_state,), ``outputs`` (n_out,) and the residual ``max|f|``."""

    y: np.ndarray
    outputs: np.ndarray
    state_ids: tuple[str, ...]
    output_ids: tuple[str, ...]
    residual: float
    stats: Mapping[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        j = _lookup(key, self.state_ids + self.output_ids)
        ns = len(self.state_ids)
        return float(self.y[j] if j < ns else self.outputs[j - ns])

    def as_dict(self) -> dict[str, float]:
        return {k: self[k] for k in self.state_ids + self.output_ids}
