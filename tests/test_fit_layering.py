"""Layering of the fit stage (docs/architecture.md): ``jaksim/fit`` imports only stages
below it, and ``plot/fit.py`` (a lower stage) never imports ``fit``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "jaksim"
ORDER = ["spec", "io", "compile", "solve", "simulation", "analysis", "pharmacology", "plot",
         "experiment", "fit", "cli"]  # fmt: skip


def _imported_stages(path: Path) -> set[str]:
    """Stages a module imports, absolute or relative, at any depth (lazy imports too)."""
    stage_of_file = path.relative_to(PKG).parts[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("jaksim."):
                out.add(node.module.split(".")[1])
            elif node.level == 1:
                out.add(stage_of_file)
            elif node.level == 2 and node.module:
                out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("jaksim."))
    return out & set(ORDER)


@pytest.mark.parametrize("path", sorted((PKG / "fit").glob("*.py")) + [PKG / "plot" / "fit.py"],
                         ids=lambda p: str(p.relative_to(PKG)))  # fmt: skip
def test_fit_stage_imports_only_downward(path):
    stage = path.relative_to(PKG).parts[0]
    allowed = set(ORDER[: ORDER.index(stage) + 1])
    assert _imported_stages(path) <= allowed, _imported_stages(path) - allowed
