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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page", type=Path, help="an existing page (default: build the full one)")
    ap.add_argument("--screenshot", type=Path, help="save the first view here (PNG)")
    args = ap.parse_args()
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
