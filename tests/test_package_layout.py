"""The package map in ``backprop.__doc__`` is true: every module (and sub-package) is
listed, and each imports only modules listed above it (data flows one way)."""
import re
from pathlib import Path

import backprop

PACKAGE = Path(backprop.__file__).parent


def listed_modules() -> list[str]:
    """Module names from the first column of the docstring's table, in order."""
    lines = backprop.__doc__.splitlines()
    rules = [i for i, line in enumerate(lines) if re.fullmatch(r"=+\s+=+", line)]
    rows = lines[rules[0] + 1:rules[-1]]
    return [name for row in rows for name in re.findall(r"``(\w+)``", row.split("  ")[0])]


def package_imports(source: str, dots: str = ".") -> set[str]:
    """Modules of the package that ``source`` imports (``dots``: "." or ".." for a sub-package)."""
    dots = re.escape(dots)
    direct = set(re.findall(rf"^from {dots}(\w+)(?:\.\w+)* import", source, re.M))
    grouped = re.findall(rf"^from {dots} import ([\w, ]+)", source, re.M)
    return direct | {name.strip() for group in grouped for name in group.split(",")}


def sources(module: str) -> list[str]:
    """The source of a module, or of every file of a sub-package (seen from the package)."""
    if (PACKAGE / module).is_dir():
        return [path.read_text() for path in (PACKAGE / module).glob("*.py")]
    return [(PACKAGE / f"{module}.py").read_text()]


def test_every_module_is_in_the_map():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert sorted(listed_modules()) == sorted(modules | folders)


def test_each_module_imports_only_modules_listed_above_it():
    order = listed_modules()
    for position, module in enumerate(order):
        later = set(order[position:])
        dots = ".." if (PACKAGE / module).is_dir() else "."
        for source in sources(module):
            assert not package_imports(source, dots) & later, module
