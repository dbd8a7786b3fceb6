"""One grading at a time writes a course's gradebook, however many run at once.

``grade.py --jobs N`` runs N ``nbgrader autograde`` processes side by side on one course.
Each holds the course's gradebook lock (an ``flock`` on ``.gradebook.lock`` in the course
folder) while it has the gradebook open (``autograde.py``), and at no other time: so
nbgrader's reads and writes of the gradebook never overlap, and everything else (nbgrader
starting, notebooks read and written, student code in the sandbox, where most of the
time goes) runs in parallel. The lock belongs to one course folder: gradings of another
course copy never wait for it. A plain ``nbgrader autograde`` takes no lock.
``released`` lets go of the lock for a block if this process holds it then (nothing,
if not).

An ``flock`` serialises one machine only. When the gradebook is a PostgreSQL database
that several machines share (``grade.py --shard i/N --db URL``), the lock also takes
a PostgreSQL *advisory lock* on that database (``pg_advisory_lock``, held by a
connection of its own), taken after the ``flock`` and given back before it: gradings on
every machine then take turns at the gradebook exactly as the gradings of one machine
do. The server drops the advisory lock when its connection ends, so a grading that dies
never leaves it held, as the kernel drops an ``flock``.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

NAME = ".gradebook.lock"
# The advisory lock's key: any 64-bit number that other programs on the database do not
# use; every grading of this course package uses this one.
ADVISORY_KEY = 0x6E756467655F6762  # "nudge_gb"
OPTION = "--CourseDirectory.db_url="  # how grade.py gives nbgrader (and autograde.py) the database

_held: tuple | None = None  # (descriptor, database connection or None) while this process holds the lock


def shared(db_url: str | None) -> bool:
    """True if ``db_url`` is a PostgreSQL database (which other machines may share)."""
    return bool(db_url) and db_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def database_of(argv: list[str]) -> str | None:
    """The database URL that ``grade.py`` put on an nbgrader command line (None: the config's)."""
    return next((a[len(OPTION):] for a in argv if a.startswith(OPTION)), None)


def _connect(db_url: str):
    """A connection of its own to the database, outside any transaction (for the advisory lock)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool
    engine = create_engine(db_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    return engine.connect()


def _advise(connection, take: bool) -> None:
    """Take (wait for) or give back the advisory lock on ``connection``'s session."""
    if connection is not None:
        call = "pg_advisory_lock" if take else "pg_advisory_unlock"
        connection.exec_driver_sql(f"SELECT {call}({ADVISORY_KEY})")


@contextmanager
def holding(course: str | os.PathLike, db_url: str | None = None) -> Iterator[None]:
    """Hold the gradebook lock of ``course`` (and of a shared ``db_url``; wait first) for the block."""
    global _held
    descriptor = os.open(Path(course) / NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    connection = None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if shared(db_url):
            connection = _connect(db_url)
            _advise(connection, True)
        _held = (descriptor, connection)
        yield
    finally:
        _held = None
        if connection is not None:
            connection.close()  # (ending the session gives the advisory lock back)
        os.close(descriptor)  # (closing releases the flock)


@contextmanager
def released() -> Iterator[None]:
    """Let other gradings have the lock for the block, if this process holds it."""
    if _held is None:
        yield
        return
    descriptor, connection = _held
    _advise(connection, False)
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        _advise(connection, True)
