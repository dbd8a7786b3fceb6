"""Grade every submission of an assignment, one student after the other.

Each student is graded by its own ``nbgrader autograde --student`` process, so nothing a
submission does (or a bug in one grading) stops the others. A grading that fails is
marked failed in the gradebook (score 0, flagged, with the reason: never an earlier
score) and its student gets a feedback page that says so; only a sandbox that stops
working (the machine's fault) stops the batch, leaving that student and the rest as they
were. nbgrader's log of each student is kept in grading-logs/<assignment>/<student>.log.
At the end the batch prints every score and lists the failed and flagged submissions.
"""
from __future__ import annotations

import csv
import html
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .gradebook import FAILED, Review, mark_failed, reviews
from .screen import layout

DB = "sqlite:///gradebook.db"


class SandboxBroke(RuntimeError):
    """The sandbox refused to start (the machine's fault, not the student's): the batch stops.

    ``lost_copy``: nbgrader had removed the student's autograded copy; ``ungraded``: the
    student it stopped at and those after (set by ``grade_all``).
    """

    def __init__(self, reason: str, lost_copy: bool = False) -> None:
        super().__init__(reason)
        self.lost_copy, self.ungraded = lost_copy, []


@dataclass(frozen=True)
class Options:
    """How to grade: time limit per notebook, and whether to run without the sandbox."""

    seconds: int | None = None
    unsandboxed: bool = False


def nbgrader(course: Path, *args: str, log: Path | None = None, timeout: float | None = None) -> int:
    """Run one nbgrader command in the course folder, its output to ``log``; its exit status.

    The command gets its own process group, killed whole at the timeout (-9 then).
    """
    log = log or Path(os.devnull)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        child = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=course,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return -9


def check_configuration(course: Path) -> str | None:
    """Why nbgrader would not grade in the sandbox with this course's config (None if it would)."""
    from traitlets.config.loader import PyFileConfigLoader
    from .preprocessors import FlagForReview, SandboxedExecute
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    except Exception as error:  # noqa: BLE001 (nbgrader would go on with its defaults)
        return f"nbgrader_config.py does not load ({type(error).__name__}: {error})"
    steps = config.Autograde.get("autograde_preprocessors", [])
    if SandboxedExecute not in steps or FlagForReview not in steps:
        return "nbgrader_config.py does not set c.Autograde.autograde_preprocessors = autograde_preprocessors()"
    return None


def students(course: Path, assignment: str) -> list[str]:
    """Everyone with a submission of this assignment in submitted/."""
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())


def failure_reason(log: str) -> str:
    """The reason nbgrader's log gives for a failed grading, in one line."""
    for pattern in (r"GradingFailed: (.*)", r"SandboxUnavailable: (.*)", r"\n(\w+(?:Error|Exception): .*)"):
        found = re.findall(pattern, log)
        if found:
            return found[-1].strip()
    lines = [line for line in log.splitlines() if "ERROR" in line]
    return (lines or ["nbgrader stopped without a message"])[-1].strip()


def sandbox_refusal(log: str) -> str | None:
    """The message of a SandboxUnavailable ending an error traceback in nbgrader's log, else None.

    nbgrader indents every line of a log message after its first, so no file name or other
    text of a submission can start such a traceback.
    """
    for record in re.split(r"\n(?=\S)", log):  # a line at column 0 and its indented lines
        head, *rest = record.rstrip().splitlines() or [""]
        if rest and re.fullmatch(r"\S*\[\w+ \| ERROR\]\S* Traceback \(most recent call last\):", head):
            found = re.fullmatch(r"\s+(?:[\w.]+\.)?SandboxUnavailable: (.*)", rest[-1])
            if found:
                return found[1].strip()
    return None


def notebooks(course: Path, assignment: str) -> dict[str, str]:
    """Notebook name -> grade_id of its first solution cell, from source/."""
    found = {}
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        cells = layout(nbformat.read(path, as_version=4))
        found[path.stem] = next(c.grade_id for c in cells if c.kind == "solution")
    return found


