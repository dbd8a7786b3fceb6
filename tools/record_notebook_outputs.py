"""Record the reference outputs that nbval compares for ``# NBVAL_CHECK_OUTPUT`` cells.

Chapter notebooks are committed without outputs, so nbval would have nothing to
compare. This script executes every chapter twice, refuses to record if a marked
cell printed anything different the second time (the book must be reproducible),
and writes the text outputs of the marked cells, keyed by cell id, to
``chapters/reference_outputs.json``. ``chapters/conftest.py`` hands them to nbval.

Run it after changing what a marked cell prints:

    BACKPROP_DATA_DIR=/path/to/mnist python tools/record_notebook_outputs.py [chapters/01_*.ipynb ...]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "chapters" / "reference_outputs.json"
MARKER = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell) -> bool:
    """True for a code cell whose first lines carry the nbval check marker."""
    return cell.cell_type == "code" and MARKER in cell.source.splitlines()[:3]


def text_outputs(cell) -> list[dict]:
    """The outputs nbval compares (streams and plain text), without metadata.

    Consecutive pieces of one stream are joined: how a kernel splits its printing
    into messages depends on timing, not on what the cell printed.
    """
    kept = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            if kept and kept[-1]["output_type"] == "stream" and kept[-1]["name"] == out.name:
                kept[-1]["text"] += out.text
            else:
                kept.append({"output_type": "stream", "name": out.name, "text": out.text})
        elif out.output_type in ("execute_result", "display_data") and "text/plain" in out.data:
            kept.append({"output_type": out.output_type, "data": {"text/plain": out.data["text/plain"]},
                         "metadata": {}, **({"execution_count": 1} if out.output_type == "execute_result" else {})})
    return kept


def checked_outputs(path: Path) -> dict[str, list[dict]]:
    """Execute a notebook in its own folder; return the marked cells' outputs by cell id."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return {cell.id: text_outputs(cell) for cell in nb.cells if is_checked(cell)}


def main(paths: list[str]) -> int:
    notebooks = [Path(p).resolve() for p in paths] or sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    reference = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {}
    for path in notebooks:
        first, second = checked_outputs(path), checked_outputs(path)
        changed = [cid for cid in first if first[cid] != second.get(cid)]
        if changed:
            print(f"{path.name}: cells {changed} print different values on a second run; "
                  "fix the seed or drop their marker", file=sys.stderr)
            return 1
        reference[path.name] = first
        print(f"{path.name}: {len(first)} checked cells recorded")
    REFERENCE.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
