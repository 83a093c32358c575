"""PEtab v1 problems: read the YAML and tables, check what jaksim supports, refuse the rest.

Tables are read with pandas (no extra dependency); the optional ``petab`` library
(``pip install jaksim[fit]``) is used only by :func:`lint` for the full PEtab linter. The SBML
model goes through jaksim's own importer (:func:`jaksim.io.sbml_import.load_sbml`).

Supported (PEtab v1): one SBML model; several condition / measurement / observable files
(concatenated); observables with ``observableParameter<k>_<obs>`` placeholders; noise formulas
with ``noiseParameter<k>_<obs>`` placeholders; ``normal`` and ``laplace`` noise; ``lin``,
``log``, ``log10`` observable transformations; condition-table overrides of model parameters
and of species initial values (numbers or parameter-table ids; ``NaN`` for a species in a
simulation condition after pre-equilibration keeps the pre-equilibrated value);
pre-equilibration conditions; measurement-specific observable / noise parameters (numbers or
parameter ids); ``lin`` / ``log`` / ``log10`` parameter scales, bounds and nominal values;
objective priors ``normal``, ``laplace``, ``parameterScaleNormal``, ``parameterScaleLaplace``.

Refused, all at once in one :class:`~jaksim.spec.errors.PetabError`: models with events,
steady-state (``inf``) measurement times, other noise distributions / transformations / scales
/ priors, compartment columns in the condition table, condition species overrides of species
that have an initial assignment, mapping tables and extensions, more than one model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jaksim.spec import expr as ex
from jaksim.spec.errors import JaksimError, PetabError
from jaksim.spec.model import Model

__all__ = ["ObservableDef", "PetabProblem", "load_petab", "lint", "SCALES"]

SCALES = ("lin", "log", "log10")
TRANSFORMS = ("lin", "log", "log10")
NOISES = ("normal", "laplace")
PRIORS = ("normal", "laplace", "parameterScaleNormal", "parameterScaleLaplace")


@dataclass(frozen=True)
class ObservableDef:
    """One row of the observable table, parsed.

    Attributes
    ----------
    id : str
    formula, noise : Expr
        Observable and noise formulas (may contain ``observableParameter<k>_<id>`` /
        ``noiseParameter<k>_<id>`` placeholders).
    transform : str
        ``lin``, ``log`` or ``log10``.
    distribution : str
        ``normal`` or ``laplace``.
    """

    id: str
    formula: ex.Expr
    noise: ex.Expr
    transform: str = "lin"
    distribution: str = "normal"


@dataclass
class PetabProblem:
    """A PEtab v1 problem in memory.

    Attributes
    ----------
    path : Path
        The problem YAML file (or the folder of a problem built in memory).
    model : Model
        The imported SBML model.
    observables : dict[str, ObservableDef]
    conditions : DataFrame
        Indexed by ``conditionId``; columns are model parameter / species ids (``conditionName``
        dropped). Cells are floats or parameter-table ids (str).
    measurements : DataFrame
        Columns ``observableId``, ``preequilibrationConditionId`` (``""`` if none),
        ``simulationConditionId``, ``measurement``, ``time``, ``observableParameters``,
        ``noiseParameters`` (``""`` if none).
    parameters : DataFrame
        Indexed by ``parameterId``; ``parameterScale``, ``lowerBound``, ``upperBound``,
        ``nominalValue``, ``estimate`` (bool), and prior columns when present.
    """

    path: Path
    model: Model
    observables: dict[str, ObservableDef]
    conditions: pd.DataFrame
    measurements: pd.DataFrame
    parameters: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    # -- parameter vector -------------------------------------------------------------------
    @property
    def estimated_ids(self) -> tuple[str, ...]:
        """Ids of the estimated parameters, in parameter-table order (the order of ``theta``)."""
        return tuple(self.parameters.index[self.parameters["estimate"]])

    @property
    def scales(self) -> tuple[str, ...]:
        """``parameterScale`` of each estimated parameter."""
        return tuple(self.parameters.loc[list(self.estimated_ids), "parameterScale"])

    def to_scale(self, values: np.ndarray) -> np.ndarray:
        """Linear values (n_est,) -> estimation scale (``log`` = natural log)."""
        return _to_scale(np.asarray(values, dtype=float), self.scales)

    def from_scale(self, theta: np.ndarray) -> np.ndarray:
        """Estimation-scale ``theta`` (n_est,) -> linear values."""
        return _from_scale(np.asarray(theta, dtype=float), self.scales)

    @property
    def nominal_theta(self) -> np.ndarray:
        """Nominal values of the estimated parameters on their estimation scale, (n_est,)."""
        ids = list(self.estimated_ids)
        return self.to_scale(self.parameters.loc[ids, "nominalValue"].to_numpy(float))

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of ``theta`` on the estimation scale, each (n_est,)."""
        ids = list(self.estimated_ids)
        lb = self.to_scale(self.parameters.loc[ids, "lowerBound"].to_numpy(float))
        ub = self.to_scale(self.parameters.loc[ids, "upperBound"].to_numpy(float))
        return lb, ub

    def parameter_values(self, theta: np.ndarray | None = None) -> dict[str, float]:
        """Linear values of *every* parameter-table id: nominal, or from ``theta``."""
        vals = {pid: float(v) for pid, v in self.parameters["nominalValue"].items()}
        if theta is not None:
            vals.update(zip(self.estimated_ids, self.from_scale(theta), strict=True))
        return vals


