"""Correct solutions of every exercise, and a typical mistake for each, for the checkers' tests.

Written out by hand, independently of the package the checkers take their reference
answers from.
"""
import numpy as np

from backprop import exercises as ex


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def central_gradient(f, x, eps):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def forward_gradient(f, x, eps):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = eps
        grad[i] = (f(x + step) - f(x)) / eps
    return grad


def mini_batches(n, batch_size, seed):
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def chain_rule(w, b, a_prev, y):
    a = sigmoid(w * a_prev + b)
    return 2 * (a - y) * a * (1 - a) * a_prev


def line_fit_gradient(m, c, x, y):
    r = m * x + c - y
    return np.mean(2 * r * x), np.mean(2 * r)


# checker, a correct solution, a typical mistake, the first case the mistake fails
CHECKERS = {
    "sigmoid": (ex.check_sigmoid, sigmoid,
                lambda z: np.exp(z) / (1 + np.exp(z)), "large |z|"),
    "example_cost": (ex.check_example_cost, lambda out, label: np.sum((out - np.eye(10)[label]) ** 2),
                     lambda out, label: np.mean((out - np.eye(10)[label]) ** 2), "all outputs 0.5"),
    "sigmoid_prime": (ex.check_sigmoid_prime, lambda z: sigmoid(z) * (1 - sigmoid(z)),
                      lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "large |z|"),
    "wiggle_estimate": (ex.check_wiggle_estimate, lambda f, p, eps: (f(p + eps) - f(p - eps)) / (2 * eps),
                        lambda f, p, eps: (f(p + eps) - f(p)) / eps, "a cube with a big eps"),
    "desired_nudges": (ex.check_desired_nudges, lambda out, label: np.eye(10)[label] - out,
                       lambda out, label: out - np.eye(10)[label], "all outputs 0.5"),
    "weight_nudges": (ex.check_weight_nudges, lambda a, push: a * push,
                      lambda a, push: a + push, "a positive push"),
    "layer_backward": (ex.check_layer_backward,
                       lambda d, W, z: (W.T @ d) * sigmoid(z) * (1 - sigmoid(z)),
                       lambda d, W, z: W.T @ d, "3 neurons back to 3"),
    "wishes_from_pushes": (ex.check_wishes_from_pushes, lambda W, v: W.T @ v,
                      lambda W, v: W.T @ v / len(v), "two outputs that disagree"),
    "average_gradient": (ex.check_average_gradient, lambda grads: sum(grads) / len(grads),
                         lambda grads: sum(grads), "three 2x3 gradients"),
    "numerical_gradient": (ex.check_numerical_gradient, central_gradient, forward_gradient,
                           "sum of squares"),
    "mini_batches": (ex.check_mini_batches, mini_batches,
                     lambda n, size, seed: [np.arange(i, min(i + size, n)) for i in range(0, n, size)],
                     "10 examples in batches of 5"),
    "sgd_step": (ex.check_sgd_step, lambda params, grad, rate: params - rate * grad,
                 lambda params, grad, rate: params + rate * grad, "a 2-3-1 network, rate 0.5"),
    "accuracy": (ex.check_accuracy, lambda out, labels: np.mean(np.argmax(out, axis=1) == labels),
                 lambda out, labels: np.sum(np.argmax(out, axis=1) == labels), "every prediction right"),
    "chain_rule": (ex.check_chain_rule, chain_rule,
                   lambda w, b, a_prev, y: chain_rule(w, b, a_prev, y) / a_prev, "the lesson's neuron"),
    "line_fit_gradient": (ex.check_line_fit_gradient, line_fit_gradient,
                          lambda m, c, x, y: tuple(g / 2 for g in line_fit_gradient(m, c, x, y)),
                          "a flat line, rising points"),
}
NAMES = sorted(CHECKERS)
