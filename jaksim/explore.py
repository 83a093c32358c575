"""``jaksim explore``: a live Bokeh app for the teacher's laptop.

Unlike the static classroom page (precomputed curves), this app re-simulates: change the
biology (receptor level, SOCS1 knocked out, a JAK knocked out), the drug's per-JAK potencies
(what-if drug), the regimen, dose and missed doses, and the whole-blood assay runs again on the
pathway models. Models are compiled once at start-up ("warm kernels"); every change is a change
of parameter or initial values, which never recompiles, so an update costs one small ensemble
per pathway (~0.1-0.5 s warm).

Sits at the level of ``cli`` (it simulates and draws); the numerics are plain functions
(:func:`signals`, :func:`week_course`) that the tests check without a browser, and
:func:`make_document` builds the Bokeh document (``bokeh`` is an optional dependency:
``pip install bokeh``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .io.registry import load_model
from .pharmacology.apply import with_drug
from .pharmacology.assays import DoseResponse, inhibition_at, pathway_assay
from .pharmacology.classroom import LABELS, missed_dose_profile
from .pharmacology.library import JAKS, DrugLibrary, load_library
from .pharmacology.potency import potency_table
from .plot.style import OKABE_ITO
from .simulation import Change, Protocol, simulate_ensemble
from .spec.model import Model
from .spec.units import convert

__all__ = [
    "Biology",
    "variant",
    "signals",
    "week_course",
    "make_document",
    "start_server",
    "EXPLORE_PATHWAYS",
]

#: Pathways the app shows: two wanted (skin), one blood-forming, one gamma-c, IL-6.
EXPLORE_PATHWAYS = ("il13_type2", "il31", "epo", "il7", "il6")
CONC = np.concatenate([[0.0], np.geomspace(0.1, 1e6, 29)])  # nM total; member 0: no drug


@dataclass(frozen=True)
class Biology:
    """What is changed in the cells: receptor chains x ``receptor``, SOCS1 transcription off,
    one JAK protein absent (``jak_ko``, "" = none)."""

    receptor: float = 1.0
    socs1_ko: bool = False
    jak_ko: str = ""


def variant(model: Model, bio: Biology) -> Model:
    """``model`` with ``bio`` applied as parameter / initial values (structure unchanged, so
    the compiled kernels are reused).

    * receptor level: every ``Rtot_*`` (total receptor chain) times ``bio.receptor``;
    * SOCS1 knockout: every ``Vmax_SOCS1_*`` (pSTAT-driven SOCS1 transcription) = 0, as in
      Yamada 2003's SOCS1-deficient model (``ifng_socs1_ko``);
    * JAK knockout: the JAK's free pool starts at 0: without the protein the receptor chain it
      carries cannot reach the surface complex (scaffold role included), unlike a kinase
      inhibitor, which leaves the protein in place.
    """
    params = {}
    for p in model.parameters:
        if p.id.startswith("Rtot_"):
            params[p.id] = p.value * bio.receptor
        if bio.socs1_ko and p.id.startswith("Vmax_SOCS1_"):
            params[p.id] = 0.0
    out = model.with_parameters(**params) if params else model
    if bio.jak_ko:
        if bio.jak_ko not in JAKS:
            raise ValueError(f"unknown JAK {bio.jak_ko!r}; expected one of {JAKS}")
        if any(s.id == bio.jak_ko for s in model.species):
            out = out.with_initial(**{bio.jak_ko: 0.0})
    return out


@lru_cache(maxsize=64)
def _pathway(name: str) -> tuple[Model, object]:
    """The shipped model and its assay, parsed once: parsing the TOML files was two thirds
    of an update's time (Models are frozen, so sharing one between sessions is safe)."""
    model = load_model(name)
    return model, pathway_assay(model)


