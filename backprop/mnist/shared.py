"""MNIST's pixels written once and mapped by many processes, such as a grader's sandboxes.

Each ``load_mnist`` call turns the uint8 images into float64 pixels: about 0.3 s of
CPU and 440 MB of fresh memory in every process. A program that starts many processes
on the same MNIST (the autograder starts three for each student) can write the float64
arrays once with :func:`write_shared` (through ``loader.share_mnist``) into a folder of
its own and name that folder in ``$BACKPROP_SHARED_PIXELS`` for the processes it starts.
``load_mnist`` then maps the files instead (:func:`read_shared`): the pages are read once
and shared by every process, and each mapping is copy-on-write, so a process may change
its arrays without any other process, or the files, seeing the change.

The folder is trusted as it stands: :func:`read_shared` checks the files' names (made
from the SHA-256 of the four MNIST files), their dtypes and shapes, but not every byte.
Point the variable only at a folder your own program wrote and nobody else can change
(the grader writes it before a batch and shows it read-only inside the sandbox).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

SHARED_ENV = "BACKPROP_SHARED_PIXELS"
IMAGES = {"train": 60_000, "test": 10_000}  # images in each part of MNIST
PIXELS = 784                                 # 28 x 28 pixels per image
CHUNK = 5_000                                # images turned into pixels at a time (31 MB)
Split = tuple[np.ndarray, np.ndarray]       # (images, labels)


def files_key(digests: Sequence[str]) -> str:
    """A short name for the MNIST made from files with these SHA-256 digests."""
    return hashlib.sha256("".join(digests).encode()).hexdigest()[:16]


def shared_paths(folder: Path, key: str) -> dict[str, Path]:
    """The four files of one MNIST in ``folder``: train/test images and labels."""
    return {f"{part}_{kind}": folder / f"mnist-{key}-{part}-{kind}.npy"
            for part in IMAGES for kind in ("images", "labels")}


def write_shared(folder: str | os.PathLike, digests: Sequence[str], splits: Sequence[Split],
                 to_pixels: Callable[..., np.ndarray]) -> Path:
    """Write the float64 pixels of parsed MNIST into ``folder`` for :func:`read_shared`.

    Parameters
    ----------
    folder : path
        An existing folder that only the calling program writes.
    digests : sequence of str
        The SHA-256 of the four MNIST files the arrays come from.
    splits : sequence of two (images, labels) pairs
        The parsed arrays, train then test: uint8 images of shape (n, 784) and n labels.
    to_pixels : function
        ``to_pixels(images, out=array)`` writes the float64 pixels of uint8 images into
        ``array`` (the loader's ``as_pixels``).

    Returns
    -------
    Path
        ``folder``, now holding four read-only ``.npy`` files.

    The pixels go straight into each file's pages, ``CHUNK`` images at a time, so the
    440 MB of float64 are never also held in this process's own memory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder {str(folder)!r} is not an existing folder")
    for (part, n), (images, labels) in zip(IMAGES.items(), splits):
        if images.dtype != np.uint8 or images.shape != (n, PIXELS) or labels.shape != (n,):
            raise ValueError(f"splits: the {part} part must be uint8 images of shape ({n}, "
                             f"{PIXELS}) and {n} labels; got {images.dtype} {images.shape} "
                             f"and {labels.shape}")
    paths = shared_paths(folder, files_key(digests))
    for (part, n), (images, labels) in zip(IMAGES.items(), splits):
        pixels = np.lib.format.open_memmap(paths[f"{part}_images"], mode="w+", dtype=np.float64,
                                           shape=(n, PIXELS))
        for start in range(0, n, CHUNK):
            to_pixels(images[start:start + CHUNK], out=pixels[start:start + CHUNK])
        del pixels  # (unmapped: the pages stay in the file, for every process that maps it)
        np.save(paths[f"{part}_labels"], labels.astype(np.intp))
        for kind in ("images", "labels"):
            paths[f"{part}_{kind}"].chmod(0o444)
    return folder


def read_shared(digests: Sequence[str]) -> tuple[Split, Split] | None:
    """The float64 MNIST in ``$BACKPROP_SHARED_PIXELS``, mapped copy-on-write; None if unset.

    None too when the folder holds no arrays of these files or their dtypes or shapes
    are not MNIST's: ``load_mnist`` then makes the arrays itself, as without the folder.
    """
    folder = os.environ.get(SHARED_ENV)
    if not folder:
        return None
    paths = shared_paths(Path(folder), files_key(digests))
    try:
        parts = tuple((mapped(paths[f"{part}_images"], (n, PIXELS), np.float64),
                       mapped(paths[f"{part}_labels"], (n,), np.intp)) for part, n in IMAGES.items())
    except (OSError, ValueError):
        return None
    return parts


def mapped(path: Path, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A plain array over the ``.npy`` file ``path``, copy-on-write; ValueError if not as expected."""
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    array = np.load(path, mmap_mode="c", allow_pickle=False)
    if array.dtype != dtype or array.shape != shape or not array.flags.c_contiguous:
        raise ValueError(f"{path} holds {array.dtype} {array.shape}, not {np.dtype(dtype)} {shape}")
    return np.asarray(array)  # (an ndarray sharing the mapping, not an np.memmap)
