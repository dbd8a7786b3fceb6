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

from .arguments import (as_inputs, as_labels, as_targets, non_negative, parameter_dtype,
                        positive_int, seed_value)
from .engine.divergence import (CHECK_EVERY, DivergenceWarning, Diverged, check_cost, check_rising,
                                check_size, check_stuck, check_weight_decay)
from .engine.divergence import has_diverged  # noqa: F401  (kept importable from here)
from .engine.fast_sgd import FlatParameters, StepCosts, per_example_change, vectorised_change
from .network import Gradient, Network


@dataclass
class History:
    """What happened during training.

    ``step_costs[i]`` is the cost of the i-th mini-batch just before its step;
    the accuracies are measured after each epoch. After a divergence,
    ``kept_steps`` says after how many steps the parameters the network kept were
    saved.
    """

    step_costs: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    learning_rates: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    batch_size: int = 0
    n_examples: int = 0
    diverged: bool = False
    kept_steps: int | None = None

    @property
    def examples_seen(self) -> np.ndarray:
        """How many examples had been used after each step (for cost-vs-examples plots).

        The last batch of an epoch is smaller when the batch size does not divide
        the number of examples, and counts only the examples it had.
        """
        steps = np.arange(len(self.step_costs))
        if not self.n_examples:
            return self.batch_size * (steps + 1)
        per_epoch = -(-self.n_examples // self.batch_size)
        epoch, within = np.divmod(steps, per_epoch)
        return epoch * self.n_examples + np.minimum((within + 1) * self.batch_size,
                                                    self.n_examples)


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
    seed : a whole number >= 0; seeds the shuffling, so the same seed gives the
        same history.
    test_data : optional ``(X_test, labels_test)``, scored after every epoch.
    lr_decay : the rate in epoch ``e`` is ``learning_rate / (1 + lr_decay * e)``.
    weight_decay : L2 penalty that pulls weights towards zero (0 = none).
    dtype : ``np.float32`` or ``np.float64``: convert the network (and data) to it first.
    progress : show a tqdm progress bar.
    callback : called after every step as ``callback(step, cost, net)``.
    per_example : compute each batch's gradient with the one-example-at-a-time
        teaching loop instead of the vectorised pass (same numbers, much slower).

    Returns
    -------
    History with the cost of every step and the accuracy after every epoch.

    Every argument is checked before the network is touched. Training stops with
    a :class:`DivergenceWarning` and ``history.diverged`` set when it goes wrong
    (see :mod:`backprop.engine.divergence`): the cost blows up or keeps far above where
    it started, a parameter stops
    being finite or grows beyond ``PARAMETER_LIMIT``, the outputs are stuck
    (a sigmoid network's bounded cost cannot blow up: it saturates instead), or
    ``learning_rate * weight_decay >= 1`` (each step would push every weight past
    zero). The network then keeps the last good parameters, checked and saved
    every ``CHECK_EVERY`` steps; ``history.kept_steps`` says when they were saved.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a backprop.Network; got {type(net).__name__}")
    run = _checked_settings(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                            seed=seed, lr_decay=lr_decay, weight_decay=weight_decay,
                            callback=callback)
    target_dtype = net.dtype if dtype is None else parameter_dtype(dtype)
    data = _checked_data(net, X, labels, test_data, target_dtype)
    if dtype is not None:
        net.astype(target_dtype)
    history = History(batch_size=run["batch_size"], n_examples=data[0].shape[0])
    steps = run["epochs"] * -(-history.n_examples // run["batch_size"])
    bar = tqdm(total=steps, disable=not progress, unit="step", desc="training", leave=False)
    params = FlatParameters(net)
    try:
        with threadpool_limits(limits=1, user_api="blas"), bar:
            _run_epochs(net, params, data, run, history, bar, per_example)
    except Diverged as stop:
        params.restore()
        history.diverged, history.kept_steps = True, params.saved_step
        warnings.warn(str(stop), DivergenceWarning, stacklevel=2)
    finally:
        params.detach()
    return history


def _checked_settings(*, callback, **numbers) -> dict:
    """Every training setting checked and cleaned, or one error naming the bad one."""
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function called as callback(step, cost, net); "
                        f"got {callback!r}")
    run = dict(epochs=positive_int(numbers["epochs"], "epochs"),
               batch_size=positive_int(numbers["batch_size"], "batch size"),
               seed=seed_value(numbers["seed"], "seed"), callback=callback)
    for key, name in [("learning_rate", "learning rate"), ("lr_decay", "learning-rate decay"),
                      ("weight_decay", "weight decay")]:
        run[key] = non_negative(numbers[key], name)
    return run


def _checked_data(net: Network, X, labels, test_data, dtype: np.dtype) -> tuple:
    """``(X, T, train_labels, test)`` checked and converted, the network left alone."""
    X = as_inputs(X, net.sizes[0], dtype)
    T = as_targets(labels, X.shape[0], net.sizes[-1], dtype, name="labels")
    test = None
    if test_data is not None:
        if not isinstance(test_data, (tuple, list)) or len(test_data) != 2:
            raise ValueError("test_data must be a pair (X_test, labels_test); got "
                             + (f"{len(test_data)} items" if isinstance(test_data, (tuple, list))
                                else repr(type(test_data).__name__)))
        X_test = as_inputs(test_data[0], net.sizes[0], dtype, name="X_test")
        test_labels = as_labels(test_data[1], net.sizes[-1], name="labels_test")
        if test_labels.shape[0] != X_test.shape[0]:
            raise ValueError("test_data: test images and test labels have different lengths: "
                             f"{X_test.shape[0]} and {test_labels.shape[0]}")
        test = (X_test, test_labels)
    return X, T, np.argmax(T, axis=1), test


def _run_epochs(net: Network, params: FlatParameters, data: tuple, run: dict,
                history: History, bar, per_example: bool) -> None:
    """The training loop: shuffle; for each batch a forward pass, then one step."""
    X, T, train_labels, test = data
    rng = np.random.default_rng(run["seed"])
    size, callback, costs, step = run["batch_size"], run["callback"], StepCosts(net, len(X)), 0
    for epoch in range(run["epochs"]):
        rate = learning_rate_at(epoch, run["learning_rate"], run["lr_decay"])
        check_weight_decay(rate, run["weight_decay"], epoch)
        history.learning_rates.append(rate)
        weight_factor = 1.0 - rate * run["weight_decay"]
        started = time.perf_counter()
        order = rng.permutation(X.shape[0])      # the same order as shuffled_batches
        costs.start_epoch(np.take(T, order, axis=0))
        for start in range(0, X.shape[0], size):
            # Images are gathered batch by batch: a whole shuffled copy (188 MB for
            # MNIST in float32) measured slower, as it leaves the cache before use;
            # take() gathers rows a little faster than X[indices].
            Xb = X.take(order[start:start + size], axis=0)
            Tb = costs.targets[start:start + size]
            fwd = net._forward(Xb)
            costs.record(start, fwd.activations[-1])
            if callback is not None or step % CHECK_EVERY == 0:
                _settle_costs(costs, start + Tb.shape[0], history, epoch, rate)
            if step % CHECK_EVERY == 0:
                where = ((X, costs.targets), order, start, Tb.shape[0])
                _check_and_save(net, params, where, fwd, history, epoch, rate)
            if per_example:
                per_example_change(net, Xb, Tb, rate, params)
            else:
                vectorised_change(net, fwd, Tb, rate, params)
            params.apply_change(weight_factor)
            step += 1
            if callback is not None:
                callback(step, history.step_costs[-1], net)
                params.follow_network()
            if step % CHECK_EVERY == 0:
                bar.update(CHECK_EVERY)
        _settle_costs(costs, X.shape[0], history, epoch, rate)
        history.epoch_seconds.append(time.perf_counter() - started)
        check_size(params.largest(), epoch, step, rate)
        check_stuck(net, ((X, costs.targets), order, len(X) - Xb.shape[0], Xb.shape[0]), None,
                    epoch, step, rate)        # a short run can end between two checks
        _score_epoch(net, history, X, train_labels, test, bar)


def _settle_costs(costs: StepCosts, stop: int, history: History, epoch: int,
                  rate: float) -> None:
    """Work out the costs of the steps taken since the last settling; stop on a blow-up."""
    for cost in costs.settle(stop):
        first_cost = history.step_costs[0] if history.step_costs else cost
        check_cost(cost, first_cost, epoch, len(history.step_costs) + 1, rate)
        history.step_costs.append(cost)


def _check_and_save(net: Network, params: FlatParameters, where: tuple, fwd, history: History,
                    epoch: int, rate: float) -> None:
    """Before a step whose cost is known: check the outputs of its batch (``where`` and
    ``fwd``, see :func:`~backprop.engine.divergence.check_stuck`) and the parameters' size, then
    save the parameters as the last good ones. A step that fails is not taken, so its
    cost leaves the history again."""
    costs = history.step_costs
    step = len(costs) - 1
    try:
        if len(costs) >= CHECK_EVERY:
            check_rising(costs[-CHECK_EVERY:], costs[0], epoch, step + 1, rate)
        check_stuck(net, where, (fwd, costs[-1]), epoch, step + 1, rate)
        check_size(params.largest(), epoch, step, rate)
    except Diverged:
        history.step_costs.pop()
        raise
    params.save(step)


def _score_epoch(net: Network, history: History, X: np.ndarray, train_labels: np.ndarray,
                 test: tuple | None, bar) -> None:
    history.train_accuracy.append(_accuracy_fast(net, X, train_labels))
    if test is not None:
        history.test_accuracy.append(_accuracy_fast(net, *test))
    bar.update(len(history.step_costs) - bar.n)
    bar.set_postfix(train=f"{history.train_accuracy[-1]:.3f}",
                    test=f"{history.test_accuracy[-1]:.3f}" if test else "-")


def _accuracy_fast(net: Network, X: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy on already-checked arrays (no validation, for use inside training)."""
    return float(np.mean(np.argmax(net._forward(X).activations[-1], axis=1) == labels))
