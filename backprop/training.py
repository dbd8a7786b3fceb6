"""Learning: mini-batch stochastic gradient descent.

Shuffle the training examples, cut them into mini-batches, and for each batch take
one step downhill: every parameter moves against its partial derivative, scaled by
the learning rate. One pass through all the batches is an epoch.

:func:`sgd` is that loop exactly as the book teaches it, to read and to run.
:func:`train` takes the same steps, fast, with guard rails for long runs: it checks
every argument, then makes one call into :mod:`backprop.engine`.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from .arguments import (as_inputs, as_labels, as_targets, non_negative, parameter_dtype,
                        positive_int, seed_value, true_or_false, value_list, whole_number)
from .engine.divergence import DivergenceWarning  # noqa: F401  (bp.DivergenceWarning)
from .engine.epochs import train_fast
from .engine.history import History
from .in_training import NetworkInTrainingError, refuse_while_training, training_run  # noqa: F401
from .network import Gradient, Network


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
    learning_rate = non_negative(learning_rate, "learning_rate")
    weight_decay = non_negative(weight_decay, "weight_decay")
    refuse_while_training(net, "sgd_step", from_callback=True)
    for w, gw in zip(net.weights, gradient.weights):
        if weight_decay:
            w *= _decay_factor(learning_rate, weight_decay)
        w -= learning_rate * gw
    for b, gb in zip(net.biases, gradient.biases):
        b -= learning_rate * gb


def _decay_factor(learning_rate: float, weight_decay: float) -> float:
    """What one step's weight decay multiplies every weight by."""
    return 1.0 - learning_rate * weight_decay


def weight_decay_shrink(learning_rates, steps_per_epoch: int, weight_decay: float) -> float:
    """How much weight decay alone shrinks a weight over a whole run.

    Every step of :func:`sgd_step` first multiplies each weight by
    ``1 - rate * weight_decay``. A weight whose derivative is 0 for every example
    (one from a pixel that is blank in every training image) moves in no other way,
    so it ends as its starting value times the product of these factors.

    Parameters
    ----------
    learning_rates : the learning rate of each epoch, as in ``History.learning_rates``.
    steps_per_epoch : how many steps (mini-batches) each epoch takes.
    weight_decay : the run's weight decay.

    Returns
    -------
    The product of ``1 - rate * weight_decay`` over every step of every epoch.
    """
    rates = [non_negative(rate, "learning_rates")
             for rate in value_list(learning_rates, "learning_rates")]
    steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch")
    weight_decay = non_negative(weight_decay, "weight_decay")
    return float(np.prod([_decay_factor(rate, weight_decay) ** steps_per_epoch for rate in rates]))


def learning_rate_at(epoch: int, learning_rate: float, decay: float) -> float:
    """The learning rate of an epoch: ``learning_rate / (1 + decay * epoch)``."""
    learning_rate = non_negative(learning_rate, "learning_rate")
    decay = non_negative(decay, "decay")
    return learning_rate / (1.0 + decay * whole_number(epoch, "epoch"))


def accuracy(net: Network, X, labels) -> float:
    """Fraction of examples whose most active output is the right digit."""
    X = as_inputs(X, net.sizes[0], net.dtype)
    labels = as_labels(labels, net.sizes[-1])
    if labels.shape[0] != X.shape[0]:
        raise ValueError(f"X and labels have different lengths: {X.shape[0]} and {labels.shape[0]}")
    outputs = net.forward_unchecked(X).activations[-1]
    return float(np.mean(np.argmax(outputs, axis=1) == labels))


