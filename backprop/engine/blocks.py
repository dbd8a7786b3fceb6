"""Matrix products cut into blocks of rows, which OpenBLAS multiplies faster.

Training multiplies a batch of images by the first layer's weights twice a step: in
the forward pass (``z = a @ W.T``) and when it adds up the weights' changes over the
batch (``delta.T @ a``). Each row of ``z`` depends only on the same row of ``a``, and
the sum over a batch is the sum of the sums over its blocks, so the products can be
worked out ``ROWS_PER_BLOCK`` rows at a time; that changes nothing but the time (and
the last bit of rounding).

Measured on one machine (OpenBLAS 0.3.31, the kernel numpy shipped for its CPU, one
thread): up to about 75 images times the 16 x 784 weights take a faster kernel for
small products, so a batch of 100 images went forward in about 25 microseconds as
blocks of 64 and 36 rows, against 37 in one go, and the blocked sum saved about 6
microseconds a step. A narrow layer's product is too small to gain anything.
``benchmarks/speed.py`` measures the whole epoch.
"""
from __future__ import annotations

import numpy as np

#: A layer with at least ``WIDE_LAYER`` inputs (such as the 784 pixels) is multiplied
#: ``ROWS_PER_BLOCK`` rows at a time.
ROWS_PER_BLOCK, WIDE_LAYER = 64, 100


def weighted_inputs(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One layer's weighted inputs ``z = a @ w.T + b``, a wide layer's in blocks of rows.

    The same numbers as :func:`backprop.network.weighted_inputs`;
    ``net.forward_unchecked(X, weighted_inputs)`` uses it.
    """
    if a.shape[0] <= ROWS_PER_BLOCK or w.shape[1] < WIDE_LAYER:
        z = a @ w.T
    else:
        z = np.empty((a.shape[0], w.shape[0]), np.result_type(a, w))
        for start in range(0, a.shape[0], ROWS_PER_BLOCK):
            rows = slice(start, start + ROWS_PER_BLOCK)
            np.dot(a[rows], w.T, out=z[rows])
    z += b
    return z


def sum_over_examples(delta: np.ndarray, a: np.ndarray, out: np.ndarray,
                      scratch: np.ndarray) -> None:
    """``out = delta.T @ a``: each weight's change, added up over the batch's examples.

    A wide layer's sum is taken over blocks of ``ROWS_PER_BLOCK`` examples, each
    block's product going through ``scratch`` and then into ``out``.
    """
    n = a.shape[0]
    if n <= ROWS_PER_BLOCK or a.shape[1] < WIDE_LAYER:
        np.dot(delta.T, a, out=out)            # np.dot: fewer overheads than matmul
        return
    np.dot(delta[:ROWS_PER_BLOCK].T, a[:ROWS_PER_BLOCK], out=out)
    for start in range(ROWS_PER_BLOCK, n, ROWS_PER_BLOCK):
        rows = slice(start, start + ROWS_PER_BLOCK)
        np.dot(delta[rows].T, a[rows], out=scratch)
        out += scratch
