"""Write a :class:`~jaksim.spec.model.Model` as a TOML model file (``format_version = 1``).

The format is flat (arrays of tables holding strings, numbers, booleans and small lists), so
it is written by hand rather than adding a TOML-writing dependency. Values are written in the
model's units; fields equal to their defaults are left out; rate laws are written as ``rate``
expressions (the mass-action shorthand is not reconstructed); a reaction without a
compartment (rate in amount/time, SBML semantics) is written ``compartment = ""``.
A model with parameters lacking a source (or units), as imported from SBML, is written with
``require_sources = false`` (``require_units = false``) in ``[model]``.
``load_model_file(write_model_toml(m, p))`` gives back ``m`` (apart from ``source_file``
and the ``original.*`` metadata of a first load).
"""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..spec.errors import ModelError
from ..spec.model import Model, Reaction
from ..spec.schema import KINDS

__all__ = ["write_model_toml", "model_to_toml"]


_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n",
                  "\f": "\\f", "\r": "\\r"}  # fmt: skip


def _escape_char(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    # TOML forbids raw U+0000-U+001F and U+007F (DEL) in strings; C1 controls and the
    # Unicode line / paragraph separators are legal but break editors and diffs: escape all
    if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029):
        return f"\\u{code:04X}"
    if 0xD800 <= code <= 0xDFFF:  # only from Python strings; TOML (and UTF-8) cannot hold it
        raise ModelError(f"cannot write a lone surrogate (U+{code:04X}) in a TOML string")
    return ch


def _string(text: str) -> str:
    """A TOML basic string: quoted, with everything TOML cannot hold raw escaped."""
    return '"' + "".join(_escape_char(ch) for ch in text) + '"'


def _value(v: Any) -> str:
    """One TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        v = float(v)
        if math.isnan(v):
            return "nan"
        return repr(v)  # "inf", "-inf", "1e-05", "0.5" are all TOML floats
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")


def _key(k: str) -> str:
    bare = k.replace("_", "a").replace("-", "a").isalnum() and k.isascii()
    return k if bare else _string(k)


def _fields(obj: Any) -> dict[str, Any]:
    """Non-default fields of a spec dataclass, as TOML-ready values."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name != "id" and value == f.default and f.name not in ("units", "initial", "size"):
            continue
        out[f.name] = value
    return out


def _reaction(r: Reaction) -> dict[str, Any]:
    d = _fields(r)
    for side in ("reactants", "products"):
        pairs = getattr(r, side)
        if all(n == 1 for _, n in pairs):
            d[side] = [sid for sid, _ in pairs]
        else:
            d[side] = {sid: n for sid, n in pairs}
    d["compartment"] = r.compartment or ""
    if r.modifiers:
        d["modifiers"] = list(r.modifiers)
    else:
        d.pop("modifiers", None)
    if r.local_parameters:
        d["local_parameters"] = [_fields(p) for p in r.local_parameters]
    else:
        d.pop("local_parameters", None)
    return d


def _component(kind: str, obj: Any) -> dict[str, Any]:
    if kind == "reactions":
        return _reaction(obj)
    d = _fields(obj)
    if kind == "events":
        d["assignments"] = [_fields(a) for a in obj.assignments]
    return d


def refuse_dae(model: Model, what: str) -> None:
    """Algebraic rules and delayed values have no TOML form and are not exported yet:
    refuse rather than write a model that silently lacks them."""
    parts = [p for p, has in (("algebraic rules", model.algebraic_rules),
                              ("delay()", model.delays)) if has]  # fmt: skip
    if parts:
        raise ModelError(
            f"{what}: models with {' and '.join(parts)} are not supported yet "
            "(simulate the SBML file directly)",
            file=model.source_file or None,
        )


def model_to_toml(model: Model) -> str:
    """The model as TOML text."""
    refuse_dae(model, "TOML model")
    lines = [
        f"# Written by jaksim from {model.source_file or 'a Python model'}.",
        "format_version = 1",
        "",
        "[model]",
    ]
    head = {
        "id": model.id,
        "name": model.name,
        "description": model.description,
        "time_unit": model.time_unit,
        "concentration_unit": model.concentration_unit,
        "volume_unit": model.volume_unit,
    }
    lines += [f"{k} = {_value(v)}" for k, v in head.items() if v]
    # imported (SBML) models may lack units or sources; say so rather than invent them
    params = [*model.parameters, *(p for r in model.reactions for p in r.local_parameters)]
    if any(not (p.source or p.assumed) for p in params):
        lines.append("require_sources = false")
    if any(not x.units for x in (*params, *model.species, *model.compartments)):
        lines.append("require_units = false")
    if model.metadata:
        lines.append(f"metadata = {_value(dict(model.metadata))}")
    for kind in KINDS:
        for obj in getattr(model, kind):
            lines += ["", f"[[{kind}]]"]
            for key, value in _component(kind, obj).items():
                if value is not None:
                    lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def write_model_toml(model: Model, path: str | Path) -> Path:
    """Write ``model`` to ``path`` as a TOML model file; returns the path."""
    path = Path(path)
    path.write_text(model_to_toml(model), encoding="utf-8")
    return path
