"""Unit parsing and conversion, checked against conversions worked out by hand."""

import math

import pytest

from jaksim.spec.errors import UnitError
from jaksim.spec.units import AVOGADRO, ModelUnits, convert, parse_unit


@pytest.mark.parametrize(
    "a, b",
    [
        ("1/(nM*s)", "nM^-1 s^-1"),
        ("1/(nM*s)", "nM**-1*s**-1"),
        ("1/(nM*s)", "1/nM/s"),
        ("min^-1", "1/min"),
        ("s^(-1)", "1/s"),
        ("uM", "µM"),  # micro sign U+00B5
        ("uM", "μM"),  # Greek mu U+03BC
        ("uM", "umol/L"),
        ("M", "mol/L"),
        ("1", "dimensionless"),
        ("h", "60 min"),
        ("L/h", "mL/(min)^1 * 1000 / 60"),
    ],
)
def test_equivalent_spellings(a, b):
    assert parse_unit(a) == parse_unit(b)


@pytest.mark.parametrize(
    "value, src, dst, expected",
    [
        # 1 per uM per s = 1e-3 per nM per s = 0.06 per nM per min
        (1.0, "1/(uM*s)", "1/(nM*min)", 0.06),
        (2.5, "uM", "nM", 2500.0),
        (1.0, "mM", "uM", 1000.0),
        (3.0, "1/h", "1/s", 3.0 / 3600.0),
        (0.6, "1/min", "1/s", 0.01),
        (1.4, "pL", "fL", 1400.0),
        (1.0, "L/h", "mL/min", 1000.0 / 60.0),
        (5.0, "mg", "g", 5e-3),
        (AVOGADRO, "molecule", "mol", 1.0),
        # 602.2 molecules in 1 pL: 1e-21 mol / 1e-12 L = 1e-9 M = 1 nM
        (602.214076, "molecule/pL", "nM", 1.0),
        (7.0, "dimensionless", "1", 7.0),
    ],
)
def test_convert(value, src, dst, expected):
    assert math.isclose(convert(value, src, dst), expected, rel_tol=1e-13)


def test_dimension_vector():
    # substance, length, time, mass
    assert parse_unit("1/(nM*s)").dimension == (-1.0, 3.0, -1.0, 0.0)
    assert parse_unit("pL").dimension == (0.0, 3.0, 0.0, 0.0)
    assert parse_unit("mg").dimension == (0.0, 0.0, 0.0, 1.0)


def test_incompatible_dimensions_name_both_units():
    with pytest.raises(UnitError, match=r"cannot convert nM .* to 1/s"):
        convert(1.0, "nM", "1/s")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty unit"),
        ("furlong", "unknown unit 'furlong'"),
        ("nM^x", "exponent must be a number"),
        ("(nM", "unexpected end"),
        ("nM)", "unbalanced"),
        ("nM + s", r"unexpected '\+'"),
    ],
)
def test_bad_units(text, fragment):
    with pytest.raises(UnitError, match=fragment):
        parse_unit(text)


def test_model_units_text_and_values():
    mu = ModelUnits("min", "nM", "pL")
    assert mu.text_for(parse_unit("1/(uM*s)").dimension) == "1/(nM*min)"
    assert mu.text_for(parse_unit("nM^2/s").dimension) == "nM^2/min"
    assert mu.text_for(parse_unit("mol").dimension) == "nM*pL"
    assert mu.text_for((0.0, 0.0, 0.0, 0.0)) == "dimensionless"
    value, text = mu.to_model(0.02, "1/(uM*s)")
    assert text == "1/(nM*min)" and math.isclose(value, 0.02 * 60 / 1000, rel_tol=1e-13)


def test_model_units_reject_wrong_dimensions():
    with pytest.raises(UnitError, match="time_unit"):
        ModelUnits(time="nM")
    with pytest.raises(UnitError, match="volume_unit"):
        ModelUnits(volume="s")
