"""The digit network: parameters, forward pass, cost and backward pass.

Notation follows the lesson. Layer ``l`` takes the previous layer's activations
``a``, forms weighted inputs ``z = a @ W.T + b`` and squashes them, ``a' = f(z)``.
``weights[l][j, k]`` is the weight from neuron ``k`` of one layer to neuron ``j``
of the next. Arrays hold one example per row, so a batch of images is ``(n, 784)``.
"""
from __future__ import annotations

import copy as _copy
from typing import NamedTuple, Sequence

import numpy as np

from .activations import get_activation
from .arguments import (as_inputs, as_targets, fits_in_memory, layer_sizes, parameter_dtype,
                        real_numbers, seed_value)
from .costs import get_cost
from .in_training import refuse_while_training


class Forward(NamedTuple):
    """Everything the forward pass computed.

    ``zs[l]`` are layer ``l+1``'s weighted inputs; ``activations[0]`` is the input
    and ``activations[l+1] = f(zs[l])``.
    """

    zs: list
    activations: list


class Gradient(NamedTuple):
    """dC/dW and dC/db for every layer, shaped like the parameters."""

    weights: list
    biases: list

    def to_vector(self) -> np.ndarray:
        """All partial derivatives as one flat vector, in the order of :func:`flatten`."""
        return flatten(self.weights, self.biases)


