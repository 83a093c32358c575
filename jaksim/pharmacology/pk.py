"""Closed-form linear PK: 1- and 2-compartment models with first-order and zero-order input.

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
>>> round(ss.cavg, 1)  # Dose/(CL/F * tau) = 4 mg/(9.7 L/h * 24 h) in nM (apparent CL/F)
46.3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .library import Drug, Metabolite, PKParams
from .regimens import DoseEvents, Regimen, dose_events

__all__ = [
    "rate_constants",
    "system_matrix",
    "concentration",
    "SteadyState",
    "steady_state",
    "accumulation_ratio",
    "nM_to_ng_per_mL",
    "ligand_concentrations",
    "exposure_metrics",
    "regimen_events",
    "Modes",
]


def rate_constants(pk: PKParams, release: str = "immediate") -> dict[str, float]:
    """First-order rate constants (1/h): ``ka`` (of the ``release`` form), ``k10`` = CL/V,
    ``k12`` = Q/V, ``k21`` = Q/V2."""
    k = {"ka": pk.absorption_rate(release), "k10": pk.clearance / pk.volume, "k12": 0.0,
         "k21": 0.0}  # fmt: skip
    if pk.model == "two_compartment":
        k["k12"] = pk.intercompartmental_clearance / pk.volume
        k["k21"] = pk.intercompartmental_clearance / pk.peripheral_volume
    return k


def system_matrix(
    pk: PKParams, release: str = "immediate", metabolites: Sequence[Metabolite] = ()
) -> np.ndarray:
    """``K`` (1/h) of ``dA/dt = K A`` over amounts (depot, central[, peripheral], m_1, ...).

    Metabolite ``m`` (nmol, 1 mol per mol of parent converted) is formed from the fraction
    ``fm`` of the parent's elimination flux ``k10 A_c`` and eliminated at ``CL_m / V_m``; it
    does not feed back on the parent, so the parent rows are those of the parent alone.
    """
    k = rate_constants(pk, release)
    if pk.model == "one_compartment":
        parent = np.array([[-k["ka"], 0.0], [k["ka"], -k["k10"]]])
    else:
        parent = np.array(
            [
                [-k["ka"], 0.0, 0.0],
                [k["ka"], -(k["k10"] + k["k12"]), k["k21"]],
                [0.0, k["k12"], -k["k21"]],
            ]
        )
    n_p, n_m = parent.shape[0], len(metabolites)
    K = np.zeros((n_p + n_m, n_p + n_m))
    K[:n_p, :n_p] = parent
    for i, met in enumerate(metabolites):
        K[n_p + i, 1] = met.pk.fraction_formed * k["k10"]
        K[n_p + i, n_p + i] = -met.pk.clearance / met.pk.volume
    return K


@dataclass(frozen=True)
class Modes:
    """Single-event responses of a linear PK system as sums of exponentials.

    ``lam`` (n,) eigenvalues (1/h); ``depot`` and ``central`` (n_rows, n): weights such that
    a unit amount put in the depot (resp. the central compartment) at t = 0 leaves
    ``A_r(t) = sum_i W_ri exp(lam_i t)`` in output row r. Boluses enter the depot, zero-order
    inputs the central compartment (:class:`~.regimens.DoseEvents`).
    """

    lam: np.ndarray
    depot: np.ndarray
    central: np.ndarray

    def row(self, r: int) -> Modes:
        """The modes of output row ``r`` alone (weights of shape (1, n))."""
        return Modes(self.lam, self.depot[r : r + 1], self.central[r : r + 1])


def _modes_rows(K: np.ndarray, rows: Sequence[int]) -> Modes:
    """Modes of ``dA/dt = K A`` read at state rows ``rows``, for inputs into the depot (state
    0) and the central compartment (state 1)."""
    lam, vec = np.linalg.eig(K)
    gaps = np.abs(lam[:, None] - lam[None, :])[~np.eye(lam.size, dtype=bool)]
    if gaps.min() < 1e-9 * np.abs(lam).max():
        raise ValueError(
            "two rate constants of the PK system coincide (e.g. ka equals a disposition or "
            "metabolite elimination rate): the closed form is singular here; change one by a "
            "small amount or simulate the PK species with the ODE solver"
        )
    # unit vectors of the two input states in the eigenbasis, one column each
    coef = np.linalg.solve(vec, np.eye(K.shape[0])[:, :2])
    sel = vec[list(rows), :]
    return Modes(lam.real, (sel * coef[:, 0]).real, (sel * coef[:, 1]).real)


def _modes(pk: PKParams, release: str = "immediate") -> Modes:
    """Modes of the parent alone, read at the central compartment (one row)."""
    return _modes_rows(system_matrix(pk, release), [1])


def _superpose(t: np.ndarray, ev: DoseEvents, modes: Modes) -> np.ndarray:
    """Amounts (nmol), shape (n_rows, n_t), at times ``t`` (h) from all events: boluses into
    the depot, zero-order inputs into the central compartment."""
    t = np.asarray(t, dtype=float)[:, None, None]
    lam = modes.lam
    out = np.zeros((modes.depot.shape[0], t.shape[0]))
    if ev.bolus_times.size:
        dt = t - ev.bolus_times[None, :, None]
        e = np.where(dt >= 0, np.exp(lam * np.maximum(dt, 0.0)), 0.0)  # (n_t, n_ev, n)
        out += np.einsum("tem,e,rm->rt", e, ev.bolus_amounts, modes.depot)
    if ev.infusion_starts.size:
        # integral_{t0}^{u} e^{l (t - s)} ds = (e^{l (t - t0)} - e^{l (t - u)}) / l, u = min(t, t1)
        t0 = ev.infusion_starts[None, :, None]
        u = np.minimum(t, ev.infusion_stops[None, :, None])
        active = t > t0
        u = np.where(active, u, t0)
        integral = (np.exp(lam * (t - t0).clip(0)) - np.exp(lam * (t - u).clip(0))) / lam
        integral = np.where(active, integral, 0.0)
        out += np.einsum("tem,e,rm->rt", integral, ev.infusion_rates, modes.central)
    return out


def regimen_events(drug: Drug, regimen: Regimen, days: float) -> DoseEvents:
    """Input events (h, nmol) of ``regimen`` for ``drug`` over ``days`` days: the one place
    that turns a drug's F, lag and release form into doses (closed form and ODE species)."""
    pk = _require_pk(drug)
    return dose_events(
        regimen,
        nmol_per_mg=1e6 / drug.molecular_weight,
        bioavailability=pk.dose_fraction(regimen.release),
        lag=pk.absorption_lag(regimen.release),
        er_duration=pk.er_duration,
        zero_order_fraction=pk.er_zero_order_fraction,
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
    modes = _modes(pk, regimen.release)
    n_days = days if days is not None else (t.max() + 1e-9) / 24.0
    return _superpose(t, regimen_events(drug, regimen, n_days), modes)[0] / pk.volume


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
    modes = _modes(pk, regimen.release)
    tau = regimen.interval
    n_past = int(np.ceil(np.log(1.0 / tol) / (np.abs(modes.lam).min() * tau))) + 1
    offset = n_past * tau
    events = regimen_events(drug, regimen, (n_past + 1) * tau / 24.0)
    grid = np.linspace(0.0, tau, 4801)
    c_grid = _superpose(grid + offset, events, modes)[0] / pk.volume
    t_out = grid if t is None else np.mod(np.asarray(t, dtype=float), tau)
    c_out = c_grid if t is None else _superpose(t_out + offset, events, modes)[0] / pk.volume
    cavg = float(np.trapezoid(c_grid, grid) / tau)
    return SteadyState(t_out, c_out, float(c_grid.max()), float(c_grid.min()), cavg)


def accumulation_ratio(pk: PKParams, interval: float, release: str = "immediate") -> float:
    """``1 / (1 - exp(-k tau))`` for the terminal (slowest) rate constant k (1/h)."""
    lam = _modes(pk, release).lam
    return float(1.0 / (1.0 - np.exp(-np.abs(lam).min() * interval)))


def _ligand_system(drug: Drug, release: str):
    """Modes (rows: parent central, each metabolite) and the rows' volumes (L)."""
    pk = _require_pk(drug)
    mets = list(drug.metabolites.values())
    K = system_matrix(pk, release, mets)
    n_p = K.shape[0] - len(mets)
    modes = _modes_rows(K, [1, *range(n_p, K.shape[0])])
    volumes = np.array([pk.volume] + [m.pk.volume for m in mets])
    return modes, volumes


def ligand_concentrations(
    drug: Drug,
    regimen: Regimen,
    t: np.ndarray,
    *,
    steady_state: bool = False,
    days: float | None = None,
    tol: float = 1e-9,
) -> dict[str, np.ndarray]:
    """Total plasma concentrations (nM) of the parent and of each active metabolite.

    The parent's linear PK is extended by one compartment per metabolite, fed by the fraction
    ``fm`` of the parent's elimination (:func:`system_matrix`); the closed form superposes the
    same single-dose responses as :func:`concentration`.

    Parameters
    ----------
    drug : Drug
        Library drug (its ``metabolites`` are included).
    regimen : Regimen
        Dose, interval, release form.
    t : array, shape (n_t,)
        Times (h) after the first dose, or (``steady_state=True``) after a dose at steady
        state (taken modulo the interval).
    steady_state : bool
        Superpose enough past doses for the slowest mode of parent *and* metabolites to decay
        below ``tol``.
    days : float, optional
        Dosing duration from the first dose; default: doses continue through ``max(t)``.

    Returns
    -------
    dict
        ``{drug.id: c_parent, metabolite_id: c_m, ...}``, arrays of shape (n_t,) in nM.
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    modes, volumes = _ligand_system(drug, regimen.release)
    if steady_state:
        tau = regimen.interval
        n_past = int(np.ceil(np.log(1.0 / tol) / (np.abs(modes.lam).min() * tau))) + 1
        offset = n_past * tau
        events = regimen_events(drug, regimen, (n_past + 1) * tau / 24.0)
        amounts = _superpose(np.mod(t, tau) + offset, events, modes)
    else:
        n_days = days if days is not None else (t.max() + 1e-9) / 24.0
        amounts = _superpose(t, regimen_events(drug, regimen, n_days), modes)
    conc = amounts / volumes[:, None]
    return dict(zip([drug.id, *drug.metabolites], conc, strict=True))


def exposure_metrics(drug: Drug, regimen: Regimen, *, n_grid: int = 4801) -> dict[str, dict]:
    """Steady-state exposure of the parent and each metabolite, in label units.

    Returns
    -------
    dict
        Per analyte id: ``cmax``, ``cmin`` (ng/mL), ``auc_tau`` (ng*h/mL), ``tmax`` (h after
        the dose), ``half_life`` (h, terminal: the slowest mode present in that analyte),
        ``accumulation`` (AUC_tau at steady state / AUC_tau after the first dose); for
        metabolites also ``auc_ratio`` (its AUC_tau / the parent's, ng*h/mL).
    """
    tau = regimen.interval
    grid = np.linspace(0.0, tau, n_grid)
    grid_ss = grid.copy()
    grid_ss[-1] = tau * (1 - 1e-12)  # mod tau would fold t = tau onto 0
    ss = ligand_concentrations(drug, regimen, grid_ss, steady_state=True)
    first = ligand_concentrations(drug, regimen, grid, days=tau / 24.0)
    modes, _ = _ligand_system(drug, regimen.release)
    lam = modes.lam
    mw = {drug.id: drug.molecular_weight} | {
        m: met.molecular_weight for m, met in drug.metabolites.items()
    }
    out = {}
    for row, (name, c) in enumerate(ss.items()):
        ng = nM_to_ng_per_mL(c, mw[name])
        # a mode is present in an analyte if either input route excites it there
        w = np.abs(modes.depot[row]) + np.abs(modes.central[row])
        present = w > 1e-12 * w.max()
        auc = float(np.trapezoid(ng, grid))
        out[name] = {
            "cmax": float(ng.max()),
            "cmin": float(ng.min()),
            "auc_tau": auc,
            "tmax": float(grid[int(np.argmax(ng))]),
            "half_life": float(np.log(2) / np.abs(lam[present]).min()),
            "accumulation": auc / float(np.trapezoid(nM_to_ng_per_mL(first[name], mw[name]), grid)),
        }
    for name in drug.metabolites:
        out[name]["auc_ratio"] = out[name]["auc_tau"] / out[drug.id]["auc_tau"]
    return out


def nM_to_ng_per_mL(c_nM: np.ndarray | float, molecular_weight: float):
    """nmol/L * g/mol = ng/L = 1e-3 ng/mL."""
    return np.asarray(c_nM) * molecular_weight * 1e-3
