"""One explorer (or several) as a standalone HTML page that works with no kernel.

The page carries the explorers' saved state (traits, data, front-end module) the
way an executed notebook does, and ``runtime.js`` (about 120 lines), which renders them
in the browser. The book's pages do the same (see ``book/offline_assets.py``);
this page is how tests and learners open an explorer outside the book.
"""
from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from pathlib import Path

from ipywidgets.widgets.widget import _remove_buffers

from .base import HERE, Explorer

RUNTIME = HERE / "runtime.js"
STATE_TYPE = "application/vnd.jupyter.widget-state+json"
VIEW_TYPE = "application/vnd.jupyter.widget-view+json"


def saved_state(explorers: list[Explorer]) -> dict:
    """The widget state an executed notebook stores for these explorers."""
    models = {}
    for explorer in explorers:
        state, paths, buffers = _remove_buffers(explorer.get_state())
        models[explorer.model_id] = {
            "model_name": state["_model_name"],
            "model_module": state["_model_module"],
            "model_module_version": state["_model_module_version"],
            "state": state,
            "buffers": [{"path": path, "encoding": "base64",
                         "data": base64.b64encode(bytes(buffer)).decode("ascii")}
                        for path, buffer in zip(paths, buffers)],
        }
    return {"version_major": 2, "version_minor": 0, "state": models}


def _script(kind: str, content: dict) -> str:
    # "<", ">" and "&" only occur inside JSON strings, where \u003c... read the same:
    # no text in the data can close the tag early or open a comment
    text = json.dumps(content)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return f'<script type="{kind}">{text}</script>'


def standalone_html(explorers: list[Explorer], title: str = "Explorer") -> str:
    """A whole HTML page showing ``explorers`` live, with no kernel and no network."""
    if not isinstance(explorers, (list, tuple)) or not explorers or not all(
            isinstance(e, Explorer) for e in explorers):
        raise ValueError("explorers must be a non-empty list of backprop explorers")
    if not isinstance(title, str):
        raise TypeError(f"title must be text; got {type(title).__name__}")
    views = "\n".join(f'<div class="output">{_script(VIEW_TYPE, {"model_id": e.model_id})}</div>'
                      for e in explorers)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title></head>\n<body style=\"max-width:1000px;margin:1em auto\">\n"
            f"{_script(STATE_TYPE, saved_state(explorers))}\n{views}\n"
            f"<script>{RUNTIME.read_text()}</script>\n</body></html>\n")


def save_html(explorers: list[Explorer], path: str | Path, title: str = "Explorer") -> Path:
    """Write :func:`standalone_html` to ``path`` and return the path.

    The page is written to a temporary file beside ``path`` and renamed into place, so
    a failed write (a full disk) leaves the old page whole and no half page behind.
    """
    path = Path(path)
    page = standalone_html(explorers, title)
    handle, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
        os.chmod(part, 0o644)
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    return path
