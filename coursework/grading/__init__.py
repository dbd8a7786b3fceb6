"""Safe autograding for this course: nbgrader with student code in a bubblewrap sandbox.

Modules, in the order a submission meets them:

- ``screen``: reads a submission without running it; lists reasons to grade by hand and
  extracts the definitions the fresh re-run imports.
- ``ids``: which student and cell ids are plain names.
- ``sandbox``: builds the ``bwrap`` command and runs one command inside it, within limits:
  ``cgroup`` (one per submission) bounds the memory of all its processes, ``supervise``
  watches it from outside and stops it at the first limit reached.
- ``preflight``: whether the sandbox and the course folder work here (uses ``sandbox``).
- ``run_notebook`` (runs inside): executes the notebook in one fresh kernel, its output cut
  to size by ``truncate`` (also used inside).
- ``fresh_run``: the fresh re-run's two plans and its two sandboxes, joined by pipes.
- ``rerun_tests`` (runs inside): runs each test cell again in a process no student code shares.
- ``student_side`` (runs inside, in another sandbox): the student's functions, called by the tests.
- ``plain``, ``calls``, ``replay`` (used inside): plain data through a pipe, stand-ins for
  the other side's functions, replaying cells.
- ``preprocessors``: the nbgrader steps that tie these together in ``autograde``.
- ``gradebook``: flags, failures and the review table in nbgrader's database.
- ``status``: how each notebook's grading ended, written by the steps, read by the batch.
- ``lock``: one grading at a time writes a course's gradebook (on every machine that shares it).
- ``shards``: a class split between machines (``--shard i/N``) into one PostgreSQL gradebook.
- ``collect``: ``nbgrader collect`` that copies regular files only from the exchange.
- ``autograde``: ``nbgrader autograde`` holding that lock; ``app``: other nbgrader commands.
- ``quick_start`` (also used inside): skips imports nothing here uses (about 1.4 s per process).
- ``shared_mnist``: MNIST's float64 pixels written once per batch for every sandbox to map.
- ``batch``: grades every student, ``--jobs`` at a time (``python grade.py``).
- ``report``: the summary, the report file, failure pages, the stop message.

The modules that run inside import nothing from this package but each other: they
are mounted read-only into the sandbox and run there on their own.
"""
