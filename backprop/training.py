"""Learning: mini-batch stochastic gradient descent and its bookkeeping.

Shuffle the training examples, cut them into mini-batches, and for each batch
take one step downhill: every parameter moves against its partial derivative,
scaled by the learning rate. One pass through all the batches is an epoch.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from .network import Gradient, Network
from .validation import as_inputs, as_labels, as_targets, non_negative, positive_int


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the cost blew up."""


#: Training counts as diverged when a step's cost is not finite, or exceeds this
#: many times the first step's cost (taken as at least 1).
DIVERGENCE_FACTOR = 1e3


def has_diverged(cost: float, first_cost: float) -> bool:
    """True when ``cost`` is NaN or inf, or has grown far beyond the starting cost."""
    return not np.isfinite(cost) or cost > DIVERGENCE_FACTOR * max(first_cost, 1.0)


@dataclass
class History:
    """What happened during training.

    ``step_costs[i]`` is the cost of the i-th mini-batch just before its step;
    the accuracies are measured after each epoch.
    """

    step_costs: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    learning_rates: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    batch_size: int = 0
    diverged: bool = False

    @property
    def examples_seen(self) -> np.ndarray:
        """How many examples had been used after each step (for cost-vs-examples plots)."""
        return self.batch_size * np.arange(1, len(self.step_costs) + 1)


def accuracy(net: Network, X, labels) -> float:
    """Fraction of examples whose most active output is the right digit."""
    X = as_inputs(X, net.sizes[0], net.dtype)
    labels = as_labels(labels, net.sizes[-1])
    if labels.shape[0] != X.shape[0]:
        raise ValueError(f"X and labels have different lengths: {X.shape[0]} and {labels.shape[0]}")
    return _accuracy_fast(net, X, labels)


