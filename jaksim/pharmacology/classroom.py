"""Data behind the classroom selectivity explorer (``jaksim classroom``).

Everything a student's browser needs to redraw the page without jaksim: per pathway the
whole-blood dose-response of every kinase inhibitor on a log grid (:func:`.panel.run_panel`),
per drug and approved regimen the steady-state 24-h parent-equivalent concentration profile
(:func:`.pk.ligand_concentrations` + :func:`.assays.parent_equivalent`), in-cell potencies per
JAK (:func:`.potency.potency_table`) and each receptor's JAK pair with the catalytic
requirement of its two slots. The page rescales a profile linearly with the dose (the PK is
linear) and reads the dose-response exactly as :func:`.assays.inhibition_at` does, so the
numbers it shows are :func:`dose_daily_inhibition`'s (tested in a headless browser).

:func:`classroom_data` returns plain JSON-able data; :mod:`jaksim.plot.classroom` turns it into
the HTML page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .._version import __version__
from .apply import DEFAULT_EXCHANGE
from .assays import DoseResponse, inhibition_at, parent_equivalent
from .library import JAKS, DrugLibrary, load_library
from .panel import run_panel
from .pk import ligand_concentrations, steady_state
from .potency import NO_INHIBITION, potency_table

__all__ = [
    "GROUPS",
    "DEFAULT_PATHWAYS",
    "LABELS",
    "classroom_data",
    "dose_profile",
    "dose_daily_inhibition",
    "missed_dose_profile",
    "pair_slots",
    "content_hash",
]

#: Pathway groups as the page shows them: what the drug is for, and what it should spare.
GROUPS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "efficacy": {
        "title": "Skin inflammation and itch (wanted)",
        "pathways": ("il4_type2", "il13_type2", "il31", "tslp", "il22"),
    },
    "blood": {
        "title": "Blood-forming, JAK2/JAK2 (spare)",
        "pathways": ("epo", "tpo", "gmcsf"),
    },
    "gammac": {
        "title": "Lymphocytes, gamma-c JAK1/JAK3 (spare)",
        "pathways": ("il2", "il7", "il15", "il4_type1"),
    },
    "other": {
        "title": "Other signals",
        "pathways": ("il6", "il12", "il23", "ifna"),
    },
}

#: Every pathway of :data:`GROUPS`, in page order.
DEFAULT_PATHWAYS: tuple[str, ...] = tuple(p for g in GROUPS.values() for p in g["pathways"])

#: Plain-word names (the model names carry receptor jargon that the pair picture shows anyway).
LABELS: dict[str, str] = {
    "il4_type2": "IL-4 (type II receptor)",
    "il13_type2": "IL-13",
    "il31": "IL-31 (itch)",
    "tslp": "TSLP",
    "il22": "IL-22",
    "epo": "EPO (red cells)",
    "tpo": "TPO (platelets)",
    "gmcsf": "GM-CSF (white cells)",
    "il2": "IL-2",
    "il7": "IL-7",
    "il15": "IL-15 (NK cells)",
    "il4_type1": "IL-4 (type I, gamma-c)",
    "il6": "IL-6",
    "il12": "IL-12",
    "il23": "IL-23",
    "ifna": "IFN-alpha",
}

_SLOT = re.compile(r"catreq_(\w+?)_(\d)\s*\*\s*\(\s*1\s*-\s*act_(JAK1|JAK2|JAK3|TYK2)\s*\)")


def pair_slots(model) -> list[dict[str, float | str]]:
    """The two JAK slots of a pathway's signalling complex, from its pair-rule assignment.

    Parses ``act_pair_<P> = (1 - catreq_<P>_1 (1 - act_JA)) (1 - catreq_<P>_2 (1 - act_JB))``
    (template ``jak_slots``, docs/pharmacology.md "The pair rule") so the picture shows what
    the simulation uses, not a hand-written copy. ``catreq`` 1 = the kinase activity is needed,
    0 = the JAK only holds the receptor (scaffold).

    Returns
    -------
    list of dict
        ``[{"jak": "JAK1", "catreq": 1.0}, {...}]`` in slot order.
    """
    values = {p.id: p.value for p in model.parameters}
    for a in model.assignments:
        if not a.id.startswith("act_pair_"):
            continue
        found = sorted(_SLOT.findall(str(a.expression)), key=lambda m: int(m[1]))
        if len(found) == 2:
            return [
                {"jak": jak, "catreq": float(values[f"catreq_{p}_{slot}"])}
                for p, slot, jak in found
            ]
    raise ValueError(f"pathway {model.id!r} has no two-slot act_pair_* assignment")


def content_hash(parts: Iterable[str | bytes]) -> str:
    """First 12 hex digits of the sha256 over ``parts`` (what a page was built from)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()[:12]


