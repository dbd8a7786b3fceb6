"""Sphinx extension: keep the test suite's cell markers out of the book's pages.

Cells whose printed numbers nbval checks start with ``# NBVAL_CHECK_OUTPUT``. That
line is for the tests, not for readers, so it is dropped from each notebook's
source as Sphinx reads it. The notebooks on disk, and the ``.ipynb`` a reader
downloads, keep it.

Loaded from ``_config.yml`` (``sphinx: local_extensions: hide_test_markers: book``).
"""
from __future__ import annotations

import re

from sphinx.application import Sphinx

#: A marker line inside a notebook's JSON: ``"# NBVAL_CHECK_OUTPUT\n",`` (or the last line).
MARKER_LINE = re.compile(r'^\s*"# NBVAL_[A-Z_]+\\n",?\n', re.MULTILINE)


def drop_markers(app: Sphinx, docname: str, source: list[str]) -> None:
    """Remove nbval marker lines from a notebook's JSON before myst-nb parses it."""
    if str(app.env.doc2path(docname)).endswith(".ipynb"):
        source[0] = MARKER_LINE.sub("", source[0])


def setup(app: Sphinx) -> dict:
    app.connect("source-read", drop_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
