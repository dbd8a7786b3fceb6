"""Checkers for the exercises of chapters 5-8: gradients, batches, steps, the chain rule.

Each checker takes the learner's function, runs it on a few fixed cases whose
answers come from the package itself (or from a hand computation), prints a
short report and returns True when every case passes. A checker never raises:
a function that is not written yet, raises, returns None or the wrong shape is
reported, not fatal, and so is one that loops forever, sleeps, exits, prints
megabytes or returns something unprintable: the learner's function runs in a
contained child process (:mod:`backprop.exercises.containment`). The chapters
reach every checker through :mod:`backprop.exercises`: ``bp_ex.check_sgd_step(sgd_step)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..network import Gradient, Network, unflatten
from ..training import accuracy, sgd_step
from .answers import Opaque, materialise
from .cases import Case, labelled, run_checks, show

__all__ = [
    "check_average_gradient", "check_numerical_gradient",
    "check_mini_batches", "check_sgd_step", "check_accuracy", "check_chain_rule",
    "check_line_fit_gradient",
]

_rng = np.random.default_rng

_sum_of_squares = labelled("x -> sum(x**2)", lambda x: np.sum(x ** 2))
_sum_of_cubes = labelled("x -> sum(x**3)", lambda x: np.sum(x ** 3))
_sum_of_sines = labelled("x -> sum(sin(x))", lambda x: np.sum(np.sin(x)))


def check_average_gradient(fn: Callable) -> bool:
    """Check ``fn(gradients)``: the entry-by-entry mean of a list of same-shaped gradients."""
    g = list(_rng(0).normal(size=(4, 2, 3)))
    net, X = Network((5, 4, 3), seed=0), _rng(1).random((6, 5))
    labels = np.arange(6) % 3
    per_example = [net.example_gradient(x, y).weights[0] for x, y in zip(X, labels)]
    cases = [Case("a single gradient", (g[:1],), g[0]),
             Case("three 2x3 gradients", (g[:3],), (g[0] + g[1] + g[2]) / 3),
             Case("bias gradients (vectors)", ([v[0] for v in g],), sum(v[0] for v in g) / 4),
             Case("six examples of a small network", (per_example,), net.gradient(X, labels).weights[0])]
    return run_checks("check_average_gradient", fn, cases, arg_names=["gradients"],
                      hint="add the gradients entry by entry and divide by how many there are: "
                           "np.mean(gradients, axis=0). The result has the shape of one gradient.")


def _network_cost_case() -> Case:
    """The cost of a tiny network as a function of its parameter vector, with backprop's gradient."""
    net, X, labels = Network((3, 4, 2), seed=0), _rng(5).random((4, 3)), np.array([0, 1, 1, 0])

    def cost_of(v):
        """v -> the cost of a 3-4-2 network with parameters v"""
        return net.copy().load_vector(v).cost(X, labels)

    return Case("the cost of a tiny network", (cost_of, net.to_vector(), 1e-5),
                net.gradient(X, labels).to_vector())


def check_numerical_gradient(fn: Callable) -> bool:
    """Check ``fn(f, x, eps)``: every partial derivative of ``f`` at ``x`` by central differences."""
    x = np.array([1.0, -2.0, 3.0])
    # central differences worked out by hand: exact for squares, 3x^2 + eps^2 for cubes
    cases = [Case("sum of squares", (_sum_of_squares, x, 1e-4), 2 * x),
             Case("sum of cubes with a big eps", (_sum_of_cubes, x[:2], 0.1), 3 * x[:2] ** 2 + 0.01,
                  "a one-sided wiggle is biased: wiggle each coordinate both ways."),
             Case("a single coordinate", (_sum_of_sines, np.array([2.0]), 1e-3),
                  np.cos([2.0]) * np.sin(1e-3) / 1e-3),
             _network_cost_case()]
    return run_checks("check_numerical_gradient", fn, cases, arg_names=["f", "x", "eps"],
                      rtol=1e-5, atol=1e-8,
                      hint="for each i, wiggle only x[i]: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), "
                           "on a copy of x, so the other coordinates stay put.")


