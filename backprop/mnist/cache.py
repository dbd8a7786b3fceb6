"""The parsed-array cache: a second load skips decompressing and parsing, and trusts nothing.

A cache file (``mnist-<key>.npz`` in the cache folder) holds the four uint8 arrays,
the SHA-256 of the source files it was made from and a digest of its own arrays.
:func:`read_cache` returns its arrays only if every check holds: a regular file (a
FIFO would hang the read), no array claiming more bytes than the file has, the same
source files, the digest, MNIST's shapes and labels (:func:`~.idx.check_mnist_arrays`)
and, for the real MNIST, its known arrays and label counts. Otherwise it says why and
returns None, and the loader rebuilds the cache. :func:`write_cache` writes to a
temporary name and renames, so a loader running at the same time never reads half a
cache.
"""
from __future__ import annotations

import hashlib
import os
import stat
import sys
import zipfile
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .download import remove_stale_parts, temporary_beside
from .idx import check_mnist_arrays
from .source import FILES, SHA256

#: How many of each digit 0-9 the real MNIST's training and test labels hold.
LABEL_COUNTS = {"train_labels": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
                "test_labels": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)}
#: :func:`arrays_digest` of the real MNIST's four arrays.
REAL_ARRAYS = "8401348f775353fecacb49066eb61596e8d7266b7d5a3373af27ad734b053897"
EXTRA = ("sources", "digest")   # what a cache holds beside the four arrays


def arrays_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the four arrays: each one's name, dtype, shape and bytes, in order."""
    digest = hashlib.sha256()
    for key in FILES:
        array = arrays[key]
        digest.update(f"{key}:{array.dtype.str}:{array.shape}\n".encode())
        digest.update(np.ascontiguousarray(array).data)  # (hashed in place, never copied)
    return digest.hexdigest()


def is_real_mnist(sources: Sequence[str]) -> bool:
    """True if ``sources`` are the SHA-256 of the real MNIST's four files."""
    known = {SHA256[name] for name in SHA256}
    return len(sources) == len(FILES) and all(s in known for s in sources)


def cache_problem(arrays: Mapping[str, np.ndarray], sources: Sequence[str], saved) -> str | None:
    """What is wrong with arrays read from a cache made from ``sources``; None if nothing."""
    if [str(s) for s in np.atleast_1d(saved["sources"])] != list(sources):
        return "it was made from other source files"
    digest = arrays_digest(arrays)  # (once: it reads every byte of the arrays)
    if str(saved["digest"]) != digest:
        return "its arrays do not match the digest it recorded"
    try:
        check_mnist_arrays(arrays, "the cache")
    except ValueError as err:
        return str(err)
    if is_real_mnist(sources):
        for key, counts in LABEL_COUNTS.items():
            if tuple(np.bincount(arrays[key], minlength=10)) != counts:
                return f"its {key.replace('_', ' ')} do not have MNIST's count of each digit"
        if digest != REAL_ARRAYS:
            return "its arrays are not MNIST's"
    return None


def _read_member(archive: zipfile.ZipFile, key: str, room: int) -> np.ndarray:
    """Read array ``key`` from an ``.npz`` archive, refusing one that claims over ``room`` bytes."""
    with archive.open(f"{key}.npy") as member:
        version = np.lib.format.read_magic(member)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(member)
        claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if dtype.hasobject or claimed > room:
            raise ValueError(f"array {key} claims {claimed:,} bytes, more than the file's {room:,}")
    with archive.open(f"{key}.npy") as member:
        return np.lib.format.read_array(member, allow_pickle=False)


def read_cache(path: Path, sources: Sequence[str]) -> dict[str, np.ndarray] | None:
    """The four uint8 arrays cached at ``path`` from ``sources``, or None (saying why, if it
    exists) when it is absent, unreadable or fails any check."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            problem = "it is not a regular file"
        else:
            with os.fdopen(handle, "rb", closefd=False) as file, zipfile.ZipFile(file) as archive:
                saved = {key: _read_member(archive, key, info.st_size) for key in (*FILES, *EXTRA)}
            problem = cache_problem({key: saved[key] for key in FILES}, sources, saved)
    except (OSError, ValueError, KeyError, EOFError, MemoryError, zipfile.BadZipFile) as err:
        problem = f"it cannot be read ({type(err).__name__}: {err})"
    finally:
        os.close(handle)
    if problem is None:
        return {key: saved[key] for key in FILES}
    print(f"The MNIST cache {path} is not used: {problem}. It is rebuilt from the files.",
          file=sys.stderr)
    return None


def write_cache(path: Path, arrays: Mapping[str, np.ndarray], sources: Sequence[str]) -> None:
    """Save the arrays, their sources and digest as an uncompressed ``.npz``, in one rename.

    Skips silently if that fails (a read-only cache folder costs only speed).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(path.parent, prefixes=["mnist-"])
        with temporary_beside(path) as part:
            with open(part, "wb") as out:
                np.savez(out, **arrays, sources=np.array(list(sources), dtype=str),
                         digest=np.array(arrays_digest(arrays)))
            os.replace(part, path)
    except OSError:
        pass
