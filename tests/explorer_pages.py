"""Explorers opened as a reader opens them: a standalone page in headless Chromium.

The browser tests of the explorers, the drawing pad and the training explorer share
this opener. Every console error or warning, page error and request leaving the page
is collected in ``tab.problems``, for the tests to assert there are none.
"""
from __future__ import annotations

import contextlib
import importlib.util
import shutil
from pathlib import Path

import pytest

from backprop.explorers import save_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

#: Skip a browser test module where playwright or Debian's chromium is missing.
needs_browser = pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None or not shutil.which(CHROMIUM),
    reason="needs the playwright package and Debian's chromium (bash .ci/browser)")

LOCAL = ("file:", "blob:", "data:")


@contextlib.contextmanager
def opened_page(explorers: list, path: Path, height: int = 900, timeout: float = 15000):
    """A Chromium tab showing ``explorers`` saved as one page at ``path``, once all of
    them are drawn; ``tab.problems`` collects what went wrong."""
    from playwright.sync_api import sync_playwright

    save_html(explorers, path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1100, "height": height})
        tab.problems = []
        tab.on("console", lambda m: tab.problems.append(m.text)
               if m.type in ("error", "warning") else None)
        tab.on("pageerror", lambda e: tab.problems.append(str(e)))
        tab.on("request", lambda r: None if r.url.startswith(LOCAL)
               else tab.problems.append(f"request {r.url}"))
        tab.goto(path.as_uri())
        tab.wait_for_function(f"document.documentElement.dataset.explorers === "
                              f"'{len(explorers)}'", timeout=timeout)
        try:
            yield tab
        finally:
            browser.close()