def signals(
    pathway: str,
    drug: str,
    bio: Biology,
    *,
    library: DrugLibrary | None = None,
    conc: np.ndarray = CONC,
) -> dict:
    """Whole-blood assay of ``pathway`` with ``drug`` at ``conc`` (nM, first entry 0) in cells
    changed by ``bio``.

    Returns
    -------
    dict
        ``signal`` (n_conc,): pSTAT increase at the read time, as a fraction of the unchanged
        (wild-type) cells without drug; ``response``: a :class:`DoseResponse` of inhibition
        relative to the *same* cells without drug (all zeros when they do not signal at all:
        nothing left to inhibit), for :func:`.assays.inhibition_at`.
    """
    lib = library or load_library()
    model, assay = _pathway(pathway)
    t_read = convert(assay.read_time, "min", model.time_unit)
    stim = convert(assay.stimulus, "nM", model.concentration_unit)
    proto = Protocol((Change(0.0, assay.cytokine, "set", stim),))

    def run(m: Model, c: np.ndarray) -> np.ndarray:
        drugged = with_drug(m, drug, library=lib)
        c = c * convert(1.0, "nM", m.concentration_unit)
        res = simulate_ensemble(
            drugged,
            np.array([0.0, t_read]),
            params={"drug_conc": c},
            protocol=proto,
            outputs=[assay.readout],
            preequilibrate=True,
        )
        y = res[assay.readout]
        return y[:, 1] - y[:, 0]

    wild = run(model, np.array([0.0]))[0]
    sig = run(variant(model, bio), np.asarray(conc, dtype=float)) / wild
    base = sig[0]
    inh = 1.0 - sig[1:] / base if base > 1e-6 else np.zeros(sig.size - 1)
    d = lib.get(drug).id
    resp = DoseResponse(assay, (d,), np.asarray(conc[1:]), inh[None, :])
    return {"signal": sig, "response": resp, "assay": assay}


def week_course(
    response: DoseResponse,
    library: DrugLibrary,
    drug: str,
    regimen: str,
    dose: float,
    missed: list[int],
    *,
    days: int = 7,
    points_per_hour: int = 4,
) -> dict[str, np.ndarray]:
    """Drug level (nM parent-equivalent) and inhibition over ``days`` from the first dose,
    with the doses numbered ``missed`` (0 = first) not taken."""
    t = np.linspace(0.0, 24.0 * days, 24 * days * points_per_hour + 1)
    c = missed_dose_profile(library, drug, regimen, t, missed, dose=dose)
    return {"t": t, "c": c, "inhibition": inhibition_at(response, library.get(drug).id, c)}


# -- the Bokeh document ---------------------------------------------------------------------
_OKABE_ITO = OKABE_ITO[:7]  # no yellow: faint on white
WHATIF = "what-if drug"


