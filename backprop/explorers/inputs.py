"""Checks of the inputs the explorers take (chapters 2-6).

Each explorer refuses what it cannot draw before computing anything, with one
clear ValueError that names the argument.
"""
from __future__ import annotations

import numpy as np

from .. import descent
from ..network import Network


def check_network_shape(net, layers: int, what: str) -> None:
    """Refuse a network this explorer cannot draw, saying which networks it shows."""
    if len(net.sizes) != layers:
        raise ValueError(f"the {what} shows networks with {layers} layers (input, "
                         f"{layers - 2} hidden, output), like [784, 16, 16, 10]; "
                         f"got sizes {net.sizes}")


def check_digit_network(net: Network, what: str) -> None:
    """Refuse anything but a 784-pixel network with two hidden layers and the lesson's cost."""
    if not isinstance(net, Network):
        raise ValueError(f"net must be a backprop Network; got {type(net).__name__}")
    check_network_shape(net, 4, what)
    if net.sizes[0] != 784:
        raise ValueError(f"net must take 784 pixels (28 x 28 images); its sizes are {net.sizes}")
    if net.cost_function.name != "quadratic":
        raise ValueError(f"net must use the lesson's quadratic cost; it uses "
                         f"{net.cost_function.name!r}")
    if not all(np.all(np.isfinite(p)) for p in (*net.weights, *net.biases)):
        raise ValueError("net's weights or biases hold NaN or inf (a training run that "
                         "diverged?); an explorer draws finite numbers only")


def checked_examples(net: Network, images, labels, most: int) -> tuple[np.ndarray, np.ndarray]:
    """``images`` as ``(n, 784)`` floats and ``labels`` as n digits, 1 <= n <= ``most``."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 1:
        images = images[np.newaxis]
    if images.ndim != 2 or images.shape[1] != net.sizes[0] or not 1 <= len(images) <= most:
        raise ValueError(f"images must be 1 to {most} rows of {net.sizes[0]} pixels; "
                         f"got shape {images.shape}")
    if not np.all(np.isfinite(images)):
        raise ValueError("images must hold finite pixel values (no NaN or inf)")
    labels = np.asarray(labels)
    if labels.ndim == 0:
        labels = labels[np.newaxis]
    n_out = net.sizes[-1]
    if (labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer)
            or not np.all((labels >= 0) & (labels < n_out))):
        raise ValueError(f"labels must be {len(images)} whole numbers 0 to {n_out - 1}, "
                         f"one per image; got {labels!r}")
    return images, labels.astype(int)


def check_whole_numbers(**sizes) -> None:
    """Each ``name=(value, low, high)`` must be a whole number in ``[low, high]``."""
    for name, (value, low, high) in sizes.items():
        whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        if not (whole and low <= value <= high):
            raise ValueError(f"{name} must be a whole number from {low} to {high}; got {value!r}")


def check_sgd_problems(problems) -> None:
    """Chapter 6's problems: name -> (two-parameter cost, (lowest, highest, usual) rate),
    the usual rate not diverging on the first step."""
    if not isinstance(problems, dict) or not problems:
        raise ValueError("problems must be a non-empty dict of name -> (problem, "
                         "(lowest, highest, usual) learning rate), like sgd_problems(...)")
    for name, entry in problems.items():
        where = f"problems[{name!r}]"
        rates = entry[1] if isinstance(entry, tuple) and len(entry) == 2 else None
        if not (isinstance(rates, (tuple, list)) and len(rates) == 3 and all(
                isinstance(r, (int, float, np.number)) and not isinstance(r, bool) for r in rates)):
            raise ValueError(f"{where} must be (problem, (lowest, highest, usual) learning rate)")
        problem, (lowest, highest, usual) = entry
        needs = ("cost", "gradient", "start", "extent", "n_examples", "names")
        if not all(hasattr(problem, a) for a in needs):
            raise ValueError(f"{where}: {type(problem).__name__} is not a two-parameter cost "
                             "(needs cost, gradient, start, extent, n_examples, names)")
        if not (np.all(np.isfinite([lowest, highest, usual])) and 0 < lowest <= usual <= highest):
            raise ValueError(f"{where}: learning rates must satisfy 0 < lowest <= usual <= "
                             f"highest; got {(lowest, highest, usual)}")
        if descent.descend(problem, usual, 1).diverged_at == 1:
            raise ValueError(f"{where}: gradient descent diverges on its very first step at the "
                             f"usual learning rate {usual}; give a smaller one")
