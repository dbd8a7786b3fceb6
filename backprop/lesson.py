"""The lesson's intuitive quantities, computed on a real :class:`~backprop.network.Network`.

Chapters 1-4 build backpropagation from desired nudges, wishes, pushes and nudges
before any formula. The words, one per quantity (``C`` is one example's cost):

* **desired nudge** of an output: target minus activation;
* **wish** of any neuron: ``-dC/da`` (at the output, twice the desired nudge);
* **push** of a neuron: ``-dC/dz = f'(z) * wish``, minus backprop's error term ``delta``;
* **nudge** of a weight or bias: minus the cost's derivative with respect to it.

Every function here names one idea of the lesson and is built on the network's
own forward pass, error terms and gradient, so the intuition and the real
algorithm can be compared number by number.

Chapter 2's sensitivities live in :mod:`backprop.sensitivity` and chapter 3's pure
Hebbian rule in :mod:`backprop.hebb`; both are handed on from here, so a chapter
needs only ``from backprop import lesson``.

Layers are numbered as in the lesson: 0 is the input (the pixels), 1 and 2 the
hidden layers, 3 the output. A parameter "in layer l" feeds layer l's neurons:
``net.weights[l - 1]`` and ``net.biases[l - 1]``.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .arguments import as_inputs, as_labels, whole_number
from .costs import one_hot
from .hebb import hebbian_similarity, hebbian_update, sign_agreement
from .network import Network
from .sensitivity import (EqualSteps, Param, Ratio, cost_change_curve,  # noqa: F401
                          cost_change_of_step, measured_cost_change, param_at,
                          predicted_cost_change, sensitivity, sensitivity_ranking,
                          sensitivity_ratio, steps_of_equal_length)


# ----- chapter 1: the network and its cost -------------------------------------------
def parameters_per_layer(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """How many weights and biases feed each layer: ``[(n_weights, n_biases), ...]``."""
    return [(n_in * n_out, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


class NeuronSum(NamedTuple):
    """One neuron's computation: previous activations, its weights and bias, ``z`` and ``a``."""

    previous_activations: np.ndarray
    weights: np.ndarray
    bias: float
    z: float
    activation: float


def neuron_sum(net: Network, x, layer: int, neuron: int) -> NeuronSum:
    """The pieces of one neuron's weighted sum for one example, read off the forward pass."""
    layer, neuron = _checked_neuron(net, layer, neuron)
    fwd = net.forward(_one_example(net, x))
    return NeuronSum(fwd.activations[layer - 1][0], net.weights[layer - 1][neuron],
                     float(net.biases[layer - 1][neuron]), float(fwd.zs[layer - 1][0, neuron]),
                     float(fwd.activations[layer][0, neuron]))


def cost_terms(output, label: int) -> np.ndarray:
    """One example's cost, term by term: ``(output - desired)**2`` for each output neuron.

    Their sum is the example's cost.
    """
    output = np.asarray(output, dtype=np.float64)
    return (output - _desired(label, output.shape[-1])) ** 2


# ----- chapter 3: what one training example wants ------------------------------------
def desired_nudges(output, label: int) -> np.ndarray:
    """How each output should move for this example: target minus value.

    Up for the right digit, down for the others, bigger the further off it is.
    (The outputs' wishes are ``-dC/da = 2 * desired_nudges``.)
    """
    output = np.asarray(output, dtype=np.float64)
    return _desired(label, output.shape[-1]) - output


class Avenues(NamedTuple):
    """Three ways to raise one neuron's activation, each as the change one example asks for.

    ``push`` is the neuron's push ``-dC/dz``. ``bias = push`` is the bias nudge,
    ``weights = push * previous activations`` the weight nudges, and
    ``wish_parts = push * the neuron's weights`` this neuron's part of the wish
    of each neuron in the previous layer (the avenue "change the previous
    activations").
    """

    push: float
    bias: float
    weights: np.ndarray
    wish_parts: np.ndarray


