"""Learning from many examples: averaged nudges and descent paths.

Chapter 5 compares one example's nudges with the average over many. Chapter 6
walks downhill on costs of two parameters, with the whole data set per step
(gradient descent) or a small random batch per step (stochastic gradient
descent). Chapter 7's training recipes live in :mod:`backprop.recipes`.
"""
from __future__ import annotations

import time
import warnings
from typing import NamedTuple

import numpy as np

from .arguments import non_negative, positive_int, seed_list, value_list
from .network import Network
from .training import DivergenceWarning, shuffled_batches, train


# ----- chapter 5: one example versus the average ---------------------------------------
def fraction_predicted_as(net: Network, X, digit: int) -> float:
    """Fraction of the examples ``X`` that the network calls ``digit``."""
    return float(np.mean(net.predict(X) == digit))


def example_gradients(net: Network, X, Y) -> np.ndarray:
    """Each example's own gradient, one row per example (columns in ``to_vector`` order).

    Every row comes from :meth:`Network.example_gradient`, the one-example
    backward pass: these are the nudges each example asks for, before averaging.
    """
    X, T = net.inputs_and_targets(X, Y)
    return np.array([net.example_gradient(x, t).to_vector() for x, t in zip(X, T)])


# ----- chapter 6: walking downhill on two parameters -----------------------------------
def cosine_similarity(a, b) -> float:
    """1 when two vectors point the same way, 0 at right angles, -1 when opposite."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def mini_batch_agreement(net: Network, X, Y, batch_size: int, n_batches: int = 20,
                         seed: int = 0) -> np.ndarray:
    """How well mini-batch gradients point along the gradient of all of ``X``.

    Returns the cosine similarity with the full gradient for each of
    ``n_batches`` random mini-batches of ``batch_size`` examples.
    """
    X, T = net.inputs_and_targets(X, Y)
    full = net.gradient(X, T).to_vector()
    batches = _batches_forever(X.shape[0], positive_int(batch_size, "batch size"),
                               np.random.default_rng(seed))
    return np.array([cosine_similarity(net.gradient(X[idx], T[idx]).to_vector(), full)
                     for idx in (next(batches) for _ in range(positive_int(n_batches, "n_batches")))])


class LineFit:
    """Fit a line ``y = m x + c`` to noisy points by mean squared error.

    Its cost surface over ``(m, c)`` is a bowl, so every step of gradient
    descent is easy to follow. ``params`` is the pair ``(m, c)``; ``idx``
    picks the examples of a mini-batch (``None``: all of them).
    """

    names = ("slope m", "intercept c")

    def __init__(self, n_examples: int = 1000, slope: float = 2.0, intercept: float = -1.0,
                 noise: float = 0.5, seed: int = 0) -> None:
        self.n_examples = positive_int(n_examples, "n_examples")
        rng = np.random.default_rng(seed)
        self.x = rng.uniform(-1.0, 1.0, self.n_examples)
        self.y = slope * self.x + intercept + rng.normal(0.0, noise, self.n_examples)
        self.start = np.array([-2.0, 2.0])
        self.extent = (-3.0, 4.0, -3.0, 3.0)
        self.escape_radius = 100.0

    def residuals(self, params, idx=None) -> np.ndarray:
        """How far each point's predicted y is from its real y: ``m x + c - y``."""
        m, c = params
        x, y = (self.x, self.y) if idx is None else (self.x[idx], self.y[idx])
        return m * x + c - y

    def cost(self, params, idx=None) -> float:
        """The mean of the squared residuals, ``mean((m x + c - y)**2)``."""
        return float(np.mean(self.residuals(params, idx) ** 2))

    def gradient(self, params, idx=None) -> np.ndarray:
        """``(dC/dm, dC/dc) = (mean(2 r x), mean(2 r))`` with residuals ``r``, by the chain rule."""
        r = self.residuals(params, idx)
        x = self.x if idx is None else self.x[idx]
        return np.array([np.mean(2.0 * r * x), np.mean(2.0 * r)])


