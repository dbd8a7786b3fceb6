"""Checkers for the exercises of chapters 1-4: one example's cost, slopes and nudges.

Each checker runs the learner's function on a few fixed cases whose answers come
from the package itself (or from a hand computation); :mod:`backprop.exercises.cases`
runs and judges them. The chapters reach these checkers, with those of the later
chapters, through :mod:`backprop.exercises`: ``bp_ex.check_sigmoid(sigmoid)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..costs import one_hot, quadratic_cost_per_example
from ..lesson import desired_nudges, wishes_from_pushes
from ..network import Network
from .cases import Case, labelled, run_checks

_rng = np.random.default_rng

_line = labelled("x -> 3x + 1", lambda x: 3 * x + 1)
_cube = labelled("x -> x**3", lambda x: x ** 3)
_square = labelled("x -> x**2", lambda x: x ** 2)
_sine = labelled("x -> sin(x)", lambda x: np.sin(x))


def _label_cases(reference: Callable) -> list[Case]:
    """Output vectors and labels for the chapter 1 and 3 exercises, answered by ``reference``."""
    untrained = Network(seed=0).output(_rng(1).random(784))[0]
    trials = [("perfect output", one_hot([3])[0], 3), ("all outputs 0.5", np.full(10, 0.5), 7),
              ("an untrained network's output", untrained, 2),
              ("label 0", _rng(2).random(10), 0), ("label 9", _rng(3).random(10), 9)]
    return [Case(name, (out, label), reference(out, label)) for name, out, label in trials]


def _z_cases(reference: Callable, large_hint: str) -> list[Case]:
    """Weighted inputs for the sigmoid exercises, large ones last."""
    trials = [("a single number", 0.0), ("small numbers", np.linspace(-3, 3, 7)),
              ("a 2-d array", _rng(0).normal(size=(3, 4)))]
    big = np.array([-1000.0, -50.0, 50.0, 1000.0])
    return ([Case(name, (z,), reference(z)) for name, z in trials]
            + [Case("large |z|", (big,), reference(big), large_hint)])


def check_sigmoid(fn: Callable) -> bool:
    """Check ``fn(z)``: the sigmoid ``1 / (1 + e^-z)`` of every entry of ``z``."""
    return run_checks("check_sigmoid", fn, _z_cases(
        sigmoid, "for z = -1000 or 1000, exp(z) / (1 + exp(z)) is inf / inf = nan; "
                 "1 / (1 + np.exp(-z)) gives the right limits 0 and 1."),
        arg_names=["z"], hint="sigmoid(z) = 1 / (1 + e^(-z)) for every entry: use np.exp, not math.exp.")


def check_example_cost(fn: Callable) -> bool:
    """Check ``fn(output, label)``: one example's sum of squared differences from one-hot."""
    return run_checks("check_example_cost", fn,
                      _label_cases(lambda out, label: quadratic_cost_per_example(out, one_hot([label])[0])),
                      arg_names=["output", "label"],
                      hint="build the desired output (1 at the label, 0 elsewhere), subtract it, "
                           "square every difference and add them up (a sum, not a mean).")


def check_sigmoid_prime(fn: Callable) -> bool:
    """Check ``fn(z)``: the slope of the sigmoid at every entry of ``z``."""
    return run_checks("check_sigmoid_prime", fn, _z_cases(
        sigmoid_prime, "exp(-z) / (1 + exp(-z))**2 is inf / inf = nan for z = -1000; "
                       "write it as sigmoid(z) * (1 - sigmoid(z)) instead."),
        arg_names=["z"], hint="the slope is sigmoid(z) * (1 - sigmoid(z)); it is 0.25 at z = 0.")


