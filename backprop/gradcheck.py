"""Gradient checking: compare the backward pass with finite differences.

Wiggle one parameter up and down by a small ``eps``, measure how the cost
changes, and divide: that slope needs no calculus, so it is an independent
check of backpropagation.
"""
from __future__ import annotations

import numpy as np

from .arguments import float_dtype
from .network import Gradient, Network, unflatten

#: Most multiply-adds a check may cost (two forward passes per parameter in extended
#: precision, where NumPy has no fast matrix product): ten examples of the digit
#: network, well under a minute.
WORK_LIMIT = 4e9
#: Types in which finite differences are sharp enough to judge backprop.
PRECISE_DTYPES = (np.dtype(np.float64), np.dtype(np.longdouble))


def _checked_setup(net: Network, X, Y, eps, dtype) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate a gradient check's arguments before any work; return inputs, targets, eps."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a backprop Network; got {type(net).__name__}")
    kinds = {np.dtype(net.dtype)} | {p.dtype for p in net.weights + net.biases}
    if kinds - {np.dtype(np.float64)}:
        raise ValueError(
            f"net holds {', '.join(sorted(k.name for k in kinds))} numbers: a gradient check is "
            "meaningless at that precision (its rounding errors are as large as the differences "
            "it looks for). Check a float64 copy: net.copy().astype(np.float64)")
    if float_dtype(dtype) not in PRECISE_DTYPES:
        raise ValueError(f"dtype must be np.longdouble or np.float64; got {dtype!r}")
    eps = float(eps) if isinstance(eps, (int, float, np.floating, np.integer)) else np.nan
    if not 1e-12 <= eps < 1:
        raise ValueError("eps must be a small positive number such as 3e-5 (the size of each "
                         "wiggle), between 1e-12 (smaller wiggles are lost in rounding) and 1")
    X, T = net.inputs_and_targets(X, Y)
    work = 2 * net.n_params * X.shape[0] * net.n_params
    if work > WORK_LIMIT:
        raise ValueError(f"X has {X.shape[0]} examples: checking all {net.n_params:,} parameters "
                         "on that many would take far too long; use a handful, e.g. X[:5]")
    return X, T, eps


def numerical_gradient(net: Network, X, Y, eps: float = 3e-5,
                       dtype=np.longdouble) -> Gradient:
    """Estimate every partial derivative of the cost by central differences.

    For each parameter ``p``: ``(C(p + eps) - C(p - eps)) / (2 eps)``. Costs two
    forward passes per parameter, so use a handful of examples.

    The costs are computed in extended precision (``np.longdouble``) by default:
    in float64 the rounding error of the cost, about 1e-16 / eps, would swamp the
    smallest partial derivatives (some are below 1e-7). Where ``longdouble`` is
    plain float64 (e.g. on Windows) the check is less sharp for tiny entries.
    The network must hold float64 parameters: in float32 the check is meaningless.
    """
    X, T, eps = _checked_setup(net, X, Y, eps, dtype)
    probe = net.copy()
    X, T = X.astype(dtype), T.astype(dtype)
    params = net.to_vector().astype(dtype)
    slopes = np.empty_like(params)

    def cost_at(vector: np.ndarray):
        probe.weights, probe.biases = unflatten(vector, probe.sizes)
        return np.mean(probe.cost_function.per_example(probe.forward_unchecked(X).activations[-1], T))

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
    Values of 1e-7 or less mean the backward pass is right. Only float64
    networks can be checked: a float32 network raises a ``ValueError`` saying so.
    """
    numeric = numerical_gradient(net, X, Y, eps, dtype)
    analytic = net.gradient(X, Y)
    return np.array([
        max(relative_error(aw, nw).max(), relative_error(ab, nb).max())
        for aw, ab, nw, nb in zip(analytic.weights, analytic.biases, numeric.weights, numeric.biases)
    ])
