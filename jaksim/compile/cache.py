"""Content-hashed on-disk cache of generated kernel modules.

Each model structure gets one module file ``<cache>/v<version>-abi<N>/k_<hash>_<src>.py``. It is
written once, atomically (temporary file + :func:`os.replace`), and never rewritten: numba's
``cache=True`` keys its ``__pycache__/*.nbi/.nbc`` files on the source file's path and
modification time, so a stable file means a second process loads the machine code instead
of compiling it.

``$JAKSIM_CACHE_DIR`` overrides the default ``~/.cache/jaksim/kernels``. On a read-only
install point it (and ``NUMBA_CACHE_DIR``) at a writable directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from jaksim._version import __version__
from jaksim.spec import expr as ex
from jaksim.spec.model import Model

__all__ = ["KERNEL_ABI", "kernel_cache_dir", "structure_hash", "load_kernel_module"]

# Bump whenever the generated source or the kernel calling convention changes.
KERNEL_ABI = 1


def kernel_cache_dir() -> Path:
    """Directory holding this jaksim version's kernel modules (created on demand)."""
    root = os.environ.get("JAKSIM_CACHE_DIR") or Path.home() / ".cache" / "jaksim" / "kernels"
    return Path(root) / f"v{__version__}-abi{KERNEL_ABI}"


def _canon(text: str | None) -> str | None:
    """Canonical expression text, so that formatting differences do not change the hash."""
    return None if text is None else ex.to_text(ex.parse(text))


def structure_hash(model: Model) -> str:
    """sha256 of the model's structure (never its parameter or initial values).

    Covers ids, compartments of species and their flags, stoichiometry, canonical expression
    texts, which parameters are constant, events, jaksim's version and :data:`KERNEL_ABI`.
    """
    desc = {
        "abi": KERNEL_ABI,
        "version": __version__,
        "compartments": [c.id for c in model.compartments],
        "species": [
            [s.id, s.compartment, s.boundary, s.constant, s.amount, s.conversion_factor]
            for s in model.species
        ],
        "parameters": [p.id for p in model.parameters],
        "reactions": [
            [
                r.id,
                [list(x) for x in r.reactants],
                [list(x) for x in r.products],
                _canon(r.rate),
                r.compartment,
                [lp.id for lp in r.local_parameters],
            ]
            for r in model.reactions
        ],
        "assignments": [[a.id, _canon(a.expression)] for a in model.assignments],
        "rate_rules": [[r.variable, _canon(r.expression)] for r in model.rate_rules],
        "initial": [[i.variable, _canon(i.expression)] for i in model.initial_assignments],
        "events": [
            [e.id, _canon(e.trigger), [[a.variable, _canon(a.expression)] for a in e.assignments]]
            for e in model.events
        ],
    }
    blob = json.dumps(desc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _write_once(path: Path, source: str) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(source)
        if not path.exists():  # another process may have won the race; keep its mtime
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_kernel_module(source: str, digest: str, *, jit: bool) -> ModuleType:
    """Write ``source`` to the cache (once) and import it, as numba cfuncs or plain Python.

    The file is named by the structure hash *and* a hash of the source text, so a change of
    the code generator can never pick up a stale module even if :data:`KERNEL_ABI` was not
    bumped.
    """
    stem = f"k_{digest[:16]}_{hashlib.sha256(source.encode()).hexdigest()[:16]}"
    path = kernel_cache_dir() / f"{stem}.py"
    _write_once(path, source)
    name = f"jaksim_kernel_{stem}" + ("" if jit else "_py")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module._JAKSIM_JIT = jit  # read by the footer of the generated module
    # Registered before executing: numba records the module name in cached code and
    # re-imports it by that name when a later process loads the cache.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
