"""Give nbval the reference outputs of the ``# NBVAL_CHECK_OUTPUT`` cells.

The notebooks are committed without outputs. Their marked cells' expected text
lives in ``reference_outputs.json`` (written by ``tools/record_notebook_outputs.py``);
here it is attached to the collected cells, so ``pytest --nbval-lax`` compares what
each marked cell prints now with what it printed when recorded. Every cell of a
chapter is marked ``slow``: the fast loop (``pytest -m "not slow"``) leaves them out.
"""
import json
from pathlib import Path

import nbformat
import pytest

REFERENCE = Path(__file__).with_name("reference_outputs.json")


def pytest_collection_modifyitems(items):
    reference = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {}
    for item in items:
        if item.path.suffix == ".ipynb":  # executing a chapter takes seconds to minutes
            item.add_marker(pytest.mark.slow)
        cell = getattr(item, "cell", None)
        if cell is None or not item.options.get("check"):
            continue
        expected = reference.get(item.path.name, {}).get(cell.get("id"))
        if expected is None:
            item.add_marker(pytest.mark.xfail(
                reason="no reference output recorded: run tools/record_notebook_outputs.py",
                strict=True))
            continue
        cell.outputs = [nbformat.from_dict(out) for out in expected]
        cell.execution_count = 1
