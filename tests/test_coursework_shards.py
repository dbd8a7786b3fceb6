"""A class graded on two machines at once, into one PostgreSQL gradebook, as on one machine.

- ``grade.py --shard i/N`` refuses a bad shard with one error naming the argument, and
  the split puts every student in exactly one shard, whatever the other students;
- the batch grades only its shard, tells nbgrader the shared database, and gives no
  feedback to the other shards' students (nbgrader faked);
- the gradebook lock takes turns across machines on PostgreSQL (two course folders, one
  database), which the ``flock`` alone does not;
- two ``grade.py --shard`` processes at once, on two copies of the course (two machines),
  write one PostgreSQL gradebook equal to a one-machine SQLite run of the same class:
  the same students, scores per cell and in total, flags and notes, and the same number
  of rows in every table (none lost, none twice).

The test starts its own PostgreSQL server from Debian's package (tests/postgres_server.py)
in a temporary folder and removes it at the end. Without PostgreSQL it skips, except in
CI (``CI=true``), where it fails. Real gradings in the sandbox, so slow; the seconds per
student of the shard run are printed (``pytest -s``), not asserted.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

COURSE = Path(__file__).resolve().parents[1] / "coursework"
sys.path.insert(0, str(COURSE))

import postgres_server  # noqa: E402
from grading import batch  # noqa: E402
from grading.gradebook import Review  # noqa: E402
from grading.shards import in_shard  # noqa: E402
from grading.status import write_status  # noqa: E402

ASSIGNMENT = "a1_forward_cost"
KINDS = ["reference", "reference", "half_right", "raises", "monkeypatches", "kills_parent"]
STUDENTS = {f"{kind}{i}": kind for i, kind in enumerate(KINDS)}  # three in each of two shards
TIME_LIMIT = "40"


# --- the command line and the split ---------------------------------------------------

@pytest.mark.parametrize("bad, says", [("0/2", "counted from 1"), ("3/2", "counted from 1 to N = 2"),
                                       ("a/b", "is not i/N"), ("1/0", "at least 1 shard"),
                                       ("1/2/3", "is not i/N"), ("-1/2", "is not i/N")])
def test_a_bad_shard_gets_one_error_naming_the_argument(capsys, bad, says):
    import grade
    with pytest.raises(SystemExit) as stopped:
        grade.arguments([ASSIGNMENT, f"--shard={bad}", "--db", "postgresql+psycopg2://grader@dbhost/course"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: argument --shard: " in error and repr(bad) in error and says in error


def test_a_shard_of_more_than_one_needs_a_shared_database(capsys):
    import grade
    with pytest.raises(SystemExit):
        grade.arguments([ASSIGNMENT, "--shard", "1/2"])
    assert "--shard needs --db with the PostgreSQL gradebook" in capsys.readouterr().err
    assert grade.arguments([ASSIGNMENT, "--shard", "1/1"]).shard == (1, 1)
    url = "postgresql+psycopg2://grader@dbhost/course"
    assert grade.arguments([ASSIGNMENT, "--shard", "2/2", "--db", url]).db == url


def test_every_student_is_in_exactly_one_shard_whatever_the_others():
    ids = [f"s{i:04d}" for i in range(3000)]
    for count in range(1, 6):
        shards = [[s for s in ids if in_shard(s, (i, count))] for i in range(1, count + 1)]
        assert sorted(sum(shards, [])) == ids, f"N = {count}: a student in no shard or in two"
        assert all(abs(len(s) - len(ids) / count) < 0.1 * len(ids) / count for s in shards)
    # a student's shard depends on the id alone: a machine that has one submission more
    # (a late one) splits the rest of the class the same way
    alone = [in_shard("anna", (i, 3)) for i in (1, 2, 3)]
    assert alone.count(True) == 1
    assert [in_shard("anna", (i, 3)) for i in (1, 2, 3)] == alone
    assert [s for s, k in STUDENTS.items() if in_shard(s, (1, 2))] == ["reference1", "half_right2",
                                                                       "monkeypatches4"]


def test_the_batch_grades_its_shard_into_the_database_it_was_given(tmp_path, monkeypatch):
    (tmp_path / "source" / "a1").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={
        "nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "x",
                     "schema_version": 3}})]), tmp_path / "source" / "a1" / "x.ipynb")
    for student in STUDENTS:
        (tmp_path / "submitted" / student / "a1").mkdir(parents=True)
    calls = []

    def nbgrader(course, *args, log=None, timeout=None):
        calls.append(args)
        status = next((a.split("=", 1)[1] for a in args if a.startswith("--GradingStep.status_file=")), None)
        if status:
            Path(status).parent.mkdir(parents=True, exist_ok=True)
            write_status(status, "x", "graded")
        return 0

    monkeypatch.setattr(batch, "nbgrader", nbgrader)
    monkeypatch.setattr(batch, "reviews", lambda db, a: [Review(s, 1, 1, "graded", "") for s in STUDENTS])
    url = "postgresql+psycopg2://grader@db.example.org/course"
    monkeypatch.setattr(batch, "holding", lambda course, db=None: _nothing())
    rows = batch.grade_all(tmp_path, "a1", [], batch.Options(db=url, shard=(2, 2)))
    mine = [s for s in STUDENTS if in_shard(s, (2, 2))]
    assert [r.student for r in rows] == mine
    graded = [a[a.index("--student") + 1] for a in calls if a[0] == "autograde"]
    assert sorted(graded) == sorted(mine)
    assert all(f"--CourseDirectory.db_url={url}" in a for a in calls)
    (feedback,) = [a for a in calls if a[0] == "generate_feedback"]
    others = sorted(set(STUDENTS) - set(mine))
    assert f"--CourseDirectory.student_id_exclude={','.join(others)}" in feedback


def _nothing():
    from contextlib import nullcontext
    return nullcontext()


# --- PostgreSQL ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres():
    """``database(name) -> URL`` on a PostgreSQL server of this test's own."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed: pip install -r requirements-instructor.txt")
    folder = postgres_server.binaries()
    if folder is None:
        missing = "PostgreSQL is not installed (Debian: apt-get install postgresql)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing}; CI must run the shared-gradebook test")
        pytest.skip(missing)
    with postgres_server.running(folder) as database:
        yield database