def make_document(doc, pathways=EXPLORE_PATHWAYS, library: DrugLibrary | None = None) -> None:
    """Build the app into the Bokeh document ``doc`` (``bokeh serve`` calls this per session).

    The widgets' callbacks recompute with :func:`signals` / :func:`week_course` and replace
    the data of the plots' ``ColumnDataSource``s.
    """
    from bokeh.layouts import column, row
    from bokeh.models import (
        CheckboxGroup,
        ColumnDataSource,
        Div,
        Select,
        Slider,
    )
    from bokeh.plotting import figure

    base_lib = library or load_library()
    drugs = [d.id for d in base_lib.drugs.values() if d.mechanism != "receptor_block"]
    k0 = potency_table(base_lib, drugs)
    font = "16pt"

    # name / css_classes: handles for the browser test (Bokeh.documents[0].get_model_by_name
    # and CSS selectors that reach into the widgets' shadow DOM)
    drug_sel = Select(title="Drug", value="upadacitinib", options=drugs, width=220, name="drug",
                      css_classes=["jaksim-drug"])  # fmt: skip
    reg_sel = Select(title="Regimen", width=180, name="regimen", css_classes=["jaksim-regimen"])
    dose = Slider(title="Dose (mg)", start=0.0, end=30.0, step=0.5, value=15.0, width=300,
                  name="dose", css_classes=["jaksim-dose"])  # fmt: skip
    missed = CheckboxGroup(
        labels=[f"miss dose {i + 1}" for i in range(7)], active=[], inline=True, width=420
    )
    receptor = Slider(
        title="Receptor level (x normal, log10)",
        start=-1.0,
        end=1.0,
        step=0.1,
        value=0.0,
        width=300,
    )
    socs1 = CheckboxGroup(labels=["SOCS1 knocked out"], active=[])
    jak_ko = Select(
        title="JAK knocked out (no protein)",
        value="none",
        options=["none", *JAKS],
        width=220,
        name="jak_ko",
        css_classes=["jaksim-jak-ko"],
    )
    whatif = CheckboxGroup(labels=[f"{WHATIF}: use the potencies below"], active=[])
    pot = {
        j: Slider(title=f"{j} K (nM, log10)", start=0.0, end=6.0, step=0.05, value=2.0, width=260)
        for j in JAKS
    }
    status = Div(text="", styles={"font-size": "14pt"}, name="status",
                 css_classes=["jaksim-status"])  # fmt: skip

    names = [LABELS.get(p, p) for p in pathways]
    colours = {p: _OKABE_ITO[i % len(_OKABE_ITO)] for i, p in enumerate(pathways)}
    dr_src = {p: ColumnDataSource({"c": [], "y": []}) for p in pathways}
    wk_src = {p: ColumnDataSource({"t": [], "y": []}) for p in pathways}
    bar_src = ColumnDataSource(
        {"name": names, "none": [0.0] * len(names), "drug": [0.0] * len(names)}, name="bars"
    )

    f_dr = figure(
        title="Dose-response in blood (these cells)",
        x_axis_type="log",
        x_axis_label="drug in blood (nM total)",
        y_axis_label="% of signal blocked",
        width=540,
        height=400,
        y_range=(0, 100),
    )
    f_wk = figure(
        title="One week of dosing",
        x_axis_label="hours from the first dose",
        y_axis_label="% of signal blocked",
        width=1080,
        height=360,
        y_range=(0, 100),
    )
    f_bar = figure(
        title="Signal, % of normal cells without drug",
        y_range=names[::-1],
        width=540,
        height=400,
        x_axis_label="% of normal",
    )
    for p, name in zip(pathways, names, strict=True):
        f_dr.line("c", "y", source=dr_src[p], color=colours[p], line_width=3, legend_label=name)
        f_wk.line("t", "y", source=wk_src[p], color=colours[p], line_width=3, legend_label=name)
    f_bar.hbar(
        y="name", right="none", height=0.35, source=bar_src, color="#999999", legend_label="no drug"
    )
    f_bar.hbar(
        y="name",
        right="drug",
        height=0.25,
        source=bar_src,
        color="#0072B2",
        legend_label="with drug",
    )
    for f in (f_dr, f_wk, f_bar):
        f.title.text_font_size = font
        f.axis.axis_label_text_font_size = "14pt"
        f.axis.major_label_text_font_size = "13pt"
        f.legend.label_text_font_size = "12pt"
    f_wk.legend.location = "top_left"
    # the bars run the full width: a legend inside would cover them
    f_bar.legend.orientation = "horizontal"
    f_bar.add_layout(f_bar.legend[0], "below")

    def library_now() -> tuple[DrugLibrary, str]:
        d = drug_sel.value
        if whatif.active:
            ks = {j: 10.0 ** pot[j].value for j in JAKS}
            return base_lib.with_cellular(d, ks, WHATIF + " (explore app)"), d
        return base_lib, d

    busy = []  # non-empty while a handler sets other widgets: their callbacks wait

    def set_drug():
        d = base_lib.get(drug_sel.value)
        busy.append(1)
        reg_sel.options = list(d.regimens)
        reg_sel.value = next(iter(d.regimens))
        dose_range()
        for j in JAKS:  # what-if sliders start at the chosen drug's potencies
            pot[j].value = float(np.clip(np.log10(k0[d.id][j]), 0.0, 6.0))
        busy.pop()
        recompute()

    def dose_range():
        drug = base_lib.get(drug_sel.value)
        dose.end = 2.0 * max(r.dose for r in drug.regimens.values())
        dose.step = dose.end / 120.0
        dose.value = drug.regimen(reg_sel.value).dose

    def set_regimen():
        busy.append(1)
        dose_range()
        busy.pop()
        redose()

    sims: dict[str, dict] = {}  # last simulation per pathway: the week view reuses it

    def recompute():
        """Biology, drug or potencies changed: re-run the assay on every pathway."""
        lib, d = library_now()
        bio = Biology(
            receptor=10.0**receptor.value,
            socs1_ko=bool(socs1.active),
            jak_ko="" if jak_ko.value == "none" else jak_ko.value,
        )
        for p in pathways:
            sims[p] = signals(p, d, bio, library=lib)
            resp = sims[p]["response"]
            dr_src[p].data = {"c": list(resp.concentrations), "y": list(100 * resp.inhibition[0])}
        gone = [LABELS.get(p, p) for p in pathways if sims[p]["signal"][0] < 1e-6]
        status.text = (
            "No signal at all (nothing for the drug to block): " + ", ".join(gone) if gone else ""
        )
        redose()

    def redose():
        """Dose, regimen or missed doses changed: PK only, no simulation."""
        lib, d = library_now()
        bars_none, bars_drug = [], []
        for p in pathways:
            s = sims[p]
            wk = week_course(
                s["response"], lib, d, reg_sel.value, dose.value, sorted(missed.active)
            )
            wk_src[p].data = {"t": list(wk["t"]), "y": list(100 * wk["inhibition"])}
            last = wk["t"] >= wk["t"][-1] - 24.0  # the last day of the week
            bars_none.append(100 * s["signal"][0])
            bars_drug.append(100 * s["signal"][0] * (1 - float(np.mean(wk["inhibition"][last]))))
        bar_src.data = {"name": names, "none": bars_none, "drug": bars_drug}

    def on(f):  # Bokeh calls back with (attr, old, new); these handlers read the widgets
        return lambda attr, old, new: None if busy else f()

    drug_sel.on_change("value", on(set_drug))
    reg_sel.on_change("value", on(set_regimen))
    dose.on_change("value", on(redose))
    missed.on_change("active", on(redose))
    for w in (receptor, jak_ko):
        w.on_change("value", on(recompute))
    for w in (socs1, whatif):
        w.on_change("active", on(recompute))
    for k in pot.values():
        k.on_change("value", on(lambda: recompute() if whatif.active else None))

    controls = column(
        Div(text="<h2>Drug</h2>"),
        row(drug_sel, reg_sel),
        dose,
        missed,
        Div(text="<h2>Biology</h2>"),
        receptor,
        socs1,
        jak_ko,
        Div(text="<h2>What-if drug</h2>"),
        whatif,
        *pot.values(),
        status,
    )
    doc.add_root(row(controls, column(row(f_dr, f_bar), f_wk)))
    doc.title = "jaksim explore"
    doc.jaksim = {  # handles for tests and notebooks
        "drug": drug_sel,
        "regimen": reg_sel,
        "dose": dose,
        "missed": missed,
        "receptor": receptor,
        "socs1": socs1,
        "jak_ko": jak_ko,
        "whatif": whatif,
        "K": pot,
        "dose_response": dr_src,
        "week": wk_src,
        "bars": bar_src,
        "status": status,
    }
    set_drug()


