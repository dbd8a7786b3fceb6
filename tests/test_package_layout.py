"""The package maps are true and data flows one way.

``backprop.__doc__`` lists every module and sub-package of the package, and each
sub-package's ``__doc__`` lists its own modules. Each module imports only modules
listed above it (in its own map, and, across maps, above its sub-package in the
package map), no module reaches into another module's private names, and no
modules import each other in a circle.
"""
import ast
import importlib
import re
from pathlib import Path

import pytest

import backprop

PACKAGE = Path(backprop.__file__).parent
SUBPACKAGES = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def listed_modules(doc: str) -> list[str]:
    """Module names from the first column of a docstring's table, in order."""
    lines = doc.splitlines()
    rules = [i for i, line in enumerate(lines) if re.fullmatch(r"=+\s+=+", line)]
    rows = lines[rules[0] + 1:rules[-1]]
    return [name for row in rows for name in re.findall(r"``(\w+)``", row.split("  ")[0])]


def module_name(path: Path) -> str:
    """``backprop.engine.divergence`` for ``backprop/engine/divergence.py``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def every_file() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every ``backprop`` module the file imports, anywhere in it, as full dotted names.

    ``from .. import lesson`` names ``backprop.lesson``; ``from ..figures import network``
    names ``backprop.figures.network`` (a module) and ``from .cases import Case`` names
    ``backprop.exercises.cases``.
    """
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - node.level + 1] + (node.module.split(".") if node.module else [])
            modules = [".".join(base + [a.name]) for a in node.names]
            modules = [m for m in modules if _is_module(m)]
            if node.module or len(modules) < len(node.names):
                found.add(".".join(base))     # names taken from the module ``base`` itself
            found |= set(modules)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            found |= {name for name in names if name and name.split(".")[0] == "backprop"}
    return found


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (PACKAGE / relative.with_suffix(".py")).is_file() or (PACKAGE / relative).is_dir()


def first_level(dotted: str) -> str:
    """The entry of the package map a module belongs to: ``engine`` for ``backprop.engine.x``."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_is_in_the_package_map():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert sorted(listed_modules(backprop.__doc__)) == sorted(modules | set(SUBPACKAGES))


@pytest.mark.parametrize("folder", SUBPACKAGES)
def test_every_module_is_in_its_subpackage_map(folder):
    doc = importlib.import_module(f"backprop.{folder}").__doc__
    modules = {p.stem for p in (PACKAGE / folder).glob("*.py")} - {"__init__"}
    assert sorted(listed_modules(doc)) == sorted(modules)


def test_each_module_imports_only_modules_listed_above_it():
    order = listed_modules(backprop.__doc__)
    for path in every_file():
        name = module_name(path)
        if name == "backprop":
            continue
        own = first_level(name)
        for other in imported_modules(path):
            entry = first_level(other)
            if entry and entry != own:
                assert order.index(entry) < order.index(own), f"{name} imports {other}"


@pytest.mark.parametrize("folder", SUBPACKAGES)
def test_inside_a_subpackage_each_module_imports_only_modules_listed_above_it(folder):
    order = listed_modules(importlib.import_module(f"backprop.{folder}").__doc__)
    for path in (PACKAGE / folder).glob("*.py"):
        if path.name == "__init__.py":
            continue                         # the sub-package's face hands names on
        for other in imported_modules(path):
            parts = other.split(".")
            if len(parts) == 3 and parts[1] == folder:
                assert order.index(parts[2]) < order.index(path.stem), f"{path.stem} imports {other}"


def test_no_import_circle():
    """No modules import each other in a loop (a package handing on its modules' names,
    ``from .loader import load_mnist`` in ``backprop/mnist/__init__.py``, is no loop)."""
    graph = {}
    for path in every_file():
        module = module_name(path)
        face = path.name == "__init__.py"
        graph[module] = {o for o in imported_modules(path)
                         if o != module and not (face and o.startswith(module + "."))}
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for other in sorted(graph.get(module, ())):
            if state.get(other) == 1:
                raise AssertionError("import circle: " + " -> ".join(trail + [module, other]))
            if not state.get(other):
                visit(other, trail + [module])
        state[module] = 2

    for module in sorted(graph):
        if not state.get(module):
            visit(module, [])


def defined_names(tree: ast.Module) -> set[str]:
    """Every name a module defines: functions, classes, methods, assignments."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


#: Public names of every NamedTuple, underscored only so they cannot clash with a field.
NAMEDTUPLE_API = {"_fields", "_field_defaults", "_replace", "_asdict", "_make"}


def classes_of(tree: ast.Module) -> set[str]:
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def test_no_module_uses_another_modules_private_names():
    trees = {module_name(p): ast.parse(p.read_text()) for p in every_file()}
    private = {m: {n for n in defined_names(t) if n.startswith("_") and not n.endswith("__")}
               for m, t in trees.items()}
    for module, tree in trees.items():
        elsewhere = set().union(*(names for m, names in private.items() if m != module))
        own = private[module]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                used = {a.name for a in node.names if a.name.startswith("_")}
                assert not used, f"{module} imports private {sorted(used)}"
            if isinstance(node, ast.Attribute) and node.attr in elsewhere - own - NAMEDTUPLE_API:
                holder = node.value.id if isinstance(node.value, ast.Name) else ""
                assert holder in ("self", "cls") or holder in classes_of(tree), \
                    f"{module} uses {holder}.{node.attr}"


def test_no_module_is_over_300_lines():
    """A module a reader can take in at one sitting: none over 300 lines."""
    long = {module_name(p): n for p in every_file()
            if (n := len(p.read_text().splitlines())) > 300}
    assert not long, long
