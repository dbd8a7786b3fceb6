"""Squashing functions: what a neuron does to its weighted input.

Each activation comes with its derivative, because the backward pass needs the
slope of the squashing function at the weighted input ``z``.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .arguments import real_array


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Squash any real number into (0, 1): ``1 / (1 + exp(-z))``.

    For a very negative ``z`` (below about -88 in float32, -709 in float64),
    ``exp(-z)`` is too big for the number type and becomes infinity; then
    ``1 / (1 + inf)`` is exactly 0, the right answer, so that overflow is
    harmless and its warning is silenced.
    """
    z = real_array(z, "z")
    if z.dtype.kind != "f":
        z = z.astype(np.float64)        # so that -z of unsigned integers cannot wrap around
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Slope of the sigmoid at ``z``: ``sigmoid(z) * (1 - sigmoid(z))``, at most 1/4."""
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit: ``max(0, z)``."""
    return np.maximum(real_array(z, "z"), 0.0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """Slope of ReLU: 1 where ``z > 0``, else 0."""
    z = real_array(z, "z")
    return (z > 0).astype(np.result_type(z, np.float32))


def softmax(z: np.ndarray) -> np.ndarray:
    """Turn each row of scores into probabilities that add up to 1 (stable form)."""
    z = real_array(z, "z")
    if np.any(np.isnan(z) | (z == np.inf)):
        raise ValueError("z contains NaN or +inf: softmax needs finite scores (-inf means never)")
    if z.size and np.any(np.all(z == -np.inf, axis=-1)):
        raise ValueError("z has a row whose scores are all -inf: it has no probabilities")
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


class Activation(NamedTuple):
    """A squashing function, its derivative, and that derivative at a known output.

    ``slope(z, a)`` equals ``prime(z)`` when ``a = f(z)``; the backward pass uses it
    so the squashing need not be computed a second time.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    prime: Callable[[np.ndarray], np.ndarray]
    slope: Callable[[np.ndarray, np.ndarray], np.ndarray]


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, lambda z, a: a * (1.0 - a)),
    "relu": Activation("relu", relu, relu_prime, lambda z, a: relu_prime(z)),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name (``"sigmoid"`` or ``"relu"``)."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None
