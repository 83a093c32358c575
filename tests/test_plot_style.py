"""Figure styles (``jaksim/plot/style.py``): the Okabe-Ito palette everywhere, the large-type
"slide" style, and ``--style slide`` on the commands that draw figures."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib as mpl
import pytest

import jaksim
from jaksim.cli.main import main
from jaksim.plot.network import draw_network
from jaksim.plot.style import OKABE_ITO, STYLES, figure_style, scale, style_rc

PLOT = Path(jaksim.__file__).parent / "plot"


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_slide_style_sets_palette_fonts_and_lines_then_restores():
    before = dict(mpl.rcParams)
    with figure_style("slide"):
        assert mpl.rcParams["font.size"] >= 18
        assert mpl.rcParams["axes.titlesize"] >= 18 and mpl.rcParams["axes.labelsize"] >= 18
        assert mpl.rcParams["xtick.labelsize"] >= 16 and mpl.rcParams["legend.fontsize"] >= 14
        assert mpl.rcParams["lines.linewidth"] >= 2.5
        colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colours[:8] == list(OKABE_ITO)
        assert scale() > 1.2  # fixed-size figures grow for the large type
    assert mpl.rcParams["font.size"] == before["font.size"]
    assert mpl.rcParams["axes.prop_cycle"] == before["axes.prop_cycle"]
    with figure_style("default"):
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][:8] == list(OKABE_ITO)
        assert mpl.rcParams["font.size"] == before["font.size"]
    assert set(STYLES) == {"default", "slide"}
    with pytest.raises(ValueError, match="unknown figure style"):
        style_rc("poster")


def test_okabe_ito_has_no_red_green_pair():
    # the palette itself: 8 distinct colours, none of matplotlib's tab10 red (#d62728) and
    # green (#2ca02c), whose pair is the classic deuteranopia confusion
    assert len(set(OKABE_ITO)) == 8
    assert not {"#d62728", "#2ca02c"} & {c.lower() for c in OKABE_ITO}


def test_plot_modules_use_no_unsafe_colours():
    """Audit: no rainbow/diverging red-green maps and no named tab:/C<n> colours (which follow
    the caller's cycle, tab10 by default) in the plot modules."""
    unsafe = re.compile(r"""["'](jet|rainbow|hsv|RdYlGn|RdGn|PiYG|tab:\w+|C\d)["']""")
    bad = []
    for path in sorted(PLOT.glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if unsafe.search(line):
                bad.append(f"{path.name}:{n}: {line.strip()}")
    assert not bad, "\n".join(bad)


def test_network_text_grows_with_the_slide_style():
    model = jaksim.load_model("il6")

    def sizes(fig):
        ax = fig.axes[0]
        species = [t.get_fontsize() for t in ax.texts if t.get_text() == "STAT3"]
        return species[0], ax.get_legend().get_texts()[0].get_fontsize(), fig.get_size_inches()

    small, legend_small, inches_small = sizes(draw_network(model))
    with figure_style("slide"):
        big, legend_big, inches_big = sizes(draw_network(model))
    assert small >= 10 and big >= 18 and legend_big > legend_small
    assert inches_big[0] > inches_small[0]  # slots widen with the names at the larger size
    fig = draw_network(model)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("modifier" in s for s in labels) and any("product" in s for s in labels)


def test_info_graph_with_slide_style(tmp_path, capsys):
    plain, slide = tmp_path / "net.png", tmp_path / "net_slide.png"
    assert main(["info", "ifng", "--graph", str(plain)]) == 0
    assert main(["info", "ifng", "--graph", str(slide), "--style", "slide"]) == 0
    assert "network graph written" in capsys.readouterr().out
    (w0, _), (w1, h1) = _png_size(plain), _png_size(slide)
    assert w0 > 1600 and w1 > w0 and h1 > 0  # projector width at least; larger with slide
    assert mpl.rcParams["font.size"] == 10  # the command's style did not leak


def test_simulate_and_plot_with_slide_style(tmp_path):
    fig = tmp_path / "sim.png"
    argv = ["simulate", "il6", "--t-end", "600", "--points", "11", "--plot", str(fig)]
    assert main([*argv, "--style", "slide"]) == 0
    assert fig.stat().st_size > 0 and _png_size(fig)[0] > 0

    toml = tmp_path / "dr.toml"
    toml.write_text(
        '[experiment]\nname = "dr"\n[model]\nref = "il6"\n[time]\nend = "5 min"\npoints = 6\n'
        '[protocol]\npreequilibrate = false\n[[protocol.stimulus]]\nspecies = "IL6"\n'
        'concentration = "1 nM"\n[[readouts]]\nobservable = "pSTAT3_total"\n'
        'metrics = ["peak"]\n[sweep]\n[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\n'
        'low = 0.001\nhigh = 10\nscale = "log"\npoints = 5\nunit = "nM"\n',
        encoding="utf-8",
    )
    res = tmp_path / "res"
    assert main(["run", str(toml), "--out", str(res), "--quiet"]) == 0
    out = tmp_path / "dr.png"
    assert main(["plot", str(res), "--out", str(out), "--style", "slide"]) == 0
    assert out.stat().st_size > 0 and _png_size(out)[0] > 0
    with pytest.raises(SystemExit):  # argparse refuses an unknown style
        main(["plot", str(res), "--out", str(out), "--style", "poster"])


def test_selectivity_figure_with_slide_style(tmp_path):
    """The demo's figure code under the slide style (the full `jaksim demo selectivity
    --style slide` run is in the slow set below)."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from jaksim.plot.selectivity import selectivity_figure

    drugs, pathways = ["upadacitinib", "tofacitinib"], ["il13_type2", "epo"]
    potency = {"upadacitinib": {"JAK1": 40, "JAK2": 2400, "JAK3": 5000, "TYK2": 1e9},
               "tofacitinib": {"JAK1": 50, "JAK2": 300, "JAK3": 30, "TYK2": 2000}}  # fmt: skip
    daily = pd.DataFrame([{"drug": d, "regimen": "x", "pathway": p, "mean_inhibition": 0.3}
                          for d in drugs for p in pathways])  # fmt: skip
    t = np.linspace(0, 24, 25)
    courses = pd.DataFrame([{"drug": d, "regimen": "x", "pathway": p, "time_h": h,
                             "inhibition": 0.5}
                            for d in drugs for p in pathways for h in t])  # fmt: skip
    conc = np.geomspace(1, 1e5, 11)
    curve = conc / (conc + 300)
    responses = {p: SimpleNamespace(drugs=tuple(drugs), concentrations=conc,
                                    inhibition=np.vstack([curve, curve]))
                 for p in pathways}  # fmt: skip
    sizes = []
    for style in ("default", "slide"):
        out = tmp_path / f"sel_{style}.png"
        with figure_style(style):
            selectivity_figure(potency=potency, daily=daily, courses=courses,
                               responses=responses, path=out)  # fmt: skip
        sizes.append(_png_size(out))
    assert sizes[1][0] > sizes[0][0] > 0  # the slide figure is grown for its type


@pytest.mark.slow
def test_demo_selectivity_with_slide_style(tmp_path):
    out = tmp_path / "sel.png"
    assert main(["demo", "selectivity", "--out", str(out), "--style", "slide"]) == 0
    assert out.stat().st_size > 10_000 and _png_size(out)[0] > 1900
