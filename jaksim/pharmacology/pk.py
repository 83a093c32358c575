"""Closed-form linear PK: 1- and 2-compartment models with first-order absorption.

States are amounts (nmol) in ``(depot, central[, peripheral])``; the plasma (total)
concentration is ``central / V`` in nM (nmol/L). Because the system is linear,
``dA/dt = K A + input(t)``, the response to any dosing history is the superposition of
single-event responses, each a sum of exponentials ``exp(lambda_i t)`` over the eigenvalues of
``K`` (the Bateman function in the 1-compartment case). Evaluating it costs nothing compared
with an ODE solve, so assays evaluate drug levels here and feed occupancy as a time-varying
input; :mod:`jaksim.pharmacology.apply` builds the *same* system as ODE species inside a model
for simulations that need it (tests check that both agree).

Examples
--------
>>> from jaksim.pharmacology.library import load_library
>>> drug = load_library().get("baricitinib")
>>> ss = steady_state(drug, drug.regimen("4 mg QD"))
>>> round(ss.cavg, 1)  # F*Dose/(CL*tau) = 0.79*4 mg/(8.9 L/h*24 h) in nM
39.8
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .library import Drug, PKParams
from .regimens import DoseEvents, Regimen, dose_events

__all__ = [
    "rate_constants",
    "system_matrix",
    "concentration",
    "SteadyState",
    "steady_state",
    "accumulation_ratio",
    "nM_to_ng_per_mL",
]


def rate_constants(pk: PKParams) -> dict[str, float]:
    """First-order rate constants (1/h): ``ka``, ``k10`` = CL/V, ``k12`` = Q/V, ``k21`` = Q/V2."""
    k = {"ka": pk.ka, "k10": pk.clearance / pk.volume, "k12": 0.0, "k21": 0.0}
    if pk.model == "two_compartment":
        k["k12"] = pk.intercompartmental_clearance / pk.volume
        k["k21"] = pk.intercompartmental_clearance / pk.peripheral_volume
    return k


def system_matrix(pk: PKParams) -> np.ndarray:
    """``K`` (1/h) of ``dA/dt = K A`` over amounts (depot, central[, peripheral])."""
    k = rate_constants(pk)
    if pk.model == "one_compartment":
        return np.array([[-k["ka"], 0.0], [k["ka"], -k["k10"]]])
    return np.array(
        [
            [-k["ka"], 0.0, 0.0],
            [k["ka"], -(k["k10"] + k["k12"]), k["k21"]],
            [0.0, k["k12"], -k["k21"]],
        ]
    )


def _modes(pk: PKParams) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (n,) and the central-row weights W (n,) with ``A_c(t) = sum W_i e^{l_i t}``
    after a unit amount put in the depot at t = 0."""
    K = system_matrix(pk)
    lam, vec = np.linalg.eig(K)
    gaps = np.abs(lam[:, None] - lam[None, :])[~np.eye(lam.size, dtype=bool)]
    if gaps.min() < 1e-9 * np.abs(lam).max():
        raise ValueError(
            "ka equals a disposition rate constant: the closed form is singular here; "
            "change ka by a small amount or simulate the PK species with the ODE solver"
        )
    coef = np.linalg.solve(vec, np.eye(K.shape[0])[:, 0])  # depot unit vector in eigenbasis
    return lam.real, (vec[1, :] * coef).real


