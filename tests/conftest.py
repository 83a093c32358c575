"""Fixtures shared by test modules: headless Chromium for the classroom page and the explore
app (``tests/test_classroom.py``, ``tests/test_explore.py``)."""

from __future__ import annotations

import os
import shutil

import pytest


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


def _skip(reason: str):
    # CI that installed a browser sets JAKSIM_REQUIRE_BROWSER (.ci/run): a skip would hide a
    # broken page there, so it fails instead
    if os.environ.get("JAKSIM_REQUIRE_BROWSER"):
        pytest.fail(f"JAKSIM_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")  # per module: playwright is not left running
def browser():
    try:
        from playwright import sync_api
    except ImportError:
        _skip("playwright is not installed (pip install '.[test]')")
    exe = os.environ.get("JAKSIM_CHROMIUM") or _browser()
    if not exe:
        _skip("no Chromium found (apt-get install chromium, or set JAKSIM_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield b
        b.close()
