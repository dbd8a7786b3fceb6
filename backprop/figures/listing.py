"""A function's source code, each line with the idea it implements right below it.

Not a drawing but an HTML table: :func:`code_beside_ideas` reads the source with
``inspect.getsource`` as it is now, so a page that shows it cannot drift from the code.
"""
from __future__ import annotations

import ast
import html
import inspect
import textwrap


def code_beside_ideas(function, ideas: dict) -> str:
    """HTML: each source line of ``function`` (docstring left out), its idea right below it.

    ``ideas`` maps a piece of a line to the idea (HTML allowed); every piece must
    match a line, so the table cannot silently drift from the code.
    """
    source = textwrap.dedent(inspect.getsource(function))
    body = ast.parse(source).body[0].body
    skip = set()
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        skip = set(range(body[0].lineno - 1, body[0].end_lineno))   # the docstring
    lines = [ln for i, ln in enumerate(source.splitlines()) if ln.strip() and i not in skip]
    missing = [piece for piece in ideas if not any(piece in ln for ln in lines)]
    if missing:
        raise ValueError(f"these pieces match no line of {function.__qualname__}: {missing}")
    rows = []
    for ln in lines:
        idea = next((text for piece, text in ideas.items() if piece in ln), "")
        note = f'<div style="margin:0 0 0.4em 2.5em; color:#444">&#8593; {idea}</div>' if idea else ""
        rows.append(f'<div><code style="white-space:pre-wrap">{html.escape(ln)}</code>{note}</div>')
    return "\n".join(rows)
