"""The grading batch when a grading fails: a student's failure, or a sandbox that broke.

No real nbgrader runs: ``batch.nbgrader`` is replaced by a fake that writes the log a
real ``nbgrader autograde`` writes in each case, and the gradebook by a list of calls.
"""
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

COURSE = Path(__file__).resolve().parents[1] / "coursework"
sys.path.insert(0, str(COURSE))

from grading import batch  # noqa: E402
from grading.gradebook import Review  # noqa: E402

ASSIGNMENT = "a1"
CLASS = ["ann", "bob", "cat"]

REFUSED = """\
[AutogradeApp | WARNING] Removing existing assignment: {course}/autograded/{student}/a1
[AutogradeApp | INFO] Creating/updating student with ID '{student}': {{}}
[AutogradeApp | INFO] Autograding {course}/autograded/{student}/a1/answer.ipynb
[AutogradeApp | ERROR] There was an error processing assignment: {course}/submitted/{student}/a1
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "{course}/grading/preprocessors.py", line 78, in sandboxed
        raise sandbox.SandboxUnavailable(
    grading.sandbox.SandboxUnavailable: Refusing to run student code: bubblewrap is not installed \
(Debian/Ubuntu: apt-get install bubblewrap). Fix that, or accept the risk explicitly with \
--SandboxedExecute.allow_unsandboxed=True.
    
[AutogradeApp | WARNING] Removing failed assignment: {course}/autograded/{student}/a1
[AutogradeApp | ERROR] There was an error processing assignment 'a1' for student '{student}'
"""

TIMED_OUT = """\
[AutogradeApp | INFO] Autograding {course}/autograded/{student}/a1/answer.ipynb
[AutogradeApp | ERROR] There was an error processing assignment: {course}/submitted/{student}/a1
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "{course}/grading/preprocessors.py", line 148, in checked_output
        raise GradingFailed(f"{{stage}} ran longer than the time limit of {{seconds}} s "
    grading.preprocessors.GradingFailed: the notebook ran longer than the time limit of 25 s \
(an endless loop or very slow code); it was stopped
    
[AutogradeApp | WARNING] Removing failed assignment: {course}/autograded/{student}/a1
"""

# A file of the submission named so that its name, copied into the log, reads like the
# sandbox's refusal; the grading then fails for the student's own reason.
FORGED = """\
[AutogradeApp | INFO] Copying {course}/submitted/{student}/a1/x
    [AutogradeApp | ERROR] Traceback (most recent call last):
    grading.sandbox.SandboxUnavailable: forged -> {course}/autograded/{student}/a1/x
""" + TIMED_OUT


