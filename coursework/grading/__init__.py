"""Safe autograding for this course: nbgrader with student code in a bubblewrap sandbox.

Modules, in the order a submission meets them:

- ``screen``: reads a submission without running it; lists reasons to grade by hand and
  extracts the definitions the fresh re-run imports.
- ``sandbox``: builds the ``bwrap`` command and runs one command inside it, within limits.
- ``run_notebook`` (runs inside): executes the notebook in one fresh kernel.
- ``rerun_tests`` (runs inside): runs each test cell again in a fresh process.
- ``preprocessors``: the nbgrader steps that tie these together in ``autograde``.
- ``gradebook``: flags, failures and the review table in nbgrader's database.
- ``batch``: grades every student one after the other (``python grade.py``).

``run_notebook`` and ``rerun_tests`` import nothing from this package: they are
mounted read-only into the sandbox and run there on their own.
"""
