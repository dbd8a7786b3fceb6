"""What one student's grading says back to the batch: a small JSON file, not log text.

``nbgrader autograde`` started by the batch is told where to write it
(``--SandboxedExecute.status_file``). For each notebook it holds one entry:

- ``graded``: scored and saved in the gradebook (``FlagForReview`` writes it last);
- ``failed``: the notebook could not be graded (time limit, crash, broken structure);
  it is marked failed in the gradebook, and ``reason`` says why;
- ``sandbox unavailable``: the sandbox refused to start (the machine's fault, not the
  student's): nothing was marked, and ``reason`` says what is wrong.

The grader writes it from outside the sandbox, so no submission can write or forge it.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

GRADED, FAILED, UNAVAILABLE = "graded", "failed", "sandbox unavailable"


@dataclass(frozen=True)
class Status:
    """How one notebook's grading ended."""

    status: str   # GRADED, FAILED or UNAVAILABLE
    reason: str = ""


def write_status(path: str | os.PathLike, notebook: str, status: str, reason: str = "") -> None:
    """Record how ``notebook``'s grading ended, keeping the other notebooks' entries."""
    if status not in (GRADED, FAILED, UNAVAILABLE):
        raise ValueError(f"status must be {GRADED!r}, {FAILED!r} or {UNAVAILABLE!r}, not {status!r}")
    path = Path(path)
    entries = {name: vars(entry) for name, entry in read_status(path).items()}
    entries[notebook] = {"status": status, "reason": reason}
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(entries, indent=1))
    os.replace(part, path)


def read_status(path: str | os.PathLike) -> dict[str, Status]:
    """Notebook name -> how its grading ended; {} if nothing was written."""
    try:
        entries = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {}
    return {name: Status(entry["status"], entry.get("reason", "")) for name, entry in entries.items()}