def _to_scale(x: np.ndarray, scales) -> np.ndarray:
    out = np.array(x, dtype=float, copy=True)
    for i, s in enumerate(scales):
        if s == "log":
            out[i] = np.log(x[i]) if x[i] > 0 else -np.inf
        elif s == "log10":
            out[i] = np.log10(x[i]) if x[i] > 0 else -np.inf
    return out


def _from_scale(theta: np.ndarray, scales) -> np.ndarray:
    out = np.array(theta, dtype=float, copy=True)
    for i, s in enumerate(scales):
        if s == "log":
            out[i] = np.exp(theta[i])
        elif s == "log10":
            out[i] = 10.0 ** theta[i]
    return out


# -------------------------------------------------------------------------------------------
# Reading
# -------------------------------------------------------------------------------------------
def _read_tsv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as err:
        raise PetabError(f"cannot read table: {err}", file=str(path)) from None


def _cell(value: str) -> float | str:
    """A table cell: a float if it parses as one (``nan``/empty -> NaN), else the id string."""
    text = str(value).strip()
    if text == "" or text.lower() == "nan":
        return math.nan
    try:
        return float(text)
    except ValueError:
        return text


def _require(df: pd.DataFrame, cols, path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise PetabError(f"missing column(s) {', '.join(missing)}", file=str(path))


def load_petab(yaml_path: str | Path) -> PetabProblem:
    """Read a PEtab v1 problem.

    Parameters
    ----------
    yaml_path : str or Path
        The problem's YAML file; table paths in it are relative to its folder.

    Raises
    ------
    PetabError
        Unreadable files, missing columns, unknown ids, or unsupported features (all of them
        listed in one message).
    """
    import yaml

    path = Path(yaml_path)
    try:
        spec = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise PetabError(f"cannot read problem file: {err}", file=str(path)) from None
    unsupported: list[str] = []
    if not isinstance(spec, dict) or "problems" not in spec or "parameter_file" not in spec:
        raise PetabError("not a PEtab v1 problem file (needs parameter_file and problems)",
                         file=str(path))  # fmt: skip
    if str(spec.get("format_version", "1")).split(".")[0] != "1":
        unsupported.append(f"format_version {spec.get('format_version')} (only PEtab v1)")
    if spec.get("extensions"):
        unsupported.append(f"extensions {', '.join(map(str, spec['extensions']))}")
    problems = spec["problems"]
    if len(problems) != 1:
        unsupported.append(f"{len(problems)} problems in one file (one supported)")
    sub = problems[0]
    if len(sub.get("sbml_files", [])) != 1:
        unsupported.append(f"{len(sub.get('sbml_files', []))} SBML files (exactly one needed)")
    if sub.get("mapping_files"):
        unsupported.append("mapping tables (mapping_files)")
    base = path.parent

    def tables(key: str) -> pd.DataFrame:
        files = [base / f for f in sub.get(key, [])]
        if not files:
            raise PetabError(f"no {key} given", file=str(path), field=f"problems[0].{key}")
        return pd.concat([_read_tsv(f) for f in files], ignore_index=True)

    from jaksim.io.sbml_import import load_sbml

    sbml_path = base / sub["sbml_files"][0]
    try:
        model = load_sbml(sbml_path)
    except JaksimError:
        raise
    except OSError as err:
        raise PetabError(f"cannot read SBML model: {err}", file=str(sbml_path)) from None

    par_path = base / spec["parameter_file"]
    par = _read_tsv(par_path)
    _require(par, ["parameterId", "parameterScale", "lowerBound", "upperBound", "estimate"],
             par_path)  # fmt: skip
    par = par.set_index("parameterId")
    if "nominalValue" not in par.columns:
        par["nominalValue"] = "nan"
    for col in ("lowerBound", "upperBound", "nominalValue"):
        par[col] = pd.to_numeric(par[col].replace("", "nan"), errors="coerce")
    par["estimate"] = pd.to_numeric(par["estimate"], errors="coerce").fillna(0).astype(int) == 1
    bad_scale = sorted(set(par["parameterScale"]) - set(SCALES))
    if bad_scale:
        unsupported.append(f"parameterScale {', '.join(bad_scale)}")
    no_nominal = [
        p for p in par.index[~par["estimate"]] if not np.isfinite(par.at[p, "nominalValue"])
    ]
    if no_nominal:
        raise PetabError(f"fixed parameters without nominalValue: {', '.join(no_nominal)}",
                         file=str(par_path))  # fmt: skip
    prior_col = (
        "objectivePriorType"
        if "objectivePriorType" in par.columns
        else ("priorType" if "priorType" in par.columns else None)
    )
    if prior_col is not None:
        kinds = sorted({k for k in par[prior_col] if k} - set(PRIORS))
        if kinds:
            unsupported.append(f"objective prior types {', '.join(kinds)}")
        par = par.rename(columns={prior_col: "objectivePriorType"})
        pcol = prior_col.replace("Type", "Parameters")
        if pcol in par.columns:
            par = par.rename(columns={pcol: "objectivePriorParameters"})

    obs_df = tables("observable_files")
    obs_path = base / sub["observable_files"][0]
    _require(obs_df, ["observableId", "observableFormula"], obs_path)
    observables: dict[str, ObservableDef] = {}
    for _, row in obs_df.iterrows():
        oid = row["observableId"]
        trans = row.get("observableTransformation", "") or "lin"
        dist = row.get("noiseDistribution", "") or "normal"
        if trans not in TRANSFORMS:
            unsupported.append(f"observableTransformation {trans!r} of {oid}")
        if dist not in NOISES:
            unsupported.append(f"noiseDistribution {dist!r} of {oid}")
        noise_text = str(row.get("noiseFormula", "") or "1")
        try:
            formula = ex.parse(str(row["observableFormula"]), context=f"observable {oid}")
            noise = ex.parse(noise_text, context=f"noise formula of {oid}")
        except JaksimError as err:
            raise PetabError(str(err), file=str(obs_path), field=f"observable {oid}") from None
        observables[oid] = ObservableDef(oid, formula, noise, trans, dist)

    cond = tables("condition_files")
    cond_path = base / sub["condition_files"][0]
    _require(cond, ["conditionId"], cond_path)
    cond = cond.set_index("conditionId").drop(columns=["conditionName"], errors="ignore")
    cond = cond.map(_cell) if hasattr(cond, "map") else cond.applymap(_cell)
    species = {s.id: s for s in model.species}
    compartments = {c.id for c in model.compartments}
    model_params = {p.id for p in model.parameters}
    ia_targets = {a.variable for a in model.initial_assignments}
    for col in cond.columns:
        if col in compartments:
            unsupported.append(f"condition column {col!r} overrides a compartment size")
        elif col in species and col in ia_targets:
            unsupported.append(
                f"condition column {col!r} overrides a species that has an initial assignment"
            )
        elif col not in species and col not in model_params:
            raise PetabError(f"condition column {col!r} is neither a model parameter nor a "
                             "species", file=str(cond_path))  # fmt: skip
    if model.events:
        unsupported.append(f"SBML events ({len(model.events)}): forward sensitivities through "
                           "event jumps are not implemented")  # fmt: skip

    meas = tables("measurement_files")
    meas_path = base / sub["measurement_files"][0]
    _require(meas, ["observableId", "simulationConditionId", "measurement", "time"], meas_path)
    for col in ("preequilibrationConditionId", "observableParameters", "noiseParameters"):
        if col not in meas.columns:
            meas[col] = ""
    meas["measurement"] = pd.to_numeric(meas["measurement"], errors="coerce")
    meas["time"] = pd.to_numeric(meas["time"], errors="coerce")
    n_inf = int(np.isinf(meas["time"]).sum())
    if n_inf:
        unsupported.append(f"steady-state measurements (time inf, {n_inf} rows)")
    if meas["measurement"].isna().any() or meas["time"].isna().any():
        raise PetabError("non-numeric measurement or time values", file=str(meas_path))
    unknown_obs = sorted(set(meas["observableId"]) - observables.keys())
    unknown_cond = sorted(
        (set(meas["simulationConditionId"]) | set(meas["preequilibrationConditionId"]) - {""})
        - set(cond.index)
    )
    if unknown_obs or unknown_cond:
        raise PetabError(
            "measurement table references unknown "
            + "; ".join(
                x
                for x in (
                    f"observables {', '.join(unknown_obs)}" if unknown_obs else "",
                    f"conditions {', '.join(unknown_cond)}" if unknown_cond else "",
                )
                if x
            ),
            file=str(meas_path),
        )
    if "observableTransformation" in meas.columns:
        # only a (redundant) copy is accepted: per-measurement transformations are not PEtab v1
        per = meas.groupby("observableId")["observableTransformation"].agg(set)
        for oid, values in per.items():
            if values - {"", observables[oid].transform}:
                unsupported.append(f"measurement-specific observableTransformation for {oid}")
    if unsupported:
        raise PetabError(
            "unsupported PEtab features:\n  - " + "\n  - ".join(dict.fromkeys(unsupported)),
            file=str(path),
        )
    meas = meas.reset_index(drop=True)
    return PetabProblem(path, model, observables, cond, meas, par)


def lint(yaml_path: str | Path) -> list[str]:
    """Run the ``petab`` library's linter (optional dependency) and return its messages.

    Raises
    ------
    PetabError
        When the ``petab`` package is not installed (``pip install 'jaksim[fit]'``).
    """
    try:
        import logging

        import petab.v1 as petab
    except ImportError:
        raise PetabError("PEtab linting needs the 'petab' package: pip install 'jaksim[fit]'",
                         file=str(yaml_path)) from None  # fmt: skip
    problem = petab.Problem.from_yaml(str(yaml_path))
    records: list[str] = []

    class _Grab(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = _Grab(level=logging.WARNING)
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        failed = petab.lint_problem(problem)
    finally:
        logger.removeHandler(handler)
    if failed and not records:
        records.append("petab lint failed")
    return records


_PLACEHOLDER = re.compile(r"^(observable|noise)Parameter(\d+)_(.+)$")


def placeholder(name: str) -> tuple[str, int, str] | None:
    """``('observable'|'noise', k, observable id)`` for a placeholder symbol, else None."""
    m = _PLACEHOLDER.match(name)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None
