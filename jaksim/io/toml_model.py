"""Load TOML model files (``format_version = 1``, see ``docs/model-format.md``).

The schema is closed: an unknown key anywhere is an error with the key path
(``reactions[3].kff``) and a "did you mean". ``include`` files (template modules) are resolved
relative to the including file; include cycles are detected. The body's components and the
components of every ``[[use]]`` are merged (:func:`jaksim.spec.templates.merge_tables`) and
assembled by :func:`jaksim.spec.builder.build_model` (unit conversion, mass-action unit checks,
validation).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..spec.builder import build_model
from ..spec.errors import ModelError, did_you_mean
from ..spec.model import Model
from ..spec.schema import KINDS, Components, check_keys
from ..spec.templates import TableEntry, Template, check_use, merge_tables
from .paths import read_text_file

__all__ = ["FORMAT_VERSION", "load_model_file", "model_from_document", "read_toml"]

#: The model-file format version this loader reads.
FORMAT_VERSION = 1

_MODEL_KEYS = (
    "id",
    "name",
    "description",
    "time_unit",
    "concentration_unit",
    "volume_unit",
    "metadata",
    "require_sources",
    "require_units",
)
_MODEL_BOOLS = ("require_sources", "require_units")
_TOP_KEYS = ("format_version", "include", "model", "templates", "use", *KINDS)
_MODULE_TOP_KEYS = ("format_version", "include", "module", "templates")
_MODULE_KEYS = ("id", "description")


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a folder, binary file or syntax error is a ModelError naming it."""
    path = Path(path)
    text = read_text_file(path, ModelError, "model file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"invalid TOML: {err}", file=str(path)) from None


def _check_version(doc: Mapping[str, Any], file: str) -> None:
    if "format_version" not in doc:
        raise ModelError(
            f"missing 'format_version = {FORMAT_VERSION}' at the top of the file", file=file
        )
    version = doc["format_version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ModelError(
            f"unsupported format_version {version!r}; this jaksim reads {FORMAT_VERSION}",
            file=file,
            field="format_version",
        )


def _expect(value: Any, kind: type | tuple, what: str, file: str, field: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ModelError(f"expected {what}, got {value!r}", file=file, field=field)
    return value


class _Templates:
    """Templates visible in one load: from the file itself and its includes (recursively)."""

    def __init__(self) -> None:
        self.by_name: dict[str, Template] = {}
        self.loaded: set[Path] = set()

    def add(self, template: Template, file: str) -> None:
        old = self.by_name.get(template.name)
        if old is not None and old.origin != template.origin:
            raise ModelError(
                f"template {template.name!r} is defined by both {old.origin} and {template.origin}",
                file=file,
                field=f"templates.{template.name}",
            )
        self.by_name[template.name] = template

    def add_from(self, doc: Mapping[str, Any], file: str) -> None:
        tables = _expect(doc.get("templates", {}), dict, "a table of templates", file, "templates")
        for name, table in tables.items():
            self.add(Template.from_table(name, table, file=file), file)

    def include(self, doc: Mapping[str, Any], path: Path, stack: tuple[Path, ...]) -> None:
        includes = _expect(doc.get("include", []), list, "a list of paths", str(path), "include")
        for i, rel in enumerate(includes):
            field = f"include[{i}]"
            _expect(rel, str, "a path (string)", str(path), field)
            target = (path.parent / rel).resolve()
            if target in stack:
                chain = " -> ".join(str(p) for p in (*stack[stack.index(target) :], target))
                raise ModelError(f"include cycle: {chain}", file=str(path), field=field)
            if not target.is_file():
                raise ModelError(
                    f"included file {rel!r} not found (resolved to {target})",
                    file=str(path),
                    field=field,
                )
            if target in self.loaded:  # diamond includes: read once
                continue
            self.loaded.add(target)
            module = read_toml(target)
            _check_version(module, str(target))
            check_keys(module, _MODULE_TOP_KEYS, where="", file=str(target))
            check_keys(module.get("module", {}), _MODULE_KEYS, where="module", file=str(target))
            self.include(module, target, (*stack, target))
            self.add_from(module, str(target))


def _body_entries(doc: Mapping[str, Any], file: str) -> list[TableEntry]:
    entries: list[TableEntry] = []
    for kind in KINDS:
        tables = _expect(doc.get(kind, []), list, f"an array of tables [[{kind}]]", file, kind)
        entries += [(kind, f"{kind}[{i}]", t, False) for i, t in enumerate(tables)]
    return entries


def _use_entries(doc: Mapping[str, Any], templates: _Templates, file: str) -> list[TableEntry]:
    entries: list[TableEntry] = []
    uses = _expect(doc.get("use", []), list, "an array of tables [[use]]", file, "use")
    for i, use in enumerate(uses):
        where = f"use[{i}]"
        try:
            check_use(use, where)
            if use["template"] not in templates.by_name:
                raise ModelError(
                    f"unknown template {use['template']!r}"
                    f"{did_you_mean(use['template'], templates.by_name)}; "
                    f"known: {sorted(templates.by_name)}",
                    field=f"{where}.template",
                )
            entries += templates.by_name[use["template"]].tables_for(
                use.get("with", {}),
                parameters=use.get("parameters"),
                sources=use.get("sources"),
                where=where,
                templates=templates.by_name,
            )
        except ModelError as err:
            raise err.located(file=file) from None
    return entries


def model_from_document(
    doc: Mapping[str, Any], *, file: str | Path, require_sources: bool = True
) -> Model:
    """Build a Model from a parsed TOML document (``file`` resolves includes and names errors)."""
    path = Path(file).resolve()
    name = str(file)
    _check_version(doc, name)
    if "model" not in doc and "templates" in doc:
        raise ModelError(
            "this is a template module (no [model] table); include it from a model file", file=name
        )
    check_keys(doc, _TOP_KEYS, where="", file=name)
    head = _expect(doc.get("model"), dict, "a [model] table", name, "model")
    check_keys(head, _MODEL_KEYS, where="model", file=name)
    for key in _MODEL_KEYS:
        if key in _MODEL_BOOLS:
            _expect(head.get(key, True), bool, "true or false", name, f"model.{key}")
        elif key in head and key != "metadata":
            _expect(head[key], str, "a string", name, f"model.{key}")
    if "id" not in head:
        raise ModelError("missing required key 'id'", file=name, field="model")
    metadata = _expect(head.get("metadata", {}), dict, "a table of strings", name, "model.metadata")

    templates = _Templates()
    templates.include(doc, path, (path,))
    templates.add_from(doc, name)
    merged = merge_tables(_body_entries(doc, name) + _use_entries(doc, templates, name), file=name)
    units = {
        "time_unit": head.get("time_unit", "s"),
        "concentration_unit": head.get("concentration_unit", "nM"),
        "volume_unit": head.get("volume_unit", "pL"),
    }
    defaults = {
        "concentration": units["concentration_unit"],
        "substance": f"{units['concentration_unit']}*{units['volume_unit']}",
        "volume": units["volume_unit"],
    }
    components = Components.from_tables(merged, file=name, defaults=defaults)
    return build_model(
        head["id"],
        components,
        name=head.get("name", ""),
        description=head.get("description", ""),
        source_file=name,
        metadata={str(k): str(v) for k, v in metadata.items()},
        # the file may declare itself exempt (models imported from SBML); the caller may too
        require_sources=require_sources and head.get("require_sources", True),
        require_units=head.get("require_units", True),
        **units,
    )


def load_model_file(path: str | Path, *, require_sources: bool = True) -> Model:
    """Load a model file.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` model file.
    require_sources : bool
        Refuse parameters with neither ``source`` nor ``assumed``.

    Returns
    -------
    Model
        Values in the model's units, ``source_file`` set to ``path``.

    Raises
    ------
    ModelError
        Naming the file and the key path of the problem.
    """
    return model_from_document(read_toml(path), file=path, require_sources=require_sources)
