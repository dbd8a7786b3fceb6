"""MNIST: 70,000 labelled images of handwritten digits, found, fetched and checked.

The four standard files live in one folder: ``data_dir``, else ``$BACKPROP_DATA_DIR``,
else ``<cache>/mnist``. A missing file is downloaded from mirrors tried in turn
(:mod:`backprop.mnist.download`) and moved into place only once its SHA-256 matches.
Parsed pixels are kept as ``.npz`` in ``<cache>`` (``$BACKPROP_CACHE_DIR``, else
``$XDG_CACHE_HOME/backprop``, else ``~/.cache/backprop``), so a second load skips
decompressing and parsing; a cache that cannot prove it holds the arrays of these files
is rebuilt (:mod:`backprop.mnist.cache`).
"""
from __future__ import annotations

import http.client
import os
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from .cache import read_cache, write_cache
from .shared import Split, files_key, read_shared, write_shared
from .download import (DEADLINE, TIMEOUT, describe, download_file, remove_stale_parts,
                       verify_sha256)
from .idx import check_mnist_arrays, parse_idx_images, parse_idx_labels, read_idx_bytes
from .source import (CACHE_ENV, DATA_ENV, FILES, MIRRORS, SHA256, SIZES,
                     MNISTNotFoundError, cache_dir, checked_arguments, data_folder,
                     not_found_message)

__all__ = ["load_mnist", "cache_mnist", "share_mnist", "MNISTNotFoundError", "FILES", "SHA256",
           "MIRRORS", "DATA_ENV", "CACHE_ENV", "cache_dir", "data_folder", "download_file",
           "find_or_download", "parse_idx_images", "parse_idx_labels", "read_idx_bytes",
           "verify_sha256"]
LARGEST_FILE = 64 << 20  # bytes: no 70,000-image IDX file is larger


def make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and any missing parents; return the folders created, deepest first.

    Raises ``MNISTNotFoundError`` if files cannot be written there.
    """
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        reason = f"files are missing and the folder {folder} is not writable ({err})"
        raise MNISTNotFoundError(not_found_message(folder, reason)) from None
    return missing


def remove_if_empty(folders: Sequence[Path]) -> None:
    """Remove the folders (deepest first) that are still empty: nothing left behind."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty, or gone already
            return


def size_limit(name: str, checksum: str) -> int:
    """Largest size file ``name`` may have: its known size for the real MNIST, else a cap."""
    return SIZES[name] if SHA256.get(name) == checksum and name in SIZES else LARGEST_FILE


def find_or_download(name: str, folder: Path, mirrors: Sequence[str] = MIRRORS,
                     checksums: Mapping[str, str] = SHA256, progress: bool = True,
                     timeout: float = TIMEOUT, deadline: float = DEADLINE) -> Path:
    """Return the path of MNIST file ``name`` in ``folder``, downloading it if missing.

    The file counts as present under its ``.gz`` name or its uncompressed name.
    Mirrors are tried in order; if all fail, ``MNISTNotFoundError`` lists their
    answers and any folder created for the download is removed again.
    """
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    if name not in checksums:
        raise ValueError(f"checksums has no SHA-256 for {name}, so it cannot be downloaded; "
                         f"put the file in {folder} or add its checksum")
    created = make_folder(folder)
    remove_stale_parts(folder, prefixes=list(FILES.values()))
    answers = []
    for mirror in mirrors:
        try:
            url = mirror.rstrip("/") + "/" + name
            return download_file(url, folder / name, checksums[name], timeout, progress,
                                 size_limit(name, checksums[name]), deadline)
        except (OSError, ValueError, http.client.HTTPException) as err:
            answers.append(f"{mirror}: {describe(err)}")
    remove_if_empty(created)
    reason = f"{name} could not be downloaded; the mirrors answered:"
    raise MNISTNotFoundError(not_found_message(folder, reason, answers or ["(no mirrors given)"]))


def parse_files(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """Parse the four MNIST files into uint8 arrays, checking images and labels pair up."""
    arrays = {}
    for part in ("train", "test"):
        images_path, labels_path = paths[f"{part}_images"], paths[f"{part}_labels"]
        images = parse_idx_images(read_idx_bytes(images_path), str(images_path))
        labels = parse_idx_labels(read_idx_bytes(labels_path), str(labels_path))
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} "
                             f"holds {len(labels)} labels")
        arrays[f"{part}_images"], arrays[f"{part}_labels"] = images, labels
    check_mnist_arrays(arrays, str(paths["train_images"].parent))
    return arrays


def cache_file(digests: Sequence[str]) -> Path:
    """The cache's file of the parsed arrays of the files with these SHA-256 digests."""
    return cache_dir() / f"mnist-{files_key(digests)}.npz"


