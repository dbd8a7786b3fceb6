"""The nbgrader coursework, run through the real pipeline.

coursework/ is copied into a temporary folder (the gradebook database is created
there, never in the repository). nbgrader generates the student versions, then
autogrades three submissions of each assignment: the reference solution, the
untouched student version and, for assignment 1, a broken one that raises, loops
forever and returns the wrong shape. Scores are read back from the gradebook and
from `nbgrader export`.
"""
import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "coursework"
NOTEBOOKS = {"a1_forward_cost": "forward_cost", "a2_backward": "backward", "a3_sgd": "sgd"}
POINTS = {"a1_forward_cost": 10, "a2_backward": 12, "a3_sgd": 10}
CELL_TIMEOUT = 15    # seconds a graded cell may run before nbgrader interrupts it
COMMAND_LIMIT = 180  # seconds one nbgrader command may take, endless loop included

# assignment 1, broken three ways; every other function is the reference solution
BROKEN = {
    "feedforward": "def feedforward(X, weights, biases):\n    raise RuntimeError('not finished')",
    "cost": "def cost(outputs, labels):\n"
            "    return np.sum((outputs - one_hot(labels)) ** 2, axis=1)  # one cost per example",
    "accuracy": "def accuracy(outputs, labels):\n    while True:\n        pass",
}
BROKEN_SCORES = {"test_sigmoid": 2, "test_layer_forward": 2, "test_feedforward": 0,
                 "test_one_hot": 1, "test_cost": 0, "test_accuracy": 0}
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.MULTILINE)


def data_dir():
    folder = os.environ.get("BACKPROP_DATA_DIR")
    if not folder or not Path(folder, "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST not found: set BACKPROP_DATA_DIR to the folder of the .gz files")
    return folder


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder, the way an instructor would."""
    env = dict(os.environ,
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               BACKPROP_DATA_DIR=data_dir())
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=COMMAND_LIMIT)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def submission(release: Path, solutions: dict, destination: Path) -> None:
    """A student's notebook: the release with the solution cells replaced by ``solutions``."""
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in solutions:
            cell.source = solutions[grade_id]
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, destination)


def reference_solutions(source: Path) -> dict:
    """The instructor's solution cells without their markers: what a perfect student writes."""
    nb = nbformat.read(source, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Generate, submit, autograde, give feedback and export, once for all the tests below."""
    data_dir()
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("coursework") / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(
        "gradebook.db", "release", "submitted", "autograded", "feedback", ".ipynb_checkpoints"))
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Execute.timeout = {CELL_TIMEOUT}\n")
    for assignment, name in NOTEBOOKS.items():
        nbgrader(course, "generate_assignment", assignment, "--force")
        release = course / "release" / assignment / f"{name}.ipynb"
        solutions = reference_solutions(course / "source" / assignment / f"{name}.ipynb")
        submitted = course / "submitted"
        submission(release, solutions, submitted / "reference" / assignment / f"{name}.ipynb")
        submission(release, {}, submitted / "untouched" / assignment / f"{name}.ipynb")
        if assignment == "a1_forward_cost":
            submission(release, {**solutions, **BROKEN}, submitted / "broken" / assignment / f"{name}.ipynb")
        nbgrader(course, "autograde", assignment, "--force")
    nbgrader(course, "generate_feedback", "a1_forward_cost", "--student", "reference", "--force")
    nbgrader(course, "export", "--to", "grades.csv")
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment, name in NOTEBOOKS.items():
            for sub in gb.assignment_submissions(assignment):
                notebook = gb.find_submission_notebook(name, assignment, sub.student_id)
                scores[assignment, sub.student_id] = (sub.score, sub.max_score,
                                                      {g.name: g.score for g in notebook.grades})
    return course, scores


def release_text(course, assignment):
    return (course / "release" / assignment / f"{NOTEBOOKS[assignment]}.ipynb").read_text()


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_source_notebooks_are_committed_without_outputs(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_points_of_the_graded_cells_add_up_to_the_assignment_total(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb", as_version=4)
    meta = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    assert all(m["schema_version"] == 3 for m in meta)
    assert sum(m.get("points", 0) for m in meta if m["grade"]) == POINTS[assignment]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids)), "grade_id values must be unique"


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_student_version_has_stubs_instead_of_solutions_and_no_hidden_tests(graded, assignment):
    course, _ = graded
    text = release_text(course, assignment)
    n_solutions = len(reference_solutions(course / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb"))
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "import backprop as bp" not in text, "backprop as a reference belongs in hidden tests only"
    nb = nbformat.reads(text, as_version=4)
    stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
             and "# YOUR CODE HERE" in c.source and "raise NotImplementedError()" in c.source]
    assert len(stubs) == n_solutions
    assert "Visible tests passed." in text or "gradient check" in text


def test_student_version_hides_the_reference_code(graded):
    course, _ = graded
    text = release_text(course, "a1_forward_cost")
    assert "np.exp(-z)" not in text and "A_prev @ W.T + b" not in text
    assert "sigmoid(0) should be 0.5" in text  # the visible tests stay


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_reference_solution_gets_full_marks(graded, assignment):
    score, max_score, cells = graded[1][assignment, "reference"]
    assert max_score == POINTS[assignment]
    assert score == max_score, f"cells short of full marks: {cells}"


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_untouched_student_version_scores_zero_without_crashing(graded, assignment):
    course, scores = graded
    score, max_score, cells = scores[assignment, "untouched"]
    assert (score, max_score) == (0, POINTS[assignment])
    assert (course / "autograded" / "untouched" / assignment / f"{NOTEBOOKS[assignment]}.ipynb").exists()


def test_broken_submission_loses_exactly_the_broken_parts(graded):
    score, _, cells = graded[1]["a1_forward_cost", "broken"]
    assert cells == BROKEN_SCORES
    assert score == sum(BROKEN_SCORES.values())


def test_endless_loop_is_interrupted_by_the_cell_timeout(graded):
    course, _ = graded
    nb = nbformat.read(course / "autograded" / "broken" / "a1_forward_cost" / "forward_cost.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_accuracy")
    errors = [o.ename for o in cell.outputs if o.output_type == "error"]
    assert errors and set(errors) <= {"KeyboardInterrupt", "CellTimeoutError"}


def test_feedback_shows_the_students_score(graded):
    course, _ = graded
    page = course / "feedback" / "reference" / "a1_forward_cost" / "forward_cost.html"
    assert re.search(r"Score:\s*10(\.0)?\s*/\s*10", re.sub(r"<[^>]+>", " ", page.read_text()))


def test_export_lists_every_submission_with_its_score(graded):
    course, scores = graded
    with open(course / "grades.csv", newline="") as f:
        rows = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(f)}
    assert {key: rows[key] for key in scores} == {key: value[0] for key, value in scores.items()}
    assert all(rows[key] == 0 for key in rows.keys() - scores.keys())  # no submission, no points
    assert rows["a1_forward_cost", "broken"] == sum(BROKEN_SCORES.values())
