"""Drug library loader (closed schema, units, errors) and potency translation."""

from __future__ import annotations

import tomllib

import pytest

from jaksim.pharmacology.library import JAKS, default_library_path, load_library
from jaksim.pharmacology.potency import (
    NO_INHIBITION,
    cellular_potency,
    cheng_prusoff_ki,
    ic50_at_atp,
)
from jaksim.spec.errors import ModelError

DRUGS = {"ruxolitinib", "tofacitinib", "baricitinib", "upadacitinib", "abrocitinib",
         "filgotinib", "deucravacitinib", "dupilumab"}  # fmt: skip

MINIMAL = """
format_version = 1
[cell]
atp = { value = 2, units = "mM", source = "test" }
[km_atp]
JAK1 = { value = 40, units = "uM", source = "test" }
[drugs.testinib]
mechanism = "atp_competitive"
molecular_weight = { value = 300, units = "g/mol", source = "test" }
fraction_unbound = { value = 0.5, units = "dimensionless", source = "test" }
[drugs.testinib.enzymatic]
atp = { value = 1, units = "mM", source = "test" }
JAK1 = { value = 10, units = "nM", source = "test" }
[drugs.testinib.pk]
model = "one_compartment"
ka = { value = 1, units = "1/h", source = "test" }
clearance = { value = 0.5, units = "L/min", source = "test" }
volume = { value = 50, units = "L", source = "test" }
[drugs.testinib.regimens."10 mg QD"]
dose = { value = 10, units = "mg" }
interval = { value = 1, units = "day" }
source = "test"
"""


def write(tmp_path, text):
    path = tmp_path / "drugs.toml"
    path.write_text(text)
    return path


def test_shipped_library_has_every_drug_with_sources():
    lib = load_library()
    assert set(lib.names()) == DRUGS
    raw = tomllib.loads(default_library_path().read_text())

    # every number in the file has units and a source or an assumed reason
    def walk(node, where):
        if isinstance(node, dict) and "value" in node:
            assert "units" in node, where
            # sourced by the regimen / by the pk_reference row
            if where.split(".")[-1] not in ("dose", "interval") and "pk_reference" not in where:
                assert node.get("source") or node.get("assumed"), where
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(raw, "")


def test_units_are_converted_on_load(tmp_path):
    lib = load_library(write(tmp_path, MINIMAL))
    d = lib.get("testinib")
    assert d.pk.clearance == pytest.approx(30.0)  # 0.5 L/min = 30 L/h
    assert d.regimen("10 mg QD").interval == pytest.approx(24.0)
    assert d.enzymatic_atp == pytest.approx(1e6)  # 1 mM in nM
    assert lib.km_atp["JAK1"].value == pytest.approx(4e4)


def test_unknown_drug_suggests_the_closest_name():
    with pytest.raises(ModelError, match="did you mean 'tofacitinib'"):
        load_library().get("tofacitnib")
    assert load_library().get("Rinvoq").id == "upadacitinib"  # alias


def test_unknown_regimen_suggests_the_closest():
    with pytest.raises(ModelError, match="did you mean '15 mg QD'"):
        load_library().get("upadacitinib").regimen("15mg QDD")


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ('JAK1 = { value = 10, units = "nM", source = "test" }',
         'JAK1 = { value = 10, source = "test" }', "drugs.testinib.enzymatic.JAK1.units",
         "missing required key"),
        ('JAK1 = { value = 10, units = "nM", source = "test" }',
         'JAK1 = { value = 10, units = "L", source = "test" }',
         "drugs.testinib.enzymatic.JAK1.units", "cannot convert"),
        ('dose = { value = 10, units = "mg" }', 'dose = { value = -5, units = "mg" }',
         "drugs.testinib.regimens.10 mg QD.dose", "dose must be > 0"),
        ('mechanism = "atp_competitive"', 'mechanism = "atp_competitve"',
         "drugs.testinib.mechanism", "did you mean"),
        ('[drugs.testinib.pk]', '[drugs.testinib.pkk]', "drugs.testinib.pkk", "unknown key"),
        ('JAK1 = { value = 10, units = "nM", source = "test" }',
         'JAK1 = { value = 10, units = "nM" }', "drugs.testinib.enzymatic.JAK1",
         "needs a `source`"),
    ],
)  # fmt: skip
def test_bad_files_name_file_and_field(tmp_path, old, new, field, message):
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(ModelError) as err:
        load_library(path)
    assert err.value.file == str(path)
    assert err.value.field == field
    assert message in str(err.value)