def _superpose(t: np.ndarray, ev: DoseEvents, lam: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Central amount (nmol) at times ``t`` (h) from all events, shape (n_t,)."""
    t = np.asarray(t, dtype=float)[:, None, None]
    out = np.zeros(t.shape[0])
    if ev.bolus_times.size:
        dt = t - ev.bolus_times[None, :, None]
        resp = np.where(dt >= 0, w * np.exp(lam * np.maximum(dt, 0.0)), 0.0)
        out += (resp * ev.bolus_amounts[None, :, None]).sum(axis=(1, 2))
    if ev.infusion_starts.size:
        # integral_{t0}^{u} e^{l (t - s)} ds = (e^{l (t - t0)} - e^{l (t - u)}) / l, u = min(t, t1)
        t0 = ev.infusion_starts[None, :, None]
        u = np.minimum(t, ev.infusion_stops[None, :, None])
        active = t > t0
        u = np.where(active, u, t0)
        integral = (np.exp(lam * (t - t0).clip(0)) - np.exp(lam * (t - u).clip(0))) / lam
        resp = np.where(active, w * integral, 0.0)
        out += (resp * ev.infusion_rates[None, :, None]).sum(axis=(1, 2))
    return out


def _events(drug: Drug, regimen: Regimen, days: float) -> DoseEvents:
    pk = _require_pk(drug)
    return dose_events(
        regimen,
        nmol_per_mg=1e6 / drug.molecular_weight,
        bioavailability=pk.bioavailability,
        lag=pk.lag,
        er_duration=pk.er_duration,
        days=days,
    )


def _require_pk(drug: Drug) -> PKParams:
    if drug.pk is None:
        raise ValueError(f"drug {drug.id!r} has no PK parameters")
    return drug.pk


def concentration(drug: Drug, regimen: Regimen, t: np.ndarray, *, days: float | None = None):
    """Total plasma concentration (nM) at times ``t`` (h) after starting ``regimen`` at t = 0.

    Parameters
    ----------
    t : array, shape (n_t,)
        Times in hours.
    days : float, optional
        Dosing duration; default: doses continue through ``max(t)``.
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    pk = _require_pk(drug)
    lam, w = _modes(pk)
    n_days = days if days is not None else (t.max() + 1e-9) / 24.0
    return _superpose(t, _events(drug, regimen, n_days), lam, w) / pk.volume


@dataclass(frozen=True)
class SteadyState:
    """Steady-state profile over one dosing interval after a dose at t = 0.

    ``t`` (h, shape (n,)), ``c`` (nM total), and ``cmax``, ``cmin``, ``cavg`` (nM).
    """

    t: np.ndarray
    c: np.ndarray
    cmax: float
    cmin: float
    cavg: float


def steady_state(
    drug: Drug, regimen: Regimen, *, t: np.ndarray | None = None, tol: float = 1e-9
) -> SteadyState:
    """Steady-state concentrations over one interval ``[0, tau]`` (or at ``t``, h, mod tau).

    Superposes as many past doses as needed for the slowest mode to decay below ``tol``.
    ``cavg`` is the trapezoid average over a fine grid of the interval.
    """
    pk = _require_pk(drug)
    lam, w = _modes(pk)
    tau = regimen.interval
    n_past = int(np.ceil(np.log(1.0 / tol) / (np.abs(lam).min() * tau))) + 1
    offset = n_past * tau
    events = _events(drug, regimen, (n_past + 1) * tau / 24.0)
    grid = np.linspace(0.0, tau, 4801)
    c_grid = _superpose(grid + offset, events, lam, w) / pk.volume
    t_out = grid if t is None else np.mod(np.asarray(t, dtype=float), tau)
    c_out = c_grid if t is None else _superpose(t_out + offset, events, lam, w) / pk.volume
    cavg = float(np.trapezoid(c_grid, grid) / tau)
    return SteadyState(t_out, c_out, float(c_grid.max()), float(c_grid.min()), cavg)


def accumulation_ratio(pk: PKParams, interval: float) -> float:
    """``1 / (1 - exp(-k tau))`` for the terminal (slowest) rate constant k (1/h)."""
    lam, _ = _modes(pk)
    return float(1.0 / (1.0 - np.exp(-np.abs(lam).min() * interval)))


def nM_to_ng_per_mL(c_nM: np.ndarray | float, molecular_weight: float):
    """nmol/L * g/mol = ng/L = 1e-3 ng/mL."""
    return np.asarray(c_nM) * molecular_weight * 1e-3
