"""The coursework, graded the way the guide says: ``python grade.py`` in a copy of coursework/.

nbgrader generates the student versions; a class of submissions (honest, broken and
hostile ones) is graded by the real pipeline, every notebook inside the bubblewrap
sandbox; the test checks each score and flag, the gradebook, the feedback and that no
process of the sandbox is left. The batch prints its wall time (``pytest -s``).
"""
import csv
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "coursework"
sys.path.insert(0, str(COURSE))

from example_class import CLASS, submit  # noqa: E402
from grading.preflight import sandbox_problem  # noqa: E402
from grading.sandbox import SANDBOX_UIDS  # noqa: E402
from time_grading import copy_course  # noqa: E402

NOTEBOOKS = {"a1_forward_cost": "forward_cost", "a2_backward": "backward", "a3_sgd": "sgd"}
POINTS = {"a1_forward_cost": 10, "a2_backward": 12, "a3_sgd": 10}
# Seconds per notebook: an honest a1 takes 3-5 s on a quiet machine and 13-19 s at a load
# average of 15, so 45 s leaves room for a busy machine; "loops" waits it out once.
TIME_LIMIT = {"a1_forward_cost": 45, "a2_backward": 60, "a3_sgd": 90}


@dataclass
class Graded:
    """What the batch left behind."""

    course: Path
    rows: dict          # (assignment, student) -> row of grading-<assignment>.csv
    cells: dict         # (assignment, student) -> {grade_id: score}
    manual: list        # every manual score in the gradebook
    students: set       # every student in the gradebook
    log: str            # what grade.py printed
    seconds: float      # wall time of the grading


def data_dir() -> str:
    folder = os.environ.get("BACKPROP_DATA_DIR")
    if not folder or not Path(folder, "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST not found: set BACKPROP_DATA_DIR to the folder of the .gz files")
    return folder