def warm(pathways=EXPLORE_PATHWAYS, library: DrugLibrary | None = None) -> None:
    """Compile (or load from the disk cache) every pathway model the app uses, once."""
    lib = library or load_library()
    for p in pathways:
        signals(p, "tofacitinib", Biology(), library=lib, conc=np.array([0.0, 10.0]))


def start_server(
    pathways=EXPLORE_PATHWAYS,
    *,
    port: int = 0,
    library: DrugLibrary | None = None,
) -> tuple[str, Callable[[], None]]:
    """Run the app on 127.0.0.1 in a background thread (its own event loop), for tests,
    benchmarks and notebooks.

    Parameters
    ----------
    port : int
        0: a free port.

    Returns
    -------
    url, stop
        The app's address and a function that stops the server and its thread.
    """
    import asyncio
    import socket
    import threading

    from bokeh.server.server import Server
    from tornado.ioloop import IOLoop

    lib = library or load_library()
    if port == 0:
        with socket.socket() as s:  # a free port now; Bokeh wants a number, not 0
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    ready, box = threading.Event(), {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())  # a thread has no loop of its own
        loop = IOLoop.current()
        try:
            server = Server(
                {"/": lambda doc: make_document(doc, pathways, lib)},
                io_loop=loop,
                address="127.0.0.1",
                port=port,
                allow_websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
            )
            server.start()
            box["server"], box["loop"] = server, loop
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread below
            box["error"] = err
            ready.set()
            return
        ready.set()
        loop.start()
        loop.close(all_fds=True)

    thread = threading.Thread(target=run, name="jaksim-explore", daemon=True)
    thread.start()
    ready.wait(60)
    if "error" in box:
        raise box["error"]

    def stop() -> None:
        loop = box["loop"]
        loop.add_callback(box["server"].stop)
        loop.add_callback(loop.stop)
        thread.join(10)

    return f"http://127.0.0.1:{port}/", stop


def serve(port: int = 5006, show: bool = True, pathways=EXPLORE_PATHWAYS) -> None:
    """Run the app on a local Bokeh server until interrupted."""
    from bokeh.server.server import Server

    lib = load_library()
    warm(pathways, lib)
    server = Server(
        {"/": lambda doc: make_document(doc, pathways, lib)},
        port=port,
        allow_websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}"],
    )
    server.start()
    url = f"http://localhost:{port}/"
    print(f"jaksim explore: {url} (Ctrl-C to stop)")
    if show:
        server.io_loop.add_callback(server.show, "/")
    server.io_loop.start()
