"""The atopic-dermatitis QSP model of Miyano, Irvine & Tanaka (Allergy 2022) on jaksim's engine.

The model file is ``models/disease/ad_miyano2022.toml`` (14 states as rate rules, time in weeks,
drug-effect inputs ``block_*``); its virtual-patient population (ln k ~ N(mu, sigma) for 51
parameters) is ``models/disease/ad_miyano2022_population.toml``. The reference implementation
(github.com/Tanaka-Group/AD_QSP_model) defines the protocol reproduced here:

1. baseline: each patient is integrated for 1000 weeks from fixed initial levels with no drug
   and ``k3`` off (``trial = 0``); the final state is the patient's baseline;
2. trial: from that baseline with ``trial = 1`` (every arm, placebo included, switches on the
   barrier recovery ``k3`` of trial participation) and the arm's drug inputs;
3. %improved EASI = 100 (EASI_0 - EASI(t)) / EASI_0; EASI-75 = %improved EASI > 75.

The reference drops patients whose EASI reaches 72 (the scale's ceiling) in any arm and divides
EASI-75 counts by all sampled patients; :func:`reference_endpoints` keeps that definition,
the virtual trials (:mod:`.trial`) report rates over the patients kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..spec.errors import ModelError

__all__ = [
    "MODEL",
    "STATES",
    "BLOCK_INPUTS",
    "Population",
    "load_population",
    "sample_patients",
    "baseline_states",
    "simulate_disease",
    "reference_endpoints",
    "BASELINE_WEEKS",
]

MODEL = "ad_miyano2022"
#: the reference model's 14 states, in its order, plus the itch NRS (extension)
STATES = ("s", "p", "Th1", "Th2", "Th17", "Th22", "IL4", "IL13", "IL17", "IL22", "IL31",
          "IFNg", "TSLP", "OX40L", "itch")  # fmt: skip
#: drug-effect inputs (fraction of a cytokine's effect blocked, 0..1)
BLOCK_INPUTS = ("block_IL4", "block_IL13", "block_IL17", "block_IL22", "block_IL31",
                "block_TSLP", "block_OX40L", "block_IFNg")  # fmt: skip
#: length of the untreated run that gives each patient's baseline (reference: 1000 weeks)
BASELINE_WEEKS = 1000.0


@dataclass(frozen=True)
class Population:
    """Log-normal virtual-patient population: ``names`` (51,), ``mu`` and ``sigma`` (51,) of
    ln(k) in the model's units (k in 1/week or dimensionless)."""

    names: tuple[str, ...]
    mu: np.ndarray
    sigma: np.ndarray
    source: str


@lru_cache(maxsize=2)
def load_model_cached(name: str = MODEL):
    """The AD model, compiled once per process (shared by every arm and ensemble)."""
    from ..compile import compile_model
    from ..io.registry import load_model

    return compile_model(load_model(name))


def load_population(name: str = "ad_miyano2022_population") -> Population:
    """Read the shipped population file (``[population.lognormal.<parameter>] mu, sigma``)."""
    from ..io.registry import shipped_path
    from ..io.toml_model import read_toml

    path = shipped_path("models", name)
    data = read_toml(path).get("population")
    if not isinstance(data, dict) or "lognormal" not in data:
        raise ModelError("no [population.lognormal] table", file=str(path))
    names = tuple(data["lognormal"])
    mu = np.array([float(data["lognormal"][n]["mu"]) for n in names])
    sigma = np.array([float(data["lognormal"][n]["sigma"]) for n in names])
    return Population(names, mu, sigma, str(data.get("source", "")))