def grade_one(course: Path, assignment: str, student: str, options: Options) -> str | None:
    """Autograde one student; None if it worked, else the reason (now in the gradebook).

    Raises
    ------
    SandboxBroke
        If the sandbox refused to start: then the student is not marked failed.
    """
    args = ["autograde", assignment, "--student", student, "--force"]
    if options.seconds:
        args.append(f"--SandboxedExecute.notebook_timeout={options.seconds}")
    if options.unsandboxed:
        args.append("--SandboxedExecute.allow_unsandboxed=True")
    limit = 2 * (options.seconds or 300) + 180
    log = course / "grading-logs" / assignment / f"{student}.log"
    copy = course / "autograded" / student / assignment
    had_copy = copy.is_dir()
    status = nbgrader(course, *args, log=log, timeout=limit)
    if status == 0:
        return None
    text = log.read_text(errors="replace")
    refusal = None if status == -9 else sandbox_refusal(text)
    if refusal:
        raise SandboxBroke(refusal, had_copy and not copy.exists())
    reason = f"nbgrader did not finish within {limit} s" if status == -9 else failure_reason(text)
    with_db = [mark_failed(DB, (name, assignment, student), first, reason)
               for name, first in notebooks(course, assignment).items()]
    if not any(with_db):
        print(f"  ({student} has no submission in the gradebook yet)", file=sys.stderr)
    return reason


def failure_page(course: Path, assignment: str, student: str, reason: str) -> None:
    """Feedback that says the grading failed and why, in place of any older feedback."""
    for name in notebooks(course, assignment):
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


def print_summary(rows: list[Review], seconds: dict | None, wall: float = 0.0) -> None:
    """Every score, then the failed and the flagged submissions with their reasons.

    ``seconds`` (per student) and ``wall`` come from a batch just run; None for a report.
    """
    print(f"\n{'student':<24} {'score':>11}  {'status':<8}" + (" seconds" if seconds else ""))
    for r in rows:
        timing = f" {seconds.get(r.student, 0):6.1f}" if seconds else ""
        print(f"{r.student:<24} {r.score:>5g} / {r.max_score:<3g}  {r.status:<8}{timing}")
    if seconds:
        print(f"\n{len(seconds)} graded in {wall:.0f} s ({wall / len(seconds):.1f} s per student)")
    for status in ("failed", "flagged"):
        listed = [r for r in rows if r.status == status]
        print(f"\n{status.upper()} ({len(listed)}):" + ("" if listed else " none"))
        for r in listed:
            print(f"  {r.student}: {r.reason}")


def give_feedback(course: Path, assignment: str, only: list[str], skip: list[str]) -> None:
    """nbgrader's feedback pages: for these students, or (empty list) for everyone graded but ``skip``."""
    log = course / "grading-logs" / assignment / "feedback.log"
    everyone = [f"--CourseDirectory.student_id_exclude={','.join(skip)}"] if skip else []
    for args in ([["--student", s] for s in only] or [everyone]):
        nbgrader(course, "generate_feedback", assignment, *args, "--force", log=log)


def print_stop(assignment: str, broke: SandboxBroke) -> None:
    """Why the batch stopped, who is left as before, and how to grade them once the sandbox works."""
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


def grade_all(course: Path, assignment: str, only: list[str], options: Options) -> list[Review]:
    """Grade the given students (default everyone), give feedback, report; return the reviews.

    Raises
    ------
    SandboxBroke
        If the sandbox broke, after the feedback and the report of the students graded
        before: the student it stopped at and those after are not graded, nor marked failed.
    """
    started, seconds, failed, broke = time.monotonic(), {}, {}, None
    queue = only or students(course, assignment)
    for at, student in enumerate(queue):
        print(f"grading {student} ...", flush=True)
        begun = time.monotonic()
        try:
            reason = grade_one(course, assignment, student, options)
        except SandboxBroke as error:
            broke, error.ungraded = error, queue[at:]
            break
        seconds[student] = time.monotonic() - begun
        if reason:
            failed[student] = reason
    graded = sorted(seconds.keys() - failed.keys())
    if graded or not only:  # (an empty list would give everyone's feedback again)
        give_feedback(course, assignment, graded if only else [], broke.ungraded if broke else [])
    for student, reason in failed.items():
        failure_page(course, assignment, student, reason)
    rows = [r for r in reviews(DB, assignment) if r.student in seconds]
    print_summary(rows, seconds, time.monotonic() - started)
    print(f"\nreport: {write_report(course, assignment, rows, seconds)}", flush=True)
    if broke:
        print_stop(assignment, broke)
        raise broke
    return rows
