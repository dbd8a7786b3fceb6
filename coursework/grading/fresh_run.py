"""The fresh re-run of the tests, from the grader's side: two plans, two processes, two pipes.

``plans`` splits the notebook in two. The tests' plan has the instructor's given and
test cells and, for each solution cell, only the names it defines (functions,
constants), never the student's code; the student's plan has the given cells (after
the first solution cell only their function definitions and imports), the student's
definitions and the places of the tests, never their code. ``run_both`` starts
``student_side.py`` and ``rerun_tests.py``, each in a sandbox of its own (its own process
and user namespaces, as root its own user id), joined by two pipes and nothing else,
and returns how the tests' side ended: its stdout holds the verdicts.
"""
from __future__ import annotations

import ast
import builtins
import fcntl
import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from .replay import bound_names
from .screen import Cell, as_python, definitions_only, given_names, student_code

TESTS_SCRIPT, STUDENT_SCRIPT = "rerun_tests.py", "student_side.py"
PIPE_BYTES = 2**20  # Linux's default largest pipe for an unprivileged process


def crossing_names(definitions: str, given: set[str]) -> list[str]:
    """Names a solution cell defines that the tests may use: not given, not built in, not special."""
    names = bound_names(definitions) - given - set(dir(builtins))
    return sorted(n for n in names if not n.startswith("__"))


def helpers_only(code: str) -> str:
    """A given cell's function and class definitions and imports (what later student code may call)."""
    try:
        tree = ast.parse(as_python(code))
    except SyntaxError:
        return ""
    kept = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))]
    return ast.unparse(ast.Module(body=kept, type_ignores=[]))


def plans(nb, cells: list[Cell], seconds: int) -> tuple[bytes, bytes]:
    """(the tests' plan, the student's plan) as JSON."""
    given, code = given_names(cells), student_code(nb, cells)
    first = next((i for i, c in enumerate(cells) if c.kind == "solution"), len(cells))
    tests, student = [], []
    for index, cell in enumerate(cells):
        step = {"kind": cell.kind, "id": cell.grade_id}
        if cell.kind == "solution":
            definitions = definitions_only(code.get(cell.grade_id, ""), given)
            tests.append({**step, "names": crossing_names(definitions, given)})
            student.append({**step, "code": definitions})
        elif cell.kind == "given":
            tests.append({**step, "code": cell.code})
            student.append({**step, "code": cell.code if index < first else helpers_only(cell.code)})
        else:
            tests.append({**step, "code": cell.code})
            student.append(step)
    return tuple(json.dumps({"seconds": seconds, "steps": s}).encode() for s in (tests, student))


Runner = Callable[[str, bytes, tuple], object]


def run_both(tests_plan: bytes, student_plan: bytes, run: Runner):
    """Run both sides, joined by two pipes; the tests' side's outcome.

    ``run(script, stdin, pipe_fds)`` runs one side (``sandbox.run`` with ``pass_fds``, which
    closes the pipe ends here once that side started) with the two ends as arguments.
    """
    to_student, to_tests = os.pipe(), os.pipe()
    for read_end, _ in (to_student, to_tests):
        try:  # larger pipes: MNIST-sized arguments cross in fewer, larger writes
            fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass
    with ThreadPoolExecutor(max_workers=2) as pool:
        student = pool.submit(run, STUDENT_SCRIPT, student_plan, (to_student[0], to_tests[1]))
        tests = pool.submit(run, TESTS_SCRIPT, tests_plan, (to_tests[0], to_student[1]))
        outcome = tests.result()
        student.result()  # how the student's side ended does not matter, only that it did
    return outcome