def flatten(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> np.ndarray:
    """Lay every weight and bias out in one vector: W1, b1, W2, b2, ..."""
    parts = []
    for w, b in zip(weights, biases):
        parts += [np.ravel(w), np.ravel(b)]
    return np.concatenate(parts)


def unflatten(vector: np.ndarray, sizes: Sequence[int]) -> tuple[list, list]:
    """Inverse of :func:`flatten`: cut a flat vector back into weights and biases."""
    vector = np.asarray(vector)
    expected = count_parameters(sizes)
    if vector.shape != (expected,):
        raise ValueError(f"a network of sizes {list(sizes)} has {expected} parameters; "
                         f"got a vector of shape {vector.shape}")
    weights, biases, start = [], [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights.append(vector[start:start + n_out * n_in].reshape(n_out, n_in).copy())
        start += n_out * n_in
        biases.append(vector[start:start + n_out].copy())
        start += n_out
    return weights, biases


def count_parameters(sizes: Sequence[int]) -> int:
    """Weights plus biases of a fully connected network with these layer sizes."""
    sizes = layer_sizes(sizes)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def weighted_inputs(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One layer's weighted inputs ``z = a @ w.T + b``, one row per example."""
    z = a @ w.T
    z += b
    return z


class Network:
    """A fully connected network such as the lesson's 784-16-16-10 digit recogniser.

    Parameters
    ----------
    sizes : layer widths, input first. Default ``[784, 16, 16, 10]``.
    activation : ``"sigmoid"`` (the lesson's) or ``"relu"``.
    cost : ``"quadratic"`` (the lesson's sum of squared differences) or
        ``"cross_entropy"`` (softmax outputs), for comparison.
    seed : seed of the random starting weights; the same seed gives the same network.
    dtype : ``np.float64`` (exact, for checks) or ``np.float32`` (fast training).

    Weights start random with a spread of ``1/sqrt(fan_in)`` (sigmoid) or
    ``sqrt(2/fan_in)`` (ReLU), so the weighted inputs start neither tiny nor huge.
    Sigmoid biases start as standard normal numbers; ReLU biases at 0.01, so no
    neuron starts exactly on ReLU's kink.

    Methods such as :meth:`forward`, :meth:`cost` and :meth:`gradient` check what
    they are given (``Y``: digit labels or desired outputs). Code that has checked its
    arrays once, with :meth:`inputs_and_targets`, then calls the methods that take
    ``X`` and desired outputs ``T`` as they are: :meth:`forward_unchecked`,
    :meth:`backward`, :meth:`cost_and_gradient` and
    :meth:`gradient_by_examples_unchecked` (training, gradient checking and the
    explorers do, many times over the same arrays).
    """

    def __init__(self, sizes: Sequence[int] = (784, 16, 16, 10), activation: str = "sigmoid",
                 cost: str = "quadratic", seed: int = 0, dtype=np.float64) -> None:
        self.sizes = layer_sizes(sizes)
        self.activation = get_activation(activation)
        self.cost_function = get_cost(cost)
        self.dtype = parameter_dtype(dtype)
        fits_in_memory(count_parameters(self.sizes), self.dtype, f"a network of sizes {self.sizes}")
        rng = np.random.default_rng(seed_value(seed))
        gain = 1.0 if self.activation.name == "sigmoid" else 2.0
        self.weights = [rng.normal(0.0, np.sqrt(gain / n_in), (n_out, n_in)).astype(self.dtype)
                        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        self.biases = [(rng.normal(0.0, 1.0, n_out) if gain == 1.0 else np.full(n_out, 0.01))
                       .astype(self.dtype) for n_out in self.sizes[1:]]

    def __repr__(self) -> str:
        return (f"Network(sizes={self.sizes}, activation={self.activation.name!r}, "
                f"cost={self.cost_function.name!r}, n_params={self.n_params})")

    # ----- parameters -------------------------------------------------------------
    @property
    def n_params(self) -> int:
        """How many numbers learning can change: every weight and every bias."""
        return count_parameters(self.sizes)

    def to_vector(self) -> np.ndarray:
        """A copy of all parameters as one flat vector (W1, b1, W2, b2, ...)."""
        return flatten(self.weights, self.biases)

    def load_vector(self, vector: np.ndarray) -> "Network":
        """Set all parameters from a flat vector made by :meth:`to_vector`."""
        refuse_while_training(self, "net.load_vector", from_callback=True)
        weights, biases = unflatten(real_numbers(vector, "vector"), self.sizes)
        self.weights = [w.astype(self.dtype) for w in weights]
        self.biases = [b.astype(self.dtype) for b in biases]
        return self

    def copy(self) -> "Network":
        """An independent copy: changing it leaves this network alone."""
        return _copy.deepcopy(self)

    def astype(self, dtype) -> "Network":
        """Convert the parameters to ``dtype`` in place (e.g. float32 for speed)."""
        dtype = parameter_dtype(dtype)
        refuse_while_training(self, "net.astype")
        self.weights = [w.astype(dtype) for w in self.weights]
        self.biases = [b.astype(dtype) for b in self.biases]
        self.dtype = dtype
        return self

    # ----- forward ----------------------------------------------------------------
    def _squash(self, layer: int, z: np.ndarray) -> np.ndarray:
        out = self.cost_function.output_activation
        if layer == len(self.weights) - 1 and out is not None:
            return out(z)
        return self.activation.f(z)

    def forward_unchecked(self, X: np.ndarray, weighted_inputs=weighted_inputs) -> Forward:
        """:meth:`forward` for inputs already checked by :meth:`inputs_and_targets`.

        ``weighted_inputs(a, w, b)`` works out one layer's ``z``; the training engine
        passes one that gives the same numbers faster.
        """
        zs, activations = [], [X]
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = weighted_inputs(activations[-1], w, b)
            zs.append(z)
            activations.append(self._squash(layer, z))
        return Forward(zs, activations)

    def forward(self, X) -> Forward:
        """Feed inputs through every layer; return all weighted inputs and activations."""
        return self.forward_unchecked(as_inputs(X, self.sizes[0], self.dtype))

    def output(self, X) -> np.ndarray:
        """The output layer's activations, one row per example."""
        return self.forward(X).activations[-1]

    def predict(self, X) -> np.ndarray:
        """The digit the network picks for each example: its most active output."""
        return np.argmax(self.output(X), axis=1)

    # ----- cost -------------------------------------------------------------------
    def inputs_and_targets(self, X, Y) -> tuple[np.ndarray, np.ndarray]:
        """``X`` and ``Y`` checked and converted to this network's dtype: inputs of shape
        (n, n_inputs) and desired outputs ``T`` of shape (n, n_outputs) (labels become
        one-hot rows). Raises one clear error if they do not fit the network."""
        X = as_inputs(X, self.sizes[0], self.dtype)
        return X, as_targets(Y, X.shape[0], self.sizes[-1], self.dtype)

    def costs_per_example(self, X, Y) -> np.ndarray:
        """Each example's own cost (the lesson: add up the squared differences)."""
        X, T = self.inputs_and_targets(X, Y)
        return self.cost_function.per_example(self.forward_unchecked(X).activations[-1], T)

    def cost(self, X, Y) -> float:
        """The total cost: each example's cost, averaged over the examples.

        ``Y`` may be integer labels (n,) or desired outputs (n, n_outputs).
        """
        return float(np.mean(self.costs_per_example(X, Y)))

    # ----- backward ---------------------------------------------------------------
    def backward(self, fwd: Forward, T: np.ndarray, scale: float = 1.0) -> list:
        """Error terms dC/dz of every layer, last layer first computed, then walked back.

        ``fwd`` is the forward pass of a batch and ``T`` its desired outputs (checked
        arrays, see :meth:`inputs_and_targets`). ``scale`` multiplies the output error
        (and so, by linearity, every error term). Returns one array per layer, one row
        per example.
        """
        zs, activations = fwd
        slope = self.activation.slope
        delta = self.cost_function.output_error(zs[-1], activations[-1], T, slope)
        if scale != 1.0:
            delta *= scale
        deltas = [delta]
        for layer in range(len(self.weights) - 1, 0, -1):
            delta = (delta @ self.weights[layer]) * slope(zs[layer - 1], activations[layer])
            deltas.append(delta)
        return deltas[::-1]

    def errors(self, X, Y) -> list:
        """Backprop's error terms: ``errors[l]`` is dC/dz for layer ``l+1``, one row per example.

        Each row is the derivative of that example's own cost (not divided by n).
        """
        X, T = self.inputs_and_targets(X, Y)
        return self.backward(self.forward_unchecked(X), T)

    def cost_and_gradient(self, X: np.ndarray, T: np.ndarray) -> tuple[float, Gradient]:
        """The averaged cost of a batch and its gradient (checked arrays ``X`` and ``T``)."""
        n = X.shape[0]
        fwd = self.forward_unchecked(X)
        deltas = self.backward(fwd, T, scale=1.0 / n)   # the cost is an average over n
        grad_w = [d.T @ a for d, a in zip(deltas, fwd.activations[:-1])]
        grad_b = [d.sum(axis=0) for d in deltas]
        cost = float(np.sum(self.cost_function.per_example(fwd.activations[-1], T))) / n
        return cost, Gradient(grad_w, grad_b)

    def gradient(self, X, Y) -> Gradient:
        """Gradient of the averaged cost, from one vectorised backward pass over the batch."""
        return self.cost_and_gradient(*self.inputs_and_targets(X, Y))[1]

    # ----- the teaching version: one example at a time ----------------------------
    def example_gradient(self, x, y) -> Gradient:
        """Backpropagation for ONE example, written as a loop over layers.

        This is the classic textbook form with plain vectors: run forward keeping
        every ``z`` and activation, compute the output error ``delta``, then walk
        back one layer at a time. ``x`` has shape (n_inputs,); ``y`` is a label or a
        desired-output vector.
        """
        if np.ndim(x) != 1:
            raise ValueError(f"example_gradient takes one example of shape ({self.sizes[0]},); "
                             f"got shape {np.shape(x)}; use gradient() for a batch")
        X, T = self.inputs_and_targets(x, np.reshape(y, (1, -1)) if np.ndim(y) == 1 else [y])
        return self._example_gradient(X[0], T[0])

    def _example_gradient(self, x: np.ndarray, t: np.ndarray) -> Gradient:
        activation, activations, zs = x, [x], []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = w @ activation + b
            activation = self._squash(layer, z)
            zs.append(z)
            activations.append(activation)
        delta = self.cost_function.output_error(zs[-1], activations[-1], t, self.activation.slope)
        nabla_w = [np.outer(delta, activations[-2])]
        nabla_b = [delta]
        for layer in range(len(self.weights) - 1, 0, -1):
            delta = (self.weights[layer].T @ delta) * self.activation.prime(zs[layer - 1])
            nabla_w.insert(0, np.outer(delta, activations[layer - 1]))
            nabla_b.insert(0, delta)
        return Gradient(nabla_w, nabla_b)

    def gradient_by_examples(self, X, Y) -> Gradient:
        """The batch gradient the slow way: average :meth:`example_gradient` over the rows."""
        return self.gradient_by_examples_unchecked(*self.inputs_and_targets(X, Y))

    def gradient_by_examples_unchecked(self, X: np.ndarray, T: np.ndarray) -> Gradient:
        """:meth:`gradient_by_examples` for checked arrays ``X`` and ``T``."""
        total_w = [np.zeros_like(w) for w in self.weights]
        total_b = [np.zeros_like(b) for b in self.biases]
        for x, t in zip(X, T):
            g = self._example_gradient(x, t)
            for tw, tb, gw, gb in zip(total_w, total_b, g.weights, g.biases):
                tw += gw
                tb += gb
        n = X.shape[0]
        return Gradient([w / n for w in total_w], [b / n for b in total_b])
