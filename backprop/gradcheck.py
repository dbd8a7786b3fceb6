"""Gradient checking: compare the backward pass with finite differences.

Wiggle one parameter up and down by a small ``eps``, measure how the cost
changes, and divide: that slope needs no calculus, so it is an independent
check of backpropagation.
"""
from __future__ import annotations

import numpy as np

from .network import Gradient, Network, unflatten


def numerical_gradient(net: Network, X, Y, eps: float = 3e-5,
                       dtype=np.longdouble) -> Gradient:
    """Estimate every partial derivative of the cost by central differences.

    For each parameter ``p``: ``(C(p + eps) - C(p - eps)) / (2 eps)``. Costs two
    forward passes per parameter, so use a handful of examples.

    The costs are computed in extended precision (``np.longdouble``) by default:
    in float64 the rounding error of the cost, about 1e-16 / eps, would swamp the
    smallest partial derivatives (some are below 1e-7). Where ``longdouble`` is
    plain float64 (e.g. on Windows) the check is less sharp for tiny entries.
    """
    X, T = net._inputs_and_targets(X, Y)
    probe = net.copy().astype(dtype)
    X, T = X.astype(dtype), T.astype(dtype)
    params = probe.to_vector()
    slopes = np.empty_like(params)

    def cost_at(vector: np.ndarray):
        probe.weights, probe.biases = unflatten(vector, probe.sizes)
        return np.mean(probe.cost_function.per_example(probe._forward(X).activations[-1], T))

    for i in range(params.size):
        original = params[i]
        params[i] = original + eps
        up = cost_at(params)
        params[i] = original - eps
        down = cost_at(params)
        params[i] = original
        slopes[i] = (up - down) / (2 * eps)
    return Gradient(*unflatten(slopes.astype(np.float64), net.sizes))


def relative_error(a: np.ndarray, b: np.ndarray, tiny: float = 1e-30) -> np.ndarray:
    """Elementwise ``|a - b| / max(|a| + |b|, tiny)``: 0 when equal, 1 when opposite."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)


def check_gradient(net: Network, X, Y, eps: float = 3e-5, dtype=np.longdouble) -> np.ndarray:
    """Largest relative error between backprop and finite differences, per layer.

    Returns one number per layer of weights (its weights and biases together).
    Values of 1e-7 or less mean the backward pass is right.
    """
    analytic = net.gradient(X, Y)
    numeric = numerical_gradient(net, X, Y, eps, dtype)
    return np.array([
        max(relative_error(aw, nw).max(), relative_error(ab, nb).max())
        for aw, ab, nw, nb in zip(analytic.weights, analytic.biases, numeric.weights, numeric.biases)
    ])
