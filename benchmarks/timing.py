"""Helpers shared by the benchmark scripts (not a benchmark itself).

``wall_times`` times repeated calls in-process; ``child_json`` runs a measurement in a fresh
Python process (cold caches, clean peak memory) and returns the JSON it printed last.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["wall_times", "child_json"]


def wall_times(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` successive calls of ``fn()``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def child_json(args: Sequence[str], env: Mapping[str, str] | None = None) -> Any:
    """Run ``python *args`` (raising if it fails); parse the last line it printed as JSON."""
    out = subprocess.run(
        [sys.executable, *args], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])
