"""Runner for the SBML Test Suite's semantic (time-course) cases.

Each case folder ``NNNNN/`` holds ``NNNNN-sbml-l*v*.xml``, ``NNNNN-settings.txt`` (output
times, compared variables, tolerances, which variables are amounts / concentrations),
``NNNNN-results.csv`` (expected values) and ``NNNNN-model.m`` (tags). A case passes when
``|simulated - expected| <= absolute + relative * |expected|`` for every compared variable and
time. Cases that are not time courses, or whose SBML jaksim refuses
(:class:`~jaksim.io.sbml_import.UnsupportedSBML`), are *skipped* with the reason; any other
error is a *failure*.

Models are compiled with ``jit=False`` (pure-Python kernels: building a numba kernel per case
would dominate the run) and simulated with :func:`jaksim.simulation.events.simulate_events`.
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jaksim.compile.compiled import compile_model
from jaksim.io.sbml_import import UnsupportedSBML, load_sbml
from jaksim.simulation.events import simulate_events
from jaksim.simulation.results import SimulationResult
from jaksim.spec import expr as ex
from jaksim.spec.errors import JaksimError
from jaksim.spec.model import Model

__all__ = ["CaseResult", "CaseSettings", "run_case", "run_suite", "summarize", "list_cases"]


@dataclass(frozen=True)
class CaseSettings:
    start: float
    duration: float
    steps: int
    variables: tuple[str, ...]
    absolute: float
    relative: float
    amount: frozenset[str]
    concentration: frozenset[str]

    @classmethod
    def read(cls, path: Path) -> CaseSettings:
        raw: dict[str, str] = {}
        for line in path.read_text().splitlines():
            if ":" in line:
                key, _, value = line.partition(":")
                raw[key.strip()] = value.strip()

        def names(key: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in raw.get(key, "").split(",") if v.strip())

        return cls(
            start=float(raw.get("start", 0) or 0),
            duration=float(raw["duration"]),
            steps=int(float(raw["steps"])),
            variables=names("variables"),
            absolute=float(raw.get("absolute", 0) or 0),
            relative=float(raw.get("relative", 0) or 0),
            amount=frozenset(names("amount")),
            concentration=frozenset(names("concentration")),
        )


@dataclass(frozen=True)
class CaseResult:
    """Outcome of one case: ``status`` is ``"passed"``, ``"failed"`` or ``"skipped"``."""

    case: str
    status: str
    reason: str = ""
    tags: tuple[str, ...] = ()
    load_s: float = 0.0
    simulate_s: float = 0.0
    max_error: float = float("nan")  # largest |sim - expected| / (abs + rel*|expected|)


def _tags(case_dir: Path) -> tuple[tuple[str, ...], str]:
    text = (case_dir / f"{case_dir.name}-model.m").read_text()

    def field_of(name: str) -> list[str]:
        m = re.search(rf"^{name}:[ \t]*(.*)$", text, re.M)
        return [t.strip() for t in m.group(1).split(",") if t.strip()] if m else []

    test_type = (field_of("testType") or ["TimeCourse"])[0]
    return tuple(field_of("componentTags") + field_of("testTags")), test_type


def _sbml_file(case_dir: Path) -> Path:
    files = sorted(case_dir.glob(f"{case_dir.name}-sbml-l*.xml"))
    if not files:
        raise FileNotFoundError(f"{case_dir}: no SBML file")
    return files[-1]  # newest level/version (names sort l2v4 < l3v1 < l3v2)


def list_cases(root: Path, cases: list[str] | None = None) -> list[Path]:
    """Case folders under ``root`` (all, or the given ids such as ``"1"`` or ``"00001"``)."""
    if cases:
        return [root / f"{int(c):05d}" for c in cases]
    return sorted(d for d in root.iterdir() if d.is_dir() and d.name.isdigit())


def _sbml_names(model: Model) -> dict[str, str]:
    """SBML id -> jaksim id (ids colliding with reserved words were renamed on import)."""
    pairs = model.metadata.get("sbml_renamed", "")
    return {old: new for new, old in (p.split("=") for p in pairs.split(",") if p)}


def _reaction_rate(sim: SimulationResult, model: Model, rid: str) -> np.ndarray:
    """A reaction's rate (amount/time) at every output time, evaluated from the trajectories."""
    r = next(r for r in model.reactions if r.id == rid)
    law = ex.substitute(ex.parse(r.rate), {p.id: ex.Num(p.value) for p in r.local_parameters})
    names = (*sim.state_ids, *sim.param_ids, *sim.output_ids)
    table = np.hstack([sim.states, sim.params, sim.outputs])
    return np.array(
        [
            ex.evaluate(law, dict(zip(names, row, strict=False)), t)
            for t, row in zip(sim.t, table, strict=False)
        ]
    )


