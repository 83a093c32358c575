"""SBML unit definitions <-> jaksim unit strings (:mod:`jaksim.spec.units` grammar).

An SBML ``<unit>`` is ``(multiplier * 10^scale * kind)^exponent``; a unit definition is the
product of its units. Only the kinds jaksim's unit grammar knows (mole, item, litre, metre,
second, gram, kilogram, dimensionless) map to strings; others give ``""`` (unknown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import libsbml

from jaksim.spec.units import parse_unit

__all__ = ["SbmlUnits", "model_units", "unit_string", "add_unit_definition"]

_KIND_TO_SYMBOL = {
    libsbml.UNIT_KIND_MOLE: "mol",
    libsbml.UNIT_KIND_ITEM: "molecule",
    libsbml.UNIT_KIND_LITRE: "L",
    libsbml.UNIT_KIND_LITER: "L",
    libsbml.UNIT_KIND_METRE: "m",
    libsbml.UNIT_KIND_METER: "m",
    libsbml.UNIT_KIND_SECOND: "s",
    libsbml.UNIT_KIND_GRAM: "g",
    libsbml.UNIT_KIND_KILOGRAM: "kg",
    libsbml.UNIT_KIND_DIMENSIONLESS: "1",
}
_PREFIX = {-15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 3: "k"}
_BUILTIN = {"mole": "mol", "litre": "L", "second": "s", "item": "molecule",
            "dimensionless": "dimensionless", "gram": "g", "metre": "m"}  # fmt: skip


@dataclass(frozen=True)
class SbmlUnits:
    """Model-level units of an imported SBML model (jaksim strings)."""

    time: str = "s"
    substance: str = "mol"
    volume: str = "L"

    @property
    def concentration(self) -> str:
        if (self.substance, self.volume) == ("mol", "L"):
            return "M"
        return f"{self.substance}/{self.volume}"


def _unit_text(u: libsbml.Unit) -> str | None:
    sym = _KIND_TO_SYMBOL.get(u.getKind())
    if sym is None:
        return None
    scale, mult, exp = u.getScale(), u.getMultiplier(), u.getExponentAsDouble()
    if sym == "1":
        base = "1" if mult == 1 and scale == 0 else repr(mult * 10.0**scale)
    elif mult == 1 and scale in _PREFIX and sym not in ("kg",):
        base = _PREFIX[scale] + sym
    elif mult == 1 and scale == 0:
        base = sym
    elif sym == "s" and mult in (60.0, 3600.0) and scale == 0:
        base = "min" if mult == 60.0 else "h"
    else:
        base = f"({mult * 10.0**scale!r}*{sym})"
    if exp == 1:
        return base
    return f"{base}^{exp:g}" if exp > 0 else f"{base}^({exp:g})"


def unit_string(model: libsbml.Model, ref: str) -> str:
    """jaksim unit string of an SBML unit reference (a unit-definition id or a base unit).

    Returns ``""`` when the unit uses kinds jaksim does not know or cannot be parsed back.
    """
    if not ref:
        return ""
    if ref in _BUILTIN:
        return _BUILTIN[ref]
    ud = model.getUnitDefinition(ref)
    if ud is None:
        return ""
    parts = [_unit_text(ud.getUnit(i)) for i in range(ud.getNumUnits())]
    if any(p is None for p in parts):
        return ""
    text = "*".join(p for p in parts if p != "1") or "dimensionless"
    try:
        parse_unit(text)
    except Exception:  # noqa: BLE001 - an unparseable unit is reported as unknown
        return ""
    return text


def model_units(model: libsbml.Model) -> SbmlUnits:
    """Time, substance and volume units of an SBML model (SBML's defaults where unset).

    Level 3 names them in model attributes; Level 2 by redefining the built-in unit ids
    ``time``, ``substance`` and ``volume`` (e.g. ``time`` = 60 s: minutes).
    """

    def pick(attr: str, default: str, dim: tuple[float, ...]) -> str:
        if model.getLevel() < 3:
            ref = attr.removesuffix("Units").lower()
        else:
            ref = getattr(model, f"get{attr}")() if getattr(model, f"isSet{attr}")() else ""
        text = unit_string(model, ref)
        return text if text and parse_unit(text).dimension == dim else default

    return SbmlUnits(
        time=pick("TimeUnits", "s", (0.0, 0.0, 1.0, 0.0)),
        substance=pick("SubstanceUnits", "mol", (1.0, 0.0, 0.0, 0.0)),
        volume=pick("VolumeUnits", "L", (0.0, 3.0, 0.0, 0.0)),
    )


def add_unit_definition(model: libsbml.Model, text: str) -> str | None:
    """Create (once) an SBML unit definition for a jaksim unit string; return its id.

    The definition is ``multiplier * (mole^a metre^b second^c kilogram^d)`` with the scale
    and dimension :func:`jaksim.spec.units.parse_unit` computes, so conversions agree exactly.
    Returns ``None`` for an empty or unparseable string.
    """
    try:
        unit = parse_unit(text)
    except Exception:  # noqa: BLE001 - units are informative on export; skip what cannot parse
        return None
    if unit.dimension == (0.0, 0.0, 0.0, 0.0) and unit.scale == 1.0:
        return "dimensionless"
    uid = "u_" + "".join(c if c.isalnum() else "_" for c in text)
    if model.getUnitDefinition(uid) is not None:
        return uid
    ud = model.createUnitDefinition()
    ud.setId(uid)
    ud.setName(text)
    kinds = (libsbml.UNIT_KIND_MOLE, libsbml.UNIT_KIND_METRE, libsbml.UNIT_KIND_SECOND,
             libsbml.UNIT_KIND_KILOGRAM)  # fmt: skip
    first = True
    for kind, exp in zip(kinds, unit.dimension, strict=True):
        if exp == 0:
            continue
        u = ud.createUnit()
        u.setKind(kind)
        u.setExponent(exp)
        u.setScale(0)
        # the whole scale factor rides on the first unit: (m * base)^e = m^e * base^e
        u.setMultiplier(unit.scale ** (1.0 / exp) if first else 1.0)
        first = False
    if first:  # a pure number, e.g. "1e-3"
        u = ud.createUnit()
        u.setKind(libsbml.UNIT_KIND_DIMENSIONLESS)
        u.setExponent(1.0)
        u.setScale(0)
        u.setMultiplier(unit.scale)
    if not math.isfinite(unit.scale):
        return None
    return uid