LOCKER = """
import sys, time
sys.path.insert(0, {course!r})
from grading.lock import holding, released
course, db, role = sys.argv[1], sys.argv[2] or None, sys.argv[3]
def say(what):
    print(what, time.time(), flush=True)
with holding(course, db):
    say("in")
    if role == "first":
        time.sleep(1.5)
        say("released")  # (said just before letting go, so nobody can come in before it)
        with released():
            time.sleep(1.5)
        say("back")
    else:
        time.sleep(2.5)
    say("out")
"""


def take_turns(tmp_path: Path, db: str) -> dict:
    """A first grading holds the lock, lets go for a while, takes it back; a second, on
    another course folder, takes it when it can. The times each said what."""
    folders = [tmp_path / "first", tmp_path / "second"]
    for folder in folders:
        folder.mkdir(exist_ok=True)
    script = LOCKER.format(course=str(COURSE))
    first = subprocess.Popen([sys.executable, "-c", script, folders[0], db, "first"],
                             stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().startswith("in ")
    second = subprocess.run([sys.executable, "-c", script, folders[1], db, "second"],
                            capture_output=True, text=True, timeout=60, check=True)
    said = {f"first {line.split()[0]}": float(line.split()[1]) for line in first.communicate(timeout=60)[0].splitlines()}
    said.update({f"second {line.split()[0]}": float(line.split()[1]) for line in second.stdout.splitlines()})
    return said


def test_the_gradebook_lock_takes_turns_across_machines_on_postgresql(tmp_path, postgres):
    said = take_turns(tmp_path, postgres("lock"))
    assert said["first released"] <= said["second in"], "the second came in while the first held the lock"
    assert said["second out"] <= said["first back"], "the first took the lock back while the second held it"
    # the machine's flock alone: two course folders never wait for each other
    alone = take_turns(tmp_path, "")
    assert alone["second in"] < alone["first released"]


# --- two machines at once ------------------------------------------------------------------

def contents(db_url: str) -> dict:
    """Student -> total and max score, and per notebook its flag, cell scores and notes."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        return {s.student_id: (s.score, s.max_score, {nb.name: (
            nb.flagged,
            sorted((g.name, g.auto_score, g.manual_score, g.needs_manual_grade) for g in nb.grades),
            sorted((c.name, c.auto_comment) for c in nb.comments)) for nb in s.notebooks})
            for s in gb.assignment_submissions(ASSIGNMENT)}


def row_counts(db_url: str) -> dict:
    """Rows in each of nbgrader's tables."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, func, select
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return {t.name: connection.execute(select(func.count()).select_from(t)).scalar()
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def test_two_shards_at_once_write_the_gradebook_of_one_machine(tmp_path, postgres, grading_environment):
    from time_grading import finish_grading, make_course, run, start_grading
    one = make_course(tmp_path / "one", STUDENTS)
    machines = [tmp_path / "machine1", tmp_path / "machine2"]
    for machine in machines:  # the course and the whole class's submissions, no gradebook
        shutil.copytree(one, machine, ignore=shutil.ignore_patterns("gradebook.db"))
    url = postgres("course")  # an empty database; the assignment is recorded once, from one machine
    run(machines[0], "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force", "--db", url)

    finish_grading(start_grading(one, 1, TIME_LIMIT, env=grading_environment))
    began = time.monotonic()
    shards = [start_grading(machine, 1, TIME_LIMIT, "--shard", f"{i}/2", "--db", url, env=grading_environment)
              for i, machine in enumerate(machines, start=1)]
    said = [finish_grading(shard) for shard in shards]
    wall = time.monotonic() - began
    print(f"\ntwo shards at once (--jobs 1 each): {wall:.1f} s for {len(STUDENTS)} students, "
          f"{wall / len(STUDENTS):.1f} s per student (load average {os.getloadavg()[0]:.1f})")

    for i, (machine, out) in enumerate(zip(machines, said), start=1):
        mine = sorted(s for s in STUDENTS if in_shard(s, (i, 2)))
        assert sorted(p.name for p in (machine / "autograded").iterdir()) == mine, "a student graded twice"
        assert sorted(p.name for p in (machine / "feedback").iterdir()) == mine
        assert f"{len(mine)} graded" in out
    merged = contents(url)
    reference = contents(f"sqlite:///{one / 'gradebook.db'}")
    assert sorted(merged) == sorted(STUDENTS)
    assert reference["reference0"][:2] == (10.0, 10.0) and reference["kills_parent5"][0] == 0
    assert merged == reference
    assert row_counts(url) == row_counts(f"sqlite:///{one / 'gradebook.db'}")
    report = subprocess.run([sys.executable, "grade.py", ASSIGNMENT, "--report", "--db", url],
                            cwd=machines[1], env=grading_environment, capture_output=True, text=True, check=True)
    assert all(student in report.stdout for student in STUDENTS), "the report shows the merged class"
