"""One student's ``nbgrader autograde`` as ``grade.py`` runs it: holding the gradebook lock.

    cd coursework && python -m grading.autograde a1_forward_cost --student alice --force ...

The same command as ``nbgrader autograde`` (the arguments are passed on), except that
it holds the course's gradebook lock (``lock.py``) whenever no student code runs, so
that several of them can grade side by side on one course (``grade.py --jobs``), and,
given a shared PostgreSQL gradebook (``--CourseDirectory.db_url=``), on several machines.
"""
import sys

from .quick_start import skip_unused_imports

skip_unused_imports()  # (before nbgrader imports nbformat: see quick_start.py)

from nbgrader.apps import NbGraderApp  # noqa: E402

from .lock import database_of, holding  # noqa: E402


def main(argv: list[str]) -> None:
    """Grade, holding the lock of the course in the current folder."""
    with holding(".", database_of(argv)):
        NbGraderApp.launch_instance(argv=["autograde", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