def test_regimen_without_pk_is_an_error(tmp_path):
    start = MINIMAL.index("[drugs.testinib.pk]")
    stop = MINIMAL.index("[drugs.testinib.regimens")
    path = write(tmp_path, MINIMAL[:start] + MINIMAL[stop:])
    with pytest.raises(ModelError, match="a regimen needs PK parameters"):
        load_library(path)


def test_extended_release_needs_er_duration(tmp_path):
    path = write(tmp_path, MINIMAL + 'release = "extended"\n')  # into the regimen table
    with pytest.raises(ModelError, match="needs pk.er_duration"):
        load_library(path)


def test_cheng_prusoff_round_trip_and_cell_shift():
    ki = cheng_prusoff_ki(100.0, atp=1e5, km=1e4)  # IC50 100 nM at 10 Km -> Ki = 100/11
    assert ki == pytest.approx(100.0 / 11.0)
    assert ic50_at_atp(ki, 1e5, 1e4) == pytest.approx(100.0)
    assert ic50_at_atp(ki, 0.0, 1e4) == pytest.approx(ki)  # no ATP: IC50 = Ki


def enzyme_only(drug):
    """The drug without its in-cell values: what the Cheng-Prusoff translation gives (the
    shipped kinase inhibitors all carry derived in-cell potencies, which override it)."""
    from dataclasses import replace

    return replace(drug, cellular={}, anchors=(), ratios={})


def test_cellular_potency_translates_atp_competitive_not_allosteric(tmp_path):
    lib = load_library()
    tofa = enzyme_only(lib.get("tofacitinib"))
    km = lib.km_atp["JAK2"].value
    expected = (
        tofa.enzymatic["JAK2"].value * (1 + lib.atp_cell.value / km) / (1 + tofa.enzymatic_atp / km)
    )
    assert cellular_potency(tofa, "JAK2", lib) == pytest.approx(expected)
    # doubling cellular ATP: competitive potency shifts, allosteric (JH2) does not
    text = (
        default_library_path()
        .read_text()
        .replace("atp = { value = 3.2,", "atp = { value = 6.4,", 1)
    )
    lib4 = load_library(write(tmp_path, text))
    deu, deu4 = lib.get("deucravacitinib"), lib4.get("deucravacitinib")
    assert cellular_potency(deu4, "TYK2", lib4) == cellular_potency(deu, "TYK2", lib)
    assert cellular_potency(enzyme_only(lib4.get("tofacitinib")), "JAK2", lib4) > 1.5 * expected
    # an in-cell value (published or derived) overrides the translation
    upa = lib.get("upadacitinib")
    assert cellular_potency(upa, "JAK1", lib) == upa.cellular["JAK1"].value
    assert cellular_potency(lib.get("dupilumab"), "JAK1", lib) == NO_INHIBITION


@pytest.mark.parametrize("scale", [0.25, 4.0])
def test_one_mM_panel_makes_the_cell_estimate_robust_to_km(scale):
    """The Km(ATP) values are MEMORY. Translating a 1 mM-ATP panel to 3.2 mM cellular ATP
    multiplies by (1 + 3.2 mM/Km)/(1 + 1 mM/Km), which stays within 2.9-3.2 for Km 2.5-160 uM:
    scaling every Km 4-fold moves tofacitinib's in-cell potencies by < 10 %. The same Km change
    moves a translation from a 100 uM-ATP panel (upadacitinib's enzyme assay) by 1.26-1.8x, which
    is why upadacitinib uses engineered-cell values (docs/pharmacology.md)."""
    from dataclasses import replace

    lib = load_library()
    moved = replace(
        lib, km_atp={j: replace(q, value=q.value * scale) for j, q in lib.km_atp.items()}
    )
    tofa = enzyme_only(lib.get("tofacitinib"))
    assert tofa.enzymatic_atp == pytest.approx(1e6)  # 1 mM in nM
    for jak in tofa.enzymatic:
        ratio = cellular_potency(tofa, jak, moved) / cellular_potency(tofa, jak, lib)
        assert 0.9 < ratio < 1.1, jak
    upa = lib.get("upadacitinib")
    atp_cell, km = lib.atp_cell.value, lib.km_atp["JAK1"].value

    def from_enzyme(k):
        return ic50_at_atp(cheng_prusoff_ki(upa.enzymatic["JAK1"].value, upa.enzymatic_atp, k),
                           atp_cell, k)  # fmt: skip

    shift = from_enzyme(km * scale) / from_enzyme(km)
    assert max(shift, 1 / shift) > 1.25