def _column(sim: SimulationResult, model: Model, name: str, settings: CaseSettings) -> np.ndarray:
    jid = _sbml_names(model).get(name, name)
    if any(r.id == jid for r in model.reactions):
        return _reaction_rate(sim, model, jid)
    value = sim[jid]
    species = {s.id: s for s in model.species}
    if jid not in species:
        return value
    sp = species[jid]
    size = sim[sp.compartment]
    stored_amount = sp.amount
    # the settings say how the case reports a species; default: its own units
    want_amount = name in settings.amount or (name not in settings.concentration and sp.amount)
    if want_amount and not stored_amount:
        return value * size
    if not want_amount and stored_amount:
        return value / size
    return value


def run_case(case_dir: Path) -> CaseResult:
    """Run one case folder; never raises for model or solver problems (they are results)."""
    name = case_dir.name
    tags, test_type = _tags(case_dir)
    if test_type != "TimeCourse":
        return CaseResult(name, "skipped", f"test type {test_type}", tags)
    settings = CaseSettings.read(case_dir / f"{name}-settings.txt")
    t0 = time.perf_counter()
    try:
        model = load_sbml(_sbml_file(case_dir))
        compiled = compile_model(model, jit=False)
    except UnsupportedSBML as err:
        reason = "; ".join(sorted(err.constructs))
        return CaseResult(name, "skipped", reason, tags, time.perf_counter() - t0)
    except Exception as err:  # noqa: BLE001 - a crash in import/compile is a recorded failure
        msg = err.message if isinstance(err, JaksimError) else f"{type(err).__name__}: {err}"
        return CaseResult(name, "failed", f"load: {msg}", tags, time.perf_counter() - t0)
    t1 = time.perf_counter()
    with (case_dir / f"{name}-results.csv").open() as fh:
        rows = list(csv.reader(fh))
    header = [h.strip() for h in rows[0]]
    expected = np.array([[float(v) for v in r] for r in rows[1:] if r], dtype=float)
    t_eval = settings.start + np.arange(settings.steps + 1) * settings.duration / settings.steps
    try:
        # timed constant events are imported as inputs: apply them as a protocol
        sim = simulate_events(compiled, t_eval)
        worst = 0.0
        for c, var in enumerate(header[1:], start=1):
            got = _column(sim, model, var, settings)
            want = expected[:, c]
            tol = settings.absolute + settings.relative * np.abs(want)
            with np.errstate(divide="ignore", invalid="ignore"):  # inf - inf, 0 / 0
                err = np.abs(got - want)
                ratio = np.where(err > 0, err / tol, 0.0)
            # equal infinities and NaN where NaN is expected count as matches
            bad = ~((err <= tol) | (np.isnan(want) & np.isnan(got)) | (got == want))
            ratio = np.where(bad, np.inf, ratio)
            worst = max(worst, float(np.nanmax(ratio, initial=0.0)))
            if bad.any():
                i = int(np.argmax(bad))
                return CaseResult(
                    name, "failed",
                    f"{var} at t={t_eval[i]:g}: {got[i]:.8g} != expected {want[i]:.8g}",
                    tags, t1 - t0, time.perf_counter() - t1, worst,
                )  # fmt: skip
    except Exception as err:  # noqa: BLE001 - every crash is a recorded failure, not an abort
        msg = err.message if isinstance(err, JaksimError) else f"{type(err).__name__}: {err}"
        return CaseResult(name, "failed", f"simulate: {msg}", tags, t1 - t0)
    return CaseResult(name, "passed", "", tags, t1 - t0, time.perf_counter() - t1, worst)


@dataclass
class SuiteSummary:
    """Counts overall and per tag."""

    results: list[CaseResult]
    by_tag: dict[str, Counter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.results:
            for tag in r.tags:
                self.by_tag.setdefault(tag, Counter())[r.status] += 1

    @property
    def counts(self) -> Counter:
        return Counter(r.status for r in self.results)

    def table(self) -> str:
        """Markdown table: tag | cases | passed | failed | skipped."""
        lines = ["| tag | cases | passed | failed | skipped |", "|---|---:|---:|---:|---:|"]
        for tag in sorted(self.by_tag, key=lambda t: (-sum(self.by_tag[t].values()), t)):
            c = self.by_tag[tag]
            total = sum(c.values())
            lines.append(f"| {tag} | {total} | {c['passed']} | {c['failed']} | {c['skipped']} |")
        return "\n".join(lines)

    def last_line(self) -> str:
        c = self.counts
        return f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"


def summarize(results: list[CaseResult]) -> SuiteSummary:
    return SuiteSummary(list(results))


def run_suite(root: Path, cases: list[str] | None = None, tags: list[str] | None = None,
              progress=None) -> SuiteSummary:  # fmt: skip
    """Run the cases under ``root`` (optionally only ``cases`` ids, or those having ``tags``)."""
    results = []
    for case_dir in list_cases(Path(root), cases):
        if tags and not set(tags) & set(_tags(case_dir)[0]):
            continue
        result = run_case(case_dir)
        results.append(result)
        if progress is not None:
            progress(result)
    return summarize(results)
