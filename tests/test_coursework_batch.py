"""The grading batch when a grading fails: a student's failure, or a sandbox that broke.

No real nbgrader runs: ``batch.nbgrader`` is replaced by a fake that writes the status
file (and the log) a real ``nbgrader autograde`` writes in each case, and the gradebook
by a list of calls.
"""
import contextlib
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

COURSE = Path(__file__).resolve().parents[1] / "coursework"
sys.path.insert(0, str(COURSE))

from grading import batch  # noqa: E402
from grading.gradebook import Review  # noqa: E402
from grading.status import FAILED, UNAVAILABLE, read_status, write_status  # noqa: E402

ASSIGNMENT = "a1"
CLASS = ["ann", "bob", "cat"]
NO_BWRAP = ("Refusing to run student code: bubblewrap is not installed (Debian/Ubuntu: apt-get "
            "install bubblewrap). Fix that, or accept the risk explicitly with "
            "--SandboxedExecute.allow_unsandboxed=True.")
TIMED_OUT = ("the notebook ran longer than the time limit of 25 s (an endless loop or very slow "
             "code); it was stopped")
REFUSED = (UNAVAILABLE, NO_BWRAP)
FAILS = (FAILED, TIMED_OUT)
CRASHES = (None, "")  # nbgrader stops with an error before any step reports
# A log that reads like the sandbox's refusal (a file of the submission so named, say):
# the batch never reads the log, only the status file the grader wrote.
FORGED_LOG = ("[AutogradeApp | ERROR] Traceback (most recent call last):\n"
              "    grading.sandbox.SandboxUnavailable: forged\n")


class Fake:
    """What the batch asked nbgrader and the gradebook to do; how each student's grading ends."""

    def __init__(self, course: Path, outcomes: dict, seconds: float = 0.0):
        self.course, self.outcomes, self.seconds = course, outcomes, seconds
        self.graded, self.feedback, self.failed, self.args = [], [], [], {}
        self.at_once = self.most_at_once = 0
        self.counting = threading.Lock()

    def nbgrader(self, course: Path, *args: str, log=None, timeout=None) -> int:
        if args[0] == "generate_feedback":
            self.feedback.append(args)
            return 0
        student = args[args.index("--student") + 1]
        self.graded.append(student)
        self.args[student] = args
        with self.counting:
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        time.sleep(self.seconds.get(student, 0.1) if isinstance(self.seconds, dict) else self.seconds)
        with self.counting:
            self.at_once -= 1
        status_file = next(a.split("=", 1)[1] for a in args if a.startswith("--GradingStep.status_file="))
        log.parent.mkdir(parents=True, exist_ok=True)
        copy = course / "autograded" / student / ASSIGNMENT
        if student not in self.outcomes:
            copy.mkdir(parents=True, exist_ok=True)
            log.write_text("[AutogradeApp | INFO] Autograding ...\n")
            write_status(status_file, "answer", "graded")
            return 0
        shutil.rmtree(copy, ignore_errors=True)  # as nbgrader --force does
        log.write_text(FORGED_LOG)
        status, reason = self.outcomes[student]
        if status:
            write_status(status_file, "answer", status, reason)
        return 1

    @contextlib.contextmanager
    def shared_mnist(self):
        yield str(self.course / "pixels")

    def mark_failed(self, db_url: str, ids: tuple, first_solution: str, reason: str) -> bool:
        self.failed.append((ids[2], reason))
        return True

    def reviews(self, db_url: str, assignment: str) -> list[Review]:
        failed = dict(self.failed)
        for student, (status, reason) in self.outcomes.items():
            if status == FAILED:  # (marked in the gradebook by the grading itself)
                failed[student] = reason
        return [Review(s, 0 if s in failed else 7, 10, "failed" if s in failed else "graded",
                       failed.get(s, "")) for s in sorted(self.graded)]  # (sorted, as gradebook.reviews)


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


def fake_batch(course: Path, monkeypatch, outcomes: dict, seconds: float = 0.0) -> Fake:
    fake = Fake(course, outcomes, seconds)
    for name in ("nbgrader", "mark_failed", "reviews", "shared_mnist"):
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


def test_a_students_failure_is_read_from_the_status_file_and_the_batch_goes_on(course, monkeypatch, capsys):
    fake = fake_batch(course, monkeypatch, {"bob": FAILS})
    rows = batch.grade_all(course, ASSIGNMENT, [], batch.Options())
    assert fake.graded == CLASS
    assert fake.failed == [], "the grading marked bob failed itself; the batch does not again"
    assert "could not be graded" in (course / "feedback" / "bob" / ASSIGNMENT / "answer.html").read_text()
    assert TIMED_OUT in (course / "feedback" / "bob" / ASSIGNMENT / "answer.html").read_text()
    assert fake.feedback == [("generate_feedback", ASSIGNMENT, "--force")]
    assert [r.status for r in rows] == ["graded", "failed", "graded"]
    assert "STOPPED" not in capsys.readouterr().err, "the forged refusal in the log is never read"


def test_a_grading_that_stops_before_any_step_reports_is_marked_failed_by_the_batch(course, monkeypatch):
    fake = fake_batch(course, monkeypatch, {"cat": CRASHES})
    rows = batch.grade_all(course, ASSIGNMENT, [], batch.Options())
    assert fake.failed == [("cat", "nbgrader stopped (exit status 1) before the grading finished; "
                                   "its log: grading-logs/a1/cat.log")]
    assert [r.status for r in rows] == ["graded", "graded", "failed"]