def test_with_cellular_overrides_one_drug_and_leaves_the_library_alone():
    from jaksim.pharmacology.potency import cellular_potency

    lib = load_library()
    before = {j: cellular_potency(lib.get("tofacitinib"), j, lib) for j in JAKS}
    what_if = lib.with_cellular("Xeljanz", {"JAK3": 20.0}, "what-if")
    after = {j: cellular_potency(what_if.get("tofacitinib"), j, what_if) for j in JAKS}
    assert after["JAK3"] == 20.0 and what_if.get("tofacitinib").cellular["JAK3"].assumed
    assert all(after[j] == before[j] for j in JAKS if j != "JAK3")
    assert cellular_potency(lib.get("tofacitinib"), "JAK3", lib) == before["JAK3"]
    with pytest.raises(ValueError, match="unknown kinase"):
        lib.with_cellular("tofacitinib", {"JAK4": 1.0}, "x")
    with pytest.raises(ValueError, match="positive"):
        lib.with_cellular("tofacitinib", {"JAK1": 0.0}, "x")


METABOLITE = """
[drugs.testinib.metabolites.M1]
molecular_weight = { value = 280, units = "g/mol", source = "test" }
fraction_unbound = { value = 0.7, units = "dimensionless", source = "test" }
[drugs.testinib.metabolites.M1.pk]
fraction_formed = { value = 0.5, units = "dimensionless", source = "test" }
clearance = { value = 5, units = "L/h", source = "test" }
volume = { value = 40, units = "L", source = "test" }
[drugs.testinib.metabolites.M1.potency_relative]
JAK1 = { value = 10, units = "dimensionless", source = "test" }
"""


KA = 'ka = { value = 1, units = "1/h", source'
ROW = 'regimen = "10 mg QD"\nsource = "t"\ncmax = { value = 1, units = "ng/mL" }'


def test_apparent_clearance_means_bioavailability_is_applied_once(tmp_path):
    """CL/F and V/F already contain F: the dose enters with F = 1, the published F is kept
    for information. Tofacitinib's label F (0.74) was applied on top of CL/F before."""
    text = MINIMAL.replace(
        'ka = { value = 1, units = "1/h", source = "test" }',
        'ka = { value = 1, units = "1/h", source = "test" }\n'
        'bioavailability = { value = 0.5, units = "dimensionless", source = "test" }',
    )
    absolute = load_library(write(tmp_path, text)).get("testinib").pk
    assert absolute.bioavailability == 0.5 and not absolute.apparent
    text = text.replace('units = "L/min", source', 'units = "L/min", apparent = true, source')
    text = text.replace(
        'units = "L", source = "test" }', 'units = "L", apparent = true, source = "test" }'
    )
    (tmp_path / "b").mkdir()
    apparent = load_library(write(tmp_path / "b", text)).get("testinib").pk
    assert apparent.apparent and apparent.bioavailability == 1.0
    assert apparent.absolute_bioavailability == 0.5
    tofa = load_library().get("tofacitinib").pk
    assert tofa.bioavailability == 1.0 and tofa.absolute_bioavailability == pytest.approx(0.74)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ('units = "L/min", source', 'units = "L/min", apparent = true, source',
         "drugs.testinib.pk", "all apparent"),
        (KA, KA.replace("source", "apparent = true, source"),
         "drugs.testinib.pk.ka.apparent", "can be apparent"),
        (KA, KA.replace("source", "cv = -1, source"),
         "drugs.testinib.pk.ka.cv", "coefficient of variation"),
        (KA, KA.replace("source", "range = [2, 1], source"),
         "drugs.testinib.pk.ka.range", "expected [low, high]"),
    ],
)  # fmt: skip
def test_bad_pk_fields_name_file_and_field(tmp_path, old, new, field, message):
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(ModelError) as err:
        load_library(path)
    assert err.value.field == field and message in str(err.value)


