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

from .network import Forward, Network


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the cost or the parameters blew up."""


#: A step's cost diverged when it is not finite, or exceeds this many times the
#: first step's cost (taken as at least 1).
DIVERGENCE_FACTOR = 1e3
#: A parameter beyond this size (or not finite) means divergence. With inputs
#: between 0 and 1, a single weight of 1,000 turns one pixel into a weighted input
#: that saturates any sigmoid many times over.
PARAMETER_LIMIT = 1e3
#: A network is stuck when a batch's average cost is above STUCK_COST while every
#: output error term dC/dz is below STUCK_ERROR. Healthy sigmoid networks on MNIST
#: show error terms around 0.3; stuck ones below 1e-4.
STUCK_COST, STUCK_ERROR = 0.5, 1e-4


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
