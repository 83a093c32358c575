"""Case-report patients against the virtual population (``jaksim demo patients``).

Two patients of an upadacitinib case report (as given in issue 12):

* **A**: upadacitinib 15 mg QD; SCORAD 56.8, DLQI 24; itch gone by day 3, clear skin by the
  end of month 2;
* **O**: upadacitinib 30 mg QD, then 15 mg QD from month 2; EASI 69, BSA 81 %.

Neither patient set any parameter. The reports give qualitative outcomes and a few baseline
scores; they are turned into observations on the model's scales as written in
:data:`CASES` (each with its reading). A patient's *percentile of response* is the share of
virtual patients on the same regimen who responded less (a smaller EASI improvement, or more
itch left) at the reported time; SCORAD has no EASI conversion, so patient A is compared on
relative change only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .coupling import Segment
from .trial import Arm, run_trial, time_course_bands

__all__ = ["CasePatient", "CASES", "case_report"]

#: month in weeks (30.44 days)
MONTH = 30.44 / 7.0


@dataclass(frozen=True)
class CasePatient:
    """A reported patient: regimen as an arm, baseline scores and reported observations
    ``(endpoint, week, value, reading)``; endpoints are ``easi_pct_change`` or ``itch`` (NRS)."""

    name: str
    arm: Arm
    baseline: dict
    observations: tuple[tuple[str, float, float, str], ...]


CASES = (
    CasePatient(
        "A",
        Arm("upadacitinib 15 mg QD", "upadacitinib", (Segment("15 mg QD"),)),
        {"SCORAD": 56.8, "DLQI": 24},
        (
            ("itch", 3 / 7, 0.0, "itch gone by day 3: NRS 0 (responder if the model's NRS <= 1)"),
            (
                "easi_pct_change",
                2 * MONTH,
                -100.0,
                "clear skin by the end of month 2: EASI -100 % (responder if improvement >= 90 %)",
            ),
        ),  # fmt: skip
    ),
    CasePatient(
        "O",
        Arm(
            "upadacitinib 30 mg QD -> 15 mg QD from month 2",
            "upadacitinib",
            (Segment("30 mg QD", 0.0, 2 * MONTH * 7), Segment("15 mg QD", 2 * MONTH * 7)),
        ),
        {"EASI": 69.0, "BSA_percent": 81.0},
        (("easi_pct_change", 0.0, 0.0, "baseline EASI 69 (no later score reported)"),),
    ),  # fmt: skip
)


def case_report(n_patients: int = 500, *, seed: int = 1, weeks: float = 16.0, responses=None):
    """Run both patients' regimens on one virtual population (daily outputs).

    Returns
    -------
    bands : DataFrame (time_course_bands per arm)
    observations : DataFrame patient, arm, endpoint, week, value, reading
    percentiles : DataFrame patient, endpoint, week, observed, percentile (share of virtual
        patients responding less, %), criterion
    baseline : DataFrame patient, measure, value, virtual_percentile (for EASI: share of
        virtual baselines below), note
    """
    arms = [c.arm for c in CASES]
    res = run_trial(arms, n_patients=n_patients, weeks=weeks, seed=seed, dt_weeks=1.0 / 7.0,
                    responses=responses)  # fmt: skip
    bands = time_course_bands(res)
    obs, pct, base = [], [], []
    for c in CASES:
        for ep, week, value, reading in c.observations:
            obs.append({"patient": c.name, "arm": c.arm.name, "endpoint": ep, "week": week,
                        "value": value, "reading": reading})  # fmt: skip
            i = int(np.argmin(np.abs(res.t - week)))
            if week == 0:
                continue  # a baseline point: nothing to rank
            if ep == "itch":
                left = res.itch[c.arm.name][:, i]
                share = float(np.mean(left > 1.0))
                crit = "virtual patients with NRS > 1 (itch not gone)"
            else:
                imp = 100.0 * (res.easi0 - res.easi[c.arm.name][:, i]) / res.easi0
                share = float(np.mean(imp < 90.0))
                crit = "virtual patients with EASI improvement < 90 % (skin not clear)"
            pct.append({"patient": c.name, "endpoint": ep, "week": float(res.t[i]),
                        "observed": value, "percentile": 100.0 * share,
                        "criterion": crit})  # fmt: skip
        for k, v in c.baseline.items():
            vp = float(np.mean(res.easi0 < v)) * 100.0 if k == "EASI" else np.nan
            note = ("share of virtual baselines below (reference population: mean EASI "
                    f"{res.easi0.mean():.1f}, max {res.easi0.max():.1f})" if k == "EASI"
                    else "no model counterpart")  # fmt: skip
            base.append({"patient": c.name, "measure": k, "value": v,
                         "virtual_percentile": vp, "note": note})  # fmt: skip
        if c.name == "O":
            # the most severe virtual patients, the closest the population comes to O
            sev = res.easi0 >= np.quantile(res.easi0, 0.9)
            i = int(np.argmin(np.abs(res.t - 16.0)))
            imp = 100.0 * (res.easi0 - res.easi[c.arm.name][:, i]) / res.easi0
            pct.append({"patient": "O", "endpoint": "easi_pct_change", "week": float(res.t[i]),
                        "observed": np.nan, "percentile": np.nan,
                        "criterion": f"prediction for the top-10 % baseline EASI subgroup: "
                                     f"median improvement {np.median(imp[sev]):.0f} %, "
                                     f"EASI-75 {100 * np.mean(imp[sev] >= 75):.0f} %"})  # fmt: skip
    return bands, pd.DataFrame(obs), pd.DataFrame(pct), pd.DataFrame(base)