def shuffled_batches(n_examples: int, batch_size: int,
                     rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Shuffle ``0..n_examples-1`` and yield the indices of each mini-batch.

    The last batch is smaller when ``batch_size`` does not divide the count.
    """
    batch_size = positive_int(batch_size, "batch size")
    order = rng.permutation(n_examples)
    for start in range(0, n_examples, batch_size):
        yield order[start:start + batch_size]


def sgd_step(net: Network, gradient: Gradient, learning_rate: float,
             weight_decay: float = 0.0) -> None:
    """Move every parameter a little downhill: ``p -= learning_rate * dC/dp``.

    With ``weight_decay`` > 0 the weights also shrink a little each step (L2).
    """
    for w, gw in zip(net.weights, gradient.weights):
        if weight_decay:
            w *= 1.0 - learning_rate * weight_decay
        w -= learning_rate * gw
    for b, gb in zip(net.biases, gradient.biases):
        b -= learning_rate * gb


def learning_rate_at(epoch: int, learning_rate: float, decay: float) -> float:
    """The learning rate of an epoch: ``learning_rate / (1 + decay * epoch)``."""
    return learning_rate / (1.0 + decay * epoch)


def _params_copy(net: Network) -> list:
    return [p.copy() for p in net.weights + net.biases]


def _restore(net: Network, saved: list) -> None:
    for p, s in zip(net.weights + net.biases, saved):
        p[...] = s


def train(net: Network, X, labels, *, epochs: int = 1, learning_rate: float = 1.0,
          batch_size: int = 100, seed: int = 0, test_data: tuple | None = None,
          lr_decay: float = 0.0, weight_decay: float = 0.0, dtype=None,
          progress: bool = True, callback: Callable | None = None,
          per_example: bool = False) -> History:
    """Train ``net`` in place by mini-batch stochastic gradient descent.

    Parameters
    ----------
    net : the network; its parameters are updated in place.
    X, labels : training images (n, n_inputs) and their digits (n,) or one-hot rows.
    epochs, learning_rate, batch_size : the usual SGD settings.
    seed : seeds the shuffling, so the same seed gives the same history.
    test_data : optional ``(X_test, labels_test)``, scored after every epoch.
    lr_decay : the rate in epoch ``e`` is ``learning_rate / (1 + lr_decay * e)``.
    weight_decay : L2 penalty that pulls weights towards zero (0 = none).
    dtype : convert the network (and data) to this type first, e.g. ``np.float32``.
    progress : show a tqdm progress bar.
    callback : called after every step as ``callback(step, cost, net)``.
    per_example : compute each batch's gradient with the one-example-at-a-time
        teaching loop instead of the vectorised pass (same numbers, much slower).

    Returns
    -------
    History with the cost of every step and the accuracy after every epoch. If the
    cost blows up (see :func:`has_diverged`), training stops with a
    :class:`DivergenceWarning` and the network keeps the parameters from before
    the step that blew it up.
    """
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch size")
    learning_rate = non_negative(learning_rate, "learning rate")
    lr_decay = non_negative(lr_decay, "learning-rate decay")
    weight_decay = non_negative(weight_decay, "weight decay")
    if dtype is not None:
        net.astype(dtype)
    X = as_inputs(X, net.sizes[0], net.dtype)
    T = as_targets(labels, X.shape[0], net.sizes[-1], net.dtype)
    train_labels = np.argmax(T, axis=1)
    if test_data is not None:
        X_test = as_inputs(test_data[0], net.sizes[0], net.dtype)
        test_labels = as_labels(test_data[1], net.sizes[-1])
        if test_labels.shape[0] != X_test.shape[0]:
            raise ValueError("test images and test labels have different lengths")

    rng = np.random.default_rng(seed)
    history = History(batch_size=batch_size)
    steps_per_epoch = -(-X.shape[0] // batch_size)
    gradient_of = net._gradient_by_examples if per_example else None
    bar = tqdm(total=epochs * steps_per_epoch, disable=not progress, unit="step",
               desc="training", leave=False)
    previous = _params_copy(net)
    with threadpool_limits(limits=1, user_api="blas"), bar:
        for epoch in range(epochs):
            rate = learning_rate_at(epoch, learning_rate, lr_decay)
            history.learning_rates.append(rate)
            started = time.perf_counter()
            for idx in shuffled_batches(X.shape[0], batch_size, rng):
                Xb, Tb = X[idx], T[idx]
                if gradient_of is None:
                    cost, grad = net._cost_and_gradient(Xb, Tb)
                else:
                    grad = gradient_of(Xb, Tb)
                    cost = float(np.mean(net.cost_function.per_example(net._forward(Xb).activations[-1], Tb)))
                first_cost = history.step_costs[0] if history.step_costs else cost
                if has_diverged(cost, first_cost):
                    _restore(net, previous)
                    history.diverged = True
                    warnings.warn(
                        f"training diverged in epoch {epoch + 1}, step {len(history.step_costs) + 1}: "
                        f"the cost jumped to {cost:.4g}. The learning rate {rate:g} is too large; "
                        "the network keeps the parameters from before that step.",
                        DivergenceWarning, stacklevel=2)
                    return history
                for saved, p in zip(previous, net.weights + net.biases):
                    saved[...] = p
                sgd_step(net, grad, rate, weight_decay)
                history.step_costs.append(cost)
                bar.update()
                if callback is not None:
                    callback(len(history.step_costs), cost, net)
            history.epoch_seconds.append(time.perf_counter() - started)
            history.train_accuracy.append(_accuracy_fast(net, X, train_labels))
            if test_data is not None:
                history.test_accuracy.append(_accuracy_fast(net, X_test, test_labels))
            bar.set_postfix(train=f"{history.train_accuracy[-1]:.3f}",
                            test=f"{history.test_accuracy[-1]:.3f}" if test_data else "-")
    if not all(np.all(np.isfinite(p)) for p in net.weights + net.biases):
        _restore(net, previous)
        history.diverged = True
        warnings.warn("training diverged: the parameters stopped being finite numbers; "
                      "the network keeps the last finite ones.", DivergenceWarning, stacklevel=2)
    return history


def _accuracy_fast(net: Network, X: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy on already-checked arrays (no validation, for use inside training)."""
    return float(np.mean(np.argmax(net._forward(X).activations[-1], axis=1) == labels))
