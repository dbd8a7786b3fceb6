"""Inside the sandbox: run every test cell again, each in a fresh process, from a plan.

The plan (JSON on stdin) lists the notebook's code cells in order: ``given`` cells (the
instructor's locked code), ``solution`` cells (only the student's definitions, already
extracted by the grader) and ``test`` cells (visible and hidden tests). This process
runs the given cells that come before any student cell (imports, data) and nothing
else; for each test cell a child is forked from it, which replays the given and solution
cells before the test, restores every given name after each solution cell (so a
submission cannot redefine ``TARGET`` or a handed-out helper), makes given arrays
read-only, runs the test and then checks that no attribute of numpy, math, builtins or
backprop was replaced. The child's prints go nowhere; its verdict travels through a
pipe. The results (JSON) go to stdout. Only the standard library and numpy are used.
"""
import ast
import importlib
import json
import os
import select
import signal
import sys
import time
from inspect import ismodule

GUARDED = ("builtins", "math", "numpy", "numpy.linalg", "numpy.random", "backprop")


def guarded_modules() -> dict:
    """The modules whose attributes a submission must leave alone, imported up front."""
    modules = {}
    for name in GUARDED:
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            pass
    return modules


def snapshot(modules: dict) -> dict:
    """Identity of every function, class and submodule the guarded modules hold."""
    return {(name, attr): id(value) for name, module in modules.items()
            for attr, value in vars(module).items() if callable(value) or ismodule(value)}


def replaced(modules: dict, before: dict) -> list:
    """Attributes of the guarded modules that were replaced or deleted since ``before``."""
    now = snapshot(modules)
    return sorted(f"{name}.{attr}" for (name, attr), ident in before.items()
                  if now.get((name, attr)) != ident)


def bound_names(code: str) -> set:
    """Names a cell binds at its top level (assignments, definitions, imports)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(assigned(target))
    return names


def assigned(target: ast.AST) -> set:
    """Names an assignment target binds: ``a`` and ``b`` in ``a, *b = ...``, none in ``np.x = ...``."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(assigned(t) for t in target.elts))
    if isinstance(target, ast.Starred):
        return assigned(target.value)
    return set()


def freeze(value) -> None:
    """Make a given array read-only, so student code cannot change the data in place."""
    flags = getattr(value, "flags", None)
    if flags is not None and hasattr(flags, "writeable"):
        try:
            flags.writeable = False
        except ValueError:
            pass


def run_cell(step: dict, namespace: dict) -> None:
    """Execute one cell's code in the namespace."""
    exec(compile(step["code"], f"<cell {step['id']}>", "exec"), namespace)


def replay(steps: list, namespace: dict, given: dict) -> None:
    """Run the given and solution cells in order, keeping every given name as given."""
    for step in steps:
        if step["kind"] == "test":
            continue
        try:
            run_cell(step, namespace)
        except BaseException:  # noqa: BLE001 (a failing cell fails later tests, as in Jupyter)
            pass
        if step["kind"] == "given":
            for name in bound_names(step["code"]) & namespace.keys():
                given[name] = namespace[name]
                freeze(namespace[name])
        else:
            namespace.update(given)


def check(steps: list, index: int, modules: dict, start: tuple) -> dict:
    """In this (child) process: replay the cells from ``start`` up to test ``index``, run it.

    ``start`` is (number of steps already run, namespace, given names) of the parent.
    """
    done, namespace, given = start
    before = snapshot(modules)
    replay(steps[done:index], namespace, given)
    try:
        run_cell(steps[index], namespace)
        verdict = {"passed": True, "error": ""}
    except BaseException as error:  # noqa: BLE001 (SystemExit and friends fail the test too)
        verdict = {"passed": False, "error": f"{type(error).__name__}: {error}"[:500]}
    changed = replaced(modules, before)
    if changed:
        verdict = {"passed": False, "error": "the code replaced " + ", ".join(changed[:5])}
    return verdict


def in_child(steps: list, index: int, modules: dict, start: tuple, deadline: float) -> dict:
    """Fork, run test ``index`` in the child, and read its verdict before the deadline."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        silence = os.open(os.devnull, os.O_WRONLY)
        os.dup2(silence, 1)
        os.dup2(silence, 2)
        verdict = check(steps, index, modules, start)
        os.write(write_end, json.dumps(verdict).encode())
        os._exit(0)
    os.close(write_end)
    message = read_until(read_end, deadline)
    os.close(read_end)
    if message is None:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if message is None:
        return {"passed": False, "error": "the time limit ran out during this test"}
    if status != 0 or not message:
        return {"passed": False, "error": f"the test's process ended abnormally (status {status})"}
    return json.loads(message)


def read_until(fd: int, deadline: float):
    """Everything written to ``fd`` until it closes, or None if the deadline passes first."""
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks).decode(errors="replace")
        chunks.append(chunk)


def instructor_prefix(steps: list) -> tuple:
    """Run the given cells before the first student cell here, once (they load the data).

    Only the instructor's code runs in this process; every child starts from its state.
    """
    done = next((i for i, s in enumerate(steps) if s["kind"] != "given"), len(steps))
    namespace, given = {"__name__": "__main__"}, {}
    replay(steps[:done], namespace, given)
    return done, namespace, given


def main() -> None:
    """Read the plan, check every test cell, print the verdicts by grade_id."""
    result = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    plan = json.load(sys.stdin)
    deadline = time.monotonic() + plan["seconds"]
    modules = guarded_modules()
    steps = plan["steps"]
    start = instructor_prefix(steps)
    verdicts = {step["id"]: in_child(steps, i, modules, start, deadline)
                for i, step in enumerate(steps) if step["kind"] == "test"}
    json.dump(verdicts, result)
    result.close()


if __name__ == "__main__":
    main()
