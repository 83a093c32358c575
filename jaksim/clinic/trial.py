"""Virtual trials: arms (placebo, a drug regimen, or a dose switch) x virtual patients x weeks.

Each virtual patient is a parameter set of the AD model (:mod:`.disease`) and, in a drug arm,
one popPK draw of the drug (:func:`.coupling.pk_population`; ``pk_samples`` distinct draws
are shared cyclically by the patients). The arm's daily-mean pathway inhibition drives the
disease model (EASI, itch) and the haematology model (Hb, platelets); one baseline run per
patient serves every arm. Endpoints follow AD trial conventions:

* EASI %change from baseline, EASI-50/75/90 (improvement >= 50/75/90 %);
* itch responder: peak-pruritus NRS improved by >= 4 points, among patients with baseline
  NRS >= 4 (the trials' denominator);
* Hb (g/dL) and platelets (1e9/L): change from baseline and nadir (minimum over the run).

Patients whose EASI leaves the scale (>= 72, the reference implementation's exclusion) or whose
baseline failed are excluded from every arm; rates are over the patients kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .coupling import (
    DISEASE_PATHWAYS,
    HAEM_PATHWAYS,
    Schedule,
    Segment,
    daily_means,
    pathway_responses,
    pk_population,
)
from .disease import baseline_states, sample_patients, simulate_disease

__all__ = ["Arm", "TrialResult", "run_trial", "summarize_endpoints", "HAEM_MODEL"]

HAEM_MODEL = "haematology_friberg"


@dataclass(frozen=True)
class Arm:
    """One arm: ``drug`` None for placebo; ``segments`` of regimens (a dose switch is two)."""

    name: str
    drug: str | None = None
    segments: tuple[Segment, ...] = ()
    loading_extra_mg: float = 0.0

    @classmethod
    def of(cls, name: str, drug: str | None = None, regimen: str | None = None, **kw):
        segs = (Segment(regimen),) if regimen else ()
        return cls(name, drug, segs, **kw)

    def schedule(self) -> Schedule | None:
        return None if self.drug is None else Schedule(self.drug, self.segments,
                                                        self.loading_extra_mg)  # fmt: skip


@dataclass
class TrialResult:
    """Per-patient courses: ``t`` (weeks, (n_t,)); per arm name, arrays (n_kept, n_t) in
    ``easi``, ``itch``, ``hb``, ``platelets``; ``easi0``, ``itch0`` (n_kept,); ``inputs`` per
    arm: input -> (n_kept, n_days) daily-mean inhibition (the AD model got finer bins);
    timings in s (``signalling`` = dose-response panels + PK + inhibition means, ``disease`` =
    AD and haematology ODEs)."""

    t: np.ndarray
    easi0: np.ndarray
    itch0: np.ndarray
    easi: dict[str, np.ndarray] = field(default_factory=dict)
    itch: dict[str, np.ndarray] = field(default_factory=dict)
    hb: dict[str, np.ndarray] = field(default_factory=dict)
    platelets: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    n_sampled: int = 0


def _haematology(inputs: dict[str, np.ndarray], t_weeks: np.ndarray):
    """Hb and platelets (n, n_t) for daily ``inh_EPO`` / ``inh_TPO`` (n, n_days)."""
    from ..simulation import Change, Protocol, simulate_ensemble
    from .disease import load_model_cached

    compiled = load_model_cached(HAEM_MODEL)
    epo, tpo = inputs["inh_EPO"], inputs["inh_TPO"]
    n, days = epo.shape
    changes = []
    for day in range(days):
        same = day and np.all(epo[:, day] == epo[:, day - 1])
        if same and np.all(tpo[:, day] == tpo[:, day - 1]):
            continue
        changes += [Change(float(day), "inh_EPO", "set", epo[:, day].copy()),
                    Change(float(day), "inh_TPO", "set", tpo[:, day].copy())]  # fmt: skip
    res = simulate_ensemble(compiled, 7.0 * np.asarray(t_weeks), params={"inh_EPO": epo[:, 0]},
                            protocol=Protocol(tuple(changes)), outputs=["Hb", "platelets"],
                            rtol=1e-7, atol=1e-10)  # fmt: skip
    return res["Hb"], res["platelets"]


def run_trial(
    arms: Sequence[Arm],
    *,
    n_patients: int = 200,
    weeks: float = 16.0,
    seed: int = 0,
    pk_samples: int = 20,
    pk_variability: bool = True,
    dt_weeks: float = 1.0,
    per_day: int = 8,
    library=None,
    responses=None,
) -> TrialResult:
    """Simulate every arm on the same virtual patients.

    Parameters
    ----------
    arms : arms to run (names must be unique)
    n_patients : virtual patients sampled (``seed``)
    weeks : trial length; outputs every ``dt_weeks``
    pk_samples : distinct popPK draws per drug arm (patients share them cyclically)
    per_day : input bins per day for the AD model (8: 3-hour means of the inhibition; daily
        means distort the within-day swing of short half-life drugs, docs/clinic.md); the
        haematology model (weeks-long dynamics) gets daily means
    responses : precomputed ``{pathway: DoseResponse}`` (else simulated here)
    """
    import time

    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise ValueError(f"arm names must be unique: {names}")
    days = int(np.ceil(weeks * 7))
    t = np.arange(0.0, weeks + 1e-9, dt_weeks)
    tic = time.perf_counter()
    patients = sample_patients(n_patients, seed=seed)
    base, status = baseline_states(patients)
    t_disease = time.perf_counter() - tic
    ok = (status == 0) & np.isfinite(base["s"])
    patients = {k: v[ok] for k, v in patients.items()}
    base = {k: v[ok] for k, v in base.items()}
    n = int(ok.sum())
    drugs = sorted({a.drug for a in arms if a.drug})
    tic = time.perf_counter()
    if responses is None and drugs:
        responses = pathway_responses(drugs, library=library)
    t_signal = time.perf_counter() - tic
    easi0 = 72 * (2 * base["p"] + 2 * (1 - base["s"])) / 4
    out = TrialResult(t, easi0, base["itch"].copy(), n_sampled=n_patients)
    all_inputs = {**DISEASE_PATHWAYS, **HAEM_PATHWAYS}
    for arm in arms:
        tic = time.perf_counter()
        if arm.drug is None:
            binned = {k: np.zeros((n, days * per_day)) for k in all_inputs}
        else:
            k = max(1, min(pk_samples, n))
            pop = pk_population(arm.drug, k, seed=seed, library=library,
                                pk_variability=pk_variability)  # fmt: skip
            per_draw = daily_means(responses, pop, arm.schedule(), days, inputs=all_inputs,
                                   per_day=per_day)  # fmt: skip
            idx = np.arange(n) % k
            binned = {key: v[idx] for key, v in per_draw.items()}
        daily = {key: v.reshape(n, days, per_day).mean(axis=2) for key, v in binned.items()}
        t_signal += time.perf_counter() - tic
        tic = time.perf_counter()
        res = simulate_disease(patients, base, t, per_day=per_day,
                               daily={k: binned[k] for k in DISEASE_PATHWAYS})  # fmt: skip
        out.easi[arm.name] = np.asarray(res["EASI"])
        out.itch[arm.name] = np.asarray(res["itch"])
        out.hb[arm.name], out.platelets[arm.name] = _haematology(daily, t)
        t_disease += time.perf_counter() - tic
        out.inputs[arm.name] = daily
    # keep patients whose EASI stays on the scale in every arm (reference implementation)
    kept = np.isfinite(easi0) & np.all(
        [np.all(np.isfinite(e) & (e < 72), axis=1) for e in out.easi.values()], axis=0
    )
    for store in (out.easi, out.itch, out.hb, out.platelets):
        for key in store:
            store[key] = store[key][kept]
    out.inputs = {a: {k: v[kept] for k, v in d.items()} for a, d in out.inputs.items()}
    out.easi0, out.itch0 = easi0[kept], out.itch0[kept]
    out.timing = {"signalling": t_signal, "disease": t_disease}
    return out


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval of a proportion k/n (fractions)."""
    if n == 0:
        return (np.nan, np.nan)
    p = k / n
    den = 1 + z**2 / n
    mid = (p + z**2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def patient_endpoints(res: TrialResult, arm: str) -> pd.DataFrame:
    """Tidy per-patient, per-time table of one arm: patient, week, easi, easi_pct_change,
    itch, itch_change, hb, hb_change, platelets, platelets_change."""
    n, nt = res.easi[arm].shape
    pct = 100.0 * (res.easi[arm] - res.easi0[:, None]) / res.easi0[:, None]
    hb0 = res.hb[arm][:, :1]
    p0 = res.platelets[arm][:, :1]
    return pd.DataFrame({
        "arm": arm,
        "patient": np.repeat(np.arange(n), nt),
        "week": np.tile(res.t, n),
        "easi": res.easi[arm].ravel(),
        "easi_pct_change": pct.ravel(),
        "itch": res.itch[arm].ravel(),
        "itch_change": (res.itch[arm] - res.itch0[:, None]).ravel(),
        "hb": res.hb[arm].ravel(),
        "hb_change": (res.hb[arm] - hb0).ravel(),
        "platelets": res.platelets[arm].ravel(),
        "platelets_change": (res.platelets[arm] - p0).ravel(),
    })  # fmt: skip


def time_course_bands(res: TrialResult) -> pd.DataFrame:
    """Population bands per arm and week: endpoint, mean, q05, q25, q50, q75, q95."""
    rows = []
    for arm in res.easi:
        tab = patient_endpoints(res, arm)
        for ep in ("easi_pct_change", "itch", "hb_change", "platelets_change"):
            g = tab.groupby("week")[ep]
            q = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
            rows.append(pd.DataFrame({"arm": arm, "endpoint": ep, "week": q.index,
                                      "mean": g.mean().values, "q05": q[0.05].values,
                                      "q25": q[0.25].values, "q50": q[0.5].values,
                                      "q75": q[0.75].values, "q95": q[0.95].values}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def summarize_endpoints(res: TrialResult, weeks: Sequence[float] = (12.0, 16.0)) -> pd.DataFrame:
    """One row per arm x week: rates with Wilson 95 % intervals and means.

    Columns: arm, week, n, easi_pct_change_mean, easi50/75/90 (+ ``_lo``, ``_hi``), itch_n
    (baseline NRS >= 4), itch4 (+ interval), itch_change_mean, hb_change_mean,
    hb_nadir_change_mean, hb_nadir_change_q05, platelets_change_mean,
    platelets_nadir_change_mean, platelets_nadir_change_q05.
    """
    rows = []
    for arm in res.easi:
        for w in weeks:
            i = int(np.argmin(np.abs(res.t - w)))
            upto = slice(0, i + 1)
            imp = 100.0 * (res.easi0 - res.easi[arm][:, i]) / res.easi0
            n = imp.size
            row = {"arm": arm, "week": float(res.t[i]), "n": n,
                   "easi_pct_change_mean": float(-imp.mean())}  # fmt: skip
            for thr in (50, 75, 90):
                k = int(np.count_nonzero(imp >= thr))
                lo, hi = _wilson(k, n)
                row.update({f"easi{thr}": k / n, f"easi{thr}_lo": lo, f"easi{thr}_hi": hi})
            eligible = res.itch0 >= 4
            drop = res.itch0 - res.itch[arm][:, i]
            k = int(np.count_nonzero(drop[eligible] >= 4))
            m = int(eligible.sum())
            lo, hi = _wilson(k, m)
            row.update({"itch_n": m, "itch4": k / m if m else np.nan, "itch4_lo": lo,
                        "itch4_hi": hi, "itch_change_mean": float(-drop.mean())})  # fmt: skip
            for key, arr in (("hb", res.hb[arm]), ("platelets", res.platelets[arm])):
                change = arr[:, i] - arr[:, 0]
                nadir = arr[:, upto].min(axis=1) - arr[:, 0]
                row[f"{key}_change_mean"] = float(change.mean())
                row[f"{key}_nadir_change_mean"] = float(nadir.mean())
                row[f"{key}_nadir_change_q05"] = float(np.quantile(nadir, 0.05))
            rows.append(row)
    return pd.DataFrame(rows)