def _batches_problem(got, expected) -> str | None:
    """What is wrong with two calls' mini-batches for ``expected = (n, batch_size, seed)``."""
    (first, second), (n, size, seed) = got, expected
    if first is None:
        return "your function returned None: did you forget the `return` line?"
    if not isinstance(first, (list, tuple, np.ndarray)) or getattr(first, "ndim", 1) == 0:
        kind = first.type_name if isinstance(first, Opaque) else type(first).__name__
        return f"expected a list of index arrays, one per mini-batch; got {kind}: {show(first)}"
    batches = [np.asarray(b) for b in first]
    odd = next((i for i, b in enumerate(batches) if b.ndim != 1), None)
    if odd is not None:
        return f"each batch should be a 1-D array of indices; batch {odd} has shape {batches[odd].shape}"
    odd = next((i for i, b in enumerate(batches) if b.size and b.dtype.kind not in "iu"), None)
    if odd is not None:
        return (f"each batch should hold whole-number indices (integers); batch {odd} holds "
                f"{batches[odd].dtype} values: {show(batches[odd])}")
    sizes, want = [len(b) for b in batches], [size] * (n // size) + [n % size] * (n % size > 0)
    if sizes != want:
        return f"batch sizes: expected {show(np.array(want))}, got {show(np.array(sizes))}"
    order = np.concatenate(batches)
    if not np.array_equal(np.sort(order), np.arange(n)):
        return f"the batches should hold every index 0..{n - 1} exactly once; got {show(order)}"
    if n >= 10 and np.array_equal(order, np.arange(n)):
        return "the indices are still in order 0, 1, 2, ...: shuffle them first"
    if not all(np.array_equal(a, b) for a, b in zip(first, second)):
        return (f"two calls with seed {seed} gave different batches; "
                "draw the order from np.random.default_rng(seed)")
    return None


def check_mini_batches(fn: Callable) -> bool:
    """Check ``fn(n, batch_size, seed)``: a shuffled split of ``range(n)`` into mini-batches."""
    trials = [("10 examples in batches of 5", 10, 5, 0), ("a smaller last batch", 10, 3, 1),
              ("batches of one", 12, 1, 2), ("one batch holds all", 7, 7, 3),
              ("the MNIST training set", 60000, 100, 4)]
    cases = [Case(name, (n, size, seed), (n, size, seed)) for name, n, size, seed in trials]
    # each call's batches are materialised at once: a generator must not be compared exhausted
    twice = (lambda n, size, seed: (materialise(fn(n, size, seed)), materialise(fn(n, size, seed)))
             if callable(fn) else fn)
    return run_checks("check_mini_batches", twice, cases, arg_names=["n", "batch_size", "seed"], judge=_batches_problem,
                      hint="shuffle np.arange(n) with np.random.default_rng(seed).permutation, "
                           "then cut it into slices of batch_size.")


def _sgd_case(name: str, sizes: tuple, learning_rate: float, scale: float) -> Case:
    """One step of the package's SGD on a network, seen as flat vectors."""
    net = Network(sizes, seed=0)
    grad = scale * _rng(6).normal(size=net.n_params)
    params = net.to_vector()
    sgd_step(net, Gradient(*unflatten(grad, sizes)), learning_rate)
    return Case(name, (params, grad, learning_rate), net.to_vector())


def check_sgd_step(fn: Callable) -> bool:
    """Check ``fn(params, grad, learning_rate)``: one step downhill, ``params - rate * grad``."""
    cases = [_sgd_case("a 2-3-1 network, rate 0.5", (2, 3, 1), 0.5, 1.0),
             _sgd_case("rate 0: nothing moves", (2, 3, 1), 0.0, 1.0),
             _sgd_case("a zero gradient", (2, 3, 1), 3.0, 0.0),
             _sgd_case("the digit network, rate 3", (784, 16, 16, 10), 3.0, 1e-3)]
    return run_checks("check_sgd_step", fn, cases, arg_names=["params", "grad", "learning_rate"],
                      hint="step downhill: subtract learning_rate * grad from the parameters.")


def _accuracy_case(name: str, n: int, seed: int, labels_from: Callable) -> Case:
    """A small network's outputs for ``n`` random inputs, scored by the package's accuracy."""
    net = Network((20, 16, 10), seed=seed)
    X = _rng(seed).random((n, 20))
    labels = labels_from(net.predict(X), _rng(seed + 1))
    return Case(name, (net.output(X), labels), accuracy(net, X, labels))


def check_accuracy(fn: Callable) -> bool:
    """Check ``fn(outputs, labels)``: the fraction of rows whose largest output is the label."""
    cases = [_accuracy_case("every prediction right", 50, 0, lambda pred, rng: pred),
             _accuracy_case("random labels", 50, 1, lambda pred, rng: rng.integers(0, 10, 50)),
             _accuracy_case("every prediction wrong", 30, 2, lambda pred, rng: (pred + 1) % 10),
             _accuracy_case("a single example", 1, 3, lambda pred, rng: pred)]
    return run_checks("check_accuracy", fn, cases, arg_names=["outputs", "labels"],
                      hint="np.argmax(outputs, axis=1) is each row's digit; compare it with the "
                           "labels and average the matches (a fraction from 0 to 1, not a count).")


def _one_neuron_case(name: str, w: float, b: float, a_prev: float, y: float) -> Case:
    """dC/dw for one sigmoid neuron, from the package's backward pass on a 1-1 network."""
    net = Network((1, 1))
    net.weights, net.biases = [np.array([[w]])], [np.array([b])]
    return Case(name, (w, b, a_prev, y), net.gradient([[a_prev]], [[y]]).weights[0][0, 0])


def check_chain_rule(fn: Callable) -> bool:
    """Check ``fn(w, b, a_prev, y)``: dC/dw for ``C = (sigmoid(w * a_prev + b) - y)**2``."""
    cases = [_one_neuron_case("the lesson's neuron", 0.5, 0.1, 0.7, 1.0),
             _one_neuron_case("a silent input (a_prev = 0)", 1.5, -0.4, 0.0, 1.0),
             _one_neuron_case("a negative weight, target 0", -1.2, 0.3, 0.8, 0.0),
             _one_neuron_case("a saturated neuron", 8.0, 2.0, 1.5, 0.0)]
    return run_checks("check_chain_rule", fn, cases, arg_names=["w", "b", "a_prev", "y"],
                      hint="multiply three slopes: dz/dw = a_prev, da/dz = sigmoid'(z), "
                           "dC/da = 2 (a - y).")


def check_line_fit_gradient(fn: Callable) -> bool:
    """Check ``fn(m, c, x, y)``: ``(dC/dm, dC/dc)`` for ``C = mean((m x + c - y)**2)``."""
    x = np.arange(4.0)
    noisy_x = _rng(7).uniform(-2, 2, 50)
    trials = [("points on the line", 2.0, 1.0, x, 2 * x + 1), ("a flat line, rising points", 0.0, 0.0, x, 2 * x + 1),
              ("a single point", 1.5, -0.5, np.array([2.0]), np.array([1.0])),
              ("50 noisy points", 0.3, 0.2, noisy_x, 1.7 * noisy_x - 0.4 + _rng(8).normal(0, 0.3, 50))]
    # by hand: with r = m x + c - y, dC/dm = mean(2 r x) and dC/dc = mean(2 r)
    cases = [Case(name, (m, c, xs, ys), [np.mean(2 * (m * xs + c - ys) * xs), np.mean(2 * (m * xs + c - ys))])
             for name, m, c, xs, ys in trials]
    return run_checks("check_line_fit_gradient", fn, cases, arg_names=["m", "c", "x", "y"],
                      hint="with r = m*x + c - y, the chain rule gives d(r**2)/dm = 2 r x and "
                           "d(r**2)/dc = 2 r; average over the points and return both as a pair.")
