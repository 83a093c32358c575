"""The architecture contract (docs/architecture.md): each stage imports only from the stages
above it, lazy imports inside functions included; checked on the source by the ast module."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "jaksim"
STAGES = ["spec", "io", "compile", "solve", "simulation", "analysis", "pharmacology", "clinic",
          "plot", "experiment", "fit", "cli"]  # fmt: skip
# modules at the top of the package that sit at a stage's level
TOP_LEVEL = {"sbml_suite": "cli", "explore": "cli", "_version": "spec", "__init__": "cli",
             "__main__": "cli"}  # fmt: skip


def _stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "jaksim" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in STAGES else TOP_LEVEL.get(parts[1])


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(ROOT).with_suffix("")
    here = list(rel.parts)
    if here[-1] == "__init__":
        here = here[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + (1 if path.name == "__init__.py" else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
    return out


def test_every_stage_imports_only_from_the_stages_above_it():
    order = {s: i for i, s in enumerate(STAGES)}
    bad = []
    for path in PKG.rglob("*.py"):
        me = _stage(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if me is None:
            continue
        for line, mod in _imports(path):
            other = _stage(mod)
            if other is not None and order[other] > order[me]:
                bad.append(f"{path.relative_to(ROOT)}:{line} ({me}) imports {mod} ({other})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The check can fail: a solve module importing the experiment stage is caught."""
    assert _stage("jaksim.experiment.runner") == "experiment"
    assert _stage("jaksim.solve.rodas") == "solve"


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the test extra")
def test_source_is_ruff_clean():
    res = subprocess.run(["ruff", "check", "jaksim", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
