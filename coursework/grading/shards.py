"""A class bigger than one machine: each machine grades its shard into one shared gradebook.

    python grade.py a1_forward_cost --shard 1/3 --db postgresql+psycopg2://grader@dbhost/course

- ``parse_shard``: ``"i/N"`` (i counted from 1) -> (i, N), or why not.
- ``in_shard``: whether a student is in shard i of N. It depends on the student's id
  alone (a SHA-256 of it, modulo N), never on which other submissions a machine has: two
  machines whose ``submitted/`` differ by a late submission still split the class the
  same way, so nobody is graded twice or left out.
- ``database_problem``: why grading cannot use the database (its driver, the server).
- ``prepare``: creates what every grading shares in the database (nbgrader's tables,
  the course's rows) once, under the gradebook lock, and checks the assignment is there.

Everything the gradings themselves write goes through ``lock.holding``, which takes a
PostgreSQL advisory lock as well as the machine's ``flock``: gradebook writes on all
machines take turns (see ``lock.py``).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .lock import holding


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> (2, 3).

    Raises
    ------
    ValueError
        With what is wrong, unless it is ``i/N`` with whole numbers 1 <= i <= N.
    """
    parts = text.split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"{text!r} is not i/N (whole numbers: this machine's shard i of N, e.g. 1/2)")
    index, count = int(parts[0]), int(parts[1])
    if count < 1:
        raise ValueError(f"{text!r} has N = {count}: the class is split into at least 1 shard")
    if not 1 <= index <= count:
        raise ValueError(f"{text!r} has i = {index}: shards are counted from 1 to N = {count}")
    return index, count


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """True if ``shard`` (i, N) grades ``student``; None (no sharding) grades everyone."""
    if shard is None:
        return True
    index, count = shard
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1


def hidden(db_url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (an unreadable URL is shown as its scheme only)
        return db_url.split(":", 1)[0] + ":..."


def database_problem(db_url: str) -> str | None:
    """Why grading cannot use the gradebook at ``db_url`` (None if a connection works)."""
    from sqlalchemy import create_engine, exc
    from sqlalchemy.pool import NullPool
    try:
        engine = create_engine(db_url, poolclass=NullPool)
    except exc.ArgumentError as error:
        return f"--db {db_url!r} is not a database URL ({error})"
    except exc.NoSuchModuleError as error:
        return f"--db {hidden(db_url)}: SQLAlchemy has no such database ({error})"
    except ImportError as error:
        return (f"--db {hidden(db_url)} needs a database driver that is not installed ({error}); "
                "for PostgreSQL write postgresql+psycopg2://... (psycopg2-binary is in "
                "requirements-instructor.txt)")
    try:
        with engine.connect():
            pass
    except exc.SQLAlchemyError as error:
        first = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return f"the gradebook database {hidden(db_url)} cannot be reached ({first})"
    finally:
        engine.dispose()
    return None


def course_id(course: Path) -> str:
    """The course id in the course's ``nbgrader_config.py`` ("" where it sets none)."""
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return config.CourseDirectory.get("course_id", "")


def prepare(course: Path, db_url: str, course_id: str, assignment: str) -> str | None:
    """Create the shared rows once (tables, courses); why grading cannot start (None if it can).

    nbgrader creates its tables and the course's row the first time any command opens the
    gradebook; two machines doing that at once race on PostgreSQL's unique names. Done
    here, under the gradebook lock, before any grading, that race cannot happen.
    """
    from nbgrader.api import Gradebook, MissingEntry
    with holding(course, db_url):
        with Gradebook(db_url, course_id) as gb:
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                return (f"the assignment {assignment} is not in the gradebook {hidden(db_url)}: "
                        f"record it once, from one machine, with `nbgrader generate_assignment "
                        f"{assignment} --db <the same URL>`")
        with Gradebook(db_url):  # (the default course, which grading/gradebook.py opens)
            pass
    return None

