"""In-cell potencies from one consistent source per drug: anchors inverted through the model.

A drug's whole-blood IC50 on an *anchor pathway* (IL-6 for JAK1, EPO for JAK2, IL-7 for JAK3
given JAK1, ...) sets the in-cell potency of the one JAK that pathway leaves unknown: the
value ``K`` for which the model's whole-blood assay (:func:`.assays.assay_inhibition`, the
default exchange limit) gives 50 % inhibition at the published total concentration. The
remaining JAKs follow from ``ratios`` measured in one consistent panel (engineered cells,
label folds, one enzyme panel): ``K_j = ratio * K_of``. Published numbers used here *set*
parameters; the validation report (:mod:`.validation`) says so for every comparison that
involves them, so that no row is presented as a prediction when it was an input.

The derived values are stored in ``models/drugs.toml`` (``[drugs.X.cellular]``, confidence
DERIVED) so that loading the library never simulates; ``python -m jaksim.pharmacology.derive``
prints them, and a test recomputes them and checks the file.

Examples
--------
>>> from jaksim.pharmacology.derive import derive_potencies  # doctest: +SKIP
>>> derive_potencies("upadacitinib")["JAK1"].value            # doctest: +SKIP
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import numpy as np

from ..spec.errors import PharmacologyError
from ..spec.units import convert
from .apply import DEFAULT_EXCHANGE, potency_parameters, with_drug
from .assays import assay_inhibition, pathway_assay
from .library import JAKS, Drug, DrugLibrary, Quantity, load_library

__all__ = ["DerivedPotency", "derive_potencies", "invert_anchor", "format_toml"]


@dataclass(frozen=True)
class DerivedPotency:
    """An in-cell potency (nM, unbound) and how it was obtained (``how``, human-readable)."""

    jak: str
    value: float
    how: str


def invert_anchor(
    drug: Drug,
    library: DrugLibrary,
    pathway: str,
    jak: str,
    ic50_total: float,
    known: dict[str, float],
    *,
    exchange: str = DEFAULT_EXCHANGE,
    rounds: int = 3,
) -> float:
    """The in-cell potency ``K_jak`` (nM) giving 50 % inhibition at ``ic50_total`` (nM total).

    Other JAKs of the pathway take the values ``known`` (nM). The search runs a log grid of
    ``K`` in one ensemble per round, each round zooming on the bracket where the (monotone)
    inhibition crosses 0.5, and interpolates linearly in logit(inhibition) vs log(K) (exact
    for a Hill-shaped dependence). Three rounds give ~1e-4 relative precision.

    Raises
    ------
    PharmacologyError
        The pathway does not depend on ``jak``, or 50 % is out of reach at that concentration.
    """
    from ..io.registry import load_model

    model = load_model(pathway)
    assay = pathway_assay(model)
    drugged = with_drug(model, drug, library=library, exchange=exchange)
    base = potency_parameters(model, drug, library)
    key = f"drug_K_{jak}"
    if key not in base:
        raise PharmacologyError(f"anchor pathway {pathway!r} does not use {jak}: cannot set it")
    to_model = convert(1.0, "nM", model.concentration_unit)
    lo, hi = np.log10(ic50_total * drug.fraction_unbound) - 4.0, np.log10(ic50_total) + 4.0
    for _ in range(rounds):
        grid = np.linspace(lo, hi, 17)
        n = grid.size
        params = {"drug_conc": np.concatenate([[0.0], np.full(n, ic50_total * to_model)])}
        for k in base:
            j = k.removeprefix("drug_K_")
            vals = 10.0**grid * to_model if j == jak else np.full(n, known[j] * to_model)
            params[k] = np.concatenate([[vals[0]], vals])
        inh = assay_inhibition(drugged, params, assay, rtol=1e-8)
        above = np.nonzero(inh >= 0.5)[0]  # inhibition falls as K grows
        if above.size == 0 or above[-1] == n - 1:
            raise PharmacologyError(
                f"{drug.id} on {pathway}: 50 % inhibition at {ic50_total} nM is not reachable by "
                f"any {jak} potency in 10^[{lo:.1f}, {hi:.1f}] nM (max {inh.max():.2f})"
            )
        i = above[-1]
        lo, hi = grid[i], grid[i + 1]
    y = np.clip(inh[i : i + 2], 1e-12, 1 - 1e-12)
    logit = np.log(y / (1 - y))
    frac = logit[0] / (logit[0] - logit[1])
    return float(10.0 ** (grid[i] + frac * (grid[i + 1] - grid[i])))


def derive_potencies(
    drug: str | Drug, library: DrugLibrary | None = None, *, exchange: str = DEFAULT_EXCHANGE
) -> dict[str, DerivedPotency]:
    """In-cell potencies of the JAKs set by ``drug``'s anchors and ratios.

    Anchors are inverted in file order; a JAK not yet derived takes the library's stored
    value. Because an anchor's pathway may use a JAK set later (by a ratio), the whole pass
    runs twice, the second with the first pass's values (the stored values only seed it).
    """
    lib = library or load_library()
    d = lib.get(drug)
    if not (d.anchors or d.ratios):
        return {}
    current = {j: d.cellular[j].value for j in JAKS if j in d.cellular}
    out: dict[str, DerivedPotency] = {}
    for _ in range(2):
        for a in d.anchors:
            known = {**current}
            k = invert_anchor(d, lib, a.pathway, a.jak, a.ic50.value, known, exchange=exchange)
            current[a.jak] = k
            out[a.jak] = DerivedPotency(
                a.jak, k, f"inverted from the {a.pathway} whole-blood IC50 {a.ic50.value:g} nM "
                f"(drugs.{d.id}.anchors, {a.ic50.confidence})"
            )  # fmt: skip
        for j, r in d.ratios.items():
            current[j] = r.ratio.value * r.reference(lib, current)
            out[j] = DerivedPotency(
                j, current[j], f"{r.ratio.value:g} x K({r.of}) (drugs.{d.id}.ratios.{j}, "
                f"{r.ratio.confidence})"
            )  # fmt: skip
    return out


def with_derived(library: DrugLibrary, drug: str, derived: dict[str, DerivedPotency]):
    """A copy of ``library`` whose ``drug`` carries the ``derived`` cellular values."""
    d = library.get(drug)
    cell = {**d.cellular}
    for j, p in derived.items():
        cell[j] = Quantity(p.value, "nM", source=p.how, confidence="DERIVED")
    return replace(library, drugs={**library.drugs, d.id: replace(d, cellular=cell)})


def format_toml(drug: str, derived: dict[str, DerivedPotency]) -> str:
    """The ``[drugs.<drug>.cellular]`` table for the derived values (3 significant digits)."""
    lines = [f"[drugs.{drug}.cellular]"]
    for j in JAKS:
        if j in derived:
            p = derived[j]
            how = p.how.replace('"', "'")
            lines.append(f'{j} = {{ value = {p.value:.3g}, units = "nM", confidence = "DERIVED", '
                         f'source = "jaksim.pharmacology.derive: {how}" }}')  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the derived ``[drugs.X.cellular]`` tables of every anchored drug."""
    lib = load_library()
    names = (argv if argv else None) or [d.id for d in lib.drugs.values() if d.anchors or d.ratios]
    for name in names:
        derived = derive_potencies(name, lib)
        lib = with_derived(lib, name, derived)  # later drugs may refer to this one
        print(format_toml(lib.get(name).id, derived) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
