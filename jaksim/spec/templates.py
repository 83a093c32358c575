"""Templates: named blocks of components with ``{placeholders}`` (PySB-macro-like reuse).

A :class:`Template` holds component tables (the dicts a model file's ``[[species]]``,
``[[reactions]]``... hold) whose strings contain ``{placeholders}``. Instantiating it
substitutes every string (ids, expressions, species lists and their keys, descriptions,
sources). The same object serves the TOML loader (``[templates.x]`` + ``[[use]]``) and Python:

>>> binding = Template.define(
...     "binding", ["L", "R"],
...     parameters=[{"id": "kon_{L}", "value": 0.02, "units": "1/(nM*s)", "assumed": "demo"}],
...     reactions=[{"id": "{L}_binds_{R}", "reactants": ["{L}", "{R}"],
...                 "products": ["{L}_{R}"], "kf": "kon_{L}"}],
... )
>>> binding.instantiate(L="IL6", R="gp130").reactions[0].rate
'kon_IL6*IL6*gp130'

:func:`merge_tables` joins the components of several instantiations: identical components
merge (pathways share one STAT or SOCS pool), a same id with different content is an error
naming both origins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from .errors import ModelError, did_you_mean
from .schema import KINDS, Components, check_keys, component_from_table

__all__ = ["Template", "TableEntry", "merge_tables", "merge_components", "USE_KEYS"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Keys of a ``[[use]]`` table.
USE_KEYS = ("template", "with", "parameters", "sources")

#: ``(kind, where, table, from_template)``: one component table and where it came from.
TableEntry = tuple[str, str, Mapping[str, Any], bool]


def _walk_strings(value: Any, fn) -> Any:
    """Apply ``fn`` to every string in nested lists / dicts (dict keys included)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {fn(k): _walk_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk_strings(v, fn) for v in value]
    return value


@dataclass(frozen=True)
class Template:
    """A reusable block of components.

    Attributes
    ----------
    name : str
        Name used by ``[[use]] template = ...``.
    placeholders : tuple of str
        Names substituted in ``{name}`` form.
    tables : mapping kind -> tuple of dict
        Component tables per kind (see :data:`jaksim.spec.schema.KINDS`), unsubstituted.
    description : str
        May contain placeholders too.
    origin : str
        Where the template was defined (``"file.toml: templates.x"``), for error messages.
    """

    name: str
    placeholders: tuple[str, ...]
    tables: Mapping[str, tuple[Mapping[str, Any], ...]]
    description: str = ""
    origin: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "placeholders", tuple(self.placeholders))
        object.__setattr__(
            self, "tables", MappingProxyType({k: tuple(v) for k, v in self.tables.items() if v})
        )
        self._check()

    @classmethod
    def define(
        cls,
        name: str,
        placeholders: Sequence[str],
        *,
        description: str = "",
        origin: str = "",
        **tables: Sequence[Mapping[str, Any]],
    ) -> Template:
        """Python constructor: ``Template.define("x", ["L"], species=[...], reactions=[...])``."""
        return cls(name, tuple(placeholders), tables, description, origin)

    @classmethod
    def from_table(cls, name: str, table: Mapping[str, Any], *, file: str | None) -> Template:
        """Build from a model file's ``[templates.<name>]`` table (closed schema)."""
        where = f"templates.{name}"
        check_keys(table, ("placeholders", "description", *KINDS), where=where, file=file)
        placeholders = table.get("placeholders", [])
        if not isinstance(placeholders, list) or not all(
            isinstance(p, str) and _IDENT.match(p) for p in placeholders
        ):
            raise ModelError(
                f"expected a list of identifiers, got {placeholders!r}",
                file=file,
                field=f"{where}.placeholders",
            )
        tables = {}
        for kind in KINDS:
            entries = table.get(kind, [])
            if not isinstance(entries, list):
                raise ModelError(
                    f"expected an array of tables ([[{where}.{kind}]])",
                    file=file,
                    field=f"{where}.{kind}",
                )
            tables[kind] = entries
        origin = f"{file}: {where}" if file else where
        try:
            return cls(name, tuple(placeholders), tables, table.get("description", ""), origin)
        except ModelError as err:
            raise err.located(file=file, field=where) from None

    def _check(self) -> None:
        """Every ``{x}`` must be a declared placeholder; every table must fit the schema."""
        declared = set(self.placeholders)

        def check(text: str) -> str:
            for name in _PLACEHOLDER.findall(text):
                if name not in declared:
                    raise ModelError(
                        f"undeclared placeholder {{{name}}} in {text!r}"
                        f"{did_you_mean(name, declared)}; declared: {sorted(declared)}",
                        field=f"templates.{self.name}",
                    )
            return text

        _walk_strings(self.description, check)
        for kind, entries in self.tables.items():
            if kind not in KINDS:
                raise ModelError(
                    f"unknown component kind {kind!r}{did_you_mean(kind, KINDS)}",
                    field=f"templates.{self.name}",
                )
            for i, table in enumerate(entries):
                _walk_strings(table, check)
                # validates keys and types early, with the template's own key path
                component_from_table(kind, table, where=f"templates.{self.name}.{kind}[{i}]")

    # -- instantiation ---------------------------------------------------------------------
    def tables_for(
        self,
        subs: Mapping[str, Any],
        *,
        parameters: Mapping[str, float] | None = None,
        sources: Mapping[str, str] | None = None,
        where: str = "",
    ) -> list[TableEntry]:
        """Substituted component tables of one instantiation.

        Parameters
        ----------
        subs : mapping
            Value (str or number) for every placeholder.
        parameters : mapping, optional
            ``{parameter_id: value}`` overrides (ids after substitution).
        sources : mapping, optional
            ``{parameter_id: source}`` replacing the template's source (and ``assumed``).
        where : str
            Label of the use site for error messages, e.g. ``"use[2]"``.
        """
        where = where or f"template {self.name!r}"
        missing = [p for p in self.placeholders if p not in subs]
        extra = [k for k in subs if k not in self.placeholders]
        if missing or extra:
            bad = extra[0] if extra else None
            hint = did_you_mean(bad, self.placeholders) if bad else ""
            raise ModelError(
                f"template {self.name!r} takes placeholders {list(self.placeholders)}; "
                f"missing {missing}, unknown {extra}{hint}",
                field=f"{where}.with",
            )
        text = {k: str(v) for k, v in subs.items()}

        def fill(s: str) -> str:
            return _PLACEHOLDER.sub(lambda m: text[m.group(1)], s)

        out: list[TableEntry] = []
        for kind, entries in self.tables.items():
            for i, table in enumerate(entries):
                label = f"{where} (template {self.name!r}).{kind}[{i}]"
                out.append((kind, label, _walk_strings(table, fill), True))
        _apply_overrides(out, parameters or {}, sources or {}, where)
        return out

    def instantiate(self, **subs: Any) -> Components:
        """Components of one instantiation, units as written (Python API)."""
        tables: dict[str, list] = {}
        for kind, label, table, _ in self.tables_for(subs):
            tables.setdefault(kind, []).append((label, table))
        return Components.from_tables(tables)


