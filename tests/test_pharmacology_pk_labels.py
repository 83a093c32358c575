"""PK against labels: steady-state exposure from the library vs published values.

The published numbers live in ``models/drugs.toml`` (``[[drugs.X.pk_reference]]``): they are
kept for testing only and never set a parameter (docs/pharmacology.md, "PK against labels").
Each row passes when the model is within 20 % of the published value or, where the source
gives a range, inside the range widened by 20 % on each side. A known miss carries its
diagnosis in the file (``miss.<metric>``) and runs as a strict xfail: it must keep failing
until the diagnosis is addressed with sourced values, never by tuning on the tested number.
"""

from __future__ import annotations

import numpy as np
import pytest

from jaksim.pharmacology.library import load_library
from jaksim.pharmacology.pk import exposure_metrics
from jaksim.pharmacology.regimens import Regimen
from jaksim.pharmacology.validation import within

LIB = load_library()


def _rows():
    rows = []
    for drug in LIB.drugs.values():
        for i, ref in enumerate(drug.pk_reference):
            for metric in ref.metrics:
                marks = ()
                if metric in ref.miss:
                    marks = pytest.mark.xfail(strict=True, reason=ref.miss[metric])
                rid = f"{drug.id}-{ref.regimen}-{ref.analyte}-{metric}-{i}".replace(" ", "")
                rows.append(pytest.param(drug.id, i, metric, id=rid, marks=marks))
    return rows


@pytest.mark.parametrize(("drug", "index", "metric"), _rows())
def test_model_exposure_matches_the_published_value(drug, index, metric):
    d = LIB.get(drug)
    ref = d.pk_reference[index]
    model = exposure_metrics(d, d.regimen(ref.regimen))[ref.analyte][metric]
    q = ref.metrics[metric]
    assert within(model, q.value, q.range, metric), (
        f"{drug} {ref.regimen} {ref.analyte} {metric}: model {model:.4g} vs published "
        f"{q.value:.4g} {q.units} {q.range or ''} ({ref.source})"
    )


def test_the_tolerance_can_fail():
    """The comparison rejects a 25 % miss and a value outside a widened range."""
    assert within(1.19, 1.0, None) and not within(1.25, 1.0, None)
    assert within(11.9, 5.0, (9.0, 10.0)) and not within(12.5, 5.0, (9.0, 10.0))
    assert not within(1.08, 1.35, None, "accumulation") and within(1.3, 1.35, None, "accumulation")


def test_every_reference_names_a_source_and_a_known_regimen():
    n = 0
    for d in LIB.drugs.values():
        for ref in d.pk_reference:
            n += 1
            assert ref.source and ref.regimen in d.regimens
            assert ref.analyte == d.id or ref.analyte in d.metabolites
    assert n >= 10


# Relations between regimens from one source (not label numbers): Mohamed MF et al. 2019
# (PMC6585649) abstract, READ: "Doses of 15 and 30 mg once daily using the ER formulation
# provided equivalent AUC0-24, comparable Cmax and Cmin ... similar to 6 and 12 mg twice daily,
# respectively, using the IR formulation". The ER relative F (0.762) comes from another source
# (Kluender 2019 popPK / AAPS J 2019), so the AUC equivalence is a test too. "Comparable" and
# "equivalent" are read as within 20 %.
ER_VS_IR_MISS = (
    "the phase I-III popPK (Kluender 2019 Table 3, READ-2ND) puts the 15 mg ER QD Cmax 26 % "
    "above 6 mg BID IR at steady state (its IR Ka is 2.77/h, its ER input 74.5 % zero-order "
    "over 3.29 h + 25.5 % first-order at 0.0523/h); Mohamed 2019 reports the two as "
    "'comparable' without a number that could be read, so the 20 % reading of 'comparable' may "
    "be too strict or the pooled model's IR absorption (fitted mostly on ER phase III data) "
    "too slow for healthy volunteers"
)


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param("cmax", marks=pytest.mark.xfail(strict=True, reason=ER_VS_IR_MISS)),
        "cmin",
    ],
)
def test_upadacitinib_er_once_daily_is_comparable_to_ir_twice_daily(metric):
    d = LIB.get("upadacitinib")
    er = exposure_metrics(d, d.regimen("15 mg QD"))["upadacitinib"][metric]
    ir = exposure_metrics(d, Regimen("6 mg BID IR", 6.0, 12.0))["upadacitinib"][metric]
    assert within(er, ir, None), f"ER 15 mg QD {metric} {er:.3g} vs IR 6 mg BID {ir:.3g} ng/mL"


def test_er_auc_equals_ir_auc_at_the_same_absorbed_dose():
    """Relative-F bookkeeping (exact: linear PK, AUC = F Dose / CL): 15 mg ER with F_rel over
    24 h is F_rel x 15/12 of two 6 mg IR doses; and Mohamed 2019's published equivalence of the
    two regimens' AUC24 holds within 20 %."""
    d = LIB.get("upadacitinib")
    er = exposure_metrics(d, d.regimen("15 mg QD"))["upadacitinib"]["auc_tau"]
    ir = exposure_metrics(d, Regimen("6 mg BID IR", 6.0, 12.0))["upadacitinib"]["auc_tau"]
    f_rel = d.pk.er_relative_bioavailability
    np.testing.assert_allclose(er, 2 * ir * f_rel * 15.0 / 12.0, rtol=1e-3)
    assert within(er, 2 * ir, None)


def test_the_pk_table_in_the_docs_is_current():
    """docs/pharmacology.md shows the generated table (model values move with the library)."""
    from pathlib import Path

    from jaksim.pharmacology.validation import pk_table_markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "pharmacology.md").read_text()
    assert pk_table_markdown(LIB) in doc, (
        "stale PK table: run `python -m jaksim.pharmacology.validation`"
    )
