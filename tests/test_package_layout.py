"""The package map in ``backprop.__doc__`` is true: every module is listed, and each
imports only modules listed above it (data flows one way)."""
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


def package_imports(source: str) -> set[str]:
    direct = set(re.findall(r"^from \.(\w+) import", source, re.M))
    grouped = re.findall(r"^from \. import ([\w, ]+)", source, re.M)
    return direct | {name.strip() for group in grouped for name in group.split(",")}


def test_every_module_is_in_the_map():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert sorted(listed_modules()) == sorted(modules)


def test_each_module_imports_only_modules_listed_above_it():
    order = listed_modules()
    for position, module in enumerate(order):
        later = set(order[position:])
        source = (PACKAGE / f"{module}.py").read_text()
        assert not package_imports(source) & later, module
