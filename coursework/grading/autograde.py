"""One student's ``nbgrader autograde`` as ``grade.py`` runs it: holding the gradebook lock.

    cd coursework && python -m grading.autograde a1_forward_cost --student alice --force ...

The same command as ``nbgrader autograde`` (the arguments are passed on), except that
it holds the course's gradebook lock (``lock.py``) whenever it has the gradebook open,
so that several of them can grade side by side on one course (``grade.py --jobs``), and,
given a shared PostgreSQL gradebook (``--CourseDirectory.db_url=``), on several machines.
Everything else (starting nbgrader, reading and writing notebooks, running the student's
code) happens without the lock, side by side with the other gradings.
"""
import sys
from contextlib import ExitStack

from .quick_start import skip_unused_imports

skip_unused_imports()  # (before nbgrader imports nbformat: see quick_start.py)

from nbgrader.api import Gradebook  # noqa: E402
from nbgrader.apps import NbGraderApp  # noqa: E402

from .lock import database_of, holding  # noqa: E402


def lock_while_open(course: str, db_url: str | None) -> None:
    """From now on, every nbgrader ``Gradebook`` this process opens holds the lock of
    ``course`` (and of a shared ``db_url``) from its opening until the last one is closed.

    nbgrader opens its gradebook afresh for each step that reads or writes it (and closes
    it after), so the lock is held for those steps only. One never closed keeps the lock
    until the process ends, when the kernel gives it back.
    """
    held, open_books = ExitStack(), set()
    opening, closing = Gradebook.__init__, Gradebook.close

    def opened(book, *args, **kwargs) -> None:
        if not open_books:
            held.enter_context(holding(course, db_url))  # (waits for the other gradings)
        open_books.add(id(book))
        try:
            opening(book, *args, **kwargs)
        except BaseException:
            forget(book)  # (it never opened: nothing to close)
            raise

    def closed(book) -> None:
        try:
            closing(book)
        finally:
            forget(book)

    def forget(book) -> None:
        """No longer count ``book`` as open; the last one gives the lock back."""
        if id(book) in open_books:
            open_books.discard(id(book))
            if not open_books:
                held.close()

    Gradebook.__init__, Gradebook.close = opened, closed


def main(argv: list[str]) -> None:
    """Grade, holding the lock of the course in the current folder while the gradebook is open."""
    lock_while_open(".", database_of(argv))
    NbGraderApp.launch_instance(argv=["autograde", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
