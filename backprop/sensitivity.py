"""Chapter 2: the gradient read as a list of sensitivities, measured on the real network.

Each component of the gradient says how strongly the cost responds to one
weight or bias. Here a parameter is named, ranked by its sensitivity, and
wiggled, so the measured change of the cost can be set beside the gradient's
prediction. Layers are numbered as in :mod:`backprop.lesson` (1 = first hidden).
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .arguments import layer_sizes, real_numbers, whole_number
from .network import Gradient, Network, count_parameters


class Param(NamedTuple):
    """Where one weight or bias lives: ``layer`` (1..), ``kind`` and ``index``.

    A weight's index is ``(j, k)``: from neuron ``k`` of layer ``layer - 1`` to
    neuron ``j`` of layer ``layer``. A bias's index is ``(j,)``.
    """

    layer: int
    kind: str
    index: tuple

    @property
    def label(self) -> str:
        """A short name such as ``w2[3, 7]`` or ``b3[2]``."""
        return f"{self.kind[0]}{self.layer}[{', '.join(str(i) for i in self.index)}]"


def _array_of(params: Gradient | Network, p: Param) -> np.ndarray:
    if p.kind not in ("weight", "bias"):
        raise ValueError(f"a parameter's kind is 'weight' or 'bias'; got {p.kind!r}")
    arrays = params.weights if p.kind == "weight" else params.biases
    if not 1 <= p.layer <= len(arrays):
        raise ValueError(f"layer {p.layer} has no parameters; choose 1 to {len(arrays)}")
    array = arrays[p.layer - 1]
    index = tuple(p.index)
    if len(index) != array.ndim or any(not 0 <= i < n for i, n in zip(index, array.shape)):
        raise ValueError(f"index {index} is outside the {p.kind}s of layer {p.layer} "
                         f"(shape {array.shape})")
    return array


def sensitivity(gradient: Gradient, p: Param) -> float:
    """The gradient's component for one parameter: how strongly the cost reacts to it."""
    return float(_array_of(gradient, p)[tuple(p.index)])


def param_at(sizes: Sequence[int], position: int) -> Param:
    """The parameter at ``position`` of the flat vector laid out by :func:`~backprop.flatten`."""
    sizes, position = layer_sizes(sizes), whole_number(position, "position")
    start = position
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        if 0 <= start < n_in * n_out:
            return Param(layer, "weight", (start // n_in, start % n_in))
        start -= n_in * n_out
        if 0 <= start < n_out:
            return Param(layer, "bias", (start,))
        start -= n_out
    raise ValueError(f"position {position} is outside the {count_parameters(sizes)} "
                     f"parameters of a network of sizes {list(sizes)}")


def sensitivity_ranking(gradient: Gradient, top: int | None = 10) -> list[tuple[Param, float]]:
    """Parameters ordered by how sensitive the cost is to them, largest ``|dC/dp|`` first.

    Returns ``(Param, dC/dp)`` pairs: the ``top`` first, or all of them for ``top=None``.
    """
    vector = gradient.to_vector()
    sizes = [gradient.weights[0].shape[1]] + [b.shape[0] for b in gradient.biases]
    order = np.argsort(-np.abs(vector), kind="stable")[:top]
    return [(param_at(sizes, int(i)), float(vector[i])) for i in order]


def _cost_with(net: Network, X, Y, p: Param, value: float) -> float:
    """The cost with one parameter temporarily set to ``value`` (then restored)."""
    array = _array_of(net, p)
    index = tuple(p.index)
    original = array[index]
    try:
        array[index] = value
        return net.cost(X, Y)
    finally:
        array[index] = original


def measured_cost_change(net: Network, X, Y, p: Param, wiggle: float) -> float:
    """Wiggle one parameter by ``wiggle`` and measure how much the cost changes.

    The network is left exactly as it was.
    """
    return cost_change_curve(net, X, Y, p, [_number_of(wiggle, "wiggle")])[0]


def predicted_cost_change(gradient: Gradient, p: Param, wiggle: float) -> float:
    """The gradient's prediction of that change: sensitivity times wiggle."""
    return sensitivity(gradient, p) * wiggle


def cost_change_curve(net: Network, X, Y, p: Param, wiggles) -> np.ndarray:
    """Measured cost changes for several wiggles of one parameter (one per wiggle)."""
    wiggles = real_numbers(wiggles, "wiggles")
    start = float(_array_of(net, p)[tuple(p.index)])
    before = net.cost(X, Y)
    return np.array([_cost_with(net, X, Y, p, start + float(w)) - before
                     for w in np.ravel(wiggles)])


class Ratio(NamedTuple):
    """How many times more one parameter moves the cost than another."""

    measured: float
    predicted: float


def sensitivity_ratio(net: Network, X, Y, p: Param, q: Param, wiggle: float) -> Ratio:
    """Wiggle ``p`` and ``q`` by the same amount: ratio of measured and of predicted changes."""
    if _number_of(wiggle, "wiggle") == 0:
        raise ValueError("wiggle must not be 0: a wiggle of nothing changes no cost")
    g = net.gradient(X, Y)
    change_p, change_q = (measured_cost_change(net, X, Y, r, wiggle) for r in (p, q))
    if change_q == 0 or sensitivity(g, q) == 0:
        raise ValueError(f"q ({q}) does not move the cost, so no ratio to it exists; "
                         "compare with a parameter the cost is sensitive to")
    return Ratio(float(change_p / change_q), sensitivity(g, p) / sensitivity(g, q))


def _number_of(value, name: str) -> float:
    """``value`` as a float if it is one finite real number, else an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


class EqualSteps(NamedTuple):
    """Measured changes of the cost for steps of one length in different directions."""

    gradient: float                 # against the gradient: each parameter by its component
    largest_only: float             # the whole length on the most sensitive parameter
    random: np.ndarray              # random directions, one change per direction


def cost_change_of_step(net: Network, X, Y, step) -> float:
    """Move every parameter at once by ``step`` and measure how much the cost changes.

    ``step`` holds one change per parameter, in the order of :meth:`Network.to_vector`.
    The network is left as it was.
    """
    step = np.asarray(step, dtype=float)
    if step.shape != (net.n_params,):
        raise ValueError(f"step must hold one change per parameter ({net.n_params}); "
                         f"got shape {step.shape}")
    moved = net.copy().load_vector(net.to_vector() + step)
    return moved.cost(X, Y) - net.cost(X, Y)


def steps_of_equal_length(net: Network, X, Y, length: float, n_random: int = 20,
                          seed: int = 0) -> EqualSteps:
    """Steps of the same length (the square root of the summed squared changes), measured.

    One moves each parameter against its component of the gradient, in proportion to
    it; one puts the whole length on the parameter with the largest component; the
    others point in ``n_random`` random directions (drawn with ``seed``).
    """
    if not length > 0:
        raise ValueError(f"length must be positive; got {length!r}")
    g = net.gradient(X, Y).to_vector()
    largest = np.zeros_like(g)
    largest[np.argmax(np.abs(g))] = -length * np.sign(g[np.argmax(np.abs(g))])
    random = np.random.default_rng(seed).normal(size=(n_random, g.size))
    random *= length / np.linalg.norm(random, axis=1, keepdims=True)
    return EqualSteps(cost_change_of_step(net, X, Y, -length * g / np.linalg.norm(g)),
                      cost_change_of_step(net, X, Y, largest),
                      np.array([cost_change_of_step(net, X, Y, r) for r in random]))
