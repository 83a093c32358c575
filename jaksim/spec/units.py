"""Physical units: parsing, dimensions and conversion.

A unit string such as ``"1/(nM*s)"``, ``"nM^-1 s^-1"`` or ``"min^-1"`` is parsed into a
:class:`Unit`: a scale factor to SI base units and a dimension vector over
``(substance, length, time, mass)`` (mol, m, s, kg). Volumes are length^3, so ``"L"`` is
``1e-3 m^3`` and ``"nM"`` (nmol/L) is ``1e-6 mol/m^3``. Counts (``"molecule"``) are substance
divided by Avogadro's number.

Grammar: factors joined by ``*``, ``/`` or whitespace (implicit product), each factor a number,
a unit symbol or a parenthesised group, optionally raised to a (signed) number with ``^`` or
``**``. Symbols are SI-prefixed (``f p n u µ m c d k``) forms of ``mol M L l g s m`` plus
``min h hr day molecule(s)``; ``"1"`` and ``"dimensionless"`` are dimensionless.

Examples
--------
>>> convert(1.0, "1/(uM*s)", "1/(nM*min)")
0.06
>>> parse_unit("nM^-1 s^-1") == parse_unit("1/(nM*s)")
True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import UnitError

__all__ = [
    "DIMENSIONS",
    "Unit",
    "ModelUnits",
    "parse_unit",
    "convert",
    "format_dimension",
]

#: Names of the base dimensions, in the order of :attr:`Unit.dimension`.
DIMENSIONS = ("substance", "length", "time", "mass")

AVOGADRO = 6.02214076e23

_PREFIXES = {
    "f": 1e-15,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,  # micro sign U+00B5
    "μ": 1e-6,  # Greek mu U+03BC
    "m": 1e-3,
    "c": 1e-2,
    "d": 1e-1,
    "k": 1e3,
}

# symbol -> (scale to SI, dimension vector); these accept SI prefixes.
_PREFIXABLE: dict[str, tuple[float, tuple[float, ...]]] = {
    "mol": (1.0, (1, 0, 0, 0)),
    "M": (1e3, (1, -3, 0, 0)),  # mol/L = 1000 mol/m^3
    "L": (1e-3, (0, 3, 0, 0)),
    "l": (1e-3, (0, 3, 0, 0)),
    "g": (1e-3, (0, 0, 0, 1)),
    "s": (1.0, (0, 0, 1, 0)),
    "m": (1.0, (0, 1, 0, 0)),
}
# symbols without prefixes
_PLAIN: dict[str, tuple[float, tuple[float, ...]]] = {
    "min": (60.0, (0, 0, 1, 0)),
    "h": (3600.0, (0, 0, 1, 0)),
    "hr": (3600.0, (0, 0, 1, 0)),
    "day": (86400.0, (0, 0, 1, 0)),
    "week": (604800.0, (0, 0, 1, 0)),  # disease models (atopic dermatitis) run in weeks
    "molecule": (1.0 / AVOGADRO, (1, 0, 0, 0)),
    "molecules": (1.0 / AVOGADRO, (1, 0, 0, 0)),
    "dimensionless": (1.0, (0, 0, 0, 0)),
}

_ZERO = (0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Unit:
    """A parsed unit: ``value_in_SI = value * scale``.

    Attributes
    ----------
    scale : float
        Factor converting a value in this unit to SI base units (mol, m, s, kg).
    dimension : tuple of float, shape (4,)
        Exponents of ``(substance, length, time, mass)``.
    text : str
        The text the unit was parsed from (informative; ignored by ``==``).
    """

    scale: float
    dimension: tuple[float, ...] = _ZERO
    text: str = ""

    def __post_init__(self) -> None:
        # "+ 0.0" turns -0.0 (from negating a zero exponent) into 0.0 for clean printing
        object.__setattr__(self, "dimension", tuple(float(d) + 0.0 for d in self.dimension))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unit):
            return NotImplemented
        return self.dimension == other.dimension and math.isclose(
            self.scale, other.scale, rel_tol=1e-12
        )

    def __hash__(self) -> int:
        return hash(self.dimension)

    def __mul__(self, other: Unit) -> Unit:
        dim = tuple(a + b for a, b in zip(self.dimension, other.dimension, strict=True))
        return Unit(self.scale * other.scale, dim)

    def __truediv__(self, other: Unit) -> Unit:
        return self * other**-1

    def __pow__(self, power: float) -> Unit:
        return Unit(self.scale**power, tuple(d * power for d in self.dimension))

    def compatible(self, other: Unit) -> bool:
        """Whether the two units have the same dimension."""
        return self.dimension == other.dimension


def format_dimension(dim: tuple[float, ...]) -> str:
    """Human-readable dimension, e.g. ``"substance length^-3 time^-1"``."""
    parts = []
    for name, exp in zip(DIMENSIONS, dim, strict=True):
        if exp == 1:
            parts.append(name)
        elif exp:
            parts.append(f"{name}^{_fmt_exp(exp)}")
    return " ".join(parts) or "dimensionless"


def _fmt_exp(exp: float) -> str:
    return str(int(exp)) if float(exp).is_integer() else f"{exp:g}"


# -- parser --------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-zµμ_]+)"
    r"|(?P<op>\*\*|[*/^()+-]))"
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos, stripped = [], 0, text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m or m.end() == pos:
            raise UnitError(f"cannot parse unit {text!r}: unexpected {stripped[pos:].strip()!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _symbol(name: str, text: str) -> Unit:
    if name in _PLAIN:
        scale, dim = _PLAIN[name]
        return Unit(scale, tuple(map(float, dim)))
    if name in _PREFIXABLE:
        scale, dim = _PREFIXABLE[name]
        return Unit(scale, tuple(map(float, dim)))
    if len(name) > 1 and name[0] in _PREFIXES and name[1:] in _PREFIXABLE:
        scale, dim = _PREFIXABLE[name[1:]]
        return Unit(_PREFIXES[name[0]] * scale, tuple(map(float, dim)))
    raise UnitError(
        f"unknown unit {name!r} in {text!r}; known: prefixed mol, M, L, g, s, m "
        "(prefixes f p n u µ m c d k) and min, h, day, molecule, dimensionless"
    )


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise UnitError(f"cannot parse unit {self.text!r}: unexpected end")
        self.i += 1
        return tok

    def product(self) -> Unit:
        unit = self.factor()
        while (tok := self.peek()) is not None and tok[1] != ")":
            if tok[1] in ("*", "/"):
                self.take()
                rhs = self.factor()
                unit = unit * rhs if tok[1] == "*" else unit / rhs
            else:  # implicit product: "nM^-1 s^-1"
                unit = unit * self.factor()
        return unit

    def factor(self) -> Unit:
        kind, value = self.take()
        if kind == "num":
            base = Unit(float(value))
        elif kind == "name":
            base = _symbol(value, self.text)
        elif value == "(":
            base = self.product()
            if self.take()[1] != ")":
                raise UnitError(f"cannot parse unit {self.text!r}: missing ')'")
        else:
            raise UnitError(f"cannot parse unit {self.text!r}: unexpected {value!r}")
        if (tok := self.peek()) is not None and tok[1] in ("^", "**"):
            self.take()
            base = base ** self.exponent()
        return base

    def exponent(self) -> float:
        sign = 1.0
        kind, value = self.take()
        if value in ("-", "+"):
            sign = -1.0 if value == "-" else 1.0
            kind, value = self.take()
        if value == "(":  # "s^(-1)"
            exp = self.exponent()
            if self.take()[1] != ")":
                raise UnitError(f"cannot parse unit {self.text!r}: missing ')'")
            return sign * exp
        if kind != "num":
            raise UnitError(f"cannot parse unit {self.text!r}: exponent must be a number")
        return sign * float(value)


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> Unit:
    """Parse a unit string.

    Parameters
    ----------
    text : str
        E.g. ``"nM"``, ``"1/(nM*s)"``, ``"nM^-1 s^-1"``, ``"min^-1"``, ``"pL"``, ``"µM"``,
        ``"molecule"``, ``"L/h"``, ``"mg"``, ``"1"`` or ``"dimensionless"``.

    Returns
    -------
    Unit

    Raises
    ------
    UnitError
        Empty text, unknown symbol or malformed expression.
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError(f"empty unit {text!r}; write 'dimensionless' for a pure number")
    parser = _Parser(text)
    unit = parser.product()
    if parser.peek() is not None:
        raise UnitError(f"cannot parse unit {text!r}: unbalanced ')'")
    return Unit(unit.scale, unit.dimension, text)


