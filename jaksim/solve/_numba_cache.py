"""Keep numba's on-disk cache of the solver consistent with the solver's source.

numba validates a cached function against its *own* file only, so after an edit to one module
here (say ``linalg.py``) the cached callers in other modules (``rodas.py``) would keep running
the old compiled code. This stamp covers the whole package: when any ``jaksim/solve/*.py``
changes, every cached solver entry in ``__pycache__`` is dropped once and recompiled on use.
Installed releases rewrite every file on upgrade and are unaffected; this protects editable
checkouts. With ``NUMBA_CACHE_DIR`` set, numba keeps its files elsewhere and this is a no-op.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_STAMP = "jaksim_solve_sources.sha256"


def _source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def invalidate_stale_cache() -> None:
    """Drop numba cache files of this package if any of its sources changed since they were made."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    cache = _HERE / "__pycache__"
    stamp = cache / _STAMP
    try:
        digest = _source_digest()
        if stamp.exists() and stamp.read_text() == digest:
            return
        for entry in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
            entry.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        tmp = cache / f"{_STAMP}.{os.getpid()}"
        tmp.write_text(digest)
        os.replace(tmp, stamp)
    except OSError:  # read-only install: numba falls back to its own cache location
        return
