"""Input checks shared by the network, training and the lesson's functions.

Each check raises one ``ValueError`` that names the problem, before any work
is done, so bad input never changes a network.
"""
from __future__ import annotations

import numpy as np


def as_inputs(X, n_inputs: int, dtype=np.float64) -> np.ndarray:
    """Return ``X`` as a 2-D float array of shape (n, n_inputs).

    A single example of shape (n_inputs,) becomes one row.
    """
    X = np.asarray(X)
    if X.ndim == 1:
        X = X[np.newaxis, :]
    if X.ndim != 2:
        raise ValueError(f"inputs must have shape (n, {n_inputs}) or ({n_inputs},); got {X.shape}")
    if X.shape[1] != n_inputs:
        raise ValueError(
            f"wrong input width: the network expects {n_inputs} values per example, "
            f"got {X.shape[1]} (shape {X.shape})"
        )
    if X.shape[0] == 0:
        raise ValueError("empty batch: there are no examples in X")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"inputs must be real numbers; got dtype {X.dtype}")
    X = X.astype(dtype, copy=False)
    if not np.all(np.isfinite(X)):
        raise ValueError("inputs contain NaN or inf values")
    return X


def as_labels(labels, n_classes: int = 10) -> np.ndarray:
    """Return integer labels as a 1-D int array, each in ``0 .. n_classes-1``."""
    labels = np.asarray(labels)
    if labels.ndim == 0:
        labels = labels[np.newaxis]
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of integers; got shape {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("labels must be whole numbers (digit classes)")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels outside 0-{n_classes - 1}: found values from {labels.min()} to {labels.max()}"
        )
    return labels.astype(np.intp)


def as_targets(Y, n_examples: int, n_outputs: int, dtype=np.float64) -> np.ndarray:
    """Return desired outputs as a (n, n_outputs) array.

    ``Y`` may be integer labels of shape (n,) or already one-hot, (n, n_outputs).
    """
    Y = np.asarray(Y)
    if Y.ndim <= 1:
        labels = as_labels(Y, n_outputs)
        if labels.shape[0] != n_examples:
            raise ValueError(
                f"X and Y have different lengths: {n_examples} examples but {labels.shape[0]} labels"
            )
        out = np.zeros((n_examples, n_outputs), dtype=dtype)
        out[np.arange(n_examples), labels] = 1.0
        return out
    if Y.ndim != 2 or Y.shape[1] != n_outputs:
        raise ValueError(
            f"desired outputs must be labels of shape (n,) or one-hot rows of shape "
            f"(n, {n_outputs}); got shape {Y.shape}"
        )
    if Y.shape[0] != n_examples:
        raise ValueError(
            f"X and Y have different lengths: {n_examples} examples but {Y.shape[0]} desired outputs"
        )
    Y = Y.astype(dtype, copy=False)
    if not np.all(np.isfinite(Y)):
        raise ValueError("desired outputs contain NaN or inf values")
    return Y


def positive_int(value, name: str) -> int:
    """Check that ``value`` is a whole number >= 1 and return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive whole number; got {value!r}")
    return int(value)


def non_negative(value, name: str) -> float:
    """Check that ``value`` is a finite number >= 0 and return it as ``float``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return v
