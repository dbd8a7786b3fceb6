"""Costs: how badly the network's outputs miss the desired outputs.

The lesson's cost for one example adds up the squares of the differences between
the output activations and the desired output (1 for the right digit, 0 for the
others). The total cost averages that over the examples. Softmax outputs with
cross-entropy are the usual alternative, kept here for comparison.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .activations import softmax
from .arguments import as_labels, float_dtype, positive_int


def quadratic_cost_per_example(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sum over the outputs of ``(a - y)**2``: one number per example (row)."""
    return np.sum((a - y) ** 2, axis=-1)


def quadratic_output_error(z, a, y, slope) -> np.ndarray:
    """dC/dz at the output for one example's quadratic cost: ``2 (a - y) f'(z)``.

    ``slope(z, a)`` gives the activation's derivative ``f'(z)``.
    """
    return 2.0 * (a - y) * slope(z, a)


def cross_entropy_per_example(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``-sum(y * log a)`` per example, for softmax outputs ``a``."""
    tiny = np.finfo(a.dtype).tiny
    return -np.sum(y * np.log(np.maximum(a, tiny)), axis=-1)


def cross_entropy_output_error(z, a, y, slope) -> np.ndarray:
    """dC/dz at a softmax output with cross-entropy: simply ``a - y``."""
    return a - y


class Cost(NamedTuple):
    """A cost: its value per example, the output layer's squashing, and dC/dz there."""

    name: str
    per_example: Callable
    output_error: Callable
    output_activation: Callable | None  # None: the same squashing as the hidden layers


COSTS = {
    "quadratic": Cost("quadratic", quadratic_cost_per_example,
                      quadratic_output_error, None),
    "cross_entropy": Cost("cross_entropy", cross_entropy_per_example,
                          cross_entropy_output_error, softmax),
}


def get_cost(name: str) -> Cost:
    """Look up a cost by name (``"quadratic"`` or ``"cross_entropy"``)."""
    try:
        return COSTS[name]
    except KeyError:
        raise ValueError(f"unknown cost {name!r}; choose one of {sorted(COSTS)}") from None


def one_hot(labels, n_classes: int = 10, dtype=np.float64) -> np.ndarray:
    """Desired outputs for integer labels: a row of zeros with a 1 at the label.

    ``labels`` are whole numbers from 0 to ``n_classes - 1`` (a single label gives
    one row); anything else raises a ``ValueError`` naming the bad label.
    """
    n_classes = positive_int(n_classes, "n_classes")
    labels = as_labels(labels, n_classes)
    out = np.zeros((labels.shape[0], n_classes), dtype=float_dtype(dtype))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out