def dose_profile(
    library: DrugLibrary, drug: str, regimen: str, t: np.ndarray, dose: float | None = None
) -> np.ndarray:
    """Steady-state parent-equivalent concentration (nM total) at times ``t`` (h) after a
    dose, for ``regimen`` given at ``dose`` mg (default: the regimen's own dose)."""
    d = library.get(drug)
    reg = d.regimen(regimen)
    if dose is not None:
        reg = replace(reg, dose=float(dose))
    return parent_equivalent(d, ligand_concentrations(d, reg, t, steady_state=True))


def missed_dose_profile(
    library: DrugLibrary,
    drug: str,
    regimen: str,
    t: np.ndarray,
    missed: Iterable[int] = (),
    *,
    dose: float | None = None,
) -> np.ndarray:
    """Parent-equivalent concentration (nM total) at ``t`` (h) after the first dose of
    ``regimen`` (at ``dose`` mg), with the doses numbered ``missed`` (0 = first) not taken.

    Superposes the same single-dose responses as :func:`.pk.ligand_concentrations` without
    the skipped events, so ``missed=()`` equals it (tested).
    """
    from .pk import _ligand_system, _superpose, regimen_events

    d = library.get(drug)
    reg = d.regimen(regimen)
    if dose is not None:
        reg = replace(reg, dose=float(dose))
    t = np.atleast_1d(np.asarray(t, dtype=float))
    ev = regimen_events(d, reg, (t.max() + 1e-9) / 24.0)
    # each administration gives one bolus and/or one zero-order input, in dose order
    n = max(ev.bolus_times.size, ev.infusion_starts.size)
    keep = np.ones(n, dtype=bool)
    keep[[i for i in missed if 0 <= i < n]] = False
    kb = keep if ev.bolus_times.size else keep[:0]
    ki = keep if ev.infusion_starts.size else keep[:0]
    ev = replace(
        ev,
        bolus_times=ev.bolus_times[kb],
        bolus_amounts=ev.bolus_amounts[kb],
        infusion_starts=ev.infusion_starts[ki],
        infusion_stops=ev.infusion_stops[ki],
        infusion_rates=ev.infusion_rates[ki],
    )
    modes, volumes = _ligand_system(d, reg.release)
    conc = _superpose(t, ev, modes) / volumes[:, None]
    return parent_equivalent(d, dict(zip([d.id, *d.metabolites], conc, strict=True)))


def dose_daily_inhibition(
    response: DoseResponse,
    drug: str,
    regimen: str,
    dose: float,
    *,
    library: DrugLibrary | None = None,
    points_per_hour: int = 20,
) -> float:
    """Mean inhibition over 24 h at steady state of ``regimen``'s schedule at ``dose`` mg.

    Same quantity as :func:`.assays.daily_inhibition`'s ``mean_inhibition`` (equal at the
    regimen's own dose, tested), at any dose: what the page's dose slider shows.
    """
    lib = library or load_library()
    t = np.linspace(0.0, 24.0, 24 * points_per_hour + 1)
    inh = inhibition_at(response, lib.get(drug).id, dose_profile(lib, drug, regimen, t, dose))
    return float(np.trapezoid(inh, t) / 24.0)


def _round(a, digits: int = 6) -> list[float]:
    """Significant-digit rounding: keeps the page small, far below the tests' tolerance."""
    a = np.asarray(a, dtype=float)
    return [float(f"{v:.{digits}g}") for v in a.ravel()]


def _dose_step(doses: Sequence[float]) -> float:
    """Slider step: a tenth of the order of magnitude of the smallest approved dose."""
    return float(10.0 ** np.floor(np.log10(min(doses))) / 10.0)


def _main_targets(k: dict[str, float]) -> list[str]:
    """JAKs within 10x of the drug's most potent one (what 'targets' means in the table)."""
    best = min(k.values())
    return [j for j in JAKS if k[j] < NO_INHIBITION and k[j] <= 10 * best]


