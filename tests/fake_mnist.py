"""Tiny hand-made MNIST files and the fixtures the loader's tests share.

``private_cache`` sends every test's parsed-array cache to its own folder, so nothing
is written into the real per-user cache or into the read-only shared data; the test
modules import it, and pytest then uses it for every test there.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from backprop.mnist.loader import FILES

REAL_DIR = os.environ.get("BACKPROP_DATA_DIR")
NO_REAL_DATA = ("BACKPROP_DATA_DIR is not set: point it at the folder holding the four "
                "MNIST .gz files (CI sets it to ../shared/data/mnist)")
LABELS = "t10k-labels-idx1-ubyte.gz"  # the smallest real file: 4,542 bytes


def idx_images(pixels: np.ndarray, rows: int = 28, cols: int = 28, magic: int = 2051) -> bytes:
    """Hand-made IDX image file: header, then the pixel bytes."""
    return struct.pack(">4I", magic, len(pixels), rows, cols) + pixels.astype(np.uint8).tobytes()


def idx_labels(labels, magic: int = 2049) -> bytes:
    """Hand-made IDX label file: header, then one byte per label."""
    return struct.pack(">2I", magic, len(labels)) + np.asarray(labels, np.uint8).tobytes()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_fake_mnist(folder: Path, compress: bool = True, seed: int = 0,
                     sizes=(("train", 6), ("test", 4))) -> tuple[dict, dict]:
    """Write a tiny MNIST look-alike; return its checksum table and its arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays, checksums = {}, {}
    for part, n in sizes:
        arrays[f"{part}_images"] = rng.integers(0, 256, (n, 784), dtype=np.uint8)
        arrays[f"{part}_labels"] = rng.integers(0, 10, n, dtype=np.uint8)
    for key, name in FILES.items():
        raw = (idx_images if key.endswith("images") else idx_labels)(arrays[key])
        path = folder / (name if compress else name.removesuffix(".gz"))
        path.write_bytes(gzip.compress(raw) if compress else raw)
        checksums[path.name] = sha256(path)
    return checksums, arrays


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Send the parsed-array cache to a fresh folder and keep proxies out of the way."""
    monkeypatch.setenv("BACKPROP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("no_proxy", "*")
    return tmp_path / "cache"


@pytest.fixture
def real_dir() -> Path:
    if not REAL_DIR:
        pytest.skip(NO_REAL_DATA)
    return Path(REAL_DIR)


#: The ways to spoil a cache's arrays that tests/test_cache.py and the battery try.
SPOILINGS = ("labels shifted by one", "all-zero labels", "inverted images",
             "fewer training images", "train and test swapped")


def spoiled(arrays: dict, how: str, keep: int = 100) -> dict:
    """Copies of MNIST's four arrays, spoiled in one of the ways of :data:`SPOILINGS`
    (``keep``: how many training images "fewer training images" leaves)."""
    bad = {key: value.copy() for key, value in arrays.items()}
    if how == "labels shifted by one":
        bad["train_labels"] = (bad["train_labels"] + 1) % 10
    elif how == "all-zero labels":
        bad["test_labels"][:] = 0
    elif how == "inverted images":
        bad["train_images"] = 255 - bad["train_images"]
    elif how == "fewer training images":
        bad["train_images"], bad["train_labels"] = bad["train_images"][:keep], bad["train_labels"][:keep]
    elif how == "train and test swapped":
        bad = {"train_images": arrays["test_images"], "train_labels": arrays["test_labels"],
               "test_images": arrays["train_images"], "test_labels": arrays["train_labels"]}
    else:
        raise ValueError(f"how must be one of {SPOILINGS}, not {how!r}")
    return bad

