"""Pharmacology experiment kinds: ``ic50_assay``, ``clinical_regimen``, ``selectivity``.

Each kind has its own table (named after the kind) and writes CSV tables plus a figure into
the output directory. The simulation work is in :mod:`jaksim.pharmacology.panel`; this module
only validates, converts units and writes files. See docs/pharmacology.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..pharmacology.apply import DEFAULT_EXCHANGE, EXCHANGE
from ..spec.errors import ConfigError, JaksimError, did_you_mean
from ..spec.units import convert
from .config import Concentration, Quantity, Time
from .kinds import register_kind

__all__ = ["IC50Section", "ClinicalSection", "SelectivitySection", "Uncertainty"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DoseRange(_Closed):
    """Concentration series: ``points`` log-spaced from ``low`` to ``high`` (total drug)."""

    low: Concentration = Quantity(0.01, "nM")
    high: Concentration = Quantity(1e5, "nM")
    points: int = Field(25, ge=4)

    def values_nM(self) -> np.ndarray:
        lo = convert(self.low.value, self.low.unit, "nM")
        hi = convert(self.high.value, self.high.unit, "nM")
        if not 0 < lo < hi:
            raise ValueError(f"need 0 < low < high, got {self.low} .. {self.high}")
        return np.logspace(np.log10(lo), np.log10(hi), self.points)


class RegimenRef(_Closed):
    drug: str
    regimen: str


class Uncertainty(_Closed):
    """``uncertainty = { samples = 40, seed = 1 }``: draw that many drug-parameter sets
    (potency inputs and PK; :mod:`jaksim.pharmacology.uncertainty`) and report medians with
    90 % intervals beside the nominal values."""

    samples: int = Field(ge=5, le=2000)
    seed: int = 0
    pk: bool = True


class _Panel(_Closed):
    """Common keys: pathways, stimulation and the concentration series."""

    pathways: list[str] = Field(min_length=1)
    stimulus: Concentration = Quantity(1.0, "nM")
    stimulus_by_pathway: dict[str, Concentration] = {}
    read_time: Time = Quantity(15.0, "min")
    concentrations: DoseRange = DoseRange()
    # which catalytic steps a bound drug blocks (jaksim.pharmacology.apply.with_drug)
    exchange: str = DEFAULT_EXCHANGE
    uncertainty: Uncertainty | None = None

    @field_validator("exchange")
    @classmethod
    def _known_exchange(cls, value: str) -> str:
        if value not in EXCHANGE:
            raise ValueError(f"expected one of {sorted(EXCHANGE)}, got {value!r}")
        return value

    @model_validator(mode="after")
    def _known_overrides(self):
        unknown = sorted(set(self.stimulus_by_pathway) - set(self.pathways))
        if unknown:
            raise ValueError(f"stimulus_by_pathway names pathways not in 'pathways': {unknown}")
        return self


class IC50Section(_Panel):
    """``[ic50_assay]``: drugs x pathways whole-blood IC50s."""

    drugs: list[str] = Field(min_length=1)


class ClinicalSection(_Panel):
    """``[clinical_regimen]``: inhibition over 24 h at steady state per regimen."""

    regimens: list[RegimenRef] = Field(min_length=1)


class SelectivitySection(ClinicalSection):
    """``[selectivity]``: efficacy vs safety pathway sets per regimen (+ the demo figure)."""

    efficacy: list[str] = Field(min_length=1)
    safety: dict[str, list[str]] = Field(min_length=1)
    timecourse_pathways: list[str] = []
    timecourse_regimens: list[RegimenRef] = []
    curve_pathways: list[str] = []

    @model_validator(mode="after")
    def _subsets(self):
        used = [*self.efficacy, *(p for ps in self.safety.values() for p in ps),
                *self.timecourse_pathways, *self.curve_pathways]  # fmt: skip
        missing = sorted(set(used) - set(self.pathways))
        if missing:
            raise ValueError(f"pathways {missing} are used but not listed in 'pathways'")
        return self


# -- shared ---------------------------------------------------------------------------------
def _check_names(loaded, section: _Panel, drugs: list[str]) -> None:
    """Drug and regimen names against the library, pathways against the shipped models."""
    from ..io.registry import list_models
    from ..pharmacology import load_library

    lib = load_library()
    field = loaded.kind
    for name in drugs:
        try:
            lib.get(name)
        except JaksimError as err:
            raise ConfigError(err.message, file=loaded.file, field=f"{field}.drugs") from None
    for ref in getattr(section, "regimens", []) + getattr(section, "timecourse_regimens", []):
        try:
            lib.get(ref.drug).regimen(ref.regimen)
        except JaksimError as err:
            raise ConfigError(err.message, file=loaded.file, field=f"{field}.regimens") from None
    known = [row[0] for row in list_models()]
    for p in section.pathways:
        if p not in known:
            raise ConfigError(
                f"unknown pathway model {p!r}{did_you_mean(p, known)}",
                file=loaded.file,
                field=f"{field}.pathways",
            )


def _panel(section: _Panel, drugs: list[str], library=None):
    from ..pharmacology.panel import run_panel

    return run_panel(
        section.pathways,
        drugs,
        section.concentrations.values_nM(),
        library=library,
        stimulus=convert(section.stimulus.value, section.stimulus.unit, "nM"),
        stimulus_by_pathway={
            k: convert(v.value, v.unit, "nM") for k, v in section.stimulus_by_pathway.items()
        },
        read_time=convert(section.read_time.value, section.read_time.unit, "min"),
        exchange=section.exchange,
    )


def _regimens(section: ClinicalSection) -> list[tuple[str, str]]:
    return [(r.drug, r.regimen) for r in section.regimens]


def _out_dir(loaded, opts) -> Path:
    from .store import store_state

    out = loaded.output_dir(opts.out)
    # the folder of an earlier run of a pharmacology kind holds its experiment.toml; any other
    # non-empty folder is the user's and is not written into
    if store_state(out) == "foreign" and not (out / "experiment.toml").is_file():
        raise ConfigError(
            "is not empty and holds no jaksim results; jaksim never writes into such a "
            "folder: choose another --out or [experiment] output",
            file=str(out),
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "experiment.toml").write_text(loaded.text)
    return out


def _dose_response_frame(responses):
    import pandas as pd

    return pd.concat(
        [
            pd.DataFrame(
                {
                    "drug": np.repeat(r.drugs, r.concentrations.size),
                    "pathway": name,
                    "conc_nM": np.tile(r.concentrations, len(r.drugs)),
                    "inhibition": r.inhibition.ravel(),
                }
            )
            for name, r in responses.items()
        ],
        ignore_index=True,
    )


def _sampled(sec: _Panel, drugs: list[str]):
    from ..pharmacology import load_library
    from ..pharmacology.uncertainty import sampled_library

    u = sec.uncertainty
    return sampled_library(load_library(), sorted(set(drugs)), u.samples, seed=u.seed, pk=u.pk)


def _with_intervals(sec: ClinicalSection, regs: list[tuple[str, str]], daily):
    """``daily`` plus median / 5th / 95th percentile of the mean daily inhibition over the
    sampled drug-parameter sets, when the section asks for ``uncertainty``."""
    if not sec.uncertainty:
        return daily
    from ..pharmacology.panel import daily_table
    from ..pharmacology.uncertainty import summarize

    lib_s, ids = _sampled(sec, [d for d, _ in regs])
    responses = _panel(sec, [i for v in ids.values() for i in v], lib_s)
    regs_s = [(sid, r) for d, r in regs for sid in ids[lib_s.get(d).id]]
    sampled = daily_table(responses, regs_s, library=lib_s)
    keys = ["drug", "regimen", "pathway"]
    return daily.merge(summarize(sampled, "mean_inhibition", keys), on=keys, how="left")


# -- kinds ----------------------------------------------------------------------------------
def run_ic50(loaded, opts) -> Path:
    """Whole-blood IC50 per drug x pathway: ic50.csv, dose_response.csv, ic50_heatmap.png."""
    from ..pharmacology.panel import ic50_table
    from ..plot.selectivity import ic50_heatmap

    sec: IC50Section = loaded.section
    out = _out_dir(loaded, opts)
    responses = _panel(sec, sec.drugs)
    table = ic50_table(responses)
    if sec.uncertainty:
        from ..pharmacology.uncertainty import summarize

        lib_s, ids = _sampled(sec, sec.drugs)
        sampled = ic50_table(_panel(sec, [i for v in ids.values() for i in v], lib_s),
                             library=lib_s)  # fmt: skip
        table = table.merge(summarize(sampled, "ic50_nM", ["drug", "pathway"]),
                            on=["drug", "pathway"], how="left")  # fmt: skip
    table.to_csv(out / "ic50.csv", index=False)
    _dose_response_frame(responses).to_csv(out / "dose_response.csv", index=False)
    ic50_heatmap(table, out / "ic50_heatmap.png")
    return out


def run_clinical(loaded, opts) -> Path:
    """Daily inhibition per regimen x pathway: daily_inhibition.csv, time_courses.csv."""
    from ..pharmacology.panel import daily_table, time_course_table
    from ..plot.selectivity import daily_heatmap

    sec: ClinicalSection = loaded.section
    out = _out_dir(loaded, opts)
    regs = _regimens(sec)
    responses = _panel(sec, sorted({d for d, _ in regs}))
    daily = _with_intervals(sec, regs, daily_table(responses, regs))
    daily.to_csv(out / "daily_inhibition.csv", index=False)
    time_course_table(responses, regs).to_csv(out / "time_courses.csv", index=False)
    daily_heatmap(daily, out / "daily_inhibition.png")
    return out


def run_selectivity(loaded, opts) -> Path:
    """Selectivity index per regimen (selectivity.csv) and the classroom figure."""
    from ..pharmacology import load_library
    from ..pharmacology.panel import daily_table, selectivity_table, time_course_table
    from ..pharmacology.potency import potency_table
    from ..plot.selectivity import selectivity_figure

    sec: SelectivitySection = loaded.section
    out = _out_dir(loaded, opts)
    regs = _regimens(sec)
    tc_regs = [(r.drug, r.regimen) for r in sec.timecourse_regimens] or regs
    drugs = sorted({d for d, _ in regs + tc_regs})
    responses = _panel(sec, drugs)
    daily = _with_intervals(sec, regs, daily_table(responses, regs))
    sel = selectivity_table(daily, sec.efficacy, sec.safety)
    daily.to_csv(out / "daily_inhibition.csv", index=False)
    sel.to_csv(out / "selectivity.csv", index=False)
    tc_paths = {p: responses[p] for p in sec.timecourse_pathways or sec.pathways[:2]}
    courses = time_course_table(tc_paths, tc_regs)
    courses.to_csv(out / "time_courses.csv", index=False)
    lib = load_library()
    figure = out / "selectivity.png"
    selectivity_figure(
        potency=potency_table(lib, [d for d in drugs if lib.get(d).mechanism != "receptor_block"]),
        daily=daily,
        courses=courses,
        responses={p: responses[p] for p in sec.curve_pathways or sec.pathways[:2]},
        path=figure,
    )
    (out / "summary.json").write_text(json.dumps({"figure": str(figure)}, indent=1))
    return out


def check_panel(loaded) -> None:
    """``jaksim check``: drug, regimen and pathway names exist."""
    sec = loaded.section
    refs = getattr(sec, "regimens", []) + getattr(sec, "timecourse_regimens", [])
    _check_names(loaded, sec, getattr(sec, "drugs", None) or [r.drug for r in refs])


register_kind("ic50_assay", IC50Section, run_ic50, check=check_panel)
register_kind("clinical_regimen", ClinicalSection, run_clinical, check=check_panel)
register_kind("selectivity", SelectivitySection, run_selectivity, check=check_panel)
