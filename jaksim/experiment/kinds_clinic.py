"""Experiment kind ``clinical_trial``: virtual atopic-dermatitis trials (jaksim.clinic).

``[clinical_trial]`` lists arms (placebo, a drug regimen, or regimen segments such as a dose
switch), the number of virtual patients, weeks, seeds and the report weeks. The simulation is in
:mod:`jaksim.clinic.trial`; this module validates, runs every seed and writes tidy tables and
the figure. See docs/clinic.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..spec.errors import ConfigError, JaksimError
from .kinds import register_kind

__all__ = ["TrialSection", "ArmSpec", "SegmentSpec", "arms_of", "run_clinical_trial"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentSpec(_Closed):
    """``{ regimen = "30 mg QD", weeks = 8 }``: a regimen for ``weeks`` (last: to the end)."""

    regimen: str
    weeks: float | None = Field(None, gt=0)


class ArmSpec(_Closed):
    """One arm: ``{ name = "placebo" }``, ``{ name, drug, regimen }`` or ``{ name, drug,
    segments = [...] }``; ``loading_dose_mg`` is the first dose when it differs (dupilumab
    600 mg)."""

    name: str
    drug: str | None = None
    regimen: str | None = None
    segments: list[SegmentSpec] = []
    loading_dose_mg: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_way(self):
        if self.drug is None and (self.regimen or self.segments or self.loading_dose_mg):
            raise ValueError(f"arm {self.name!r}: regimen/segments need a drug")
        if self.drug is not None and bool(self.regimen) == bool(self.segments):
            raise ValueError(f"arm {self.name!r}: give either regimen or segments")
        return self


class TrialSection(_Closed):
    """``[clinical_trial]``."""

    arms: list[ArmSpec] = Field(min_length=1)
    patients: int = Field(200, ge=5, le=100_000)
    weeks: float = Field(16.0, gt=0, le=104)
    seeds: list[int] = Field([0], min_length=1)
    report_weeks: list[float] = [12.0, 16.0]
    pk_samples: int = Field(20, ge=1)
    pk_variability: bool = True
    input_bins_per_day: int = Field(8, ge=1, le=24)
    # whole weeks: visits at the time of the morning dose (trough), as trial visits are
    output_step_weeks: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _checks(self):
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arm names must be unique: {names}")
        late = [w for w in self.report_weeks if w > self.weeks]
        if late:
            raise ValueError(f"report_weeks {late} after the end of the trial ({self.weeks})")
        return self


def arms_of(section: TrialSection, library=None):
    """:class:`jaksim.clinic.trial.Arm` objects from the section (regimen names checked)."""
    from ..clinic.coupling import Segment
    from ..clinic.trial import Arm
    from ..pharmacology import load_library

    lib = library or load_library()
    arms = []
    for a in section.arms:
        if a.drug is None:
            arms.append(Arm(a.name))
            continue
        d = lib.get(a.drug)
        segs, start = [], 0.0
        for s in a.segments or [SegmentSpec(regimen=a.regimen)]:
            d.regimen(s.regimen)
            days = None if s.weeks is None else 7.0 * s.weeks
            segs.append(Segment(s.regimen, start, days))
            start += days or 0.0
        extra = 0.0
        if a.loading_dose_mg is not None:
            extra = a.loading_dose_mg - d.regimen(segs[0].regimen).dose
        arms.append(Arm(a.name, d.id, tuple(segs), loading_extra_mg=extra))
    return arms


def _check(loaded) -> None:
    try:
        arms_of(loaded.section)
    except JaksimError as err:
        raise ConfigError(err.message, file=loaded.file, field="clinical_trial.arms") from None


def _out_dir(loaded, opts) -> Path:
    from .kinds_pharmacology import _out_dir as out_dir

    return out_dir(loaded, opts)


def pooled(results):
    """One TrialResult with the patients of several seeds concatenated."""
    from ..clinic.trial import TrialResult

    first = results[0]
    out = TrialResult(first.t, np.concatenate([r.easi0 for r in results]),
                      np.concatenate([r.itch0 for r in results]))  # fmt: skip
    for name in ("easi", "itch", "hb", "platelets"):
        getattr(out, name).update({a: np.concatenate([getattr(r, name)[a] for r in results])
                                   for a in getattr(first, name)})  # fmt: skip
    out.n_sampled = sum(r.n_sampled for r in results)
    out.timing = {k: sum(r.timing[k] for r in results) for k in first.timing}
    return out


def run_clinical_trial(loaded, opts) -> Path:
    """Every seed: trial tables; pooled: summary with intervals, bands and the figure.

    Files: ``endpoints.csv`` (per seed, arm, report week), ``summary.csv`` (pooled over
    seeds, Wilson 95 % intervals, plus the range of the per-seed values), ``time_courses.csv``
    (population bands per arm, endpoint, week), ``inhibition.csv`` (mean pathway inhibition
    per arm and input over the last week), ``timing.json``, ``time_courses.png``.
    """
    import pandas as pd

    from ..clinic.coupling import pathway_responses
    from ..clinic.trial import run_trial, summarize_endpoints, time_course_bands
    from ..plot.clinic import trial_figure

    sec: TrialSection = loaded.section
    out = _out_dir(loaded, opts)
    arms = arms_of(sec)
    drugs = sorted({a.drug for a in arms if a.drug})
    import time

    tic = time.perf_counter()
    responses = pathway_responses(drugs) if drugs else None
    t_panel = time.perf_counter() - tic
    results, per_seed = [], []
    for seed in sec.seeds:
        res = run_trial(arms, n_patients=sec.patients, weeks=sec.weeks, seed=seed,
                        pk_samples=sec.pk_samples, pk_variability=sec.pk_variability,
                        dt_weeks=sec.output_step_weeks, per_day=sec.input_bins_per_day,
                        responses=responses)  # fmt: skip
        per_seed.append(summarize_endpoints(res, sec.report_weeks).assign(seed=seed))
        results.append(res)
    per_seed = pd.concat(per_seed, ignore_index=True)
    per_seed.to_csv(out / "endpoints.csv", index=False)
    pool = pooled(results)
    summary = summarize_endpoints(pool, sec.report_weeks)
    rng = per_seed.groupby(["arm", "week"], sort=False)
    for col in ("easi75", "itch4", "hb_nadir_change_mean", "platelets_nadir_change_mean"):
        summary = summary.merge(rng[col].agg(**{f"{col}_seed_min": "min",
                                                f"{col}_seed_max": "max"}).reset_index(),
                                on=["arm", "week"], how="left")  # fmt: skip
    summary.to_csv(out / "summary.csv", index=False)
    bands = time_course_bands(pool)
    bands.to_csv(out / "time_courses.csv", index=False)
    rows = []
    for arm, inputs in results[0].inputs.items():
        for key, v in inputs.items():
            # daily means (patients, days)
            rows.append({"arm": arm, "input": key, "mean_last_week": float(v[:, -7:].mean()),
                         "mean_first_day": float(v[:, 0].mean())})  # fmt: skip
    pd.DataFrame(rows).to_csv(out / "inhibition.csv", index=False)
    timing = {"dose_response_panels_s": t_panel}
    timing.update({f"{k}_s": v for k, v in pool.timing.items()})
    timing.update(patients=sec.patients, seeds=len(sec.seeds), arms=len(arms),
                  patients_kept=int(pool.easi0.size), patients_sampled=pool.n_sampled)  # fmt: skip
    (out / "timing.json").write_text(json.dumps(timing, indent=1))
    trial_figure(bands, out / "time_courses.png", title=loaded.config.experiment.name)
    return out


register_kind("clinical_trial", TrialSection, run_clinical_trial, check=_check)