def three_avenues(net: Network, x, label: int, neuron: int, layer: int | None = None) -> Avenues:
    """One neuron's push, its bias and weight nudges, and its part of the previous wishes.

    Read off backprop's error term ``delta = dC/dz`` of that neuron (the push is
    ``-delta``): the nudges are minus the matching terms of the example's gradient.
    """
    layer = len(net.weights) if layer is None else layer
    layer, neuron = _checked_neuron(net, layer, neuron)
    x = _one_example(net, x)
    push = -float(net.errors(x, [label])[layer - 1][0, neuron])
    previous = net.forward(x).activations[layer - 1][0]
    return Avenues(push, push, push * previous, push * net.weights[layer - 1][neuron])


def example_weight_nudges(net: Network, x, label: int, layer: int | None = None) -> np.ndarray:
    """The weight nudges one example asks for in a layer: minus its gradient (no rate)."""
    layer = len(net.weights) if layer is None else layer
    _checked_neuron(net, layer, 0)
    return -net.gradient(_one_example(net, x), [label]).weights[layer - 1]


class HebbianComparison(NamedTuple):
    """One example's output-layer weight nudges beside the pure Hebbian update.

    Both have rows ``factor_j * previous activations``: the nudges' factor is the
    neuron's push ``-delta_j``, Hebb's the neuron's own activation ``a_j``.
    """

    nudges: np.ndarray
    hebbian: np.ndarray
    similarity: float
    agreement: float


def compare_with_hebbian(net: Network, x, label: int) -> HebbianComparison:
    """One example's output-layer weight nudges against Hebb's update (post x pre activation)."""
    x = _one_example(net, x)
    activations = net.forward(x).activations
    nudges = example_weight_nudges(net, x[0], label)
    hebbian = hebbian_update(activations[-2][0], activations[-1][0])
    return HebbianComparison(nudges, hebbian, hebbian_similarity(nudges, hebbian),
                             sign_agreement(nudges, hebbian))


# ----- chapter 4: propagating backwards -----------------------------------------------
def wish_parts(weights, pushes) -> np.ndarray:
    """What each next-layer neuron's push asks of the previous layer, one row per neuron.

    Row ``j`` is ``pushes[j] * weights[j]``: neuron ``j`` wants the previous
    neurons moved in proportion to the weights connecting them to it. Each
    column adds up to one previous neuron's wish (see :func:`wishes_from_pushes`).
    """
    weights = np.asarray(weights, dtype=np.float64)
    pushes = np.asarray(pushes, dtype=np.float64)
    if weights.ndim != 2 or pushes.shape != (weights.shape[0],):
        raise ValueError(f"need weights (m, n) and m pushes; "
                         f"got {weights.shape} and {pushes.shape}")
    return pushes[:, np.newaxis] * weights


def wishes_from_pushes(weights, pushes) -> np.ndarray:
    """The previous layer's wishes ``-dC/da``: every next-layer neuron's part, added up.

    Equal to ``weights.T @ pushes``. The sum is linear, so given the error terms
    ``delta = -pushes`` it returns ``dC/da``, minus the wishes.
    """
    return wish_parts(weights, pushes).sum(axis=0)


class BackwardStep(NamedTuple):
    """What one layer is asked to do for one example, found walking backwards.

    ``wishes`` is ``-dC/da`` (for the output: twice the desired nudges; further
    back: the columns of ``wish_parts`` added up). ``wish_parts`` has one row per
    neuron of the next layer (None for the output layer). ``pushes`` is
    ``-dC/dz = f'(z) * wishes``; backprop's error term ``delta`` is minus it.
    The input layer has no ``z``, so its ``pushes`` and ``delta`` are None.
    """

    layer: int
    activations: np.ndarray
    wish_parts: np.ndarray | None
    wishes: np.ndarray
    pushes: np.ndarray | None
    delta: np.ndarray | None


def backward_steps(net: Network, x, label: int) -> list[BackwardStep]:
    """Walk from the output back to the pixels, passing each layer's wishes on.

    The first step is the output layer, the last the input layer. ``delta`` is
    read from :meth:`Network.errors`, so each step can be checked against it.
    """
    _check_quadratic(net, "the backward steps")
    x = _one_example(net, x)
    label = int(as_labels(label, net.sizes[-1])[0])
    fwd = net.forward(x)
    deltas = [d[0] for d in net.errors(x, [label])]
    last = len(net.weights)
    wishes = 2.0 * desired_nudges(fwd.activations[-1][0], label)
    parts, steps = None, []
    for layer in range(last, -1, -1):
        if layer < last:
            parts = wish_parts(net.weights[layer], steps[-1].pushes)
            wishes = parts.sum(axis=0)
        pushes = net.activation.prime(fwd.zs[layer - 1][0]) * wishes if layer else None
        steps.append(BackwardStep(layer, fwd.activations[layer][0], parts, wishes, pushes,
                                  deltas[layer - 1] if layer else None))
    return steps


