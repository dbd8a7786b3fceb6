"""What the grader writes into nbgrader's gradebook besides scores, and reads back.

A submission is *flagged* (nbgrader's ``flagged`` mark, every grade needing a manual
grade, and the reasons as the automatic comment of its first solution cell) when a
person should look at it. A submission whose grading *failed* gets the same mark,
score 0 in every cell (never the score of an earlier grading) and the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry

FAILED = "Grading failed: "
FLAGGED = "Flagged for manual grading: "


@dataclass(frozen=True)
class Review:
    """One submission's outcome, as the gradebook holds it."""

    student: str
    score: float
    max_score: float
    status: str  # "graded", "flagged" or "failed"
    reason: str


def write_note(notebook, first_solution: str, text: str | None) -> None:
    """Put the grader's note on the first solution cell's automatic comment."""
    for comment in notebook.comments:
        if comment.name == first_solution:
            kept = comment.auto_comment if comment.auto_comment == "No response." else None
            comment.auto_comment = "\n".join(filter(None, [kept, text])) or None


def record_review(db_url: str, ids: tuple[str, str, str], first_solution: str,
                  reasons: list[str]) -> None:
    """Flag (reasons given) or clear the flag of a graded notebook; ids: notebook, assignment, student."""
    with Gradebook(db_url) as gb:
        notebook = gb.find_submission_notebook(*ids)
        notebook.flagged = bool(reasons)
        if reasons:
            for grade in notebook.grades:
                grade.needs_manual_grade = True
        write_note(notebook, first_solution, FLAGGED + "; ".join(reasons) if reasons else None)
        gb.db.commit()


def mark_failed(db_url: str, ids: tuple[str, str, str], first_solution: str, reason: str) -> bool:
    """Score 0 everywhere, flag, and say why; False if the submission is not in the gradebook."""
    with Gradebook(db_url) as gb:
        try:
            notebook = gb.find_submission_notebook(*ids)
        except MissingEntry:
            return False
        for grade in notebook.grades:
            grade.auto_score, grade.manual_score, grade.needs_manual_grade = 0, None, True
        notebook.flagged = True
        write_note(notebook, first_solution, FAILED + reason)
        gb.db.commit()
        return True


def reviews(db_url: str, assignment: str) -> list[Review]:
    """Every submission of the assignment with its score, status and reason."""
    with Gradebook(db_url) as gb:
        rows = []
        for submission in gb.assignment_submissions(assignment):
            notes = [line for nb in submission.notebooks for c in nb.comments
                     for line in (c.auto_comment or "").splitlines()
                     if line.startswith((FAILED, FLAGGED))]
            status = ("failed" if any(n.startswith(FAILED) for n in notes) else
                      "flagged" if any(nb.flagged for nb in submission.notebooks) else "graded")
            rows.append(Review(submission.student_id, submission.score, submission.max_score,
                               status, " | ".join(notes)))
        return sorted(rows, key=lambda r: r.student)
