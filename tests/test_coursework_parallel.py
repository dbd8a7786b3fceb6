"""Gradings side by side give the grades of one at a time.

- ``grade.py --jobs 2`` gives every student of a small class the score, status, reason
  and cell scores that ``--jobs 1`` gives;
- two batches at once, on two copies of the course (two instructors, or a batch beside
  the test suite), give them again: no sandbox user id, process limit, temporary folder
  or lock is shared between them.

Real gradings in the sandbox, so slow (a minute or more each); the wall times are printed
(``pytest -s``), not asserted. ``python coursework/time_grading.py`` times a class of 20.
"""
import os
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

COURSE = Path(__file__).resolve().parents[1] / "coursework"
sys.path.insert(0, str(COURSE))

from example_class import CLASS  # noqa: E402
from time_grading import (ASSIGNMENT, PLAIN, ceiling, class_of, finish_grading, make_course,  # noqa: E402
                          results, start_grading)

pytestmark = pytest.mark.slow

# one of each kind of outcome: full marks, part marks, a raising function, a MemoryError,
# a failed grading (kills its runner), a flagged one (patches numpy; fails the re-run)
KINDS = ["reference", "half_right", "raises", "memory_hog", "kills_parent", "monkeypatches"]
STUDENTS = {f"{kind}_{i}": kind for i, kind in enumerate(KINDS)}
TIME_LIMIT = "40"


def test_the_timed_classes_cycle_through_their_submissions():
    plain, example = class_of(12, "plain"), class_of(30)
    assert list(plain.values())[:len(PLAIN)] == list(PLAIN) and len(plain) == 12
    assert all(CLASS[ASSIGNMENT][kind].status == "graded" for kind in plain.values())
    assert {"prints_300_mb", "forges_reply_pipe"} <= set(example.values())   # attacks included
    assert "loops" not in example.values()     # it would time the limit, not the grader
    assert not any(CLASS[ASSIGNMENT][kind].status == "refused" for kind in example.values())


def test_the_ceiling_is_the_speed_up_of_a_run_that_kept_every_core_busy():
    assert ceiling(60.0, 66.0, cores=2) == pytest.approx(120 / 66)   # 66 CPU s need 33 s at least
    assert ceiling(60.0, 30.0, cores=2) == pytest.approx(4.0)
    assert ceiling(60.0, 66.0, cores=4) == pytest.approx(2 * ceiling(60.0, 66.0, cores=2))


def grades(course: Path) -> dict:
    """Student -> (score, status, reason, {cell: score}) from the report and the gradebook."""
    from nbgrader.api import Gradebook
    rows = results(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in rows:
            nb = gb.find_submission_notebook("forward_cost", ASSIGNMENT, student)
            rows[student] += ({g.name: g.score for g in nb.grades},)
    return rows


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory, grading_environment) -> dict:
    """The class graded with --jobs 1: the grades every other way must give."""
    course = make_course(tmp_path_factory.mktemp("one"), STUDENTS)
    began = time.monotonic()
    finish_grading(start_grading(course, 1, TIME_LIMIT, env=grading_environment))
    print(f"\n--jobs 1: {time.monotonic() - began:.1f} s for {len(STUDENTS)} students "
          f"(load average {os.getloadavg()[0]:.1f})")
    graded = grades(course)
    assert set(graded) == set(STUDENTS)
    assert graded["reference_0"][:2] == ("10.0", "graded") and graded["kills_parent_4"][1] == "failed"
    assert graded["monkeypatches_5"][1] == "flagged"
    return graded


def test_two_jobs_give_every_student_the_grades_of_one_at_a_time(tmp_path, grading_environment,
                                                                 one_at_a_time):
    course = make_course(tmp_path, STUDENTS)
    began = time.monotonic()
    out = finish_grading(start_grading(course, 2, TIME_LIMIT, env=grading_environment))
    print(f"\n--jobs 2: {time.monotonic() - began:.1f} s for {len(STUDENTS)} students "
          f"(load average {os.getloadavg()[0]:.1f})")
    assert "2 at a time" in out and "s per student" in out
    assert grades(course) == one_at_a_time


def test_two_batches_at_once_on_two_courses_give_the_grades_of_one_at_a_time(tmp_path, grading_environment,
                                                                             one_at_a_time):
    courses = [make_course(tmp_path / name, STUDENTS) for name in ("first", "second")]
    began = time.monotonic()
    gradings = [start_grading(course, 2, TIME_LIMIT, env=grading_environment) for course in courses]
    for grading in gradings:
        finish_grading(grading)
    print(f"\ntwo batches of --jobs 2 at once: {time.monotonic() - began:.1f} s "
          f"(load average {os.getloadavg()[0]:.1f})")
    for course in courses:
        assert grades(course) == one_at_a_time
