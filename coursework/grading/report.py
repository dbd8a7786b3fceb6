"""What a batch tells people: the summary table, the report file, failure pages, a stop.

Used by ``batch`` (after grading) and ``grade.py --report``.
"""
from __future__ import annotations

import csv
import html
import sys
from pathlib import Path

from .gradebook import FAILED, Review
from .preflight import bounds


def failure_page(course: Path, assignment: str, student: str, reason: str, names: list[str]) -> None:
    """Feedback (one page per notebook name) that says the grading failed and why, in place of any older."""
    for name in names:
        page = course / "feedback" / student / assignment / f"{name}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name}</title></head><body>"
            f"<h1>{html.escape(assignment)}: your submission could not be graded</h1>"
            f"<p>{html.escape(FAILED + reason)}</p><p>Your score is 0 until your instructor "
            "has looked at your notebook by hand. You do not need to do anything.</p></body></html>")


def write_report(course: Path, assignment: str, rows: list[Review], seconds: dict) -> Path:
    """grading-<assignment>.csv: student, score, max_score, status, seconds, reason."""
    path = course / f"grading-{assignment}.csv"
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student", "score", "max_score", "status", "seconds", "reason"])
        for r in rows:
            writer.writerow([r.student, r.score, r.max_score, r.status,
                             f"{seconds.get(r.student, 0):.1f}", r.reason])
    return path


def print_summary(rows: list[Review], seconds: dict | None, wall: float = 0.0, jobs: int = 1) -> None:
    """Every score, then the failed, flagged and refused submissions with their reasons.

    ``seconds`` (per student), ``wall`` and ``jobs`` come from a batch just run; None for a report.
    """
    print(f"\n{'student':<24} {'score':>11}  {'status':<8}" + (" seconds" if seconds else ""))
    for r in rows:
        timing = f" {seconds.get(r.student, 0):6.1f}" if seconds else ""
        print(f"{r.student:<24} {r.score:>5g} / {r.max_score:<3g}  {r.status:<8}{timing}")
    if seconds:
        print(f"\n{len(seconds)} graded in {wall:.0f} s, {jobs} at a time: {wall / len(seconds):.1f} s "
              f"per student (each took {sum(seconds.values()) / len(seconds):.1f} s on average)")
        print(f"\n{bounds()} (Default values: c.SandboxedExecute.memory_mb may change the memory.)")
    for status in ("failed", "flagged", "refused"):
        listed = [r for r in rows if r.status == status]
        if status == "refused" and not listed:
            continue
        print(f"\n{status.upper()} ({len(listed)}):" + ("" if listed else " none"))
        for r in listed:
            print(f"  {r.student}: {r.reason}")


def print_stop(assignment: str, broke) -> None:
    """Why the batch stopped (``broke``, a ``batch.SandboxBroke``), who is left as before, and
    how to grade them once the sandbox works."""
    first, left = broke.ungraded[0], broke.ungraded
    lost = (f" One thing did change: nbgrader autograde --force had already removed {first}'s "
            f"previous autograded copy (autograded/{first}/{assignment}/); grading again makes it anew."
            if broke.lost_copy else "")
    print(f"\nSTOPPED at {first}: the sandbox stopped working ({broke})\nThis machine broke, not "
          f"the students' work: nobody is marked failed for it, and the {len(left)} not graded "
          f"({', '.join(left)}) keep their earlier grades and feedback.{lost}\nFix the sandbox, then "
          "grade them; grade.py checks the sandbox first (grading/preflight.py) and changes nothing "
          f"while it is broken:\n  python grade.py {assignment} "
          + " ".join(f"--student {s}" for s in left), file=sys.stderr)
