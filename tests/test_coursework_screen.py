"""The grader's screening and fresh re-run, on small hand-made notebooks (no nbgrader run)."""
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

COURSE = Path(__file__).resolve().parents[1] / "coursework"
sys.path.insert(0, str(COURSE))

from example_class import reference_solutions  # noqa: E402
from grading.preprocessors import demote_unknown_graded_cells  # noqa: E402
from grading.screen import broken_structure, definitions_only, layout, screen  # noqa: E402

SOURCE = COURSE / "source" / "a1_forward_cost" / "forward_cost.ipynb"


def submission(**solutions: str):
    """The a1 source notebook with these solution cells' sources."""
    nb = nbformat.read(SOURCE, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    return nb


def test_the_reference_solution_raises_no_flag():
    nb = submission(**reference_solutions(SOURCE))
    assert screen(nb, layout(nbformat.read(SOURCE, as_version=4))) == []


@pytest.mark.parametrize("code, reason", [
    ("import backprop\nsigmoid = backprop.sigmoid", "imports the course package backprop"),
    ("from os import path", "imports os"),
    ("x = open('/etc/passwd').read()", "uses open"),
    ("%timeit np.ones(3)", "uses get_ipython"),
    ("!ls ../../..", "uses get_ipython"),
    ("def sigmoid(z):\n    np.isclose = lambda *a, **k: True\n    return z", "changes np.isclose"),
    ("def sigmoid(z):\n    global X_test\n    return z", "declares global X_test"),
    ("def sigmoid(z):\n    return z.__class__", "uses the special attribute .__class__"),
    ("init_network = lambda sizes, seed=0: None", "redefines the given name init_network"),
])
def test_each_kind_of_tampering_is_flagged_with_its_reason(code, reason):
    cells = layout(nbformat.read(SOURCE, as_version=4))
    assert f"sigmoid: {reason}" in screen(submission(sigmoid=code), cells)


def test_an_added_graded_cell_is_flagged_and_loses_its_grading_mark():
    nb = submission(**reference_solutions(SOURCE))
    extra = nbformat.v4.new_code_cell("assert True")
    extra.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 50, "locked": True,
                                  "solution": False, "schema_version": 3}
    nb.cells.append(extra)
    cells = layout(nbformat.read(SOURCE, as_version=4))
    assert "an extra graded cell bonus was added" in screen(nb, cells)
    demote_unknown_graded_cells(nb, cells)
    assert "nbgrader" not in nb.cells[-1].metadata


def test_an_unlocked_given_cell_is_flagged():
    nb = submission(**reference_solutions(SOURCE))
    init = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "a1_init")
    del init.metadata["nbgrader"]  # no longer restored by nbgrader: now the student's code
    cells = layout(nbformat.read(SOURCE, as_version=4))
    reasons = screen(nb, cells)
    assert "the given cell a1_init was deleted" in reasons
    assert any(r.endswith("redefines the given name init_network") for r in reasons)
    assert broken_structure(nb, cells) == [], "a given cell is restored by nbgrader; grading goes on"


def test_a_missing_or_duplicated_test_cell_breaks_the_structure():
    cells = layout(nbformat.read(SOURCE, as_version=4))
    assert broken_structure(submission(**reference_solutions(SOURCE)), cells) == []
    nb = submission(**reference_solutions(SOURCE))
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_cost"]
    assert broken_structure(nb, cells) == ["the test cell test_cost is missing (deleted, or its id changed)"]
    nb = submission(**reference_solutions(SOURCE))
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_sigmoid")
    nb.cells.append(nbformat.from_dict(test))
    assert broken_structure(nb, cells) == ["the cell id test_sigmoid appears 2 times"]


def test_the_fresh_run_keeps_only_definitions_and_constants():
    code = ("import numpy as np\nimport os\nEPOCHS = 3\nTARGET = 0\nnp.allclose = print\n"
            "print('hello')\ndef f(x):\n    return x\nclass Helper:\n    pass")
    kept = definitions_only(code, given={"TARGET", "np"})
    assert kept == "import numpy as np\nEPOCHS = 3\n\ndef f(x):\n    return x\n\nclass Helper:\n    pass"


def test_defining_a_built_in_name_is_flagged():
    cells = layout(nbformat.read(SOURCE, as_version=4))
    code = "def all(values):\n    return True\ndef sigmoid(z):\n    return z"
    assert "sigmoid: redefines the built-in all" in screen(submission(sigmoid=code), cells)