def test_metabolite_and_pk_reference_load(tmp_path):
    ref = """
[[drugs.testinib.pk_reference]]
regimen = "10 mg QD"
analyte = "M1"
source = "test"
half_life = { value = 5, units = "h", range = [4, 6] }
cmax = { value = 0.1, units = "ug/mL" }
miss.cmax = "why"
"""
    drug = load_library(write(tmp_path, MINIMAL + METABOLITE + ref)).get("testinib")
    met = drug.metabolites["M1"]
    assert met.pk.fraction_formed == 0.5 and met.pk.clearance == 5.0
    assert met.potency_relative["JAK1"].value == 10.0
    (r,) = drug.pk_reference
    assert r.analyte == "M1" and r.metrics["cmax"].value == pytest.approx(100.0)  # ng/mL
    assert r.metrics["half_life"].range == (4.0, 6.0) and r.miss == {"cmax": "why"}


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ('fraction_formed = { value = 0.5, units = "dimensionless", source = "test" }\n', "",
         "drugs.testinib.metabolites.M1.pk.fraction_formed", "needed unless"),
        ("M1.potency_relative]", "M1.potency]",
         "drugs.testinib.metabolites.M1.potency", "unknown key"),
        ('JAK1 = { value = 10, units = "dim', 'JAK9 = { value = 10, units = "dim',
         "drugs.testinib.metabolites.M1.potency_relative.JAK9", "unknown key"),
    ],
)  # fmt: skip
def test_bad_metabolites_name_the_field(tmp_path, old, new, field, message):
    path = write(tmp_path, MINIMAL + METABOLITE.replace(old, new, 1))
    with pytest.raises(ModelError) as err:
        load_library(path)
    assert err.value.field == field and message in str(err.value)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ('regimen = "20 mg QD"\nsource = "t"\ncmax = { value = 1, units = "ng/mL" }',
         "drugs.testinib.pk_reference[0].regimen", "not a regimen"),
        (ROW + '\nmiss.auc_tau = "x"',
         "drugs.testinib.pk_reference[0].miss.auc_tau", "unknown key"),
        (ROW + '\nanalyte = "M9"',
         "drugs.testinib.pk_reference[0].analyte", "neither"),
        ('regimen = "10 mg QD"\nsource = "t"\ncmax = { value = 1, units = "h" }',
         "drugs.testinib.pk_reference[0].cmax.units", "cannot convert"),
    ],
)  # fmt: skip
def test_bad_pk_reference_names_the_field(tmp_path, row, field, message):
    path = write(tmp_path, MINIMAL + "\n[[drugs.testinib.pk_reference]]\n" + row + "\n")
    with pytest.raises(ModelError) as err:
        load_library(path)
    assert err.value.field == field and message in str(err.value)


def test_sample_pk_is_lognormal_around_the_typical_value_and_reproducible():
    import numpy as np

    from jaksim.pharmacology.library import sample_pk

    drug = load_library().get("upadacitinib")
    a = sample_pk(drug, 4000, np.random.default_rng(7))
    b = sample_pk(drug, 4000, np.random.default_rng(7))
    cl = np.array([d.pk.clearance for d in a])
    assert np.array_equal(cl, [d.pk.clearance for d in b])
    q = drug.pk.quantities["clearance"]
    assert np.median(cl) == pytest.approx(q.value, rel=0.03)  # typical value = median
    omega = np.sqrt(np.log1p(q.cv**2))
    assert np.std(np.log(cl)) == pytest.approx(omega, rel=0.05)
    assert {d.pk.lag for d in a} == {drug.pk.lag}  # no cv: fixed
    assert len({d.pk.volume for d in a}) > 1
    fil = sample_pk(load_library().get("filgotinib"), 3, np.random.default_rng(1))
    assert len({d.metabolites["GS-829845"].pk.clearance for d in fil}) == 3