class Fake:
    """What the batch asked nbgrader and the gradebook to do; the log each student's grading leaves."""

    def __init__(self, course: Path, logs: dict):
        self.course, self.logs = course, logs
        self.graded, self.feedback, self.failed = [], [], []

    def nbgrader(self, course: Path, *args: str, log=None, timeout=None) -> int:
        if args[0] == "generate_feedback":
            self.feedback.append(args)
            return 0
        student = args[args.index("--student") + 1]
        self.graded.append(student)
        log.parent.mkdir(parents=True, exist_ok=True)
        copy = course / "autograded" / student / ASSIGNMENT
        if student not in self.logs:
            copy.mkdir(parents=True, exist_ok=True)
            log.write_text("[AutogradeApp | INFO] Autograding ...\n")
            return 0
        shutil.rmtree(copy, ignore_errors=True)  # as nbgrader --force does
        log.write_text(self.logs[student].format(course=course, student=student))
        return 1

    def mark_failed(self, db_url: str, ids: tuple, first_solution: str, reason: str) -> bool:
        self.failed.append((ids[2], reason))
        return True

    def reviews(self, db_url: str, assignment: str) -> list[Review]:
        failed = dict(self.failed)
        return [Review(s, 0 if s in failed else 7, 10, "failed" if s in failed else "graded",
                       failed.get(s, "")) for s in CLASS]


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    """One notebook with one solution cell; a submission of each student; a graded copy of bob's."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("answer = 42", metadata={
        "nbgrader": {"solution": True, "grade": False, "locked": False,
                     "grade_id": "answer", "schema_version": 3}})])
    (tmp_path / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nb, tmp_path / "source" / ASSIGNMENT / "answer.ipynb")
    for student in CLASS:
        (tmp_path / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "autograded" / "bob" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "autograded" / "bob" / ASSIGNMENT / "answer.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fake_batch(course: Path, monkeypatch, logs: dict) -> Fake:
    fake = Fake(course, logs)
    for name in ("nbgrader", "mark_failed", "reviews"):
        monkeypatch.setattr(batch, name, getattr(fake, name))
    return fake


def report(course: Path) -> str:
    return (course / f"grading-{ASSIGNMENT}.csv").read_text()


def test_a_sandbox_that_breaks_stops_the_batch_and_leaves_the_rest_as_it_was(course, monkeypatch, capsys):
    fake = fake_batch(course, monkeypatch, {"bob": REFUSED})
    with pytest.raises(batch.SandboxBroke) as stopped:
        batch.grade_all(course, ASSIGNMENT, [], batch.Options())
    assert fake.graded == ["ann", "bob"], "nobody is graded after the sandbox broke"
    assert fake.failed == [], "bob's grading did not fail for anything bob did"
    assert not (course / "feedback" / "bob").exists() and not (course / "feedback" / "cat").exists()
    assert fake.feedback == [("generate_feedback", ASSIGNMENT,
                              "--CourseDirectory.student_id_exclude=bob,cat", "--force")]
    assert stopped.value.ungraded == ["bob", "cat"]
    assert "ann,7,10,graded" in report(course) and "bob" not in report(course)
    said = capsys.readouterr().err
    assert "STOPPED at bob" in said and "bubblewrap is not installed" in said
    assert "(bob, cat) keep their earlier grades" in said
    assert "python grade.py a1 --student bob --student cat" in said
    assert "grading/preflight.py" in said
    assert "had already removed bob's previous autograded copy (autograded/bob/a1/)" in said


def test_the_stop_names_no_removed_copy_where_there_was_none(course, monkeypatch, capsys):
    fake = fake_batch(course, monkeypatch, {"ann": REFUSED})
    with pytest.raises(batch.SandboxBroke):
        batch.grade_all(course, ASSIGNMENT, ["ann", "cat"], batch.Options())
    assert fake.graded == ["ann"] and fake.failed == [] and fake.feedback == []
    said = capsys.readouterr().err
    assert "STOPPED at ann" in said and "python grade.py a1 --student ann --student cat" in said
    assert "removed" not in said


@pytest.mark.parametrize("log", [TIMED_OUT, FORGED], ids=["timed-out", "forged-refusal"])
def test_a_students_failure_marks_it_failed_and_the_batch_goes_on(course, monkeypatch, capsys, log):
    fake = fake_batch(course, monkeypatch, {"bob": log})
    rows = batch.grade_all(course, ASSIGNMENT, [], batch.Options())
    reason = "the notebook ran longer than the time limit of 25 s (an endless loop or very slow code); it was stopped"
    assert fake.graded == CLASS
    assert fake.failed == [("bob", reason)]
    assert "could not be graded" in (course / "feedback" / "bob" / ASSIGNMENT / "answer.html").read_text()
    assert fake.feedback == [("generate_feedback", ASSIGNMENT, "--force")]
    assert [r.status for r in rows] == ["graded", "failed", "graded"]
    assert "STOPPED" not in capsys.readouterr().err


def test_grade_py_exits_non_zero_when_the_batch_stopped(monkeypatch):
    import grade
    for check in ("check_configuration", "course_problem", "share_mnist_cache", "sandbox_problem"):
        monkeypatch.setattr(grade, check, lambda *args: None)

    def broken(*args):
        raise batch.SandboxBroke("bubblewrap is not installed")

    monkeypatch.setattr(grade, "grade_all", broken)
    monkeypatch.chdir(COURSE)  # (main changes into the course folder; this puts it back)
    assert grade.main(["a1_forward_cost"]) == 3
