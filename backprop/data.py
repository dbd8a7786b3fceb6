"""MNIST: 70,000 labelled images of handwritten digits (minimal local loader).

Placeholder until the full loader (download, verification, cache) lands.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def load_mnist(data_dir=None, dtype=np.float64):
    """Return ``(X_train, y_train), (X_test, y_test)``; images in [0, 1], shape (n, 784)."""
    folder = Path(data_dir or os.environ["BACKPROP_DATA_DIR"])
    raw = {k: gzip.open(folder / f).read() for k, f in FILES.items()}
    img = lambda b: np.frombuffer(b, np.uint8, offset=16).reshape(-1, 784).astype(dtype) / 255
    lab = lambda b: np.frombuffer(b, np.uint8, offset=8).astype(np.intp)
    return ((img(raw["train_images"]), lab(raw["train_labels"])),
            (img(raw["test_images"]), lab(raw["test_labels"])))
