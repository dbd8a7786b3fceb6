"""Inside the sandbox: execute the notebook read from stdin, write it executed to stdout.

Every cell runs in one fresh kernel, errors and all (the grader scores the outputs);
there is no per-cell time limit: the grader kills the whole sandbox at the notebook's
deadline. The kernel never sees this script's real stdout, so what it prints cannot be
mistaken for the executed notebook. Only nbformat and nbclient are imported.
"""
import os
import sys

import nbformat
from nbclient import NotebookClient


def main() -> None:
    """Read, execute, write."""
    result = os.fdopen(os.dup(1), "w")  # not inheritable: the kernel cannot write here
    os.dup2(2, 1)                        # anything else printed goes to the log
    notebook = nbformat.read(sys.stdin, as_version=4)
    client = NotebookClient(notebook, timeout=None, allow_errors=True, kernel_name="python3",
                            extra_arguments=["--HistoryManager.hist_file=:memory:"],
                            resources={"metadata": {"path": os.getcwd()}})
    client.execute()
    nbformat.write(notebook, result)
    result.close()


if __name__ == "__main__":
    main()
