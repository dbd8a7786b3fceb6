"""One grading at a time writes a course's gradebook, however many run at once.

``grade.py --jobs N`` runs N ``nbgrader autograde`` processes side by side on one course.
Each holds the course's gradebook lock (an ``flock`` on ``.gradebook.lock`` in the course
folder) for all its work except while student code runs in the sandbox, where most of
the time goes; so nbgrader's reads and writes of the gradebook never overlap, and the
sandboxes still run in parallel. The lock belongs to one course folder: gradings of
another course copy never wait for it. A plain ``nbgrader autograde`` takes no lock
(``released`` then does nothing).
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

NAME = ".gradebook.lock"

_held: int | None = None  # the descriptor this process locked with, while it holds the lock


@contextmanager
def holding(course: str | os.PathLike) -> Iterator[None]:
    """Hold the gradebook lock of ``course`` (wait for it first) for the block."""
    global _held
    descriptor = os.open(Path(course) / NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    _held = descriptor
    try:
        yield
    finally:
        _held = None
        os.close(descriptor)  # (closing releases the lock)


@contextmanager
def released() -> Iterator[None]:
    """Let other gradings have the lock for the block, if this process holds it."""
    descriptor = _held
    if descriptor is None:
        yield
        return
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
