"""Content-hashed on-disk cache of generated kernel modules.

Each model structure gets one module file ``<cache>/v<version>-abi<N>/k_<hash>_<src>.py``. It is
written once, atomically (temporary file + :func:`os.replace`), and never rewritten: numba's
``cache=True`` keys its ``__pycache__/*.nbi/.nbc`` files on the source file's path and
modification time, so a stable file means a second process loads the machine code instead
of compiling it.

``$JAKSIM_CACHE_DIR`` overrides the default, ``$XDG_CACHE_HOME/jaksim/kernels`` (``XDG_CACHE_HOME``
defaulting to ``~/.cache``): a per-user location. On a read-only install point it (and
``NUMBA_CACHE_DIR``) at a writable directory.

Integrity: the file is never trusted by name. Before import its bytes are compared (sha256)
with the source the code generator just produced for this structure; a file that differs
(truncated, edited, garbage, empty, unreadable) is regenerated atomically, and the module is
executed from the verified in-memory source, not re-read from disk. When the cache directory
cannot be written the module goes to a private per-user temporary directory instead. Numba's
own ``__pycache__`` machine code next to the module is *not* verified: the cache directory
must be writable only by its user (see docs/architecture.md, "Kernel cache trust boundary").
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from types import ModuleType

from jaksim._version import __version__
from jaksim.spec import expr as ex
from jaksim.spec.model import Model

__all__ = ["KERNEL_ABI", "kernel_cache_dir", "structure_hash", "load_kernel_module"]

# Bump whenever the generated source or the kernel calling convention changes.
KERNEL_ABI = 2  # 2: switches kernel


def _version_dir() -> str:
    return f"v{__version__}-abi{KERNEL_ABI}"


def kernel_cache_dir() -> Path:
    """Directory holding this jaksim version's kernel modules (created on demand).

    ``$JAKSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/jaksim/kernels``, else
    ``~/.cache/jaksim/kernels``; one subdirectory per jaksim version and kernel ABI.
    """
    root = os.environ.get("JAKSIM_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
        root = base / "jaksim" / "kernels"
    return Path(root) / _version_dir()


def fallback_cache_dir() -> Path:
    """Private per-user temporary directory, used when :func:`kernel_cache_dir` is read-only."""
    uid = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    root = Path(tempfile.gettempdir()) / f"jaksim-kernels-{uid}"
    root.mkdir(mode=0o700, exist_ok=True)
    if hasattr(os, "getuid") and (root.stat().st_uid != os.getuid() or root.is_symlink()):
        # somebody else made it: never import code from a directory another user controls
        root = Path(tempfile.mkdtemp(prefix="jaksim-kernels-"))
    return root / _version_dir()


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
    # only present when used, so that every other model keeps its hash (and cached kernels)
    if model.algebraic_rules:
        desc["algebraic"] = [[r.variable, _canon(r.expression)] for r in model.algebraic_rules]
    if model.delays:
        desc["delays"] = [[d.id, _canon(d.expression), _canon(d.delay)] for d in model.delays]
    blob = json.dumps(desc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _matches(path: Path, data: bytes) -> bool:
    """Whether ``path`` holds exactly ``data`` (sha256 of its bytes; unreadable: False)."""
    try:
        content = path.read_bytes()
    except OSError:
        return False
    return hashlib.sha256(content).digest() == hashlib.sha256(data).digest()


def _write_verified(path: Path, data: bytes) -> None:
    """Make ``path`` hold ``data``: keep a matching file (its mtime keeps numba's cache
    valid), replace a damaged one atomically. Raises OSError when the directory is not
    writable."""
    if _matches(path, data):
        return
    if path.exists():
        warnings.warn(
            f"kernel cache file {path} does not match its content hash (damaged or edited); "
            "regenerating it",
            RuntimeWarning,
            stacklevel=3,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # another process may have written the same (valid) file meanwhile: keep its mtime
        if not _matches(path, data):
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_kernel_module(source: str, digest: str, *, jit: bool) -> ModuleType:
    """Write ``source`` to the cache (once) and import it, as numba cfuncs or plain Python.

    The file is named by the structure hash *and* a hash of the source text, so a change of
    the code generator can never pick up a stale module even if :data:`KERNEL_ABI` was not
    bumped. Its content is checked against ``source`` and rewritten when it differs; the
    module runs the verified in-memory ``source`` (the file only gives numba a stable path).
    """
    data = source.encode()
    stem = f"k_{digest[:16]}_{hashlib.sha256(data).hexdigest()[:16]}"
    name = f"jaksim_kernel_{stem}" + ("" if jit else "_py")
    if name in sys.modules:
        return sys.modules[name]
    path = kernel_cache_dir() / f"{stem}.py"
    try:
        _write_verified(path, data)
    except OSError:
        # read-only (or otherwise unwritable) cache: a private temporary location instead
        path = fallback_cache_dir() / f"{stem}.py"
        _write_verified(path, data)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module._JAKSIM_JIT = jit  # read by the footer of the generated module
    # Registered before executing: numba records the module name in cached code and
    # re-imports it by that name when a later process loads the cache.
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 - our own code
    except BaseException:
        del sys.modules[name]
        raise
    return module