def _as_unit(unit: str | Unit) -> Unit:
    return unit if isinstance(unit, Unit) else parse_unit(unit)


def convert(value: float, from_unit: str | Unit, to_unit: str | Unit) -> float:
    """Convert ``value`` from one unit to another.

    Raises
    ------
    UnitError
        When the dimensions differ (the message states both).
    """
    src, dst = _as_unit(from_unit), _as_unit(to_unit)
    if not src.compatible(dst):
        raise UnitError(
            f"cannot convert {src.text or src} ({format_dimension(src.dimension)}) to "
            f"{dst.text or dst} ({format_dimension(dst.dimension)})"
        )
    factor = src.scale / dst.scale
    # snap the round-off of decimal prefixes (1e-6/1e-9 = 999.9999999999999) to 15 digits
    return value * float(f"{factor:.15g}")


@dataclass(frozen=True)
class ModelUnits:
    """The unit system of one model: its time, concentration and volume units.

    Every dimension is expressed through these (substance = concentration * volume,
    length = volume^(1/3)); mass stays in grams.
    """

    time: str = "s"
    concentration: str = "nM"
    volume: str = "pL"

    def __post_init__(self) -> None:
        for role, text, want in (
            ("time_unit", self.time, (0, 0, 1, 0)),
            ("concentration_unit", self.concentration, (1, -3, 0, 0)),
            ("volume_unit", self.volume, (0, 3, 0, 0)),
        ):
            if parse_unit(text).dimension != tuple(map(float, want)):
                raise UnitError(
                    f"{text!r} is not a unit of {format_dimension(tuple(map(float, want)))}",
                    field=role,
                )

    @property
    def substance(self) -> str:
        """Unit of amounts: concentration * volume (``"nM*pL"`` by default)."""
        return f"{self.concentration}*{self.volume}"

    def text_for(self, dim: tuple[float, ...]) -> str:
        """Unit string, in this system, of the dimension ``dim``.

        ``(-1, 3, -1, 0)`` with nM / pL / s gives ``"1/(nM*s)"``.
        """
        sub, length, time, mass = dim
        vol = (length + 3 * sub) / 3  # substance^a length^b = conc^a * volume^((b+3a)/3)
        powers = [(self.concentration, sub), (self.volume, vol), (self.time, time), ("g", mass)]
        num = [_power(u, e) for u, e in powers if e > 0]
        den = [_power(u, -e) for u, e in powers if e < 0]
        if not num and not den:
            return "dimensionless"
        top = "*".join(num) or "1"
        if not den:
            return top
        bottom = den[0] if len(den) == 1 else "(" + "*".join(den) + ")"
        return f"{top}/{bottom}"

    def to_model(self, value: float, unit: str | Unit) -> tuple[float, str]:
        """Convert ``value`` in ``unit`` to this unit system; returns (value, unit text)."""
        src = _as_unit(unit)
        text = self.text_for(src.dimension)
        return convert(value, src, text), text


def _power(unit: str, exp: float) -> str:
    return unit if exp == 1 else f"{unit}^{_fmt_exp(exp)}"
