"""Replaying a notebook's cells from a plan, on either side of the fresh re-run.

The plan lists the notebook's code cells in order, each a dict with ``kind`` (``given``,
``solution`` or ``test``) and ``id``. Both sides run the instructor's given cells before
the first solution cell once (imports, data: :func:`prefix`) and every later step in a
forked child. Given names are recorded and given arrays made read-only (:func:`freeze`).
Imports only the standard library.
"""
import ast


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
    """Make a given array read-only, so no code changes the data in place."""
    flags = getattr(value, "flags", None)
    if flags is not None and hasattr(flags, "writeable"):
        try:
            flags.writeable = False
        except ValueError:
            pass


def run_cell(step: dict, namespace: dict) -> None:
    """Execute one cell's code in the namespace."""
    exec(compile(step["code"], f"<cell {step['id']}>", "exec"), namespace)


def run_given(step: dict, namespace: dict, given: dict) -> None:
    """Run a given cell (an error fails later tests, as in Jupyter); record and freeze its names."""
    try:
        run_cell(step, namespace)
    except BaseException:  # noqa: BLE001 (as in the notebook, the next cells still run)
        pass
    for name in bound_names(step["code"]) & namespace.keys():
        given[name] = namespace[name]
        freeze(namespace[name])


def prefix(steps: list) -> tuple:
    """Run the given cells before the first student cell, once: (steps done, namespace, given)."""
    done = next((i for i, s in enumerate(steps) if s["kind"] != "given"), len(steps))
    namespace, given = {"__name__": "__main__"}, {}
    for step in steps[:done]:
        run_given(step, namespace, given)
    return done, namespace, given
