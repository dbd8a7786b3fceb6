"""Read a submission without running it: what it may change, and what a grader should see.

``layout`` reads the instructor's notebook: which code cells are given, which are the
student's and which are tests. ``screen`` lists the reasons to grade a submission by
hand: imports other than numpy and math (the course package included), the IPython
shell (``get_ipython``, magics), the file system or ``exec``, special attributes,
changed module attributes, ``global`` statements, redefined given or built-in names
(the tests never see the student's ``all`` or ``type``), graded cells
that were added and given cells that were deleted. ``broken_structure`` says why a
submission cannot be graded at all (a cell id used twice, a test cell missing). ``definitions_only`` keeps what the fresh
re-run of the tests imports from a solution cell: its functions, classes, numpy/math
imports and plain constants.
"""
from __future__ import annotations

import ast
import builtins
from collections import Counter
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

from .replay import bound_names

ALLOWED_IMPORTS = {"numpy", "math"}
FORBIDDEN_NAMES = {"get_ipython", "exec", "eval", "compile", "open", "__import__", "globals",
                   "locals", "vars", "getattr", "setattr", "delattr", "breakpoint", "input",
                   "exit", "quit", "__builtins__", "memoryview"}


@dataclass(frozen=True)
class Cell:
    """One code cell of the instructor's notebook: given, solution or test."""

    kind: str
    grade_id: str
    code: str


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} if none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def layout(source) -> list[Cell]:
    """The code cells of the instructor's notebook, in order, by kind."""
    cells = []
    for index, cell in enumerate(source.cells):
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        kind = "solution" if meta.get("solution") else "test" if meta.get("grade") else "given"
        cells.append(Cell(kind, meta.get("grade_id", f"cell-{index}"), cell.source))
    return cells


def given_names(cells: list[Cell]) -> set[str]:
    """Every name a given cell binds: helpers, constants, data, imports."""
    return set().union(*(bound_names(c.code) for c in cells if c.kind == "given"))


def as_python(code: str) -> str:
    """IPython syntax (magics, ``!`` commands) turned into the Python it stands for."""
    return TransformerManager().transform_cell(code)


def student_code(submission, cells: list[Cell]) -> dict[str, str]:
    """The code the student wrote: solution cells by grade_id, added cells by position."""
    given = {c.grade_id for c in cells if c.kind != "solution"}
    code = {}
    for index, cell in enumerate(submission.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if cell.cell_type == "code" and grade_id not in given:
            code[grade_id if nbgrader_meta(cell).get("solution") else f"added cell {index}"] = cell.source
    return code


class Screen(ast.NodeVisitor):
    """Collects the reasons found in one cell's syntax tree."""

    def __init__(self, label: str, protected: set[str]):
        self.label, self.protected, self.reasons = label, protected, []

    def note(self, what: str) -> None:
        self.reasons.append(f"{self.label}: {what}")

    def visit_Import(self, node) -> None:
        for alias in node.names:
            self.check_import(alias.name)

    def visit_ImportFrom(self, node) -> None:
        self.check_import(node.module or ".")

    def check_import(self, module: str) -> None:
        top = module.split(".")[0]
        if top == "backprop":
            self.note("imports the course package backprop")
        elif top not in ALLOWED_IMPORTS:
            self.note(f"imports {module}")

    def visit_Name(self, node) -> None:
        if node.id in FORBIDDEN_NAMES:
            self.note(f"uses {node.id}")

    def visit_Attribute(self, node) -> None:
        if node.attr.startswith("__") and node.attr.endswith("__"):
            self.note(f"uses the special attribute .{node.attr}")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and root_name(node) in self.protected:
            self.note(f"changes {ast.unparse(node)}")
        self.generic_visit(node)

    def visit_Global(self, node) -> None:
        self.note(f"declares global {', '.join(node.names)}")

    visit_Nonlocal = visit_Global

    def visit_FunctionDef(self, node) -> None:
        if node.name.startswith("__"):
            self.note(f"defines {node.name}")
        self.generic_visit(node)


def root_name(node: ast.AST) -> str | None:
    """``np`` for ``np.linalg.norm``; None when the chain does not start at a name."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def code_reasons(label: str, code: str, given: set[str]) -> list[str]:
    """Reasons found in one cell of student code (none for a plain syntax error)."""
    python = as_python(code)
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return []
    imported = {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    screen = Screen(label, given | imported | set(dir(builtins)))
    screen.visit(tree)
    redefined = sorted(bound_names(python) & given)
    screen.reasons += [f"{label}: redefines the given name {name}" for name in redefined]
    shadowed = sorted(bound_names(python) & set(dir(builtins)))
    screen.reasons += [f"{label}: redefines the built-in {name}" for name in shadowed]
    return screen.reasons


def broken_structure(submission, cells: list[Cell]) -> list[str]:
    """Why the submission cannot be graded as it is: cell ids used twice, test cells missing.

    nbgrader would keep one of two cells with the same id and score a test cell that is
    not there as 0 without saying why; the grading fails instead, with this reason.
    """
    ids = Counter(nbgrader_meta(c).get("grade_id") for c in submission.cells if nbgrader_meta(c))
    reasons = [f"the cell id {i} appears {n} times" for i, n in ids.items() if n > 1]
    tests = [c.grade_id for c in cells if c.kind == "test"]
    reasons += [f"the test cell {i} is missing (deleted, or its id changed)" for i in tests if i not in ids]
    return reasons


def structure_reasons(submission, cells: list[Cell]) -> list[str]:
    """Graded cells added; given cells deleted (or stripped of their id)."""
    ids = {nbgrader_meta(c).get("grade_id") for c in submission.cells if nbgrader_meta(c)}
    known = {c.grade_id for c in cells}
    graded = {nbgrader_meta(c).get("grade_id") for c in submission.cells
              if nbgrader_meta(c).get("grade") or nbgrader_meta(c).get("solution")}
    reasons = [f"an extra graded cell {i} was added" for i in sorted(graded - known, key=str)]
    given = [c.grade_id for c in cells if c.kind == "given" and not c.grade_id.startswith("cell-")]
    reasons += [f"the given cell {i} was deleted" for i in sorted(set(given) - ids)]
    return reasons


def screen(submission, cells: list[Cell]) -> list[str]:
    """Every reason to grade this submission by hand, in notebook order, without repeats."""
    given = given_names(cells)
    reasons = structure_reasons(submission, cells)
    for label, code in student_code(submission, cells).items():
        reasons += code_reasons(label, code, given)
    return list(dict.fromkeys(reasons))


def definitions_only(code: str, given: set[str]) -> str:
    """What the fresh re-run imports from a solution cell: defs, numpy/math imports, constants."""
    try:
        tree = ast.parse(as_python(code))
    except SyntaxError:
        return code  # fails in the re-run as it failed in the notebook
    kept = [node for node in tree.body if is_definition(node, given)]
    return ast.unparse(ast.Module(body=kept, type_ignores=[]))


def is_definition(node: ast.stmt, given: set[str]) -> bool:
    """A function, a class, an import of numpy or math, or a constant that is not given."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name not in given
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or "."]
        return all(m.split(".")[0] in ALLOWED_IMPORTS for m in modules)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, ast.Name) and t.id not in given for t in targets)
    return False
