"""The fast training run behind :func:`backprop.train`, from the first epoch to the last.

It takes the same steps as the lesson's loop, :func:`backprop.training.sgd` (the same
shuffles, batches, costs and parameters, up to float rounding), and adds what a
long run needs:

- speed: the parameters live in one flat vector (:class:`~.fast_sgd.FlatParameters`),
  the learning rate rides along in the backward pass, each step's cost is worked out
  later for many steps at once (:class:`~.fast_sgd.StepCosts`), and wide products
  are cut into blocks (:mod:`~.blocks`); BLAS is held to one thread;
- guard rails: every ``CHECK_EVERY`` steps the outputs and the parameters are checked
  (:mod:`~.divergence`) and, if fine, saved; when a rule is broken training stops,
  the network goes back to the last saved parameters and a
  :class:`~.divergence.DivergenceWarning` says why;
- a progress bar and the seconds each epoch took.
"""
from __future__ import annotations

import time
import warnings
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ..network import Network
from .blocks import weighted_inputs
from .divergence import (CHECK_EVERY, DivergenceWarning, Diverged, check_cost, check_rising,
                         check_size, check_stuck, check_weight_decay)
from .fast_sgd import FlatParameters, StepCosts, write_change
from .history import History


def train_fast(net: Network, data: tuple, *, rates: list, batch_size: int, seed: int,
               weight_decay: float, callback: Callable | None = None, progress: bool = False,
               per_example: bool = False) -> History:
    """Train ``net`` in place; return its :class:`History`.

    ``data`` is ``(X, T, labels, test)``: inputs and desired outputs already checked
    and in the network's dtype, the training digits, and ``(X_test, labels_test)`` or
    None. ``rates`` holds each epoch's learning rate. ``callback(step, cost, net)``
    is called after every step; ``per_example`` takes each batch's gradient from the
    one-example-at-a-time loop. :func:`backprop.train` checks every argument first.
    """
    history = History(batch_size=batch_size, n_examples=data[0].shape[0])
    steps = len(rates) * -(-history.n_examples // batch_size)
    bar = tqdm(total=steps, disable=not progress, unit="step", desc="training", leave=False)
    run = dict(rates=rates, batch_size=batch_size, seed=seed, weight_decay=weight_decay,
               callback=callback, per_example=per_example)
    params = FlatParameters(net)
    try:
        with threadpool_limits(limits=1, user_api="blas"), bar:
            _run_epochs(net, params, data, run, history, bar)
    except Diverged as stop:
        params.restore()
        history.diverged, history.kept_steps = True, params.saved_step
        warnings.warn(str(stop), DivergenceWarning, stacklevel=3)   # at the call of train
    finally:
        params.detach()
    return history


def _run_epochs(net: Network, params: FlatParameters, data: tuple, run: dict,
                history: History, bar) -> None:
    """The training loop: shuffle; for each batch a forward pass, then one step."""
    X, T, train_labels, test = data
    rng = np.random.default_rng(run["seed"])
    size, callback, costs, step = run["batch_size"], run["callback"], StepCosts(net, len(X)), 0
    for epoch, rate in enumerate(run["rates"]):
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
            fwd = net.forward_unchecked(Xb, weighted_inputs)
            costs.record(start, fwd.activations[-1])
            if callback is not None or step % CHECK_EVERY == 0:
                _settle_costs(costs, start + Tb.shape[0], history, epoch, rate)
            if step % CHECK_EVERY == 0:
                where = ((X, costs.targets), order, start, Tb.shape[0])
                _check_and_save(net, params, where, fwd, history, epoch, rate)
            write_change(net, fwd, Xb, Tb, rate, params, run["per_example"])
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
    ``fwd``, see :func:`~.divergence.check_stuck`) and the parameters' size, then save
    the parameters as the last good ones. A step that fails is not taken, so its cost
    leaves the history again."""
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
    """After an epoch: the accuracy on the training images (and the test images)."""
    history.train_accuracy.append(accuracy_unchecked(net, X, train_labels))
    if test is not None:
        history.test_accuracy.append(accuracy_unchecked(net, *test))
    bar.update(len(history.step_costs) - bar.n)
    bar.set_postfix(train=f"{history.train_accuracy[-1]:.3f}",
                    test=f"{history.test_accuracy[-1]:.3f}" if test else "-")


def accuracy_unchecked(net: Network, X: np.ndarray, labels: np.ndarray) -> float:
    """:func:`backprop.accuracy` for arrays already checked (forward pass in blocks)."""
    outputs = net.forward_unchecked(X, weighted_inputs).activations[-1]
    return float(np.mean(np.argmax(outputs, axis=1) == labels))
