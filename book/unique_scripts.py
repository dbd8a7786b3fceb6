"""Sphinx extension: every script appears once in a page.

sphinx-thebe (always loaded by Jupyter Book 1.x) registers its inline settings script
(``const THEBE_JS_URL = ...``) after the HTML builder has started. Sphinx 7.4 then
records it twice, once as file name ``None`` and once as ``""``, so every page ran
the script twice and the browser reported "Identifier 'THEBE_JS_URL' has already been
declared". Here each page's scripts are deduplicated just before the page is written.

Loaded from ``_config.yml`` (``sphinx: local_extensions: unique_scripts: book``).
"""
from __future__ import annotations

import os

from sphinx.application import Sphinx


def script_key(script) -> tuple:
    """What makes two script entries the same script (an inline one has no file name)."""
    return (os.fspath(script.filename or ""), script.priority,
            tuple(sorted(script.attributes.items())))


def drop_repeated_scripts(app: Sphinx, pagename: str, templatename: str, context: dict,
                          doctree) -> None:
    """``html-page-context``: keep the first of scripts that are the same."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
