"""Checkers for the chapters' exercises.

Each checker takes the learner's function, runs it on a few fixed cases whose
answers come from the package itself (or from a hand computation), prints a
short report and returns True when every case passes. A checker never raises:
a function that is not written yet, raises, returns None or the wrong shape is
reported, not fatal, and so is one that loops forever, sleeps, exits, prints
megabytes or returns something unprintable: the learner's function runs in a
contained child process (:mod:`backprop.sandbox`). Use it as
``bp_ex.check_sigmoid(sigmoid)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .activations import sigmoid, sigmoid_prime
from .lesson import desired_nudges, wishes_from_pushes
from .checking import Case, run_checks, show
from .sandbox import Opaque, materialise
from .costs import one_hot, quadratic_cost_per_example
from .network import Gradient, Network, unflatten
from .training import accuracy, sgd_step

_rng = np.random.default_rng


def _labelled(label: str, f: Callable) -> Callable:
    """Give a test function the formula that reports show for it."""
    f.__doc__ = label
    return f


_line = _labelled("x -> 3x + 1", lambda x: 3 * x + 1)
_cube = _labelled("x -> x**3", lambda x: x ** 3)
_square = _labelled("x -> x**2", lambda x: x ** 2)
_sine = _labelled("x -> sin(x)", lambda x: np.sin(x))
_sum_of_squares = _labelled("x -> sum(x**2)", lambda x: np.sum(x ** 2))
_sum_of_cubes = _labelled("x -> sum(x**3)", lambda x: np.sum(x ** 3))
_sum_of_sines = _labelled("x -> sum(sin(x))", lambda x: np.sum(np.sin(x)))


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
    """Check ``fn(f, p, eps)``: the slope of ``f`` at ``p`` from a wiggle both ways."""
    # central differences of these functions, worked out by hand
    cases = [Case("a straight line", (_line, 2.0, 1e-3), 3.0),
             Case("a cube with a big eps", (_cube, 1.0, 0.5), 3.0 + 0.5 ** 2,
                  "a one-sided wiggle (f(p + eps) - f(p)) / eps is biased; wiggle both ways."),
             Case("a sine wave", (_sine, 0.3, 0.1), np.cos(0.3) * np.sin(0.1) / 0.1),
             Case("a tiny eps", (_square, -2.0, 1e-6), -4.0)]
    return run_checks("check_wiggle_estimate", fn, cases, arg_names=["f", "p", "eps"], rtol=1e-5,
                      hint="slope ~ (f(p + eps) - f(p - eps)) / (2 * eps).")


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


def check_sum_of_wishes(fn: Callable) -> bool:
    """Check ``fn(W_next, pushes_next)``: this layer's wishes, every next-layer neuron's part added up."""
    W = Network(seed=0).weights[-1]
    trials = [("one output neuron", np.array([[0.5, -1.0, 2.0]]), np.array([0.3])),
              ("two outputs that disagree", np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([1.0, -1.0])),
              ("the digit network's last layer", W, _rng(4).normal(size=10)),
              ("no pushes at all", W, np.zeros(10))]
    cases = [Case(name, (w, v), wishes_from_pushes(w, v)) for name, w, v in trials]
    return run_checks("check_sum_of_wishes", fn, cases, arg_names=["W_next", "pushes_next"],
                      hint="neuron k's wish gets W_next[j, k] * pushes_next[j] from every neuron j "
                           "of the next layer; add them up (W_next.T @ pushes_next does it at once).")


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