def classroom_data(
    pathways: Sequence[str] = DEFAULT_PATHWAYS,
    drugs: Sequence[str] | None = None,
    concentrations: np.ndarray | None = None,
    *,
    library: DrugLibrary | None = None,
    exchange: str = DEFAULT_EXCHANGE,
    points_per_hour: int = 20,
    responses: dict[str, DoseResponse] | None = None,
) -> dict:
    """Precompute everything the classroom page plots.

    Parameters
    ----------
    pathways : pathway model names (default :data:`DEFAULT_PATHWAYS`)
    drugs : kinase inhibitors (default: every library drug that is not a receptor antibody)
    concentrations : (n,) total drug concentrations, nM, of the dose-response grid (default
        0.1 nM - 1 mM, 10 points per decade)
    exchange : drug exchange limit of the pathway models (docs/pharmacology.md)
    points_per_hour : time grid of the 24-h PK profiles (as :func:`.assays.daily_inhibition`)
    responses : already simulated :func:`.panel.run_panel` output to reuse (tests)

    Returns
    -------
    dict
        JSON-able: ``meta`` (version, hashes, assumptions), ``conc`` (grid, nM), ``t`` (h),
        ``pathways`` (list), ``drugs`` (list), ``groups``. Inhibition curves are fractions.
    """
    from ..io.registry import load_model

    lib = library or load_library()
    if drugs is None:
        drugs = [d.id for d in lib.drugs.values() if d.mechanism != "receptor_block"]
    drugs = [lib.get(d).id for d in drugs]
    refused = [d for d in drugs if lib.get(d).mechanism == "receptor_block"]
    if refused:
        raise ValueError(f"the explorer is for kinase inhibitors; not: {refused}")
    conc = np.geomspace(0.1, 1e6, 71) if concentrations is None else np.asarray(concentrations)
    if responses is None:
        responses = run_panel(pathways, drugs, conc, library=lib, exchange=exchange)
    t = np.linspace(0.0, 24.0, 24 * points_per_hour + 1)
    models = {p: load_model(p) for p in pathways}
    potency = potency_table(lib, drugs)

    group_of = {p: g for g, spec in GROUPS.items() for p in spec["pathways"]}
    path_rows = []
    for p in pathways:
        m, resp = models[p], responses[p]
        path_rows.append(
            {
                "id": p,
                "label": LABELS.get(p, m.name or p),
                "name": m.name,
                "cytokine": resp.assay.cytokine,
                "readout": resp.assay.readout.removesuffix("_total"),
                "jak_pair": m.metadata.get("jak_pair", ""),
                "pair_logic": m.metadata.get("pair_logic", ""),
                "cell_type": m.metadata.get("cell_type", ""),
                "slots": pair_slots(m),
                "group": group_of.get(p, "other"),
                "inhibition": {d: _round(resp.inhibition[resp.drugs.index(d)]) for d in drugs},
            }
        )

    drug_rows = []
    for name in drugs:
        d = lib.get(name)
        regs = []
        for rname, reg in d.regimens.items():
            c = dose_profile(lib, d.id, rname, t)
            ss = steady_state(d, reg)
            regs.append(
                {
                    "name": rname,
                    "dose": reg.dose,
                    "interval": reg.interval,
                    "release": reg.release,
                    "source": reg.source,
                    "profile": _round(c),  # nM parent-equivalent at `dose`; linear in dose
                    "cmax_parent": ss.cmax,
                    "cmin_parent": ss.cmin,
                }
            )
        doses = [r["dose"] for r in regs]
        drug_rows.append(
            {
                "id": d.id,
                "name": d.name,
                "brands": [a for a in d.aliases if not any(ch.isdigit() for ch in a)],
                "mechanism": d.mechanism,
                "fu": d.fraction_unbound,
                "K": {j: potency[d.id][j] for j in JAKS},
                "targets": _main_targets(potency[d.id]),
                "indications": list(d.indications),
                "indications_source": d.indications_source,
                "metabolites": [m.name for m in d.metabolites.values()],
                "note": d.note,
                "regimens": regs,
                "dose_step": _dose_step(doses),
                "dose_max": 2.0 * max(doses),
            }
        )

    lib_bytes = Path(lib.file).read_bytes() if lib.file else repr(lib).encode()
    meta = {
        "version": __version__,
        "library_hash": content_hash([lib_bytes]),
        "model_hash": content_hash([repr(models[p]) for p in pathways]),
        "exchange": exchange,
        "stimulus_nM": 1.0,
        "read_time_min": responses[pathways[0]].assay.read_time,
        "points_per_hour": points_per_hour,
        "library_file": "models/drugs.toml",
    }
    return {
        "meta": meta,
        "jaks": list(JAKS),
        "conc": [float(c) for c in conc],  # exact: the page interpolates on it
        "t": _round(t),
        "groups": {g: {"title": s["title"]} for g, s in GROUPS.items()},
        "pathways": path_rows,
        "drugs": drug_rows,
    }
