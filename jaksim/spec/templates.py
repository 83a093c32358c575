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

A template may itself use other templates (``uses``: ``[[templates.X.use]]`` tables, the
same keys as a model's ``[[use]]``); their strings are substituted with the outer template's
placeholders before the inner template is expanded. Template names in ``uses`` are looked up
at instantiation time, so cycles are reported there, with the chain of names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from .errors import ModelError, did_you_mean
from .schema import KINDS, Components, check_keys, component_from_table

__all__ = [
    "MAX_DEPTH",
    "USE_KEYS",
    "TableEntry",
    "Template",
    "check_use",
    "merge_components",
    "merge_tables",
]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Word characters only (an identifier, a name fragment, a plain number): no brackets needed.
_ATOM = re.compile(r"[A-Za-z0-9_.]+\Z")
#: Keys whose string values are expressions (component tables and event assignments).
_EXPR_KEYS = frozenset({"rate", "kf", "kr", "expression", "trigger", "delay", "priority"})

#: Keys of a ``[[use]]`` table.
USE_KEYS = ("template", "with", "parameters", "sources")

#: Deepest nesting of templates using templates (a model's ``[[use]]`` is level 1).
MAX_DEPTH = 8

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


def _expect(value: Any, kind: type | tuple, what: str, field: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ModelError(f"expected {what}, got {value!r}", field=field)
    return value


def check_use(use: Any, where: str) -> None:
    """Check one ``[[use]]`` table (keys and value types), naming ``where`` in errors.

    ``template`` may be a name or, from Python, a :class:`Template` object.
    """
    _expect(use, Mapping, "a table with 'template' and 'with'", where)
    check_keys(use, USE_KEYS, where=where, file=None)
    if not isinstance(use.get("template"), Template):
        _expect(use.get("template"), str, "a template name", f"{where}.template")
    subs = _expect(use.get("with", {}), Mapping, "a table of substitutions", f"{where}.with")
    for key, value in subs.items():
        _expect(value, str | int | float, "a string or number", f"{where}.with.{key}")
    values = _expect(use.get("parameters", {}), Mapping, "{id = value}", f"{where}.parameters")
    for key, value in values.items():
        _expect(value, int | float, "a number", f"{where}.parameters.{key}")
    sources = _expect(use.get("sources", {}), Mapping, "{id = source}", f"{where}.sources")
    for key, value in sources.items():
        _expect(value, str, "a string", f"{where}.sources.{key}")


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
    uses : tuple of dict
        Nested ``[[use]]`` tables (``template``, ``with``, ``parameters``, ``sources``),
        unsubstituted; expanded after this template's own tables.
    """

    name: str
    placeholders: tuple[str, ...]
    tables: Mapping[str, tuple[Mapping[str, Any], ...]]
    description: str = ""
    origin: str = ""
    uses: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "placeholders", tuple(self.placeholders))
        object.__setattr__(self, "uses", tuple(self.uses))
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
        use: Sequence[Mapping[str, Any]] = (),
        **tables: Sequence[Mapping[str, Any]],
    ) -> Template:
        """Python constructor: ``Template.define("x", ["L"], species=[...], use=[...])``.

        ``use`` entries name their template by name (looked up in the ``templates`` mapping
        given at instantiation) or hold the :class:`Template` object itself.
        """
        return cls(name, tuple(placeholders), tables, description, origin, tuple(use))

    @classmethod
    def from_table(cls, name: str, table: Mapping[str, Any], *, file: str | None) -> Template:
        """Build from a model file's ``[templates.<name>]`` table (closed schema)."""
        where = f"templates.{name}"
        check_keys(table, ("placeholders", "description", "use", *KINDS), where=where, file=file)
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
        uses = table.get("use", [])
        if not isinstance(uses, list):
            raise ModelError(
                f"expected an array of tables ([[{where}.use]])", file=file, field=f"{where}.use"
            )
        origin = f"{file}: {where}" if file else where
        try:
            return cls(
                name, tuple(placeholders), tables, table.get("description", ""), origin, uses
            )
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
        for i, use in enumerate(self.uses):
            check_use(use, f"templates.{self.name}.use[{i}]")
            _walk_strings({k: v for k, v in use.items() if k != "template"}, check)
            if isinstance(use["template"], str):
                check(use["template"])

    # -- instantiation ---------------------------------------------------------------------
    def tables_for(
        self,
        subs: Mapping[str, Any],
        *,
        parameters: Mapping[str, float] | None = None,
        sources: Mapping[str, str] | None = None,
        where: str = "",
        templates: Mapping[str, Template] | None = None,
        _chain: tuple[str, ...] = (),
    ) -> list[TableEntry]:
        """Substituted component tables of one instantiation (nested uses expanded).

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
        templates : mapping name -> Template, optional
            Where the names in nested uses are looked up.

        Raises
        ------
        ModelError
            Bad substitutions or overrides, an unknown nested template, a cycle of templates
            using each other (naming the chain) or nesting deeper than :data:`MAX_DEPTH`.
        """
        where = where or f"template {self.name!r}"
        chain = (*_chain, self.name)
        if self.name in _chain:
            raise ModelError(f"template cycle: {' -> '.join(chain)}", field=where)
        if len(chain) > MAX_DEPTH:
            raise ModelError(
                f"templates nested deeper than {MAX_DEPTH} levels: {' -> '.join(chain)}",
                field=where,
            )
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
        # In expression fields a substituted expression is bracketed ({k} = "a + b" in
        # "{k}*A" must mean (a + b)*A); identifiers and numbers are pasted as they are, since
        # placeholders also build names ("kon_{L}").
        text_expr = {k: v if _ATOM.match(v.strip()) else f"({v})" for k, v in text.items()}

        def fill(s: str) -> str:
            return _PLACEHOLDER.sub(lambda m: text[m.group(1)], s)

        def fill_expr(s: str) -> str:
            return _PLACEHOLDER.sub(lambda m: text_expr[m.group(1)], s)

        def fill_table(value: Any) -> Any:
            if isinstance(value, Mapping):
                return {
                    fill(k): fill_expr(v)
                    if k in _EXPR_KEYS and isinstance(v, str)
                    else fill_table(v)
                    for k, v in value.items()
                }
            if isinstance(value, list | tuple):
                return [fill_table(v) for v in value]
            return fill(value) if isinstance(value, str) else value

        out: list[TableEntry] = []
        for kind, entries in self.tables.items():
            for i, table in enumerate(entries):
                label = f"{where} (template {self.name!r}).{kind}[{i}]"
                out.append((kind, label, fill_table(table), True))
        for i, use in enumerate(self.uses):
            inner = {k: _walk_strings(v, fill) for k, v in use.items() if k != "template"}
            ref, label = use["template"], f"{where} > {self.name}.use[{i}]"
            template = ref if isinstance(ref, Template) else _lookup(fill(ref), templates, label)
            out += template.tables_for(
                inner.get("with", {}),
                parameters=inner.get("parameters"),
                sources=inner.get("sources"),
                where=label,
                templates=templates,
                _chain=chain,
            )
        _apply_overrides(out, parameters or {}, sources or {}, where)
        return out

    def instantiate(
        self, templates: Mapping[str, Template] | None = None, /, **subs: Any
    ) -> Components:
        """Components of one instantiation, units as written (Python API).

        ``templates`` resolves names in nested uses; ``subs`` gives every placeholder.
        """
        tables: dict[str, list] = {}
        for kind, label, table, _ in self.tables_for(subs, templates=templates):
            tables.setdefault(kind, []).append((label, table))
        return Components.from_tables(tables)


def _lookup(name: str, templates: Mapping[str, Template] | None, where: str) -> Template:
    known = templates or {}
    if name not in known:
        raise ModelError(
            f"unknown template {name!r}{did_you_mean(name, known)}; known: {sorted(known)}",
            field=where,
        )
    return known[name]


def _apply_overrides(
    entries: list[TableEntry],
    values: Mapping[str, float],
    sources: Mapping[str, str],
    where: str,
) -> None:
    # a parameter made by several nested uses appears once per use: override every copy
    params: dict[str, list[dict]] = {}
    for kind, _, table, _ in entries:
        if kind == "parameters":
            params.setdefault(table["id"], []).append(table)
    for key, overrides in (("parameters", values), ("sources", sources)):
        for pid, new in overrides.items():
            if pid not in params:
                raise ModelError(
                    f"the template makes no parameter {pid!r}{did_you_mean(pid, params)}",
                    field=f"{where}.{key}.{pid}",
                )
            for table in params[pid]:
                if key == "parameters":
                    table["value"] = new
                else:
                    table["source"] = new
                    table.pop("assumed", None)


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
        try:
            key = (kind, _key(kind, item))
            hash(key)
        except (TypeError, AttributeError):  # e.g. `id = [1, 2]`: from_tables says what is wrong
            key = (kind, f"{where}: {item!r}")
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
