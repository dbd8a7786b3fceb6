"""How much of a notebook's output the graded notebook keeps, and the limit on all of it.

A cell keeps at most ``PER_CELL`` bytes of output and a notebook ``PER_NOTEBOOK``; what is
cut is replaced by one line, ``[output truncated: N bytes dropped by the grader]``, so
printing 300 MB never makes a 300 MB graded notebook or feedback page. An error is
never dropped (it decides the cell's score), only shortened (to about 8 kB). A notebook whose code
produced more than ``PRODUCED_LIMIT`` bytes of output in all is over the output limit:
the runner stops it and exits with ``OVER_OUTPUT_LIMIT``, and the grading fails.

Imports only the standard library: ``run_notebook.py`` uses it inside the sandbox.
"""
from __future__ import annotations

import json
import re

PER_CELL = 100_000              # bytes of output one cell keeps
PER_NOTEBOOK = 1_000_000        # bytes of output the whole notebook keeps
PRODUCED_LIMIT = 16 * 2**20     # bytes of output a notebook may produce before it is stopped
ERROR_KEEP = 4_000              # characters kept of an error's message and of its traceback
OVER_OUTPUT_LIMIT = 86          # the runner's exit status when the notebook went over
NOTE = "[output truncated: {} bytes dropped by the grader]\n"
NOTE_ROOM = 100                 # bytes kept free in each cell for that line
NOTE_PATTERN = re.compile(r"\[output truncated: (\d+) bytes dropped by the grader\]\n")


def size(output: dict) -> int:
    """The bytes ``output`` takes in the notebook file (its JSON)."""
    return len(json.dumps(output, ensure_ascii=False).encode())


def is_note(output: dict) -> bool:
    """True for the grader's own truncation line."""
    return output.get("output_type") == "stream" and bool(NOTE_PATTERN.fullmatch(str(output.get("text", ""))))


def shorten(text, limit: int) -> str:
    """``text`` (a string or a list of lines) as one string of at most ``limit`` characters."""
    text = "".join(text) if isinstance(text, list) else str(text)
    return text if len(text) <= limit else text[:limit]


def fit(output: dict, budget: int) -> tuple[dict | None, int]:
    """``output`` cut to ``budget`` bytes where it is longer: (what is kept or None, bytes dropped).

    A stream keeps its first characters; an error keeps its type and a shortened message and
    traceback whatever the budget; any other output (a figure, a value) is kept whole or dropped.
    """
    whole = size(output)
    if whole <= budget:
        return output, 0
    kind = output.get("output_type")
    if kind == "stream":
        text = shorten(output.get("text", ""), max(budget - size({**output, "text": ""}), 0))
        while text and size({**output, "text": text}) > budget:  # wide characters
            text = text[: len(text) * 3 // 4]
        if not text:
            return None, whole
        kept = {**output, "text": text}
    elif kind == "error":
        trace = shorten("\n".join(output.get("traceback", [])), ERROR_KEEP)
        kept = {**output, "evalue": shorten(output.get("evalue", ""), ERROR_KEEP), "traceback": [trace]}
    else:
        return None, whole
    return kept, max(whole - size(kept), 0)


def note(dropped: int) -> dict:
    """The line put where output was dropped."""
    return {"output_type": "stream", "name": "stdout", "text": NOTE.format(dropped)}


def truncate_outputs(nb: dict, per_cell: int = PER_CELL, per_notebook: int = PER_NOTEBOOK) -> int:
    """Cut ``nb``'s outputs in place to the limits, with a note in every cut cell; bytes dropped.

    Applying it again changes nothing (the notes are not counted).
    """
    left, dropped_in_all = per_notebook, 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        budget, kept, dropped = per_cell - NOTE_ROOM, [], 0
        earlier = sum(int(NOTE_PATTERN.fullmatch(o["text"])[1]) for o in cell.get("outputs", []) if is_note(o))
        for output in (o for o in cell.get("outputs", []) if not is_note(o)):
            small, lost = fit(output, max(min(budget, left), 0))
            dropped += lost
            if small is not None:
                kept.append(small)
                budget, left = budget - size(small), left - size(small)
        if dropped or earlier:
            kept.append(note(dropped + earlier))
        cell["outputs"] = kept
        dropped_in_all += dropped
    return dropped_in_all


class Budget:
    """The output a running notebook may still keep and produce, applied as each output arrives."""

    def __init__(self, per_cell: int = PER_CELL, produced_limit: int = PRODUCED_LIMIT) -> None:
        self.per_cell, self.produced_limit = per_cell - NOTE_ROOM, produced_limit
        self.kept: dict[int, int] = {}
        self.dropped: dict[int, int] = {}
        self.produced = 0

    def take(self, cell_index: int, output: dict) -> dict | None:
        """What of ``output`` cell ``cell_index`` keeps (None: nothing); counts what it produced.

        Raises ``OverOutputLimit`` once the notebook has produced more than the limit.
        """
        whole = size(output)
        self.produced += whole
        if self.produced > self.produced_limit:
            raise OverOutputLimit(f"the notebook printed more than {self.produced_limit // 2**20} MB")
        small, lost = fit(output, self.per_cell - self.kept.get(cell_index, 0))
        self.dropped[cell_index] = self.dropped.get(cell_index, 0) + lost
        if small is not None:
            self.kept[cell_index] = self.kept.get(cell_index, 0) + size(small)
        return small


class OverOutputLimit(RuntimeError):
    """The notebook produced more output than the limit."""