def _apply_overrides(
    entries: list[TableEntry],
    values: Mapping[str, float],
    sources: Mapping[str, str],
    where: str,
) -> None:
    params = {t["id"]: t for kind, _, t, _ in entries if kind == "parameters"}
    for key, overrides in (("parameters", values), ("sources", sources)):
        for pid, new in overrides.items():
            if pid not in params:
                raise ModelError(
                    f"the template makes no parameter {pid!r}{did_you_mean(pid, params)}",
                    field=f"{where}.{key}.{pid}",
                )
            if key == "parameters":
                params[pid]["value"] = new
            else:
                params[pid]["source"] = new
                params[pid].pop("assumed", None)


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def _key(kind: str, item: Any) -> Any:
    if kind in ("rate_rules", "initial_assignments"):
        return _get(item, "variable")
    if kind == "inputs":  # several inputs may target one symbol; only exact copies merge
        return repr(item if not isinstance(item, Mapping) else sorted(item.items()))
    return _get(item, "id")


def _differing(a: Any, b: Any) -> list[str]:
    names = set(a) | set(b) if isinstance(a, Mapping) else [f.name for f in fields(a)]
    return sorted(k for k in names if _get(a, k) != _get(b, k))


def merge_tables(
    entries: Iterable[TableEntry], *, file: str | None = None
) -> dict[str, list[tuple[str, Any]]]:
    """Merge components: identical template-made components collapse into one.

    Parameters
    ----------
    entries : iterable of (kind, where, item, from_template)
        ``item`` is a component table (dict) or a spec dataclass; compared with ``==``.

    Returns
    -------
    dict kind -> list of (where, item), in first-seen order.

    Raises
    ------
    ModelError
        Same id with different content (naming both origins and the differing keys), or an
        exact duplicate written twice outside templates.
    """
    seen: dict[tuple[str, Any], tuple[str, Any, bool]] = {}
    out: dict[str, list[tuple[str, Any]]] = {}
    for kind, where, item, from_template in entries:
        key = (kind, _key(kind, item))
        if key in seen:
            first_where, first, first_tpl = seen[key]
            if first == item and (from_template or first_tpl):
                continue
            diff = _differing(first, item)
            what = f"differ in {diff}" if diff else "are both written out"
            noun = kind if kind == "species" else kind[:-1]
            raise ModelError(
                f"{noun} {key[1]!r} is defined by both {first_where} and {where}; they {what}",
                file=file,
                field=where,
            )
        seen[key] = (where, item, from_template)
        out.setdefault(kind, []).append((where, item))
    return out


def merge_components(*parts: Components) -> Components:
    """Join the components of several instantiations (identical ones merge), Python API."""
    entries = [
        (kind, f"part {i} {kind}[{j}]", item, True)
        for i, part in enumerate(parts)
        for kind in KINDS
        for j, item in enumerate(getattr(part, kind))
    ]
    merged = merge_tables(entries)
    return Components(
        **{k: tuple(item for _, item in merged.get(k, [])) for k in KINDS},
        mass_action={k: v for part in parts for k, v in part.mass_action.items()},
        auto_compartment=frozenset().union(*(part.auto_compartment for part in parts)),
    )