# ----- shared checks -------------------------------------------------------------------
def _desired(label, n_outputs: int) -> np.ndarray:
    return one_hot(as_labels(label, n_outputs), n_outputs)[0]


def _one_example(net: Network, x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"expected one example of shape ({net.sizes[0]},); got shape {x.shape}")
    return as_inputs(x, net.sizes[0], net.dtype)


def _checked_neuron(net: Network, layer: int, neuron: int) -> tuple[int, int]:
    layer, neuron = whole_number(layer, "layer"), whole_number(neuron, "neuron")
    if not 1 <= layer <= len(net.weights):
        raise ValueError(f"layer must be 1 to {len(net.weights)} (0 is the input); got {layer}")
    if not 0 <= neuron < net.sizes[layer]:
        raise ValueError(f"layer {layer} has neurons 0 to {net.sizes[layer] - 1}; got {neuron}")
    return int(layer), int(neuron)


def _check_quadratic(net: Network, what: str) -> None:
    if net.cost_function.name != "quadratic" or net.cost_function.output_activation is not None:
        raise ValueError(f"{what} follow the lesson's quadratic cost; "
                         f"this network uses {net.cost_function.name!r}")


# ----- chapter 4: how much the pushes shrink on the way back ---------------------------
class LayerShrink(NamedTuple):
    """The typical size of one layer's wishes and pushes, and what a step back does to them.

    ``wish`` is the mean ``|dC/da|`` and ``push`` the mean ``|dC/dz|`` over the layer's
    neurons and the examples. ``slope_factor = push / wish`` is what the activation's
    slope does to them. ``weight_factor`` is this layer's ``wish`` divided by the next
    layer's ``push``: what the weights leaving the layer, summed over the next layer,
    do on the step back (None for the output layer, which has no next layer).
    """

    layer: int
    wish: float
    push: float
    slope_factor: float
    weight_factor: float | None


def shrink_by_layer(net: Network, X, labels) -> list[LayerShrink]:
    """Mean sizes of every layer's wishes and pushes, from the output back to layer 1.

    Works for any depth and for sigmoid or ReLU neurons, with the lesson's quadratic
    cost (whose output wish is twice the desired nudge). The pixels are left out: they
    are not parameters, so no nudge depends on their wishes.

    Parameters
    ----------
    net : the network, with the quadratic cost.
    X : examples, one per row (a single example as one row).
    labels : one digit per example.

    Returns
    -------
    One :class:`LayerShrink` per layer, the output layer first.
    """
    _check_quadratic(net, "the wishes and pushes")
    X = as_inputs(X, net.sizes[0], net.dtype)
    labels = as_labels(labels, net.sizes[-1])
    if labels.shape[0] != X.shape[0]:
        raise ValueError(f"labels must give one digit per example: {X.shape[0]} examples, "
                         f"{labels.shape[0]} labels")
    deltas = net.errors(X, labels)
    last = len(net.weights)
    rows: list[LayerShrink] = []
    for layer in range(last, 0, -1):
        if layer == last:
            wishes = 2.0 * (one_hot(labels, net.sizes[-1]) - net.output(X))
        else:
            wishes = -deltas[layer] @ net.weights[layer]
        wish, push = float(np.abs(wishes).mean()), float(np.abs(deltas[layer - 1]).mean())
        rows.append(LayerShrink(layer, wish, push, push / wish,
                                wish / rows[-1].push if rows else None))
    return rows


def neighbour_correlation(images) -> float:
    """How alike neighbouring pixels are (noise about 0, smooth strokes near 1): the
    correlation of each pixel with its right and lower neighbour, over one 28 x 28 image
    or a stack of them (784 values a row: a layer's weights, an example's pixel wishes)."""
    squares = np.asarray(images, dtype=float).reshape(-1, 28, 28)
    pairs = [(squares[:, :, :-1], squares[:, :, 1:]), (squares[:, :-1], squares[:, 1:])]
    return float(np.mean([np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in pairs]))