def sample_patients(
    n: int, *, seed: int = 0, population: Population | None = None, z: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """``n`` virtual patients: parameter id -> values (n,), ``k = exp(mu + |sigma| z)``.

    ``z`` (51, n) standard normals may be given (to share patients with another solver, as
    the reference-implementation test does); otherwise drawn from ``default_rng(seed)``.
    """
    pop = population or load_population()
    if z is None:
        z = np.random.default_rng(seed).standard_normal((pop.mu.size, n))
    values = np.exp(z * np.abs(pop.sigma)[:, None] + pop.mu[:, None])
    return {name: values[i] for i, name in enumerate(pop.names)}


def baseline_states(
    patients: Mapping[str, np.ndarray], *, weeks: float = BASELINE_WEEKS, rtol: float = 1e-8
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each patient's untreated baseline: the state after ``weeks`` without drug or trial.

    Returns
    -------
    states : dict state id -> (n,) values
    status : (n,) int, 0 = solved (failed members have NaN states)
    """
    from ..simulation import simulate_ensemble

    compiled = load_model_cached()
    res = simulate_ensemble(compiled, np.array([0.0, weeks]), params=dict(patients),
                            outputs=list(STATES), rtol=rtol, atol=1e-10)  # fmt: skip
    return {sid: res[sid][:, -1].copy() for sid in STATES}, np.asarray(res.status)


def simulate_disease(
    patients: Mapping[str, np.ndarray],
    baseline: Mapping[str, np.ndarray],
    t_weeks: np.ndarray,
    *,
    constant: Mapping[str, float | np.ndarray] | None = None,
    daily: Mapping[str, np.ndarray] | None = None,
    outputs: tuple[str, ...] = ("EASI", "itch"),
    rtol: float = 1e-7,
    per_day: int = 1,
):
    """Trial run from each patient's baseline (``trial = 1``).

    Parameters
    ----------
    patients : parameter id -> (n,) values
    baseline : state id -> (n,) values (:func:`baseline_states`)
    t_weeks : (n_t,) output times, weeks from the first dose
    constant : input id -> scalar or (n,) value for the whole run (the paper's drug effects)
    daily : input id -> (n_bins,) or (n, n_bins): piecewise-constant values per bin from
        t = 0 (a bin is 1/(7 per_day) week); repeats of the previous bin are not re-applied
    per_day : bins per day of ``daily`` (1: daily means; 8: 3-hour means)
    outputs : observables / states to return

    Returns
    -------
    EnsembleResult with ``values`` (n, n_t, len(outputs))
    """
    from ..simulation import Change, Protocol, simulate_ensemble

    compiled = load_model_cached()
    n = len(next(iter(patients.values())))
    params: dict[str, np.ndarray | float] = dict(patients)
    params["trial"] = 1.0
    for key, v in (constant or {}).items():
        params[key] = v
    changes = []
    for key, v in (daily or {}).items():
        v = np.asarray(v, dtype=float)
        v = np.broadcast_to(v, (n, v.shape[-1]))
        last = None
        for k in range(v.shape[1]):
            col = v[:, k]
            # the disease model sees no change when a bin's input repeats the last one
            if last is not None and np.max(np.abs(col - last)) < 1e-9:
                continue
            changes.append(Change(k / (7.0 * per_day), key, "set", col.copy()))
            last = col
    init = {sid: np.asarray(baseline[sid]) for sid in STATES}
    return simulate_ensemble(compiled, np.asarray(t_weeks, dtype=float), params=params,
                             initial=init, protocol=Protocol(tuple(changes)),
                             outputs=list(outputs), rtol=rtol, atol=1e-10)  # fmt: skip


def reference_endpoints(easi: np.ndarray, easi0: np.ndarray) -> dict[str, np.ndarray]:
    """The reference implementation's population endpoints from EASI courses.

    Parameters
    ----------
    easi : (n_arms, n, n_t) EASI per arm, patient and time
    easi0 : (n,) baseline EASI

    Returns
    -------
    dict with ``kept`` (n,) bool (EASI < 72 throughout every arm), ``improvement`` (n_arms,
    n_kept, n_t) %improved EASI, ``mean_improvement`` (n_arms, n_t) and ``easi75`` (n_arms, n_t)
    in % of *all* sampled patients (the reference divides by n_patients).
    """
    kept = np.all(easi < 72, axis=(0, 2)) & np.isfinite(easi0)
    imp = 100.0 * (easi0[None, kept, None] - easi[:, kept, :]) / easi0[None, kept, None]
    return {
        "kept": kept,
        "improvement": imp,
        "mean_improvement": imp.mean(axis=1),
        "easi75": 100.0 * np.count_nonzero(imp > 75, axis=1) / easi0.size,
    }
