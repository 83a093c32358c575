"""Read and validate experiment files: TOML -> :class:`LoadedConfig`, or :class:`ConfigError`.

Every error names the file and the key path (``sweep.axes[2].unit``); unknown keys get a
"did you mean". Pydantic's ``ValidationError`` is converted here so no caller sees it.
"""

from __future__ import annotations

import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..io.paths import read_text_file
from ..spec.errors import ConfigError, JaksimError, did_you_mean
from .config import ExperimentConfig
from .kinds import get_kind, kind_names

__all__ = ["LoadedConfig", "load_config", "parse_config", "format_loc"]


@dataclass(frozen=True)
class LoadedConfig:
    """A validated experiment file.

    Attributes
    ----------
    config : ExperimentConfig
        The common tables.
    section : BaseModel or None
        The kind's own table, validated by its schema.
    file : str
        Path of the file ("<string>" when parsed from text).
    text : str
        The file's text (saved with the results).
    base_dir : Path
        Directory relative paths in the file are resolved against.
    """

    config: ExperimentConfig
    section: BaseModel | None
    file: str
    text: str
    base_dir: Path

    @property
    def kind(self) -> str:
        return self.config.experiment.kind

    def output_dir(self, override: str | Path | None = None) -> Path:
        """``override``, else ``[experiment] output``, else ``results/<name>``; relative
        paths are relative to the current directory (shipped files may be read-only)."""
        if override is not None:
            return Path(override)
        return Path(self.config.experiment.output or Path("results") / self.config.experiment.name)


def format_loc(loc: tuple[Any, ...]) -> str:
    """``("sweep", "axes", 2, "unit")`` -> ``"sweep.axes[2].unit"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _unwrap(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X | None``, ``list[X]``, ``dict[str, X]``, ``Annotated``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap(arg)
        if found is not None:
            return found
    return None


def _fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the table at ``loc`` (for "did you mean")."""
    cls: type[BaseModel] | None = root
    for part in loc:
        if cls is None:
            return []
        if isinstance(part, int):
            continue
        field = cls.model_fields.get(part)
        cls = _unwrap(field.annotation) if field is not None else None
    return list(cls.model_fields) if cls is not None else []


def _first_error(
    err: ValidationError, root: type[BaseModel], file: str, prefix: tuple
) -> ConfigError:
    # Only one error: the file is usually fixed one key at a time and a wall of pydantic's
    # union-branch errors hides the actual problem. An unknown key goes first: it is usually
    # the misspelling of the key that is reported missing.
    errors = err.errors(include_url=False)
    e = next((x for x in errors if x["type"] == "extra_forbidden"), errors[0])
    loc = prefix + tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
    field = format_loc(loc)
    if e["type"] == "extra_forbidden":
        key = str(e["loc"][-1])
        hint = did_you_mean(key, _fields_at(root, tuple(e["loc"][:-1])))
        return ConfigError(f"unknown key {key!r}{hint}", file=file, field=field)
    if e["type"] == "missing":
        return ConfigError("required key is missing", file=file, field=field)
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] not in ("value_error", "assertion_error"):
        msg += f" (got {e.get('input')!r})"
    return ConfigError(msg, file=file, field=field or None)


def parse_config(text: str, file: str = "<string>", base_dir: Path | None = None) -> LoadedConfig:
    """Validate experiment-file text; see :func:`load_config`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", file=file) from None
    head = raw.get("experiment", {})
    if not isinstance(head, dict):  # e.g. `experiment = 5`: the kind lookup below needs a table
        raise ConfigError(
            f"expected a table [experiment] (name, kind, ...), got {head!r}",
            file=file,
            field="experiment",
        )
    kind_name = head.get("kind", "simulation")
    kind = get_kind(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        raise ConfigError(
            f"unknown experiment kind {kind_name!r}{did_you_mean(str(kind_name), kind_names())}; "
            f"known kinds: {', '.join(kind_names())}",
            file=file,
            field="experiment.kind",
        )
    section_raw = raw.pop(kind.name, None) if kind.section_schema is not None else None
    try:
        config = ExperimentConfig.model_validate(raw)
    except ValidationError as err:
        raise _first_error(err, ExperimentConfig, file, ()) from None
    section = None
    if kind.section_schema is not None:
        if section_raw is None:
            raise ConfigError(f"kind {kind.name!r} needs a [{kind.name}] table", file=file)
        try:
            section = kind.section_schema.model_validate(section_raw)
        except ValidationError as err:
            raise _first_error(err, kind.section_schema, file, (kind.name,)) from None
    loaded = LoadedConfig(config, section, file, text, base_dir or Path.cwd())
    _cross_checks(loaded)
    return loaded


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate an experiment file.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file, or the name of a shipped experiment (``"il6_timecourse"``).

    Raises
    ------
    ConfigError
        Unreadable file, TOML syntax, unknown key, wrong type, missing unit, impossible value
        or inconsistent tables; the message names the file and key path.
    """
    path = Path(path)
    if not path.exists() and not path.suffix:
        from ..io.registry import shipped_path

        try:
            path = shipped_path("experiments", str(path))
        except JaksimError as err:
            raise ConfigError(err.message, file=str(path)) from None
    text = read_text_file(path, ConfigError, "experiment file")
    return parse_config(text, str(path), path.resolve().parent)


def _cross_checks(loaded: LoadedConfig) -> None:
    """Checks that involve more than one table (pydantic validates each table alone)."""
    cfg, file = loaded.config, loaded.file
    if cfg.experiment.kind == "simulation":
        for name in ("model", "time"):
            if getattr(cfg, name) is None:
                raise ConfigError(f"a simulation experiment needs a [{name}] table", file=file)
    sweep = cfg.sweep
    axes = sweep.axes if sweep else []
    sampled = [a.key for a in axes if a.sampled]
    if cfg.sensitivity is not None:
        if not axes or len(sampled) != len(axes):
            raise ConfigError(
                "[sensitivity] samples every [[sweep.axes]] entry: give each a range "
                "'low'/'high' without 'values' or 'points'",
                file=file,
                field="sensitivity",
            )
        if not cfg.readouts:
            raise ConfigError(
                "[sensitivity] needs at least one [[readouts]] entry",
                file=file,
                field="sensitivity",
            )
    elif sampled and sweep.sampling is None:
        raise ConfigError(
            f"axes {sampled} are ranges without 'points': add [sweep.sampling] "
            "(method, samples) or give 'points'",
            file=file,
            field="sweep.sampling",
        )
    stimuli = [s.species for s in cfg.protocol.stimulus]
    drug_axis = any(a.kind == "drug" for a in axes)
    for i, axis in enumerate(axes):
        where = f"sweep.axes[{i}]"
        if axis.kind == "stimulus" and axis.name not in stimuli:
            raise ConfigError(
                f"stimulus {axis.name!r} is not in [[protocol.stimulus]]"
                f"{did_you_mean(axis.name, stimuli)}; add it there (its concentration is "
                "the one swept)",
                file=file,
                field=f"{where}.name",
            )
        if axis.kind in ("drug_conc", "regimen") and cfg.protocol.drug is None and not drug_axis:
            raise ConfigError(
                f"a {axis.kind!r} axis needs a drug: add [protocol.drug] or a 'drug' axis",
                file=file,
                field=f"{where}.kind",
            )
    if any(m == "percent_inhibition" for r in cfg.readouts for m in r.metrics):
        if cfg.protocol.drug is None and not drug_axis:
            raise ConfigError(
                "'percent_inhibition' compares with a no-drug control but no drug is given",
                file=file,
                field="readouts",
            )
