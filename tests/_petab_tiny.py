"""Tiny PEtab problems written by the tests: SBML (libsbml) + the four tables + YAML."""

from __future__ import annotations

from pathlib import Path

import libsbml


def sbml_text(species: dict[str, float], params: dict[str, float],
              reactions: list[tuple[str, dict, dict, str]]) -> str:  # fmt: skip
    """SBML L3V2 with one compartment ``c`` (size 1): concentrations = amounts."""
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    m.setId("tiny")
    c = m.createCompartment()
    c.setId("c")
    c.setSize(1.0)
    c.setConstant(True)
    c.setSpatialDimensions(3)
    for sid, init in species.items():
        s = m.createSpecies()
        s.setId(sid)
        s.setCompartment("c")
        s.setInitialConcentration(init)
        s.setHasOnlySubstanceUnits(False)
        s.setBoundaryCondition(False)
        s.setConstant(False)
    for pid, val in params.items():
        p = m.createParameter()
        p.setId(pid)
        p.setValue(val)
        p.setConstant(True)
    for rid, reac, prod, formula in reactions:
        r = m.createReaction()
        r.setId(rid)
        r.setReversible(False)
        for sid, st in reac.items():
            x = r.createReactant()
            x.setSpecies(sid)
            x.setStoichiometry(st)
            x.setConstant(True)
        for sid, st in prod.items():
            x = r.createProduct()
            x.setSpecies(sid)
            x.setStoichiometry(st)
            x.setConstant(True)
        kl = r.createKineticLaw()
        kl.setMath(libsbml.parseL3Formula(f"c * ({formula})"))
    return libsbml.writeSBMLToString(doc)


def _tsv(path: Path, header: list[str], rows: list[list]) -> None:
    lines = ["\t".join(header)] + ["\t".join("" if v is None else str(v) for v in r)
                                   for r in rows]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def write_problem(folder: Path, *, sbml: str, observables: list[list], conditions: list[list],
                  condition_cols: list[str], measurements: list[list], parameters: list[list],
                  parameter_extra: list[str] | None = None) -> Path:  # fmt: skip
    """Write a PEtab v1 problem; returns the YAML path.

    observables rows: [id, formula, noiseFormula, transformation, distribution]
    conditions rows: [conditionId, *values for condition_cols]
    measurements rows: [observableId, preeqId, simId, measurement, time, obsPars, noisePars]
    parameters rows: [id, scale, lower, upper, nominal, estimate, *parameter_extra]
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.xml").write_text(sbml)
    _tsv(folder / "observables.tsv", ["observableId", "observableFormula", "noiseFormula",
                                      "observableTransformation", "noiseDistribution"],
         observables)  # fmt: skip
    _tsv(folder / "conditions.tsv", ["conditionId", *condition_cols], conditions)
    _tsv(folder / "measurements.tsv", ["observableId", "preequilibrationConditionId",
                                       "simulationConditionId", "measurement", "time",
                                       "observableParameters", "noiseParameters"],
         measurements)  # fmt: skip
    _tsv(folder / "parameters.tsv", ["parameterId", "parameterScale", "lowerBound",
                                     "upperBound", "nominalValue", "estimate",
                                     *(parameter_extra or [])], parameters)  # fmt: skip
    yaml = folder / "problem.yaml"
    yaml.write_text(
        "format_version: 1\nparameter_file: parameters.tsv\nproblems:\n"
        "- condition_files: [conditions.tsv]\n  measurement_files: [measurements.tsv]\n"
        "  observable_files: [observables.tsv]\n  sbml_files: [model.xml]\n"
    )
    return yaml


# A -> B (k1 * A), B -> (k2 * B); A(0) = A0 via the condition table, B(0) = 0.
CHAIN = dict(
    species={"A": 1.0, "B": 0.0},
    params={"k1": 0.3, "k2": 0.1},
    reactions=[("r1", {"A": 1}, {"B": 1}, "k1 * A"), ("r2", {"B": 1}, {}, "k2 * B")],
)


def chain_solution(t, k1: float, k2: float, a0: float):
    """Analytic A(t), B(t) of :data:`CHAIN` (k1 != k2)."""
    import numpy as np

    t = np.asarray(t, dtype=float)
    a = a0 * np.exp(-k1 * t)
    b = a0 * k1 / (k2 - k1) * (np.exp(-k1 * t) - np.exp(-k2 * t))
    return a, b


def fd_gradient_errors(obj, theta, ks=None, steps=(1e-2, 1e-3, 1e-4), floor=1e-8):
    """Best relative error per gradient component against 5-point central finite differences
    over ``steps`` (an independent check of the sensitivity gradient); ``floor`` keeps the
    relative error finite where both are ~0. Returns (errors, gradient)."""
    import math

    import numpy as np

    _, g = obj.value_and_grad(theta)
    errs = []
    for k in range(theta.size) if ks is None else ks:
        best = math.inf
        for h in steps:
            e = np.zeros_like(theta)
            e[k] = h
            fd = (-obj(theta + 2 * e) + 8 * obj(theta + e) - 8 * obj(theta - e)
                  + obj(theta - 2 * e)) / (12 * h)  # fmt: skip
            best = min(best, abs(fd - g[k]) / max(abs(g[k]), abs(fd), floor))
        errs.append(best)
    return np.array(errs), g
