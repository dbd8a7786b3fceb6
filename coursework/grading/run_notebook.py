"""Inside the sandbox: execute the notebook read from stdin, write it executed to stdout.

Every cell runs in one fresh kernel, errors and all (the grader scores the outputs);
there is no per-cell time limit: the grader kills the whole sandbox at the notebook's
deadline. The kernel never sees this script's real stdout, so what it prints cannot be
mistaken for the executed notebook. Each output is cut to the cell's share as it
arrives, and the whole notebook's outputs at the end (``truncate.py``); a notebook that
prints more than the output limit is stopped, and this script exits with
``OVER_OUTPUT_LIMIT``. It imports only nbformat, nbclient and its two neighbours
``truncate`` and ``quick_start``.
"""
import os
import sys

from quick_start import skip_unused_imports

skip_unused_imports()  # (before nbformat: a second of CPU saved, see quick_start.py)

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from truncate import OVER_OUTPUT_LIMIT, Budget, OverOutputLimit, note, truncate_outputs  # noqa: E402


class BoundedClient(NotebookClient):
    """nbclient keeping at most each cell's share of output, and counting all of it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.budget = Budget()

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's own handling, then the output cut to what the cell may still keep."""
        kept = len(outs)
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or len(outs) != kept + 1 or outs[-1] is not out:
            return out
        try:
            small = self.budget.take(cell_index, out)
        except OverOutputLimit as error:  # at once: nbclient would wait for the cell to end
            print(f"OverOutputLimit: {error}", file=sys.stderr, flush=True)
            os._exit(OVER_OUTPUT_LIMIT)
        if small is None and display_id:  # nbclient keeps its place for later updates
            outs[-1] = nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": ""})
        elif small is None:
            outs.pop()
        elif small is not out:
            outs[-1] = nbformat.from_dict(small)
        return small


def main() -> None:
    """Read, execute, cut, write."""
    result = os.fdopen(os.dup(1), "w")  # not inheritable: the kernel cannot write here
    os.dup2(2, 1)                        # anything else printed goes to the log
    notebook = nbformat.read(sys.stdin, as_version=4)
    client = BoundedClient(notebook, timeout=None, allow_errors=True, kernel_name="python3",
                           extra_arguments=["--HistoryManager.hist_file=:memory:"],
                           resources={"metadata": {"path": os.getcwd()}})
    client.execute()
    for index, dropped in client.budget.dropped.items():
        if dropped:
            notebook.cells[index].outputs.append(nbformat.from_dict(note(dropped)))
    truncate_outputs(notebook)
    nbformat.write(nbformat.from_dict(notebook), result)
    result.close()


if __name__ == "__main__":
    main()
