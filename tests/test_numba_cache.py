"""The solver's numba cache is dropped when any solver source changes (not only the caller's)."""

from __future__ import annotations

from jaksim.solve import _numba_cache


def _package(tmp_path):
    (tmp_path / "linalg.py").write_text("x = 1\n")
    (tmp_path / "rodas.py").write_text("y = 2\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    return cache


def _cached(cache):
    for name in ("rodas.step-10.py311.nbi", "rodas.step-10.py311.1.nbc"):
        (cache / name).write_text("compiled")
    return sorted(p.name for p in cache.glob("*.nb?"))


def test_edit_to_another_module_drops_cached_callers(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(_numba_cache, "_HERE", tmp_path)
    cache = _package(tmp_path)
    _numba_cache.invalidate_stale_cache()  # first run: stamp written
    kept = _cached(cache)
    _numba_cache.invalidate_stale_cache()  # unchanged sources: cache kept
    assert sorted(p.name for p in cache.glob("*.nb?")) == kept
    (tmp_path / "linalg.py").write_text("x = 3\n")  # edit a callee's file only
    _numba_cache.invalidate_stale_cache()
    assert not list(cache.glob("*.nb?"))


def test_numba_cache_dir_elsewhere_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setattr(_numba_cache, "_HERE", tmp_path)
    cache = _package(tmp_path)
    kept = _cached(cache)
    _numba_cache.invalidate_stale_cache()
    assert sorted(p.name for p in cache.glob("*.nb?")) == kept
