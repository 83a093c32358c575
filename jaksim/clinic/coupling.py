"""Exposure-driven coupling: regimen -> PK -> pathway inhibition -> disease-model inputs.

Each regimen's concentration course (closed-form PK from the first dose, parent + active
metabolites as a parent-equivalent concentration) is read through the whole-blood
dose-response of each pathway (:func:`jaksim.pharmacology.panel.run_panel`), giving the
fraction of the pathway's pSTAT signal blocked over time. That fraction replaces the paper's
constant "fraction of cytokine effect blocked":

==============  ===============  ==========================================================
disease input   pathway model    why
==============  ===============  ==========================================================
block_IL4       ``il4_type2``    IL-4 acts on keratinocytes and sensory neurons through the
                                 type II receptor (IL-4Ra/JAK1 + IL-13Ra1/TYK2) -> pSTAT6
block_IL13      ``il13_type2``   IL-13 signals only through the type II receptor -> pSTAT6
block_IL31      ``il31``         IL-31RA/JAK1 + OSMRb/JAK2 -> pSTAT3 (barrier, itch)
block_TSLP      ``tslp``         TSLPR/JAK2 + IL-7Ra/JAK1 -> pSTAT5 (drives OX40L)
block_IL22      ``il22``         IL-22R1/JAK1 + IL-10R2/TYK2 -> pSTAT3 (barrier, pathogens)
block_IFNg      ``ifng``         IFNGR1/JAK1 + IFNGR2/JAK2 -> pSTAT1 (pathogen killing, Th1)
block_IL17      (none: 0)        IL-17 signals through Act1/TRAF6, not JAKs
block_OX40L     (none: 0)        OX40 is a TNF-receptor family member, not a JAK receptor
inh_EPO         ``epo``          EPOR/JAK2 homodimer -> pSTAT5 (erythropoiesis)
inh_TPO         ``tpo``          MPL/JAK2 homodimer -> pSTAT5 (thrombopoiesis)
==============  ===============  ==========================================================

Dupilumab enters through the same table: its dose-response on ``il4_type2`` and
``il13_type2`` is its IL-4Ra blockade (receptor antibody in the pathway model) and zero on
pathways without IL-4Ra.

Two timescales: signalling relaxes in minutes, PK in hours, the disease in weeks. The pathway
inhibition is therefore evaluated as the ex vivo assay of blood drawn at each time (as the
pharmacology layer's daily inhibition), and the disease model receives its daily mean as a
piecewise-constant input (:func:`daily_means`); ``tests/test_clinic_coupling.py`` checks that
hourly inputs give the same week-16 outcome within a stated tolerance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

__all__ = [
    "DISEASE_PATHWAYS",
    "HAEM_PATHWAYS",
    "Segment",
    "Schedule",
    "pathway_responses",
    "concentration_course",
    "inhibition_course",
    "daily_means",
]

#: disease-model input -> pathway model whose pSTAT inhibition sets it
DISEASE_PATHWAYS: dict[str, str] = {
    "block_IL4": "il4_type2",
    "block_IL13": "il13_type2",
    "block_IL31": "il31",
    "block_TSLP": "tslp",
    "block_IL22": "il22",
    "block_IFNg": "ifng",
}
#: haematology-model input -> pathway model
HAEM_PATHWAYS: dict[str, str] = {"inh_EPO": "epo", "inh_TPO": "tpo"}


@dataclass(frozen=True)
class Segment:
    """``regimen`` of the arm's drug from ``start_day`` for ``days`` days (doses at the
    regimen's interval from ``start_day``)."""

    regimen: str
    start_day: float = 0.0
    days: float | None = None


@dataclass(frozen=True)
class Schedule:
    """A drug and its dosing segments (e.g. 30 mg QD for 8 weeks, then 15 mg QD), plus an
    optional one-off extra dose at day 0 (``loading_extra_mg``: dupilumab's 600 mg loading
    dose is a second 300 mg dose on day 0)."""

    drug: str
    segments: tuple[Segment, ...]
    loading_extra_mg: float = 0.0

    @classmethod
    def simple(cls, drug: str, regimen: str, days: float | None = None, loading_extra_mg=0.0):
        return cls(drug, (Segment(regimen, 0.0, days),), loading_extra_mg)


def pathway_responses(
    drugs: Iterable[str],
    pathways: Iterable[str] = (*DISEASE_PATHWAYS.values(), *HAEM_PATHWAYS.values()),
    *,
    concentrations: np.ndarray | None = None,
    library=None,
):
    """Whole-blood dose-response of ``drugs`` on ``pathways`` (15 min, 1 nM cytokine; the
    pharmacology layer's assay), ``{pathway: DoseResponse}``."""
    from ..pharmacology.panel import run_panel

    conc = np.logspace(-2, 5, 29) if concentrations is None else concentrations
    return run_panel(list(dict.fromkeys(pathways)), list(drugs), conc, library=library)