def check_wiggle_estimate(fn: Callable) -> bool:
    """Check ``fn(f, p, eps)``: the measured sensitivity of ``f`` at ``p``, wiggling both ways."""
    # central differences of these functions, worked out by hand
    cases = [Case("a straight line", (_line, 2.0, 1e-3), 3.0),
             Case("a cube with a big eps", (_cube, 1.0, 0.5), 3.0 + 0.5 ** 2,
                  "a one-sided wiggle (f(p + eps) - f(p)) / eps is biased; wiggle both ways."),
             Case("a sine wave", (_sine, 0.3, 0.1), np.cos(0.3) * np.sin(0.1) / 0.1),
             Case("a tiny eps", (_square, -2.0, 1e-6), -4.0)]
    return run_checks("check_wiggle_estimate", fn, cases, arg_names=["f", "p", "eps"], rtol=1e-5,
                      hint="derivative ~ (f(p + eps) - f(p - eps)) / (2 * eps).")


def check_desired_nudges(fn: Callable) -> bool:
    """Check ``fn(output, label)``: how much each output should move, ``one_hot - output``."""
    return run_checks("check_desired_nudges", fn,
                      _label_cases(desired_nudges),
                      arg_names=["output", "label"],
                      hint="desired minus actual: the target is 1 at the label and 0 elsewhere; "
                           "a positive desired nudge means 'turn this output up'.")


def check_weight_nudges(fn: Callable) -> bool:
    """Check ``fn(prev_activations, push)``: each incoming weight's nudge, ``activation * push``."""
    hidden = Network(seed=0).forward(_rng(1).random(784)).activations[2][0]
    trials = [("a positive push", np.array([0.0, 0.5, 1.0]), 0.2),
              ("a negative push", np.array([0.9, 0.1, 0.4, 0.7]), -0.3),
              ("a zero push", np.array([0.2, 0.8]), 0.0),
              ("16 hidden activations", hidden, 0.45)]
    return run_checks("check_weight_nudges", fn,
                      [Case(name, (a, push), a * push) for name, a, push in trials],
                      arg_names=["prev_activations", "push"],
                      hint="each weight's nudge is the neuron's push times the activation the "
                           "weight carries: bright neurons give the most bang for the buck.")


def _backward_case(name: str, sizes: tuple, layer: int, seed: int) -> Case:
    """The package's backward step from layer ``layer + 1`` to ``layer`` of a random network."""
    net = Network(sizes, seed=seed)
    x = _rng(seed + 1).random(sizes[0])
    zs, errors = net.forward(x).zs, net.errors(x, [seed % sizes[-1]])
    return Case(name, (errors[layer + 1][0], net.weights[layer + 1], zs[layer][0]), errors[layer][0])


def check_layer_backward(fn: Callable) -> bool:
    """Check ``fn(delta_next, W_next, z)``: one backward step, ``(W_next.T @ delta_next) * sigmoid'(z)``."""
    cases = [_backward_case("3 neurons back to 3", (4, 3, 3), 0, 0),
             _backward_case("the output layer back to hidden layer 2", (784, 16, 16, 10), 1, 1),
             _backward_case("hidden layer 2 back to hidden layer 1", (784, 16, 16, 10), 0, 2)]
    return run_checks("check_layer_backward", fn, cases, arg_names=["delta_next", "W_next", "z"],
                      hint="carry the error terms back through the weights with W_next.T @ delta_next "
                           "(W_next has one row per neuron of the next layer), then multiply by "
                           "each neuron's slope sigmoid'(z).")


def check_wishes_from_pushes(fn: Callable) -> bool:
    """Check ``fn(W_next, pushes_next)``: this layer's wishes, every next-layer neuron's part added up."""
    W = Network(seed=0).weights[-1]
    trials = [("one output neuron", np.array([[0.5, -1.0, 2.0]]), np.array([0.3])),
              ("two outputs that disagree", np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([1.0, -1.0])),
              ("the digit network's last layer", W, _rng(4).normal(size=10)),
              ("no pushes at all", W, np.zeros(10))]
    cases = [Case(name, (w, v), wishes_from_pushes(w, v)) for name, w, v in trials]
    return run_checks("check_wishes_from_pushes", fn, cases, arg_names=["W_next", "pushes_next"],
                      hint="neuron k's wish gets W_next[j, k] * pushes_next[j] from every neuron j "
                           "of the next layer; add them up (W_next.T @ pushes_next does it at once).")
