"""How long each chapter notebook takes to execute, and how much memory its kernel needs.

Each chapter runs from scratch in a fresh kernel with nbclient (no execution
cache: every cell is executed), as a fresh book build does. After the last cell
the kernel reports its peak resident memory, and that of the largest process it
started (the worker processes of ``recipes.train_runs``, or a checker's sandbox; a
forked child counts the memory it shares with the kernel, too).

The kernel's own peak is read from ``/proc/self/status`` (VmHWM), not from
``getrusage``: on Linux a process's ``ru_maxrss`` survives ``exec``, so a kernel
started by a big benchmark process would report the benchmark's size instead of its own.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
_PEAK_CELL = """\
import resource as _r, json as _j
try:
    _own = [int(line.split()[1]) for line in open('/proc/self/status')
            if line.startswith('VmHWM:')][0]
except (OSError, IndexError):
    _own = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss
print('PEAK', _j.dumps([_own, _r.getrusage(_r.RUSAGE_CHILDREN).ru_maxrss]))"""


def execute_chapter(path: Path, timeout: int = 900) -> tuple[float, float, float]:
    """Execute one notebook; return (seconds, kernel peak MB, largest child's peak MB)."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(_PEAK_CELL))
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    text = "".join(out.get("text", "") for out in notebook.cells[-1].outputs)
    kernel_kb, child_kb = json.loads(text.split("PEAK", 1)[1])
    return seconds, kernel_kb / 1024, child_kb / 1024


def chapter_table(names: list[str] | None = None) -> dict:
    """Execute the chapters (all, or those whose file name starts with one of ``names``)
    one after the other, print each one's seconds and peak memory, and the total."""
    paths = sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
    if names:
        paths = [p for p in paths if any(p.name.startswith(n) for n in names)]
    print("\n== Chapter execution (fresh kernel, every cell, no cache) ==")
    print(f"{'chapter':<40}{'seconds':>9}{'kernel peak MB':>16}{'largest child MB':>18}")
    results = {}
    for path in paths:
        try:
            results[path.name] = execute_chapter(path)
        except Exception as err:            # report the failure and go on with the others
            print(f"{path.name:<40}  failed: {type(err).__name__}: {str(err)[:200]}")
            continue
        seconds, kernel_mb, child_mb = results[path.name]
        print(f"{path.name:<40}{seconds:>9.1f}{kernel_mb:>16.0f}{child_mb:>18.0f}")
    total = sum(r[0] for r in results.values())
    print(f"{'total':<40}{total:>9.1f}")
    return results