class NetworkSlice:
    """The network's cost as a function of two of its weights, all else frozen.

    ``first`` and ``second`` name weights as ``(layer, j, k)``: the weight
    ``net.weights[layer][j, k]`` from neuron ``k`` to neuron ``j``. Layers before
    the first chosen one never change, so their outputs are computed once and a
    smaller :class:`Network` made of the remaining layers does the rest; its
    cost and gradient are exactly those of the full network.
    """

    def __init__(self, net: Network, X, Y, first: tuple, second: tuple,
                 half_width: float = 4.0) -> None:
        for layer, j, k in (first, second):
            if not (0 <= layer < len(net.weights) and 0 <= j < net.sizes[layer + 1]
                    and 0 <= k < net.sizes[layer]):
                raise ValueError(f"no weight ({layer}, {j}, {k}) in a network of sizes {net.sizes}")
        if tuple(first) == tuple(second):
            raise ValueError("choose two different weights")
        X, T = net.inputs_and_targets(X, Y)
        cut = min(first[0], second[0])
        self.positions = [(layer - cut, j, k) for layer, j, k in (first, second)]
        self.inputs = net.forward(X).activations[cut]
        self.targets = T
        self.tail = Network(net.sizes[cut:], net.activation.name, net.cost_function.name)
        self.tail.weights = [w.copy() for w in net.weights[cut:]]
        self.tail.biases = [b.copy() for b in net.biases[cut:]]
        self.n_examples = X.shape[0]
        self.center = np.array([net.weights[layer][j, k] for layer, j, k in (first, second)])
        self.start = self.center + np.array([-0.75, 0.75]) * half_width
        self.extent = (self.center[0] - half_width, self.center[0] + half_width,
                       self.center[1] - half_width, self.center[1] + half_width)
        self.escape_radius = 4.0 * half_width
        self.names = tuple(f"weight {k}\u2192{j} of layer {layer + 1}" for layer, j, k in (first, second))

    def _set(self, params) -> None:
        for (layer, j, k), value in zip(self.positions, params):
            self.tail.weights[layer][j, k] = value

    def cost(self, params, idx=None) -> float:
        """The network's averaged cost with the two weights set to ``params``."""
        self._set(params)
        rows = slice(None) if idx is None else idx
        return self.tail.cost(self.inputs[rows], self.targets[rows])

    def gradient(self, params, idx=None) -> np.ndarray:
        """The two partial derivatives, read off the network's backward pass."""
        self._set(params)
        rows = slice(None) if idx is None else idx
        g = self.tail.gradient(self.inputs[rows], self.targets[rows])
        return np.array([g.weights[layer][j, k] for layer, j, k in self.positions])


def cost_grid(problem, xs, ys) -> np.ndarray:
    """The full cost at every point of a grid: ``grid[i, j] = cost((xs[j], ys[i]))``."""
    return np.array([[problem.cost((x, y)) for x in xs] for y in ys])


class Trajectory(NamedTuple):
    """A walk downhill: where it went and what each step cost.

    ``params[i]`` is the point after ``i`` steps and ``costs[i]`` the full cost
    there; ``examples[i]`` and ``seconds[i]`` count the examples and the wall
    time the first ``i`` steps used. ``diverged_at`` is the step at which the
    walk blew up (None if it did not); the arrays stop there.
    """

    params: np.ndarray
    costs: np.ndarray
    examples: np.ndarray
    seconds: np.ndarray
    batch_size: int
    diverged_at: int | None


def _batches_forever(n: int, batch_size: int, rng: np.random.Generator):
    while True:
        yield from shuffled_batches(n, batch_size, rng)


def descend(problem, learning_rate: float, steps: int, batch_size: int | None = None,
            seed: int = 0, start=None) -> Trajectory:
    """Take ``steps`` steps downhill from ``start`` (default ``problem.start``).

    ``batch_size=None`` (or the number of examples) is gradient descent: every
    step uses all examples. Smaller batches are stochastic gradient descent:
    shuffle, then one step per mini-batch, reshuffling after each pass. The
    walk stops, marked as diverged, if the cost stops being finite or the
    point goes further than ``problem.escape_radius`` from the start.
    """
    learning_rate = non_negative(learning_rate, "learning rate")
    steps = positive_int(steps, "steps")
    n = problem.n_examples
    batch_size = n if batch_size is None else positive_int(batch_size, "batch size")
    if batch_size > n:
        raise ValueError(f"batch size {batch_size} is larger than the {n} examples")
    start = np.asarray(problem.start if start is None else start, dtype=float)
    batches = None if batch_size == n else _batches_forever(n, batch_size, np.random.default_rng(seed))
    params, costs, seconds = [start], [problem.cost(start)], [0.0]
    diverged_at = None
    for step in range(1, steps + 1):
        began = time.perf_counter()
        idx = None if batches is None else next(batches)
        point = params[-1] - learning_rate * problem.gradient(params[-1], idx)
        seconds.append(seconds[-1] + time.perf_counter() - began)
        cost = problem.cost(point)
        if not (np.isfinite(cost) and np.linalg.norm(point - start) <= problem.escape_radius):
            diverged_at = step
            seconds.pop()
            break
        params.append(point)
        costs.append(cost)
    examples = batch_size * np.arange(len(params))
    return Trajectory(np.array(params), np.array(costs), examples, np.array(seconds),
                      batch_size, diverged_at)