def test_the_batch_tells_each_grading_where_to_report_and_that_the_sandbox_was_checked(course, monkeypatch):
    fake = fake_batch(course, monkeypatch, {})
    batch.grade_all(course, ASSIGNMENT, ["ann"], batch.Options(seconds=30))
    args = fake.args["ann"]
    status_file = course / "grading-logs" / ASSIGNMENT / "ann.status.json"
    assert f"--GradingStep.status_file={status_file}" in args
    assert "--SandboxedExecute.sandbox_checked=True" in args
    assert "--SandboxedExecute.allow_unsandboxed=True" not in args
    assert f"--SandboxedExecute.shared_pixels={course / 'pixels'}" in args
    assert read_status(status_file)["answer"].status == "graded"


def test_the_status_file_keeps_every_notebook_and_refuses_an_unknown_status(tmp_path):
    path = tmp_path / "alice.status.json"
    assert read_status(path) == {}
    write_status(path, "one", FAILED, "the time limit")
    write_status(path, "two", "graded")
    assert {n: (s.status, s.reason) for n, s in read_status(path).items()} == {
        "one": (FAILED, "the time limit"), "two": ("graded", "")}
    with pytest.raises(ValueError, match="status must be"):
        write_status(path, "three", "passed")


def test_two_jobs_grade_two_students_at_once_with_the_same_results(course, monkeypatch):
    outcomes = {"bob": FAILS}
    one = fake_batch(course, monkeypatch, outcomes, seconds=0.3)
    rows_one = batch.grade_all(course, ASSIGNMENT, [], batch.Options(jobs=1))
    two = fake_batch(course, monkeypatch, outcomes, seconds=0.3)
    rows_two = batch.grade_all(course, ASSIGNMENT, [], batch.Options(jobs=2))
    assert (one.most_at_once, two.most_at_once) == (1, 2)
    assert rows_one == rows_two and sorted(two.graded) == CLASS


def made_by(call: tuple, everyone: list[str]) -> list[str]:
    """The students whose feedback one generate_feedback call makes (all but those it excludes)."""
    option = [a for a in call if a.startswith("--CourseDirectory.student_id_exclude=")]
    excluded = option[0].split("=", 1)[1].split(",") if option else []
    return [s for s in everyone if s not in excluded]


def test_two_jobs_share_the_feedback_pages_between_two_processes(course, monkeypatch):
    (course / "submitted" / "dan" / ASSIGNMENT).mkdir(parents=True)
    (course / "autograded" / "old" / ASSIGNMENT).mkdir(parents=True)  # graded in an earlier batch
    fake = fake_batch(course, monkeypatch, {"bob": FAILS})
    batch.grade_all(course, ASSIGNMENT, [], batch.Options(jobs=2))
    graded = ["ann", "cat", "dan", "old"]  # (bob's grading failed: nbgrader removed his copy)
    shares = [made_by(call, graded) for call in fake.feedback]
    assert len(shares) == 2 and all(shares)
    assert sorted(s for share in shares for s in share) == graded, "each page made once"


def test_with_two_jobs_a_broken_sandbox_leaves_the_students_not_started(course, monkeypatch):
    for student in ["dan", "eve"]:
        (course / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
    fake = fake_batch(course, monkeypatch, {"bob": REFUSED}, seconds={"ann": 0.8})
    with pytest.raises(batch.SandboxBroke) as stopped:
        batch.grade_all(course, ASSIGNMENT, [], batch.Options(jobs=2))
    assert sorted(fake.graded) == ["ann", "bob"], "nobody starts after the sandbox broke"
    assert stopped.value.ungraded == ["bob", "cat", "dan", "eve"]
    assert "ann,7,10,graded" in report(course), "ann, graded beside bob, finished and is reported"


@pytest.mark.parametrize("odd", ["-h", "[v]00_victim", ".hidden", "a b"])
def test_a_student_id_that_is_not_a_plain_name_is_refused_up_front_and_reported(course, monkeypatch, capsys, odd):
    (course / "submitted" / odd / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "v00_victim" / ASSIGNMENT).mkdir(parents=True)
    fake = fake_batch(course, monkeypatch, {})
    rows = batch.grade_all(course, ASSIGNMENT, [], batch.Options())
    assert sorted(fake.graded) == sorted(CLASS + ["v00_victim"]), "every plain id is graded, the odd one is not"
    said = capsys.readouterr()
    assert said.err.startswith("Not grading: 1 student id is not a plain name") and repr(odd) in said.err
    refused = [r for r in rows if r.status == "refused"]
    assert [r.student for r in refused] == [odd] and repr(odd) in refused[0].reason
    assert "REFUSED (1):" in said.out
    assert any(line.startswith((f"{odd},", f'"{odd}",')) and ",refused," in line
               for line in report(course).splitlines())


def test_grade_py_refuses_an_odd_student_id_on_its_command_line(monkeypatch, capsys):
    import grade
    with pytest.raises(SystemExit) as stopped:
        grade.arguments(["a1_forward_cost", "--student=[v]00_victim", "--student", "alice"])
    assert stopped.value.code == 2
    assert "'[v]00_victim'" in capsys.readouterr().err


def test_grade_py_refuses_a_number_of_jobs_below_one(capsys):
    import grade
    with pytest.raises(SystemExit):
        grade.arguments(["a1_forward_cost", "--jobs", "0"])
    assert "--jobs must be a positive number" in capsys.readouterr().err


def test_grade_py_exits_non_zero_when_the_batch_stopped(monkeypatch):
    import grade
    for check in ("check_configuration", "course_problem", "share_mnist_cache", "sandbox_problem"):
        monkeypatch.setattr(grade, check, lambda *args: None)

    def broken(*args):
        raise batch.SandboxBroke("bubblewrap is not installed")

    monkeypatch.setattr(grade, "grade_all", broken)
    monkeypatch.chdir(COURSE)  # (main changes into the course folder; this puts it back)
    assert grade.main(["a1_forward_cost"]) == 3
