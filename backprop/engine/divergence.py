"""When training has gone wrong: the rules behind ``history.diverged``.

A walk downhill diverges when its steps overshoot so far that it climbs instead.
An unbounded cost then blows up. The lesson's sigmoid network with its quadratic
cost cannot blow up (every output stays between 0 and 1); it saturates instead:
its weighted inputs grow so large that the outputs sit at 0 or 1, the slopes
vanish and no nudge reaches the network any more. These rules catch both.
"""
from __future__ import annotations

import math

import numpy as np

from ..network import Forward, Network
from .blocks import weighted_inputs


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the cost or the parameters blew up."""


#: A step's cost diverged when it is not finite, or exceeds this many times the
#: first step's cost (taken as at least 1).
DIVERGENCE_FACTOR = 1e3
#: A parameter beyond this size (or not finite) means divergence. With inputs
#: between 0 and 1, a single weight of 1,000 turns one pixel into a weighted input
#: that saturates any sigmoid many times over.
PARAMETER_LIMIT = 1e3
#: SGD climbs instead of descending when the average cost of ``CHECK_EVERY`` steps
#: exceeds COST_RISE times the first step's cost (taken as at least 1). Bounded
#: costs (cross-entropy is clipped, too) can never grow by DIVERGENCE_FACTOR. At the
#: start, such an average stays within 4 times even a single example's cost.
COST_RISE = 10.0
#: A network is stuck when a batch's average cost is above STUCK_COST while every
#: output error term dC/dz is below STUCK_ERROR. Healthy sigmoid networks on MNIST
#: show error terms around 0.3; stuck ones below 1e-4.
STUCK_COST, STUCK_ERROR = 0.5, 1e-4
#: Stuck outputs are judged on at least this many examples. In a batch of one, a
#: single image the network gets confidently wrong looks stuck while the network
#: is not: batches of 1 at learning rate 3 were stopped with only 0.05% to 4% of
#: the training images stuck.
STUCK_EXAMPLES = 32


def has_diverged(cost: float, first_cost: float) -> bool:
    """True when ``cost`` is NaN or inf, or has grown far beyond the starting cost.

    A bounded cost (sigmoid outputs with the quadratic cost) cannot grow that much;
    see :func:`outputs_stuck` and :func:`too_large` for the other signs.
    """
    return not math.isfinite(cost) or cost > DIVERGENCE_FACTOR * max(first_cost, 1.0)


def too_large(largest_parameter: float) -> bool:
    """True when the largest parameter size ``max |p|`` is NaN, inf or beyond the limit."""
    return not largest_parameter <= PARAMETER_LIMIT      # NaN compares False


def outputs_stuck(net: Network, fwd: Forward, T: np.ndarray, cost: float) -> bool:
    """True when a batch's cost is high but its output error terms have all vanished:
    the outputs sit saturated at wrong values and learning can no longer move them.

    ``fwd`` is the forward pass of the batch, ``T`` its desired outputs and ``cost``
    its average cost.
    """
    if cost <= STUCK_COST:
        return False
    error = net.cost_function.output_error(fwd.zs[-1], fwd.activations[-1], T,
                                           net.activation.slope)
    return float(np.max(np.abs(error))) < STUCK_ERROR


#: Every this many steps (and after every epoch) training checks the outputs and the
#: size of the parameters and, if they are fine, saves them as the last good ones.
CHECK_EVERY = 16


class Diverged(Exception):
    """Raised inside the training loop when a rule is broken; ``train`` stops, goes back
    to the last good parameters and turns the message into a :class:`DivergenceWarning`."""


def _message(epoch: int, step: int, what: str, rate: float) -> str:
    return (f"training diverged in epoch {epoch + 1}, step {step}: {what}. The learning rate "
            f"{rate:g} is too large; the network keeps the last good parameters, saved "
            f"every {CHECK_EVERY} steps.")


def check_cost(cost: float, first_cost: float, epoch: int, step: int, rate: float) -> None:
    """Raise :class:`Diverged` if the cost before ``step`` blew up (:func:`has_diverged`)."""
    if has_diverged(cost, first_cost):
        raise Diverged(_message(epoch, step, f"the cost jumped to {cost:.4g}", rate))


def check_rising(recent_costs: list, first_cost: float, epoch: int, step: int,
                 rate: float) -> None:
    """Raise :class:`Diverged` if the average of ``recent_costs`` rose far above the start."""
    average = sum(recent_costs) / len(recent_costs)
    if average > COST_RISE * max(first_cost, 1.0):
        raise Diverged(_message(
            epoch, step, f"the cost rose to {average:.3g} on average over {len(recent_costs)} "
            f"steps, from {first_cost:.3g} at the start", rate))


def check_outputs(net: Network, fwd: Forward, T: np.ndarray, cost: float, epoch: int,
                  step: int, rate: float) -> None:
    """Raise :class:`Diverged` if the batch of ``step`` shows stuck outputs."""
    if outputs_stuck(net, fwd, T, cost):
        raise Diverged(_message(
            epoch, step, f"the outputs are saturated at wrong values (cost {cost:.3g}, every "
            f"output error term below {STUCK_ERROR:g}), so no nudge reaches them", rate))


def check_stuck(net: Network, where: tuple, batch: tuple | None, epoch: int, step: int,
                rate: float) -> None:
    """Raise :class:`Diverged` if the outputs of a batch are stuck.

    ``where`` is ``((X, targets), order, start, n)``: the batch is the ``n`` examples from
    position ``start`` of the epoch's ``order`` (``targets`` already in that order), and
    ``batch`` its forward pass and average cost if already worked out. A batch of fewer
    than ``STUCK_EXAMPLES`` that looks stuck is judged again on the ``STUCK_EXAMPLES``
    examples of the order that end with it, so one image answered wrong with certainty
    does not stop training; a network that is really stuck is stuck on all of them.
    """
    (X, targets), order, start, n = where
    if batch is None:
        batch = _forward_and_cost(net, X, targets, order, slice(start, start + n))
    if n < STUCK_EXAMPLES and outputs_stuck(net, batch[0], targets[start:start + n], batch[1]):
        end = max(start + n, STUCK_EXAMPLES)
        start, n = max(0, end - STUCK_EXAMPLES), STUCK_EXAMPLES
        batch = _forward_and_cost(net, X, targets, order, slice(start, start + n))
    check_outputs(net, batch[0], targets[start:start + n], batch[1], epoch, step, rate)


def _forward_and_cost(net: Network, X: np.ndarray, targets: np.ndarray, order: np.ndarray,
                      rows: slice) -> tuple:
    fwd = net.forward_unchecked(X.take(order[rows], axis=0), weighted_inputs)
    return fwd, float(np.mean(net.cost_function.per_example(fwd.activations[-1], targets[rows])))


def check_size(largest_parameter: float, epoch: int, step: int, rate: float) -> None:
    """Raise :class:`Diverged` if the parameters after ``step`` steps are too large."""
    if too_large(largest_parameter):
        raise Diverged(_message(
            epoch, step, f"a parameter reached {largest_parameter:.3g} (the limit is "
            f"{PARAMETER_LIMIT:g}; the outputs of such a network are stuck)", rate))


def check_weight_decay(rate: float, weight_decay: float, epoch: int) -> None:
    """Raise :class:`Diverged` if weight decay would carry every weight past zero each step."""
    if rate * weight_decay >= 1.0:
        raise Diverged(
            f"training diverged before epoch {epoch + 1}: the weight decay {weight_decay:g} "
            f"times the learning rate {rate:g} is {rate * weight_decay:g} >= 1, so each step "
            "would carry every weight past zero. Use a weight decay below 1 / learning rate; "
            "the network keeps its parameters from before that epoch.")