def parsed_arrays(paths: Mapping[str, Path], digests: Sequence[str]) -> dict[str, np.ndarray]:
    """Return the four uint8 arrays, from the cache keyed by the files' checksums if there."""
    cached = cache_file(digests)
    arrays = read_cache(cached, digests)
    if arrays is None:
        arrays = parse_files(paths)
        write_cache(cached, arrays, digests)
    return arrays


def checksum_of(path: Path, checksums: Mapping[str, str]) -> str:
    """The expected SHA-256 of the file found at ``path``, or a ValueError naming it."""
    if path.name not in checksums:
        raise ValueError(f"checksums has no SHA-256 for {path.name} (found at {path}); "
                         "add one for that name")
    return checksums[path.name]


def load_mnist(data_dir: str | os.PathLike | None = None, dtype: npt.DTypeLike = np.float64,
               mirrors: Sequence[str] | None = None, progress: bool = True,
               checksums: Mapping[str, str] | None = None) -> tuple[Split, Split]:
    """Return MNIST as ``(X_train, y_train), (X_test, y_test)``.

    Parameters
    ----------
    data_dir : path, optional
        Folder of the four files (default ``$BACKPROP_DATA_DIR``, else ``<cache>/mnist``);
        missing files are downloaded into it.
    dtype : floating dtype
        Type of the pixel arrays.
    mirrors : sequence of str, optional
        Base URLs (``http://`` or ``https://``) tried in order for missing files
        (default ``MIRRORS``); an empty list means never download.
    progress : bool
        Show a progress bar while downloading.
    checksums : mapping, optional
        Expected SHA-256 per file name (default ``SHA256``, the real MNIST); each of the
        four files needs one, under its ``.gz`` name or its uncompressed name.

    Returns
    -------
    tuple
        Images (n, 784) in [0, 1] and ``np.intp`` labels (n,): 60,000 to train, 10,000 to test.

    Every argument is checked before anything is read, downloaded or created: a
    wrong one raises a ``ValueError`` or ``TypeError`` that names it. Where
    ``$BACKPROP_SHARED_PIXELS`` names a folder of these files' float64 arrays (written by
    the program that started this one, :mod:`backprop.mnist.shared`), float64 pixels are
    mapped from it, copy-on-write, instead of being made again.
    """
    dtype, mirrors, checksums, folder = checked_arguments(data_dir, dtype, mirrors, progress,
                                                          checksums)
    paths, digests = verified_files(folder, mirrors, checksums, progress)
    shared = read_shared(digests) if dtype == np.float64 else None
    if shared is not None:  # (written once by the program that started this one: shared.py)
        return shared
    arrays = parsed_arrays(paths, digests)
    return tuple((as_pixels(arrays[f"{part}_images"], dtype),
                  arrays[f"{part}_labels"].astype(np.intp)) for part in ("train", "test"))


def verified_files(folder: Path, mirrors: Sequence[str], checksums: Mapping[str, str],
                   progress: bool) -> tuple[dict[str, Path], list[str]]:
    """The four files' paths (found or downloaded) and their SHA-256, each file checked."""
    paths = {key: find_or_download(name, folder, mirrors, checksums, progress)
             for key, name in FILES.items()}
    digests = [checksum_of(path, checksums) for path in paths.values()]
    for path, digest in zip(paths.values(), digests):
        verify_sha256(path, digest)
    return paths, digests


def cache_mnist(progress: bool = True) -> Path:
    """Make sure MNIST's parsed arrays are in the cache, without making float pixels.

    The files are found (or downloaded) and checked as ``load_mnist`` finds and checks
    them, and parsed into the cache if it does not hold them yet: what a program that
    starts other processes on MNIST (a grader) does first, in a fraction of a
    ``load_mnist`` call's time. Returns the cache file's path.
    """
    paths, digests = verified_files(data_folder(None), MIRRORS, SHA256, progress)
    parsed_arrays(paths, digests)
    return cache_file(digests)


def share_mnist(folder: str | os.PathLike) -> Path:
    """Write MNIST's float64 arrays into ``folder`` for the processes this program starts.

    Those processes, given ``$BACKPROP_SHARED_PIXELS`` = ``folder``, map the arrays
    instead of making their own (:mod:`backprop.mnist.shared`). The files come from
    ``$BACKPROP_DATA_DIR`` (or the cache), checked as ``load_mnist`` checks them; nothing
    is downloaded. Returns ``folder``.
    """
    paths, digests = verified_files(data_folder(None), (), SHA256, False)
    arrays = parsed_arrays(paths, digests)
    splits = [(arrays[f"{part}_images"], arrays[f"{part}_labels"]) for part in ("train", "test")]
    return write_shared(folder, digests, splits, as_pixels)


def as_pixels(images: np.ndarray, dtype: npt.DTypeLike = np.float64,
              out: np.ndarray | None = None) -> np.ndarray:
    """Return uint8 pixels as fractions of full ink in [0, 1] (written into ``out`` if given)."""
    return np.true_divide(images, 255, dtype=dtype, out=out)
