"""Fetch one file over HTTP(S), safely: bounded in size and time, checked, then moved in place.

The bytes go to a hidden ``.part`` file beside the target and are moved into
place only once their SHA-256 matches, so a failed or interrupted download never
leaves a half-written file under the real name. A ``.part`` file left by a
process that was killed is removed by :func:`remove_stale_parts` on the next load.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Sequence

from tqdm import tqdm

TIMEOUT = 30.0          # seconds a mirror may stay silent before we try the next one
DEADLINE = 600.0        # seconds one whole file may take, however the server behaves
STALE_AGE = 3600.0      # a .part file untouched this long belongs to no live download
BLOCK = 1 << 16


def verify_sha256(path: Path, expected: str, name: str | None = None) -> None:
    """Raise a ``ValueError`` naming the file if its SHA-256 is not ``expected``."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    if (actual := digest.hexdigest()) != expected:
        raise ValueError(f"{name or path}: SHA-256 is {actual}, expected {expected} "
                         "(the file is damaged or is not the MNIST file)")


@contextmanager
def temporary_beside(target: Path) -> Iterator[Path]:
    """Yield a new hidden ``.part`` file next to ``target``; removed unless moved into place.

    Its name holds this process's id, so :func:`remove_stale_parts` can tell
    whether the process that writes it is still alive.
    """
    part = target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part"
    part.touch(exist_ok=False)
    try:
        yield part
    finally:
        part.unlink(missing_ok=True)


def _writer_alive(part: Path) -> bool:
    """True if the process named in a ``.part`` file's name may still be writing it."""
    pid = part.name.rsplit(".", 2)[-2].split("-")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, owned by someone else
        return True
    return True


def remove_stale_parts(folder: Path, prefixes: Sequence[str] = ("",),
                       now: float | None = None) -> list[Path]:
    """Delete ``.part`` files in ``folder`` whose writer is gone or which sat untouched an hour.

    Only parts of targets whose names start with one of ``prefixes`` are looked at
    (another program's ``.part`` files are not ours to remove). Returns the files
    removed; a missing or unreadable folder is left alone.
    """
    now = time.time() if now is None else now
    removed = []
    try:
        parts = [p for p in folder.glob(".*.part") if p.is_file()
                 and any(p.name.startswith(f".{prefix}") for prefix in prefixes)]
    except OSError:
        return removed
    for part in parts:
        try:
            if not _writer_alive(part) or now - part.stat().st_mtime > STALE_AGE:
                part.unlink()
                removed.append(part)
        except OSError:  # another loader removed or moved it first
            pass
    return removed


def _announced_size(response) -> int | None:
    """The Content-Length a server announced, or None."""
    text = response.headers.get("Content-Length") or ""
    return int(text) if text.strip().isdigit() else None


def copy_url(url: str, out: BinaryIO, timeout: float, progress: bool, label: str,
             max_bytes: int, deadline: float = DEADLINE) -> int:
    """Write the body at ``url`` into ``out``; return its size.

    Raises ``ValueError`` if the body is, or is announced as, larger than
    ``max_bytes``, if it is shorter than announced, or if the whole transfer takes
    longer than ``deadline`` seconds (a server that trickles or never stops).
    """
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=min(timeout, deadline)) as response:
        expected = _announced_size(response)
        if expected is not None and expected > max_bytes:
            raise ValueError(f"{url}: the server offers {expected:,} bytes, more than the "
                             f"{max_bytes:,} this file can have")
        received = 0
        with tqdm(total=expected, unit="B", unit_scale=True, desc=label, disable=not progress) as bar:
            while block := response.read1(BLOCK):
                received += len(block)
                if received > max_bytes:
                    raise ValueError(f"{url}: more than {max_bytes:,} bytes arrived, more than "
                                     "this file can have; stopped")
                if time.monotonic() - started > deadline:
                    raise ValueError(f"{url}: the download took longer than {deadline:g} s "
                                     f"({received:,} bytes arrived); stopped")
                out.write(block)
                bar.update(len(block))
    if expected is not None and received != expected:
        raise ValueError(f"{url}: connection closed after {received} of {expected} bytes")
    return received


def download_file(url: str, target: Path, sha256: str, timeout: float = TIMEOUT,
                  progress: bool = True, max_bytes: int = 64 << 20,
                  deadline: float = DEADLINE) -> Path:
    """Download ``url`` to ``target``, moving it into place only once its SHA-256 matches.

    Raises ``OSError`` or ``http.client.HTTPException`` when the transfer fails and
    ``ValueError`` when the bytes are too many, too slow, incomplete or wrong;
    ``target`` is then untouched and no ``.part`` file is left.
    """
    with temporary_beside(target) as part:
        with open(part, "wb") as out:
            copy_url(url, out, timeout, progress, target.name, max_bytes, deadline)
        verify_sha256(part, sha256, target.name)
        part.chmod(0o644)
        os.replace(part, target)
    return target


def describe(err: Exception) -> str:
    """Return what a mirror answered, in a few words."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return f"no connection ({err.reason})"
    return str(err) or type(err).__name__