def concentration_course(drug, schedule: Schedule, t_h: np.ndarray) -> np.ndarray:
    """Parent-equivalent total concentration (nM) at ``t_h`` (h from the first dose).

    ``drug`` is a library :class:`~jaksim.pharmacology.library.Drug` (possibly with sampled
    PK). Linear PK: segments superpose, each starting at its own first dose.
    """
    from ..pharmacology.assays import parent_equivalent
    from ..pharmacology.pk import ligand_concentrations
    from ..pharmacology.regimens import Regimen

    t_h = np.asarray(t_h, dtype=float)
    total = np.zeros_like(t_h)
    parts = []
    for seg in schedule.segments:
        reg = drug.regimen(seg.regimen)
        days = seg.days if seg.days is not None else (t_h.max() / 24.0 - seg.start_day) + 1e-9
        parts.append((reg, seg.start_day, days))
    if schedule.loading_extra_mg:
        first = drug.regimen(schedule.segments[0].regimen)
        one = Regimen("loading", schedule.loading_extra_mg, 1e9, first.release)
        parts.append((one, schedule.segments[0].start_day, 1.0 / 24.0))
    for reg, start, days in parts:
        if days <= 0:
            continue
        shifted = t_h - 24.0 * start  # negative before the segment starts: no dose yet -> 0
        conc = ligand_concentrations(drug, reg, np.maximum(shifted, 0.0), days=days)
        c = parent_equivalent(drug, conc)
        total += np.where(shifted >= 0, c, 0.0)
    return total


def inhibition_course(
    responses: Mapping, drug, schedule: Schedule, t_h: np.ndarray,
    inputs: Mapping[str, str] = DISEASE_PATHWAYS,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Fraction of each input's pathway signal blocked at ``t_h`` (h): input -> (n_t,).

    ``drug``: library Drug (its ``id`` selects the dose-response; sampled PK allowed).
    """
    from ..pharmacology.assays import inhibition_at
    from ..pharmacology.uncertainty import base_id

    c = concentration_course(drug, schedule, t_h)
    key = base_id(drug.id)
    out = {}
    for name, pathway in inputs.items():
        resp = responses[pathway]
        # a drug without a target in the pathway (an antibody elsewhere) has an all-zero row
        if key not in resp.drugs or not np.any(resp.inhibition[resp.drugs.index(key)]):
            out[name] = np.zeros_like(c)
            continue
        # inhibition_at holds the end value below the lowest simulated concentration; without
        # drug (before the first dose, after stopping) there is no inhibition at all
        out[name] = np.where(c > 0, inhibition_at(resp, key, c), 0.0)
    return out


def daily_means(
    responses: Mapping,
    drugs: Sequence,
    schedule: Schedule,
    days: int,
    *,
    inputs: Mapping[str, str] = DISEASE_PATHWAYS,
    points_per_hour: int = 4,
    per_day: int = 1,
) -> dict[str, np.ndarray]:
    """Mean inhibition per input over each day (or each of ``per_day`` equal parts of a day)
    for each drug-parameter set in ``drugs``.

    Returns
    -------
    dict input -> (len(drugs), days * per_day) array: mean over bin ``k`` (hours
    24k/per_day .. 24(k+1)/per_day).
    """
    if (24 * points_per_hour) % per_day:
        raise ValueError(f"per_day={per_day} must divide {24 * points_per_hour} points a day")
    n_bins = days * per_day
    n_per_bin = 24 * points_per_hour // per_day
    t = np.arange(n_bins * n_per_bin + 1) / points_per_hour
    out = {k: np.zeros((len(drugs), n_bins)) for k in inputs}
    for i, d in enumerate(drugs):
        course = inhibition_course(responses, d, schedule, t, inputs)
        for k, y in course.items():
            # trapezoid mean within each bin
            seg = y[:-1].reshape(n_bins, n_per_bin)
            nxt = y[1:].reshape(n_bins, n_per_bin)
            out[k][i] = 0.5 * (seg + nxt).mean(axis=1)
    return out


def pk_population(drug_id: str, n: int, *, seed: int = 0, library=None, pk_variability=True):
    """``n`` copies of a library drug with popPK-sampled parameters (or the typical drug
    ``n`` times); ids keep the library id so dose-responses are found."""
    from ..pharmacology import load_library
    from ..pharmacology.library import sample_pk

    lib = library or load_library()
    d = lib.get(drug_id)
    if not pk_variability or d.pk is None:
        return [d] * n
    rng = np.random.default_rng([seed, *map(ord, d.id)])
    return [replace(x, id=d.id) for x in sample_pk(d, n, rng)]
