"""Virtual populations of drug parameters: what is known, and how well.

A drug's in-cell potencies rest on a few published numbers (:mod:`.derive`: anchors' whole-blood
IC50s and selectivity ratios) and its exposure on a popPK model. Each of those inputs carries an
uncertainty: a reported ``range`` (taken as a 90 % interval), else the library's fold for its
confidence code (``[uncertainty.potency_fold_90]`` in ``models/drugs.toml``), and for PK the
popPK's inter-individual ``cv``. :func:`sample_drugs` draws ``n`` parameter sets, log-normal and
independent, seeded for reproducibility; the panels then report medians with 90 % intervals
(:func:`summarize`).

How a sampled anchor moves the potencies: an anchor pathway that depends on one JAK only (IL-6 on
JAK1, EPO on JAK2) has an IC50 exactly proportional to that JAK's potency (inhibition depends on
``Cu/K`` alone), so scaling the published IC50 by ``f`` scales ``K`` by ``f`` exactly; for an
anchor on a two-JAK pathway (tofacitinib's IL-7 for JAK3 given JAK1) the same scaling is an
approximation. Ratios then rebuild the other JAKs from the sampled reference (a cross-drug ratio
refers to the other drug's nominal value); a published in-cell value not set by the derivation
(deucravacitinib) is sampled with its own spread. Inputs without a stated uncertainty (a
receptor antibody's Kd, PK values without ``cv``) stay fixed, so an interval covers only the
uncertainty the library states.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .library import JAKS, Drug, DrugLibrary, Quantity, sample_pk

__all__ = ["sigma_log", "sample_drugs", "sampled_library", "summarize", "base_id"]

#: z of the 95th percentile: a 90 % interval spans median * exp(+-1.645 sigma)
_Z90 = 1.6448536269514722
#: separator between a drug id and its sample number in sampled ids (``upadacitinib#3``)
SEP = "#"


def sigma_log(q: Quantity, library: DrugLibrary) -> float:
    """Standard deviation of ``ln(value)`` for a potency input: from its own ``range`` (90 %
    interval; the wider side), else from the library's fold for its confidence code, else 0."""
    if q.range is not None:
        lo, hi = q.range
        return max(np.log(hi / q.value), np.log(q.value / lo)) / _Z90
    fold = library.potency_fold_90.get(q.confidence)
    return float(np.log(fold.value) / _Z90) if fold is not None else 0.0


def base_id(sampled: str) -> str:
    """``upadacitinib#3`` -> ``upadacitinib``."""
    return sampled.split(SEP, 1)[0]


def sample_drugs(
    drug: str | Drug, n: int, *, library: DrugLibrary, seed: int = 0, pk: bool = True
) -> list[Drug]:
    """``n`` copies of ``drug`` (ids ``<id>#0`` ...) with sampled potencies and PK.

    Parameters
    ----------
    drug : str or Drug
    n : int
        Number of parameter sets (virtual drug-parameter population).
    library : DrugLibrary
        Supplies the drug and the default folds by confidence code.
    seed : int
        Seed of the numpy Generator; the same seed gives the same population.
    pk : bool
        Also draw PK parameters from their ``cv`` (:func:`.library.sample_pk`).

    Returns
    -------
    list of Drug
        Drugs without ``anchors``/``ratios`` (their in-cell values are the sampled ones).
    """
    d = library.get(drug)
    # one stream per drug, so adding a drug to a panel does not change the others' samples
    rng = np.random.default_rng([seed, *map(ord, d.id)])
    base = sample_pk(d, n, rng) if pk and d.pk is not None else [d] * n
    out = []
    for k in range(n):
        cell = {j: q.value for j, q in d.cellular.items()}
        derived = {a.jak for a in d.anchors} | set(d.ratios)
        for j, q in d.cellular.items():
            if j not in derived:  # a published in-cell value (deucravacitinib): its own spread
                cell[j] *= float(np.exp(sigma_log(q, library) * rng.standard_normal()))
        for a in d.anchors:
            cell[a.jak] *= float(np.exp(sigma_log(a.ic50, library) * rng.standard_normal()))
        for j, r in d.ratios.items():
            factor = float(np.exp(sigma_log(r.ratio, library) * rng.standard_normal()))
            cell[j] = r.ratio.value * factor * r.reference(library, cell)
        cellular = {
            j: Quantity(v, "nM", source=f"sample {k} of {d.id}", confidence="DERIVED")
            for j, v in cell.items()
            if j in JAKS
        }
        out.append(replace(base[k], id=f"{d.id}{SEP}{k}", cellular=cellular, anchors=(),
                           ratios={}))  # fmt: skip
    return out


def sampled_library(
    library: DrugLibrary, drugs: list[str], n: int, *, seed: int = 0, pk: bool = True
) -> tuple[DrugLibrary, dict[str, list[str]]]:
    """The library plus ``n`` sampled copies of each of ``drugs``; returns it and the sampled
    ids per drug id. Receptor antibodies are sampled in PK only (their Kd has no range)."""
    extra: dict[str, Drug] = {}
    ids: dict[str, list[str]] = {}
    for name in drugs:
        d = library.get(name)
        if d.mechanism == "receptor_block":
            rng = np.random.default_rng([seed, *map(ord, d.id)])
            copies = sample_pk(d, n, rng) if pk and d.pk is not None else [d] * n
            copies = [replace(c, id=f"{d.id}{SEP}{k}") for k, c in enumerate(copies)]
        else:
            copies = sample_drugs(d, n, library=library, seed=seed, pk=pk)
        ids[d.id] = [c.id for c in copies]
        extra.update({c.id: c for c in copies})
    return replace(library, drugs={**library.drugs, **extra}), ids


def summarize(table: pd.DataFrame, value: str, by: list[str]) -> pd.DataFrame:
    """Median and 90 % interval of ``value`` over samples (``drug`` ids ``<id>#k``), grouped by
    ``by`` with the sampled drug ids folded into their base id: columns ``<value>_median``,
    ``<value>_q05``, ``<value>_q95``, ``samples``."""
    t = table.assign(drug=table["drug"].map(base_id))
    g = t.groupby(by, sort=False)[value]
    out = pd.DataFrame({
        f"{value}_median": g.median(),
        f"{value}_q05": g.quantile(0.05),
        f"{value}_q95": g.quantile(0.95),
        "samples": g.count(),
    })  # fmt: skip
    return out.reset_index()