class Race(NamedTuple):
    """Checkpoints of one training run: examples used, seconds spent, probe cost.

    ``stopped``: training stopped early (see :func:`~backprop.training.train`); the
    checkpoints then end at the parameters it kept.
    """

    examples: np.ndarray
    seconds: np.ndarray
    costs: np.ndarray
    stopped: bool = False


def race_batch_sizes(net: Network, X, labels, batch_sizes, epochs: int, learning_rate: float,
                     probe: tuple, checkpoints: int = 20, seed: int = 0) -> dict:
    """Train a copy of ``net`` per batch size on the same examples; time each run.

    Every run sees ``epochs`` passes over ``X`` (so the same number of examples)
    with the same learning rate. About ``checkpoints`` times per run, the cost
    on the ``probe`` examples is measured; that measuring is left out of the
    recorded seconds. Returns ``{batch_size: Race}``.
    """
    results = {}
    for batch in batch_sizes:
        copy = net.copy()
        steps = epochs * -(-len(X) // positive_int(batch, "batch size"))
        every = max(1, steps // checkpoints)
        marks = [(0, 0.0, copy.cost(*probe))]
        clock = {"start": time.perf_counter(), "left_out": 0.0}

        def record(step, cost, trained, batch=batch, every=every, steps=steps, clock=clock,
                   marks=marks):
            if step % every == 0 or step == steps:
                paused = time.perf_counter()
                spent = paused - clock["start"] - clock["left_out"]
                marks.append((min(step * batch, epochs * len(X)), spent, trained.cost(*probe)))
                clock["left_out"] += time.perf_counter() - paused
        history = train(copy, X, labels, epochs=epochs, learning_rate=learning_rate,
                        batch_size=batch, seed=seed, progress=False, callback=record)
        if history.diverged:            # end at the kept parameters, not at the ones dropped
            kept = min(history.kept_steps * batch, epochs * len(X))
            spent = time.perf_counter() - clock["start"] - clock["left_out"]
            marks[:] = [m for m in marks if m[0] <= kept] + [(kept, spent, copy.cost(*probe))]
        results[batch] = Race(*map(np.array, zip(*marks)), stopped=history.diverged)
    return results


class SeedStudy(NamedTuple):
    """One run per seed and batch size: the probe cost at the end, and whether training
    stopped early because the network saturated or diverged (rows: seeds)."""

    seeds: list
    batch_sizes: list
    costs: np.ndarray
    stopped: np.ndarray


def batch_sizes_over_seeds(X, labels, batch_sizes, epochs: int, learning_rate: float,
                           probe: tuple, seeds) -> SeedStudy:
    """The race of :func:`race_batch_sizes` without the clock, once per seed.

    Each seed gives a fresh ``Network(seed=seed)`` and its own shuffles; every batch size
    starts from that network. A run whose training stops early keeps its last good
    parameters (see :func:`~backprop.training.train`) and is marked in ``stopped``.
    """
    batch_sizes = [positive_int(b, "batch size")
                   for b in value_list(batch_sizes, "batch_sizes")]
    seeds = seed_list(seeds)
    costs = np.empty((len(seeds), len(batch_sizes)))
    stopped = np.zeros(costs.shape, bool)
    for i, seed in enumerate(seeds):
        for j, batch in enumerate(batch_sizes):
            net = Network(seed=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DivergenceWarning)   # kept in `stopped`
                history = train(net, X, labels, epochs=epochs, learning_rate=learning_rate,
                                batch_size=batch, seed=seed, progress=False)
            costs[i, j], stopped[i, j] = net.cost(*probe), history.diverged
    return SeedStudy(seeds, batch_sizes, costs, stopped)


def first_steps(trajectory: Trajectory, steps: int) -> Trajectory:
    """The same walk cut after ``steps`` steps (a walk's start does not depend on its length)."""
    keep, d = steps + 1, trajectory.diverged_at
    diverged = d if d is not None and d <= steps else None
    return Trajectory(trajectory.params[:keep], trajectory.costs[:keep], trajectory.examples[:keep],
                      trajectory.seconds[:keep], trajectory.batch_size, diverged)