def run(course: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a command in the course folder with this interpreter's environment."""
    env = dict(os.environ, BACKPROP_DATA_DIR=data_dir(),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def sandbox_processes() -> list[str]:
    """Processes of a sandbox that no sandbox holds any more (as root: by their user id, with
    no bubblewrap among their ancestors, so another grading running now is not counted;
    else by command)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            owner = proc.stat().st_uid
        except OSError:
            continue
        if os.geteuid() == 0:
            ours = owner in SANDBOX_UIDS and not held_by_bubblewrap(proc)
        else:
            ours = bool(re.search(r"run_notebook\.py|rerun_tests\.py|student_side\.py|sleep 600", command))
        if ours:
            found.append(f"{proc.name}: {command}")
    return found


def held_by_bubblewrap(proc: Path) -> bool:
    """Whether a ``bwrap`` process (a live sandbox) is among the ancestors of ``proc``."""
    try:
        while proc.name not in ("0", "1"):
            stat = (proc / "stat").read_text()
            if stat[stat.index("(") + 1:stat.rindex(")")] == "bwrap":
                return True
            proc = proc.parent / stat[stat.rindex(")") + 2:].split()[1]
    except (OSError, ValueError, IndexError):
        return False
    return False


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    """Generate, submit the class, grade every assignment, export; once for all tests."""
    data_dir()
    problem = sandbox_problem()
    if problem:
        pytest.fail(f"the sandbox cannot run here ({problem}); .ci/run installs bubblewrap")
    course = copy_course(tmp_path_factory.mktemp("coursework"))
    log, seconds = [], 0.0
    for assignment, name in NOTEBOOKS.items():
        run(course, "-m", "nbgrader", "generate_assignment", assignment, "--force")
        for student, entry in CLASS[assignment].items():
            submit(course, assignment, student, entry)
        started = time.monotonic()
        done = run(course, "grade.py", assignment, "--time-limit", str(TIME_LIMIT[assignment]))
        seconds += time.monotonic() - started
        log.append(done.stdout)
    run(course, "-m", "nbgrader", "export", "--to", "grades.csv")
    print("\n".join(log), f"\nwhole class graded in {seconds:.0f} s (wall time, 2 shared cores)")
    return read_back(course, "\n".join(log), seconds)


def read_back(course: Path, log: str, seconds: float) -> Graded:
    """The reports and the gradebook after the batch."""
    from nbgrader.api import Gradebook
    rows, cells = {}, {}
    for assignment, name in NOTEBOOKS.items():
        with open(course / f"grading-{assignment}.csv", newline="") as f:
            rows.update({(assignment, r["student"]): r for r in csv.DictReader(f)})
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment, name in NOTEBOOKS.items():
            for sub in gb.assignment_submissions(assignment):
                nb = gb.find_submission_notebook(name, assignment, sub.student_id)
                cells[assignment, sub.student_id] = {g.name: g.score for g in nb.grades}
        manual = [g.manual_score for s in gb.students for sub in s.submissions
                  for nb in sub.notebooks for g in nb.grades]
        students = {s.id for s in gb.students}
    return Graded(course, rows, cells, manual, students, log, seconds)


EXPECTED = [(a, s, e) for a, entries in CLASS.items() for s, e in entries.items()]


@pytest.mark.parametrize("assignment, student, expected", EXPECTED,
                         ids=[f"{a}-{s}" for a, s, _ in EXPECTED])
def test_each_submission_gets_its_expected_score_status_and_reason(graded, assignment, student, expected):
    row = graded.rows[assignment, student]
    assert (float(row["score"]), row["status"]) == (expected.score, expected.status), row
    assert float(row["max_score"]) == POINTS[assignment]
    for words in expected.reasons:
        assert words in row["reason"], row["reason"]
    if expected.status == "graded":
        assert row["reason"] == ""


def test_gradebook_holds_only_the_graders_writes(graded):
    assert all(score is None for score in graded.manual), "a manual score was written"
    everyone = {s for entries in CLASS.values() for s, e in entries.items() if e.status != "refused"}
    assert graded.students == everyone
    assert graded.cells["a1_forward_cost", "reference"] == {
        "test_sigmoid": 2, "test_layer_forward": 2, "test_feedforward": 2,
        "test_one_hot": 1, "test_cost": 2, "test_accuracy": 1}


def test_no_process_of_the_sandbox_is_left_running(graded):
    time.sleep(1)
    assert sandbox_processes() == []


def test_the_batch_lists_failures_flags_and_refusals(graded):
    print(f"\nthe class took {graded.seconds:.0f} s (printed, not asserted)")
    failed = graded.log[graded.log.index("FAILED (7):"):graded.log.index("FLAGGED")]
    assert "loops:" in failed and "kills_parent:" in failed
    assert "memory_together:" in failed and "fills_disk:" in failed and "prints_300_mb:" in failed
    assert "duplicates_test:" in failed and "deletes_test:" in failed
    refused = graded.log[graded.log.index("REFUSED (3):"):]
    assert "-h:" in refused and "[v]00_victim:" in refused and "links_gradebook:" in refused


def test_a_failed_grading_gets_feedback_saying_so_and_no_autograded_copy(graded):
    page = graded.course / "feedback" / "loops" / "a1_forward_cost" / "forward_cost.html"
    assert "could not be graded" in page.read_text() and "time limit" in page.read_text()
    assert not (graded.course / "autograded" / "loops" / "a1_forward_cost").exists()


def test_feedback_shows_scores_and_flags(graded):
    text = lambda s: re.sub(r"<[^>]+>", " ", (graded.course / "feedback" / s / "a1_forward_cost"
                                              / "forward_cost.html").read_text())
    assert re.search(r"Score:\s*10(\.0)?\s*/\s*10", text("reference"))
    assert "Flagged for manual grading" in text("monkeypatches")


def test_memory_limit_stops_the_allocation_inside_the_sandbox(graded):
    nb = nbformat.read(graded.course / "autograded" / "memory_hog" / "a1_forward_cost"
                       / "forward_cost.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_one_hot")
    assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["MemoryError"]


def test_the_sandbox_shows_no_solutions_to_a_submission(graded):
    nb = nbformat.read(graded.course / "autograded" / "reads_solutions" / "a1_forward_cost"
                       / "forward_cost.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert printed.count("cannot read") == 2  # neither the relative nor the absolute path
    assert "BEGIN SOLUTION" not in printed and "np.exp(-z)" not in printed


def test_export_gives_failed_gradings_zero(graded):
    with open(graded.course / "grades.csv", newline="") as f:
        rows = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(f)}
    assert rows["a1_forward_cost", "loops"] == 0 and rows["a1_forward_cost", "reference"] == 10


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_student_version_has_stubs_instead_of_solutions_and_no_hidden_tests(graded, assignment):
    text = (graded.course / "release" / assignment / f"{NOTEBOOKS[assignment]}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "import backprop as bp" not in text, "backprop as a reference belongs in hidden tests only"
    nb = nbformat.reads(text, as_version=4)
    stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_source_notebooks_are_committed_without_outputs(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_intro_renders_as_markdown_not_as_a_code_block(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb", as_version=4)
    intro = nb.cells[0]
    assert intro.cell_type == "markdown" and intro.source.startswith("# Assignment")
    assert not [line for line in intro.source.splitlines() if line.startswith("    ")]


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_points_of_the_graded_cells_add_up_to_the_assignment_total(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb", as_version=4)
    meta = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    assert all(m["schema_version"] == 3 for m in meta)
    assert sum(m.get("points", 0) for m in meta if m["grade"]) == POINTS[assignment]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids)), "grade_id values must be unique"


def test_grading_refuses_to_run_without_the_sandbox(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # no bwrap on this PATH
    done = subprocess.run([sys.executable, str(COURSE / "grade.py"), "a1_forward_cost"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Refusing to grade" in done.stderr
    assert "--unsafe-no-sandbox" in done.stderr


def test_a_symlink_in_a_submission_is_never_followed(graded):
    """grade.py refused it up front; plain nbgrader autograde fails it, naming the link, before
    any student code runs, and removes the copy it had made."""
    assert not (graded.course / "autograded" / "links_gradebook").exists()
    assert not (graded.course / "feedback" / "links_gradebook").exists()
    env = dict(os.environ, BACKPROP_DATA_DIR=data_dir(),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "a1_forward_cost",
                           "--student", "links_gradebook", "--force"], cwd=graded.course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert not (graded.course / "autograded" / "links_gradebook" / "a1_forward_cost").exists()
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook("forward_cost", "a1_forward_cost", "links_gradebook")
        notes = " ".join(c.auto_comment or "" for c in nb.comments)
        assert nb.flagged and nb.score == 0 and "data.csv (a symbolic link)" in notes
