"""Drug x pathway panels: whole-blood IC50 table, daily inhibition at clinical regimens and
the selectivity index. Plain tables (pandas) in and out; used by the experiment kinds and the
``jaksim demo selectivity`` command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..analysis.hill import fit_hill
from .apply import DEFAULT_EXCHANGE
from .assays import DoseResponse, daily_inhibition, pathway_assay, whole_blood_response
from .library import DrugLibrary, load_library
from .pk import steady_state

__all__ = ["run_panel", "ic50_table", "daily_table", "time_course_table", "selectivity_table"]


def run_panel(
    pathways: Iterable[str],
    drugs: Iterable[str],
    concentrations: np.ndarray,
    *,
    stimulus: float = 1.0,
    stimulus_by_pathway: Mapping[str, float] | None = None,
    read_time: float = 15.0,
    library: DrugLibrary | None = None,
    exchange: str = DEFAULT_EXCHANGE,
) -> dict[str, DoseResponse]:
    """Whole-blood dose-response of every drug on every pathway (one ensemble per pathway).

    Parameters
    ----------
    pathways : model names (``jaksim.load_model``)
    concentrations : (n,) total drug concentrations, nM
    stimulus, stimulus_by_pathway : cytokine concentration (nM), default and per pathway
    read_time : min after stimulation
    exchange : "fast" or "slow" drug exchange (:func:`.apply.with_drug`)
    """
    from ..io.registry import load_model

    lib = library or load_library()
    drugs = [lib.get(d).id for d in drugs]
    out = {}
    for name in pathways:
        model = load_model(name)
        stim = (stimulus_by_pathway or {}).get(name, stimulus)
        assay = pathway_assay(model, stimulus=stim, read_time=read_time)
        out[name] = whole_blood_response(
            model, drugs, concentrations, assay=assay, library=lib, exchange=exchange
        )
    return out


def ic50_table(
    responses: Mapping[str, DoseResponse], *, library: DrugLibrary | None = None
) -> pd.DataFrame:
    """One row per drug x pathway: 4-parameter Hill fit of the simulated inhibition.

    ``ic50_nM`` is NaN when the drug never reaches 50 % inhibition in the tested range.
    ``published_ic50_nM`` is the library's published whole-blood value for the same cytokine
    and readout, else for the pathway's JAK-pair class (NaN when none), for comparison only.
    """
    lib = library or load_library()
    rows = []
    for pathway, resp in responses.items():
        for i, drug in enumerate(resp.drugs):
            y = resp.inhibition[i]
            row = {
                "drug": drug,
                "pathway": pathway,
                "cytokine": resp.assay.cytokine,
                "readout": resp.assay.readout,
                "jak_pair": resp.assay.jak_pair,
                "ic50_nM": np.nan,
                "hill": np.nan,
                "r2": np.nan,
                "max_inhibition": float(np.nanmax(y)),
                "published_ic50_nM": _published(lib.get(drug), resp.assay),
            }
            if np.nanmax(y) > 0.5:
                fit = fit_hill(resp.concentrations, y)
                ss_tot = float(np.sum((y - y.mean()) ** 2))
                row.update(ic50_nM=fit.ec50, hill=fit.hill, r2=1.0 - fit.rss / ss_tot)
            rows.append(row)
    return pd.DataFrame(rows)


def _published(drug, assay) -> float:
    readout = assay.readout.removesuffix("_total")
    for p in drug.published:
        if p.cytokine == assay.cytokine and p.readout in ("", readout):
            return p.ic50.value
    for p in drug.published:
        if p.pathway_class and p.pathway_class == assay.jak_pair:
            return p.ic50.value
    return float("nan")


def daily_table(
    responses: Mapping[str, DoseResponse],
    regimens: Iterable[tuple[str, str]],
    *,
    library: DrugLibrary | None = None,
) -> pd.DataFrame:
    """One row per drug x regimen x pathway: inhibition over 24 h at steady state."""
    lib = library or load_library()
    rows = []
    for drug, regimen in regimens:
        d = lib.get(drug)
        ss = steady_state(d, d.regimen(regimen))
        for pathway, resp in responses.items():
            day = daily_inhibition(resp, d.id, regimen, library=lib)
            rows.append(
                {
                    "drug": d.id,
                    "regimen": regimen,
                    "pathway": pathway,
                    "cytokine": resp.assay.cytokine,
                    "readout": resp.assay.readout,
                    "mean_inhibition": day["mean_inhibition"],
                    "hours_above_50": day["hours_above_50"],
                    "hours_above_90": day["hours_above_90"],
                    "cavg_nM": ss.cavg,
                    "cmax_nM": ss.cmax,
                    "cmin_nM": ss.cmin,
                }
            )
    return pd.DataFrame(rows)


def time_course_table(
    responses: Mapping[str, DoseResponse],
    regimens: Iterable[tuple[str, str]],
    *,
    library: DrugLibrary | None = None,
    points_per_hour: int = 12,
) -> pd.DataFrame:
    """Tidy 24-h time courses: drug, regimen, pathway, time_h, conc_nM (parent),
    conc_equivalent_nM (parent + active metabolites, :func:`.assays.parent_equivalent`),
    inhibition."""
    lib = library or load_library()
    frames = []
    for drug, regimen in regimens:
        for pathway, resp in responses.items():
            day = daily_inhibition(
                resp, drug, regimen, library=lib, points_per_hour=points_per_hour
            )
            frames.append(
                pd.DataFrame(
                    {
                        "drug": lib.get(drug).id,
                        "regimen": regimen,
                        "pathway": pathway,
                        "time_h": day["t"],
                        "conc_nM": day["c"],
                        "conc_equivalent_nM": day["c_equivalent"],
                        "inhibition": day["inhibition"],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def selectivity_table(
    daily: pd.DataFrame, efficacy: Iterable[str], safety: Mapping[str, Iterable[str]]
) -> pd.DataFrame:
    """Selectivity per drug x regimen from a :func:`daily_table`.

    Columns ``efficacy_inhibition`` (mean daily inhibition averaged over the efficacy
    pathways), ``<set>_inhibition`` per safety set and ``index_vs_<set>`` =
    efficacy / safety inhibition (> 1: the regimen hits the efficacy pathways harder).
    """
    eff = list(efficacy)
    rows = []
    for (drug, regimen), grp in daily.groupby(["drug", "regimen"], sort=False):
        by_path = grp.set_index("pathway")["mean_inhibition"]
        row = {"drug": drug, "regimen": regimen}
        row["efficacy_inhibition"] = float(by_path.reindex(eff).mean())
        for name, paths in safety.items():
            inh = float(by_path.reindex(list(paths)).mean())
            row[f"{name}_inhibition"] = inh
            # floor the denominator: a set that is not inhibited at all gives a large index
            row[f"index_vs_{name}"] = row["efficacy_inhibition"] / max(inh, 1e-6)
        rows.append(row)
    return pd.DataFrame(rows)
