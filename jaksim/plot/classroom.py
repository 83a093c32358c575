"""The classroom selectivity explorer: one self-contained HTML file.

:func:`write_classroom_page` takes the data of
:func:`jaksim.pharmacology.classroom.classroom_data` (no simulation here) and writes a single
HTML file with the data, the CSS and the JavaScript inline: no network, no CDN, no external
library, so it opens from a USB stick in any recent browser. The page's script
(``classroom_assets/classroom.js``) redraws every panel from the precomputed curves when a
control changes.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

__all__ = ["render_classroom_page", "write_classroom_page"]


def _asset(name: str) -> str:
    return (files("jaksim.plot") / "classroom_assets" / name).read_text(encoding="utf-8")


def render_classroom_page(data: dict) -> str:
    """The page as a string (UTF-8 HTML) for ``data`` from ``classroom_data``."""
    # compact JSON; "</" must not appear inside <script> (it could close the element early)
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    page = _asset("page.html")
    # data last: the JSON could contain a placeholder-like string, the assets cannot
    for key, value in (
        ("__VERSION__", str(data["meta"]["version"])),
        ("__CSS__", _asset("classroom.css")),
        ("__JS__", _asset("classroom.js")),
        ("__DATA__", payload),
    ):
        page = page.replace(key, value)
    return page


def write_classroom_page(data: dict, path: str | Path) -> Path:
    """Write the self-contained explorer to ``path`` (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_classroom_page(data), encoding="utf-8")
    return path
