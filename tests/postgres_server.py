"""A throwaway PostgreSQL server from the system's package, for tests: started, used, removed.

Used by tests/test_coursework_shards.py. ``binaries()`` finds Debian's server programs
(``/usr/lib/postgresql/<version>/bin``, not on PATH); ``running(...)`` makes a cluster in
a fresh temporary folder, starts ``postgres`` on a Unix socket in that folder only (no
TCP port), yields a function that creates a database and returns its SQLAlchemy URL,
and at the end stops the server and removes the folder. PostgreSQL refuses to run as
root: as root the server runs as the ``postgres`` system user (or ``nobody``).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

USER = "grader"  # the database superuser the cluster is made with (trusted on its socket)


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``postgres`` (the newest version installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


def server_user() -> pwd.struct_passwd | None:
    """Whom the server runs as: None (this user) unless root, then ``postgres`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, with neither a postgres nor a nobody user to run PostgreSQL as")


def as_user(user: pwd.struct_passwd | None, argv: list[str]) -> list[str]:
    """``argv`` run as ``user`` (setpriv executes it in place: the process id stays the server's)."""
    if user is None:
        return argv
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *argv]


@contextmanager
def running(bin_dir: Path, seconds: float = 60) -> Iterator[Callable[[str], str]]:
    """A server in a temporary folder; yields ``database(name) -> URL``; then stopped and removed."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool
    user = server_user()
    folder = Path(tempfile.mkdtemp(prefix="pg-"))  # short: a socket path has at most 107 bytes
    server = None
    try:
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        subprocess.run(as_user(user, [str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", USER,
                                      "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True, timeout=seconds)
        log = open(folder / "server.log", "wb")
        server = subprocess.Popen(as_user(user, [str(bin_dir / "postgres"), "-D", str(folder / "data"),
                                                 "-k", str(folder), "-c", "listen_addresses=",
                                                 "-c", "fsync=off"]),
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

        def url(database: str) -> str:
            return f"postgresql+psycopg2://{USER}@/{database}?host={folder}"

        admin = create_engine(url("postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        deadline = time.monotonic() + seconds
        while True:
            try:
                admin.connect().close()
                break
            except Exception:  # noqa: BLE001 (not accepting connections yet)
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start: "
                                       + (folder / "server.log").read_text(errors="replace")[-2000:])
                time.sleep(0.2)

        def database(name: str) -> str:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            return url(name)

        yield database
        admin.dispose()
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown: clients disconnected, then stop
            try:
                server.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        shutil.rmtree(folder, ignore_errors=True)
