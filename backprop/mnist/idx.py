"""The IDX format of the MNIST files, read and checked strictly.

An IDX file is a big-endian header (a magic number, then the sizes) followed by
one byte per pixel or per label. Every reader here raises a ``ValueError`` that
names the file and the problem; :func:`check_mnist_arrays` holds already-parsed
arrays (such as a cache) to the same standard.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Mapping

import numpy as np

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
IMAGE_SHAPE = (28, 28)
N_CLASSES = 10


def read_header(data: bytes, n_fields: int, magic: int, source: str) -> tuple[int, ...]:
    """Return the big-endian header fields after the magic number, checking the magic."""
    size = 4 * n_fields
    if len(data) < size:
        raise ValueError(f"{source}: only {len(data)} bytes, too short for a {size}-byte IDX header")
    fields = struct.unpack(f">{n_fields}I", data[:size])
    if fields[0] != magic:
        kind = "image" if magic == IMAGE_MAGIC else "label"
        raise ValueError(f"{source}: magic number is {fields[0]}, expected {magic} (IDX {kind} file)")
    return fields[1:]


def check_length(data: bytes, header: int, body: int, source: str) -> None:
    """Raise if ``data`` is not exactly a header plus the body its header promises."""
    expected = header + body
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "extra bytes at the end"
        raise ValueError(f"{source}: file is {len(data)} bytes but its header promises "
                         f"{expected} ({problem})")


def check_labels(labels: np.ndarray, source: str) -> None:
    """Raise naming the first label outside 0-9."""
    if labels.size and labels.max() >= N_CLASSES:
        where = int(np.argmax(labels >= N_CLASSES))
        raise ValueError(f"{source}: label {labels[where]} at position {where} is outside 0-9")


def parse_idx_images(data: bytes, source: str = "images") -> np.ndarray:
    """Return the images of an uncompressed IDX image file, one row of pixels each.

    ``data`` is a 16-byte header (magic 2051, count, rows, columns), then one
    byte per pixel; ``source`` names the file in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (n, 784), uint8: 0 is background, 255 is ink.
    """
    n, rows, cols = read_header(data, 4, IMAGE_MAGIC, source)
    if (rows, cols) != IMAGE_SHAPE:
        raise ValueError(f"{source}: images are {rows}x{cols} pixels, expected 28x28")
    check_length(data, 16, n * rows * cols, source)
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols)


def parse_idx_labels(data: bytes, source: str = "labels") -> np.ndarray:
    """Return the digit labels of an uncompressed IDX label file.

    ``data`` is an 8-byte header (magic 2049, count), then one byte per label;
    ``source`` names the file in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (n,), uint8, every value in 0-9.
    """
    (n,) = read_header(data, 2, LABEL_MAGIC, source)
    check_length(data, 8, n, source)
    labels = np.frombuffer(data, np.uint8, offset=8)
    check_labels(labels, source)
    return labels


def read_idx_bytes(path: Path) -> bytes:
    """Return the uncompressed contents of an IDX file, gzip-compressed (.gz) or not."""
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: not a complete gzip file ({err})") from None


def check_mnist_arrays(arrays: Mapping[str, np.ndarray], source: str) -> None:
    """Raise unless ``arrays`` hold MNIST-shaped uint8 images and labels, paired up.

    For each of ``train`` and ``test``: images (n, 784) and labels (n,), both
    uint8, n >= 1, labels in 0-9, and not every image blank.
    """
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise ValueError(f"{source}: {part} arrays are {images.dtype}/{labels.dtype}, not uint8")
        if images.ndim != 2 or images.shape[1] != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
            raise ValueError(f"{source}: {part} images have shape {images.shape}, not (n, 784)")
        if labels.shape != images.shape[:1] or not labels.size:
            raise ValueError(f"{source}: {len(images)} {part} images but labels of shape "
                             f"{labels.shape}")
        check_labels(labels, f"{source} ({part} labels)")
        if not images.any():
            raise ValueError(f"{source}: every {part} image is blank (all pixels 0)")
