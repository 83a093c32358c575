"""In-silico pharmacology assays: enzyme IC50, whole-blood pSTAT IC50, clinical exposure.

* :func:`enzyme_assay` - one isolated JAK with ATP and inhibitor in rapid equilibrium, product
  formed over a read window; recovers the enzyme IC50 the library was built from (a self-check
  of the Cheng-Prusoff translation).
* :func:`whole_blood_response` - pre-incubate a drug series with a pathway model (the drug is
  present during pre-equilibration), stimulate with the pathway's cytokine at t = 0, read the
  pathway readout (pSTAT) at 15 min; inhibition relative to the drug-free stimulated response.
  One compiled model per pathway serves every kinase inhibitor: the drug's potencies are
  parameters (``drug_K_<JAK>``, ``drug_fu``) set per ensemble member.
* :func:`daily_inhibition` - steady-state PK over a dosing interval, evaluated as the ex vivo
  whole-blood response of blood drawn at each hour (McInnes 2019 Arthritis Res Ther 21:183;
  Traves 2021 Ann Rheum Dis 80:865): mean inhibition and hours above 50 % / 90 %.

Concentrations are total drug (nM) in blood / plasma; the in-cell potencies act on the unbound
fraction ``fu * C``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec.errors import PharmacologyError, SimulationError
from ..spec.model import Compartment, Model, Parameter, Reaction, Species
from ..spec.units import convert
from .apply import DEFAULT_EXCHANGE, drug_targets, potency_parameters, with_drug
from .library import Drug, DrugLibrary, load_library
from .potency import cheng_prusoff_ki

__all__ = [
    "PathwayAssay",
    "pathway_assay",
    "enzyme_assay",
    "DoseResponse",
    "whole_blood_response",
    "inhibition_at",
    "assay_inhibition",
    "parent_equivalent",
    "daily_inhibition",
]


# -- enzyme assay --------------------------------------------------------------------------
def _rapid_binding(rid: str, complex_: str, ligand: str, kd: str) -> Reaction:
    """``E + ligand <-> complex`` with on-rate ``kon`` and dissociation constant ``kd``."""
    return Reaction(rid, (("E", 1),), ((complex_, 1),), f"kon*{ligand}*E - kon*{kd}*{complex_}",
                    reversible=True, compartment="well")  # fmt: skip


def _enzyme_model(km_atp: float, ki: float) -> Model:
    """E + ATP <-> E.ATP -> E + P, E + I <-> E.I, rapid binding, tracer enzyme (nM, s)."""
    fast = 1.0  # 1/(nM*s): binding equilibrates in < 1 s at the concentrations used
    cmp_ = "well"
    return Model(
        id="enzyme_assay",
        compartments=(Compartment(cmp_, 1.0, "pL", assumed="well-mixed assay well"),),
        species=(
            Species("E", cmp_, 0.01, assumed="tracer enzyme << Ki: no tight binding"),
            Species("EA", cmp_, 0.0),
            Species("EI", cmp_, 0.0),
            Species("P", cmp_, 0.0),
        ),
        parameters=(
            Parameter("drug_conc", 0.0, "nM", assumed="swept"),
            Parameter("atp", 0.0, "nM", assumed="added by the protocol"),
            Parameter("Km_ATP", km_atp, "nM", source="drugs.toml km_atp"),
            Parameter("Ki", ki, "nM", source="Cheng-Prusoff from the enzyme IC50"),
            Parameter("kon", fast, "1/(nM*s)", assumed="rapid equilibrium"),
            Parameter("kcat", 0.01, "1/s", assumed="kcat << koff: Km = Kd (rapid equilibrium)"),
        ),
        reactions=(
            _rapid_binding("bind_atp", "EA", "atp", "Km_ATP"),
            _rapid_binding("bind_drug", "EI", "drug_conc", "Ki"),
            Reaction("turnover", (("EA", 1),), (("E", 1), ("P", 1)), "kcat*EA", compartment=cmp_),
        ),  # fmt: skip
    )


def enzyme_assay(
    drug: str | Drug,
    jak: str,
    concentrations: np.ndarray,
    *,
    atp: float | None = None,
    library: DrugLibrary | None = None,
    preincubation: float = 1800.0,
    read: float = 600.0,
) -> np.ndarray:
    """Relative kinase activity (fraction of drug-free product formed) per concentration.

    The enzyme is pre-incubated with the inhibitor for ``preincubation`` s, ATP (nM; default
    the drug's enzyme-assay ATP) is added at that time and product is read ``read`` s later.

    Returns
    -------
    ndarray, shape (n_conc,)
    """
    from ..simulation import Change, Protocol, simulate_ensemble

    lib = library or load_library()
    d = lib.get(drug)
    if jak not in d.enzymatic:
        raise ValueError(f"{d.id} has no enzyme IC50 for {jak}")
    km = lib.km_atp[jak].value
    ki = cheng_prusoff_ki(d.enzymatic[jak].value, d.enzymatic_atp, km)
    model = _enzyme_model(km, ki)
    conc = np.concatenate([[0.0], np.asarray(concentrations, dtype=float)])
    atp_nM = d.enzymatic_atp if atp is None else atp
    res = simulate_ensemble(
        model,
        np.array([0.0, preincubation, preincubation + read]),
        params={"drug_conc": conc},
        protocol=Protocol((Change(preincubation, "atp", "set", atp_nM),)),
        outputs=["P"],
        rtol=1e-8,
        atol=1e-14,
    )
    product = res["P"][:, 2] - res["P"][:, 1]
    return product[1:] / product[0]


# -- whole-blood pSTAT assay ---------------------------------------------------------------
@dataclass(frozen=True)
class PathwayAssay:
    """How to stimulate and read one pathway model.

    ``cytokine`` (species id), ``readout`` (observable id), ``stimulus`` (nM),
    ``read_time`` (min) and the pathway's ``jak_pair`` label.
    """

    pathway: str
    cytokine: str
    readout: str
    stimulus: float = 1.0
    read_time: float = 15.0
    jak_pair: str = ""


def pathway_assay(model: Model, *, stimulus: float = 1.0, read_time: float = 15.0):
    """:class:`PathwayAssay` from a pathway model's metadata (``cytokine``, ``readout``)."""
    meta = model.metadata
    missing = [k for k in ("cytokine", "readout") if k not in meta]
    if missing:
        raise ValueError(f"pathway {model.id!r} lacks metadata {missing} (see docs/pathways.md)")
    return PathwayAssay(
        model.id, meta["cytokine"], meta["readout"], stimulus, read_time, meta.get("jak_pair", "")
    )


@dataclass(frozen=True)
class DoseResponse:
    """Inhibition (fraction, 0 = none, 1 = back to unstimulated) per drug and concentration.

    ``inhibition`` has shape (n_drugs, n_conc); ``concentrations`` (nM total) shape (n_conc,).
    """

    assay: PathwayAssay
    drugs: tuple[str, ...]
    concentrations: np.ndarray
    inhibition: np.ndarray


def _time_factor(model: Model) -> float:
    return convert(1.0, "min", model.time_unit)


def whole_blood_response(
    model: Model,
    drugs: list[str],
    concentrations: np.ndarray,
    *,
    assay: PathwayAssay | None = None,
    library: DrugLibrary | None = None,
    rtol: float = 1e-6,
    exchange: str = DEFAULT_EXCHANGE,
) -> DoseResponse:
    """Simulate the whole-blood pSTAT assay for several drugs on one pathway model.

    Kinase inhibitors share one compiled model (potencies are per-member parameters); a
    receptor antibody gets its own model where the pathway carries its target and has no
    effect elsewhere. ``exchange`` ("fast" / "slow") is passed to :func:`.apply.with_drug`.
    """
    lib = library or load_library()
    assay = assay or pathway_assay(model)
    conc = np.asarray(concentrations, dtype=float)
    ds = [lib.get(n) for n in drugs]
    out = np.zeros((len(ds), conc.size))
    kinase = [i for i, d in enumerate(ds) if d.mechanism != "receptor_block"]
    if kinase:
        kin = [ds[i] for i in kinase]
        out[kinase] = _simulate_series(model, kin, conc, assay, lib, rtol, exchange)
    for i, d in enumerate(ds):
        if d.mechanism == "receptor_block" and drug_targets(model, d):
            out[i] = _simulate_series(model, [d], conc, assay, lib, rtol, exchange)[0]
    return DoseResponse(assay, tuple(d.id for d in ds), conc, out)


def _simulate_series(
    model, ds: list[Drug], conc, assay: PathwayAssay, lib, rtol, exchange: str
) -> np.ndarray:
    """Inhibition (n_drugs, n_conc) from one ensemble: members = control + drugs x conc."""
    drugged = with_drug(model, ds[0], library=lib, exchange=exchange)
    n_d, n_c = len(ds), conc.size
    to_model = convert(1.0, "nM", model.concentration_unit)  # assay concentrations are nM
    params = {"drug_conc": to_model * np.concatenate([[0.0], np.tile(conc, n_d)])}
    params["drug_fu"] = np.concatenate([[1.0], np.repeat([d.fraction_unbound for d in ds], n_c)])
    per_drug = [potency_parameters(model, d, lib) for d in ds]
    for key in per_drug[0]:
        values = [p[key] for p in per_drug]
        params[key] = np.concatenate([[values[0]], np.repeat(values, n_c)])
    return assay_inhibition(drugged, params, assay, rtol=rtol).reshape(n_d, n_c)


def assay_inhibition(
    drugged: Model, params: dict[str, np.ndarray], assay: PathwayAssay, *, rtol: float = 1e-6
) -> np.ndarray:
    """Run the whole-blood assay on a drug-carrying model, one member per parameter set.

    Member 0 is the drug-free control (``drug_conc`` 0); the others get ``params`` (model
    units). Returns the inhibition of members 1.. relative to the control, shape (n - 1,):
    ``1 - (R(t_read) - R(0)) / (R_control(t_read) - R_control(0))``.
    """
    from ..simulation import Change, Protocol, simulate_ensemble

    to_model = convert(1.0, "nM", drugged.concentration_unit)
    t_read = assay.read_time * _time_factor(drugged)
    res = simulate_ensemble(
        drugged,
        np.array([0.0, t_read]),
        params=params,
        protocol=Protocol((Change(0.0, assay.cytokine, "set", assay.stimulus * to_model),)),
        outputs=[assay.readout],
        preequilibrate=True,
        rtol=rtol,
    )
    if res.n_failed:
        raise SimulationError(f"{assay.pathway}: {res.n_failed} assay member(s) failed: "
                              f"{sorted(set(res.messages))[:3]}")  # fmt: skip
    y = res[assay.readout]
    signal = y[:, 1] - y[:, 0]
    if not signal[0] > 0:
        raise PharmacologyError(f"{assay.pathway}: no {assay.readout} response to {assay.cytokine}")
    return 1.0 - signal[1:] / signal[0]


#: Inhibition is clipped to [_EDGE, 1 - _EDGE] before taking its logit (0 and 1 have none).
_EDGE = 1e-9


def inhibition_at(response: DoseResponse, drug: str, c_total: np.ndarray) -> np.ndarray:
    """Inhibition at concentrations ``c_total`` (nM), interpolated between the simulated
    concentrations linearly in logit(inhibition) vs log(concentration).

    A Hill curve is a straight line in those coordinates, so the interpolant is exact for
    any Hill slope and smooth for the simulated curves (linear interpolation of the fraction
    itself kinks at every grid point, visible in 24-h time courses at 5 points per decade).
    Outside the simulated range the end values are used (the series should span from no
    effect to full effect).
    """
    i = response.drugs.index(drug)
    x = np.log10(np.maximum(response.concentrations, 1e-12))
    c = np.log10(np.maximum(np.asarray(c_total, dtype=float), 1e-12))
    y = np.clip(response.inhibition[i], _EDGE, 1.0 - _EDGE)
    logit = np.interp(c, x, np.log(y / (1.0 - y)))
    return 1.0 / (1.0 + np.exp(-logit))


# -- clinical exposure ---------------------------------------------------------------------
def parent_equivalent(drug: Drug, concentrations: dict[str, np.ndarray]) -> np.ndarray:
    """Total parent concentration (nM) with the same kinase occupancy as parent + metabolites.

    Occupancy is competitive over ligands (:func:`.apply.with_drug`): the load on each JAK is
    ``sum_i fu_i C_i / K_i``. A metabolite with the same relative potency ``r`` on every JAK
    (``K_m = r K_parent``) adds ``(fu_m / fu_p) C_m / r`` to the parent's total concentration
    exactly, on every pathway; per-JAK differing factors have no single equivalent and are
    refused (simulate the ligands with ``with_drug`` instead).
    """
    c = np.asarray(concentrations[drug.id], dtype=float).copy()
    for mid, met in drug.metabolites.items():
        factors = {q.value for q in met.potency_relative.values()}
        if len(factors) != 1:
            raise PharmacologyError(
                f"metabolite {mid!r} of {drug.id} has per-JAK potency factors {sorted(factors)}: "
                "no single parent-equivalent concentration; simulate parent and metabolite as "
                "ligands (with_drug) instead"
            )
        (r,) = factors
        c = c + met.fraction_unbound / drug.fraction_unbound * concentrations[mid] / r
    return c


def daily_inhibition(
    response: DoseResponse,
    drug: str,
    regimen: str,
    *,
    library: DrugLibrary | None = None,
    hours: float = 24.0,
    points_per_hour: int = 20,
) -> dict[str, float | np.ndarray]:
    """Inhibition over ``hours`` at steady state, as the ex vivo assay of blood drawn hourly.

    Active metabolites (filgotinib's GS-829845) circulate with the parent and compete for the
    same kinases; the parent's simulated concentration-response is read at the
    :func:`parent_equivalent` concentration of parent + metabolites.

    Returns
    -------
    dict
        ``t`` (h), ``c`` (nM total parent), ``c_equivalent`` (nM parent-equivalent),
        ``inhibition`` (fraction) arrays, and scalars ``mean_inhibition``, ``hours_above_50``,
        ``hours_above_90``.
    """
    from .pk import ligand_concentrations

    lib = library or load_library()
    d = lib.get(drug)
    t = np.linspace(0.0, hours, int(hours * points_per_hour) + 1)
    conc = ligand_concentrations(d, d.regimen(regimen), t, steady_state=True)
    c_eq = parent_equivalent(d, conc)
    inh = inhibition_at(response, d.id, c_eq)
    dt = t[1] - t[0]
    # time above a threshold: fraction of grid intervals whose midpoint is above it
    mid = 0.5 * (inh[1:] + inh[:-1])
    return {
        "t": t,
        "c": conc[d.id],
        "c_equivalent": c_eq,
        "inhibition": inh,
        "mean_inhibition": float(np.trapezoid(inh, t) / hours),
        "hours_above_50": float(np.sum(mid > 0.5) * dt),
        "hours_above_90": float(np.sum(mid > 0.9) * dt),
    }