def sgd(net: Network, X, labels, *, epochs: int = 1, learning_rate: float = 1.0,
        batch_size: int = 100, seed: int = 0, test_data: tuple | None = None,
        lr_decay: float = 0.0, weight_decay: float = 0.0,
        callback: Callable | None = None) -> History:
    """Train ``net`` in place by mini-batch SGD: the book's loop, written out.

    Each epoch shuffles the examples into mini-batches; each batch gives its cost
    and gradient (one forward and one backward pass) and one step downhill. Takes
    the arguments of :func:`train` except ``dtype``, ``progress`` and
    ``per_example``, and returns the same :class:`History` (without the seconds per
    epoch). It has none of ``train``'s guard rails: a learning rate that is far too
    large runs on into NaN. Like ``train`` it holds ``net`` while it runs
    (:func:`~backprop.in_training.training_run`).
    """
    checked_settings(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                     seed=seed, lr_decay=lr_decay, weight_decay=weight_decay, callback=callback)
    X, T, labels, test_data = checked_data(net, X, labels, test_data)
    history = History(batch_size=batch_size, n_examples=len(X))
    rng = np.random.default_rng(seed)
    with training_run(net, "bp.sgd", stepping=True):   # one run per network at a time
        for epoch in range(epochs):
            rate = learning_rate_at(epoch, learning_rate, lr_decay)
            history.learning_rates.append(rate)
            for batch in shuffled_batches(len(X), batch_size, rng):
                cost, gradient = net.cost_and_gradient(X[batch], T[batch])
                history.step_costs.append(cost)
                sgd_step(net, gradient, rate, weight_decay)
                if callback is not None:
                    callback(len(history.step_costs), cost, net)
            history.train_accuracy.append(accuracy(net, X, labels))
            if test_data is not None:
                history.test_accuracy.append(accuracy(net, *test_data))
    return history


def train(net: Network, X, labels, *, epochs: int = 1, learning_rate: float = 1.0,
          batch_size: int = 100, seed: int = 0, test_data: tuple | None = None,
          lr_decay: float = 0.0, weight_decay: float = 0.0, dtype=None,
          progress: bool = True, callback: Callable | None = None,
          per_example: bool = False) -> History:
    """Train ``net`` in place by mini-batch stochastic gradient descent.

    The steps of :func:`sgd` (the same batches, costs and parameters, up to float
    rounding), taken fast by :func:`backprop.engine.epochs.train_fast`.

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
    (see :mod:`backprop.engine.divergence`): the cost blows up or keeps far above
    where it started, a parameter stops being finite or grows beyond
    ``PARAMETER_LIMIT``, the outputs are stuck (a sigmoid network's bounded cost
    cannot blow up: it saturates instead), or ``learning_rate * weight_decay >= 1``
    (each step would push every weight past zero). The network then keeps the last
    good parameters, checked and saved every ``CHECK_EVERY`` steps;
    ``history.kept_steps`` says when they were saved.

    One network is trained by one run at a time: while this runs, a second ``train``
    or ``sgd`` of ``net`` (from another thread, or from ``callback``) and
    ``net.astype`` raise :class:`~backprop.in_training.NetworkInTrainingError`.
    """
    settings = checked_settings(epochs=epochs, learning_rate=learning_rate,
                                batch_size=batch_size, seed=seed, lr_decay=lr_decay,
                                weight_decay=weight_decay, callback=callback)
    true_or_false(per_example, "per_example")
    dtype = None if dtype is None else parameter_dtype(dtype)
    with training_run(checked_network(net), "bp.train") as run:
        data = checked_data(net, X, labels, test_data, dtype)
        if dtype is not None:
            net.astype(dtype)
        run.stepping = True
        rates = [learning_rate_at(epoch, settings["learning_rate"], settings["lr_decay"])
                 for epoch in range(settings["epochs"])]
        return train_fast(net, data, rates=rates, batch_size=settings["batch_size"],
                          seed=settings["seed"], weight_decay=settings["weight_decay"],
                          callback=callback, progress=progress, per_example=per_example)


def checked_settings(*, callback, **numbers) -> dict:
    """Every training setting checked and cleaned, or one error naming the bad one."""
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function called as callback(step, cost, net); "
                        f"got {callback!r}")
    settings = dict(epochs=positive_int(numbers["epochs"], "epochs"),
                    batch_size=positive_int(numbers["batch_size"], "batch size"),
                    seed=seed_value(numbers["seed"], "seed"), callback=callback)
    for key, name in [("learning_rate", "learning rate"), ("lr_decay", "learning-rate decay"),
                      ("weight_decay", "weight decay")]:
        settings[key] = non_negative(numbers[key], name)
    return settings


def checked_network(net) -> Network:
    """``net`` itself if it is a :class:`Network`, else one clear error."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a backprop.Network; got {type(net).__name__}")
    return net


def checked_data(net: Network, X, labels, test_data, dtype: np.dtype | None = None) -> tuple:
    """``(X, T, labels, test)`` checked and converted to ``dtype`` (by default the
    network's), the network left alone.

    ``T`` holds the desired outputs, ``labels`` the digits and ``test`` is
    ``(X_test, labels_test)`` or None.
    """
    dtype = checked_network(net).dtype if dtype is None else dtype
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
