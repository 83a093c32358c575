"""Classroom explorer benchmark: page size, time to first view, redraw time per control change.

Run: ``python benchmarks/bench_classroom.py [--page selectivity.html] [--screenshot PNG]``.
Without ``--page`` it builds the full default page first (``jaksim classroom``: 7 drugs x 16
pathways x 71 concentrations; about a minute warm, plus model compiles when cold) and reports
that time too. The page is opened from disk in headless Chromium (Debian ``chromium`` through
playwright, network off); times are the page's own ``performance.now()``:

* first view: navigation start to the end of the first full draw (parse, data, all panels);
* redraw: one control change (dose slider step, drug switch), all panels recomputed and
  redrawn, measured inside the page's update function.

Prints the numbers (medians and maxima); asserts nothing. ``--screenshot`` saves the first
view (the README's ``docs/img/classroom.png`` comes from here).

``--explore`` measures the live app (``jaksim explore``, needs bokeh) instead: the Bokeh server
on 127.0.0.1 in this process (``jaksim.explore.start_server``), the page in headless Chromium.

* startup (warm: kernels in the disk cache, as on every start after the first): loading the
  five pathway models' compiled kernels (``warm``), starting the server, and the first view
  (navigation to the first bars, which needs one assay simulation per pathway);
* control-change latency: from the browser event (one dose-slider key press; a drug switch)
  to the new bar data in the page, i.e. websocket round trip + recomputation + redraw data.

Targets: startup < 5 s, a control change < 0.5 s. ``--explore-screenshot PNG`` saves the
first view (``docs/img/explore.png``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(out: Path) -> float:
    t0 = time.perf_counter()
    # from the repository root: `-m` puts it first on sys.path, so this checkout's jaksim runs
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "jaksim", "classroom", "--out", str(out)]
    subprocess.run(cmd, check=True, cwd=root)
    return time.perf_counter() - t0


def measure(page: Path, screenshot: Path | None, runs: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise SystemExit("no chromium on PATH (apt-get install chromium)")
    first, redraw_slider, redraw_drug = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        for run in range(runs):
            ctx = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
            tab = ctx.new_page()
            tab.goto(page.as_uri())
            tab.wait_for_selector("body[data-ready='1']")
            first.append(tab.evaluate("window.jaksimClassroom.firstViewMs"))
            if run == 0 and screenshot:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                # controls and the four chart panels; the tables below are text
                top = tab.evaluate("document.getElementById('p-table').offsetTop")
                clip = {"x": 0, "y": 0, "width": 1400, "height": top}
                tab.screenshot(path=str(screenshot), full_page=True, clip=clip)
            n0 = tab.evaluate("window.jaksimClassroom.redrawTimes.length")
            tab.focus("#dose-A")
            for key in ["ArrowRight"] * 20 + ["ArrowLeft"] * 20:
                tab.keyboard.press(key)
            times = tab.evaluate("window.jaksimClassroom.redrawTimes")
            redraw_slider += times[n0:]
            for drug in ["baricitinib", "ruxolitinib", "abrocitinib", "tofacitinib"] * 3:
                n = tab.evaluate("window.jaksimClassroom.redrawTimes.length")
                tab.select_option("#drug-B", drug)
                redraw_drug += tab.evaluate("window.jaksimClassroom.redrawTimes")[n:]
            ctx.close()
        browser.close()
    return {"first": first, "slider": redraw_slider, "drug": redraw_drug}


BARS = "Array.from(Bokeh.documents[0].get_model_by_name('bars').data.drug)"
CHANGED = f"(b) => {{ const d = {BARS}; return d.some((v, i) => v !== b[i]); }}"
READY = (
    "() => { const d = window.Bokeh && Bokeh.documents[0];"
    " const m = d && d.get_model_by_name('bars'); return m && m.data.drug.some(v => v > 0); }"
)


def measure_explore(screenshot: Path | None, loads: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    from jaksim.explore import start_server, warm
    from jaksim.pharmacology import load_library

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise SystemExit("no chromium on PATH (apt-get install chromium)")
    t0 = time.perf_counter()
    lib = load_library()
    warm(library=lib)
    t_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    url, stop = start_server(library=lib)
    t_server = time.perf_counter() - t0
    first, dose_ms, drug_ms = [], [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
            for load in range(loads):
                tab = browser.new_page(viewport={"width": 1700, "height": 1100})
                t0 = time.perf_counter()
                tab.goto(url)
                tab.wait_for_function(READY, timeout=60_000)
                first.append(time.perf_counter() - t0)
                if load == 0 and screenshot:
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    tab.wait_for_timeout(300)  # let the canvases finish drawing
                    # the app and its charts; the page below them is empty
                    tab.screenshot(
                        path=str(screenshot), clip={"x": 0, "y": 0, "width": 1500, "height": 770}
                    )
                # one key press: dose + 1/120 of the range; PK only, no simulation
                tab.locator(".jaksim-dose .noUi-handle").focus()
                for key in ["ArrowRight"] * 5 + ["ArrowLeft"] * 5:
                    before = tab.evaluate(BARS)
                    t0 = time.perf_counter()
                    tab.keyboard.press(key)
                    tab.wait_for_function(CHANGED, arg=before, timeout=30_000)
                    dose_ms.append(1e3 * (time.perf_counter() - t0))
                for drug in ["tofacitinib", "baricitinib", "upadacitinib"]:
                    before = tab.evaluate(BARS)
                    t0 = time.perf_counter()
                    tab.locator(".jaksim-drug select").select_option(drug)
                    tab.wait_for_function(CHANGED, arg=before, timeout=30_000)
                    drug_ms.append(1e3 * (time.perf_counter() - t0))
                tab.close()
            browser.close()
    finally:
        stop()
    return {"warm": t_warm, "server": t_server, "first": first, "dose": dose_ms, "drug": drug_ms}


def report_explore(res: dict) -> None:
    f = res["first"]
    print(f"explore startup (warm): load kernels {res['warm']:.2f} s + server "
          f"{res['server']:.2f} s + first view median {statistics.median(f):.2f} s "
          f"(max {max(f):.2f}, {len(f)} loads) = {res['warm'] + res['server'] + f[0]:.2f} s "
          "to the first bars")  # fmt: skip
    for name, what in (("dose", "dose-slider key press"), ("drug", "drug switch")):
        t = res[name]
        print(f"explore {what} -> new bars: median {statistics.median(t):.0f} ms, "
              f"max {max(t):.0f} ms over {len(t)} changes")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page", type=Path, help="an existing page (default: build the full one)")
    ap.add_argument("--screenshot", type=Path, help="save the first view here (PNG)")
    ap.add_argument("--explore", action="store_true", help="measure the live app instead")
    ap.add_argument("--explore-screenshot", type=Path, help="with --explore: save the first view")
    args = ap.parse_args()
    if args.explore:
        report_explore(measure_explore(args.explore_screenshot))
        return
    with tempfile.TemporaryDirectory(prefix="jaksim-bench-classroom-") as tmp:
        page = args.page
        if page is None:
            page = Path(tmp) / "selectivity.html"
            print(f"build (jaksim classroom, default grid): {build(page):.1f} s")
        res = measure(page.resolve(), args.screenshot)
        size = page.stat().st_size
    print(f"page size: {size / 1e6:.3f} MB ({size} bytes)")
    f = res["first"]
    print(f"first view (navigation -> first full draw): median {statistics.median(f):.0f} ms, "
          f"max {max(f):.0f} ms over {len(f)} loads")  # fmt: skip
    for name in ("slider", "drug"):
        t = res[name]
        print(f"redraw per {name} change: median {statistics.median(t):.1f} ms, "
              f"max {max(t):.1f} ms over {len(t)} changes")  # fmt: skip


if __name__ == "__main__":
    main()
