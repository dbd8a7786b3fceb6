"""Property-based tests of the core API: any input either gives the right answer or one
clear error naming the argument, and a failed call never changes the network.

Right answers come from a forward pass and finite differences written out here by
hand, independently of the package. Every run is bounded: a fixed number of examples,
derandomised, with a deadline per example.
"""
from __future__ import annotations

import time
import warnings
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backprop as bp

BOUNDED = settings(max_examples=60, derandomize=True, deadline=timedelta(seconds=5),
                   database=None, suppress_health_check=[HealthCheck.too_slow])
ACTIVATIONS, COSTS = ("sigmoid", "relu"), ("quadratic", "cross_entropy")

# ---------------------------------------------------------------- wide strategies

anything = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
                     st.binary(max_size=3), st.lists(st.integers(-3, 12), max_size=4),
                     st.just(object()), st.just(1 + 2j))
dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex128,
                          np.float16])


def arrays_around(shape, values=st.floats(-100, 100)) -> st.SearchStrategy:
    """Arrays of the right shape and other shapes, of many dtypes, sometimes with NaN or inf."""
    shapes = st.one_of(st.just(shape), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                        max_side=4))
    plain = hnp.arrays(np.float64, st.just(shape), elements=values)
    odd = hnp.arrays(dtypes, shapes, elements=None)
    return st.one_of(plain, plain, odd, anything)


def is_valid_sizes(sizes) -> bool:
    return (isinstance(sizes, (list, tuple)) and len(sizes) >= 2
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes))


def is_valid_seed(seed) -> bool:
    return isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0


# ---------------------------------------------------------------- independent computations

def forward_by_hand(net: bp.Network, X: np.ndarray) -> np.ndarray:
    """The output layer's activations, from the lesson's formulas written out here."""
    a = X
    for layer, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = a @ w.T + b
        if layer == len(net.weights) - 1 and net.cost_function.name == "cross_entropy":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        elif net.activation.name == "sigmoid":
            with np.errstate(over="ignore"):  # exp(-z) = inf gives the right limit 0
                a = 1 / (1 + np.exp(-z))
        else:
            a = np.where(z > 0, z, 0.0)
    return a


def cost_by_hand(net: bp.Network, X: np.ndarray, labels: np.ndarray) -> float:
    a = forward_by_hand(net, X)
    y = np.eye(net.sizes[-1])[labels]
    if net.cost_function.name == "cross_entropy":
        return float(np.mean(-np.sum(y * np.log(a), axis=1)))
    return float(np.mean(np.sum((a - y) ** 2, axis=1)))


def gradient_by_differences(net: bp.Network, X, labels, eps: float = 1e-6) -> np.ndarray:
    """Central differences of :func:`cost_by_hand`, one parameter at a time."""
    probe, v = net.copy(), net.to_vector()
    grad = np.empty_like(v)
    for i in range(v.size):
        up, down = v.copy(), v.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (cost_by_hand(probe.load_vector(up), X, labels)
                   - cost_by_hand(probe.load_vector(down), X, labels)) / (2 * eps)
    return grad


def assert_clean_error(err: Exception, *names: str) -> None:
    """One ValueError/TypeError whose message names one of the arguments."""
    assert isinstance(err, (ValueError, TypeError)), repr(err)
    assert any(name in str(err) for name in names), (names, str(err))


# ---------------------------------------------------------------- Network

@BOUNDED
@given(sizes=st.one_of(st.lists(st.integers(-1, 5), max_size=5), anything),
       activation=st.one_of(st.sampled_from(ACTIVATIONS), st.text(max_size=4)),
       cost=st.one_of(st.sampled_from(COSTS), st.none()),
       seed=st.one_of(st.integers(0, 2**70), anything),
       dtype=st.one_of(dtypes, st.sampled_from([None, "float32", "f8", int, "x"])))
def test_network_is_built_as_asked_or_refused_naming_the_argument(sizes, activation, cost, seed,
                                                                  dtype):
    valid = {"sizes": is_valid_sizes(sizes), "activation": activation in ACTIVATIONS,
             "cost": cost in COSTS, "seed": is_valid_seed(seed),
             "dtype": dtype in (np.float64, np.float32, "float32", "f8")}
    try:
        net = bp.Network(sizes, activation, cost, seed, dtype)
    except Exception as err:
        assert not all(valid.values())
        bad = [name for name, ok in valid.items() if not ok]
        assert_clean_error(err, *bad, *(["unknown activation"] * ("activation" in bad)),
                           *(["unknown cost"] * ("cost" in bad)))
        return
    assert all(valid.values()), valid
    assert [w.shape for w in net.weights] == list(zip(sizes[1:], sizes[:-1]))
    assert all(p.dtype == np.dtype(dtype) for p in net.weights + net.biases)
    np.testing.assert_array_equal(net.to_vector(), bp.Network(sizes, activation, cost, seed,
                                                              dtype).to_vector())


NETS = [bp.Network([3, 4, 2], a, c, seed=1) for a in ACTIVATIONS for c in COSTS]


@BOUNDED
@given(which=st.integers(0, len(NETS) - 1), X=arrays_around((5, 3)),
       labels=st.one_of(hnp.arrays(np.int64, st.just(5), elements=st.integers(0, 1)),
                        arrays_around((5,), st.integers(-2, 3).map(float))))
def test_cost_and_gradient_are_right_or_refused_and_never_change_the_network(which, X, labels):
    net = NETS[which]
    before = net.to_vector()
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bp.arguments.PixelScaleWarning)
        try:
            cost, grad = net.cost(X, labels), net.gradient(X, labels).to_vector()
        except Exception as err:
            assert_clean_error(err, "X", "Y")
            cost = None
    assert time.monotonic() - started < 1
    np.testing.assert_array_equal(net.to_vector(), before)
    if cost is None:
        return
    X, labels = np.atleast_2d(np.asarray(X, float)), np.asarray(labels).astype(int).ravel()
    assert cost == pytest.approx(cost_by_hand(net, X, labels), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(grad, gradient_by_differences(net, X, labels), rtol=1e-4, atol=1e-7)


@BOUNDED
@given(X=arrays_around((6, 3)), labels=arrays_around((6,), st.integers(-1, 2).map(float)))
def test_accuracy_is_the_fraction_right_or_refused(X, labels):
    net = NETS[0]
    before = net.to_vector()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bp.arguments.PixelScaleWarning)
        try:
            got = bp.accuracy(net, X, labels)
        except Exception as err:
            assert_clean_error(err, "X", "labels")
            got = None
    np.testing.assert_array_equal(net.to_vector(), before)
    if got is not None:
        X = np.atleast_2d(np.asarray(X, float))
        picked = np.argmax(forward_by_hand(net, X), axis=1)
        assert got == np.mean(picked == np.asarray(labels).astype(int).ravel())


@BOUNDED
@given(labels=st.one_of(st.lists(st.integers(-3, 12), max_size=6), arrays_around((4,))),
       n_classes=st.one_of(st.integers(-1, 12), anything))
def test_one_hot_is_the_identity_row_or_refused(labels, n_classes):
    try:
        got = bp.one_hot(labels, n_classes)
    except Exception as err:
        assert_clean_error(err, "labels", "n_classes")
        return
    labels = np.atleast_1d(np.asarray(labels)).astype(int)
    np.testing.assert_array_equal(got, np.eye(n_classes)[labels])
    assert labels.size == 0 or labels.min() >= 0


@BOUNDED
@given(dtype=st.one_of(dtypes, st.sampled_from([None, int, float, "float32", "nonsense"])))
def test_astype_converts_or_refuses_leaving_the_network_alone(dtype):
    net = bp.Network([2, 3, 1], seed=0)
    before = net.to_vector()
    try:
        net.astype(dtype)
    except Exception as err:
        assert_clean_error(err, "dtype")
        np.testing.assert_array_equal(net.to_vector(), before)
        assert net.dtype == np.float64
        return
    assert np.dtype(dtype) in (np.float32, np.float64)
    np.testing.assert_allclose(net.to_vector(), before, rtol=1e-7)


# ---------------------------------------------------------------- train, as a black box

TRAIN_SETTINGS = st.fixed_dictionaries({}, optional={
    "epochs": st.one_of(st.integers(-1, 2), anything),
    "learning_rate": st.one_of(st.floats(-1, 1e6), anything),
    "batch_size": st.one_of(st.integers(-1, 12), anything),
    "seed": st.one_of(st.integers(-1, 5), st.floats(-1, 2)),
    "weight_decay": st.one_of(st.floats(-1, 1e3), st.none()),
    "dtype": st.sampled_from([None, np.float32, np.float16, np.int64]),
    "test_data": st.sampled_from([None, "pair", "single", "mismatched"]),
    "callback": st.sampled_from([None, "callable", 5]),
})
TRAIN_NAMES = ("epochs", "learning rate", "learning_rate", "batch size", "batch_size", "seed",
               "weight decay", "weight_decay", "dtype", "test", "callback", "X", "labels")


@settings(BOUNDED, max_examples=40)
@given(settings_=TRAIN_SETTINGS, X=arrays_around((8, 3), st.floats(0, 1)))
def test_train_either_trains_or_refuses_before_changing_the_network(settings_, X):
    net = bp.Network([3, 4, 2], seed=0)
    before = net.to_vector()
    labels = np.arange(8) % 2
    pair = (np.full((3, 3), 0.5), [0, 1, 1])
    settings_["test_data"] = {"pair": pair, "single": (pair[0],), "mismatched": (pair[0], [0]),
                              None: None}[settings_.get("test_data")]
    if settings_.get("callback") == "callable":
        settings_["callback"] = lambda step, cost, net: None
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            history = bp.train(net, X, labels, progress=False, **settings_)
        except Exception as err:
            assert_clean_error(err, *TRAIN_NAMES)
            np.testing.assert_array_equal(net.to_vector(), before)
            assert net.dtype == np.float64
            return
    assert time.monotonic() - started < 5
    assert all(np.all(np.isfinite(p)) for p in net.weights + net.biases)
    assert len(history.step_costs) <= settings_.get("epochs", 1) * 8


@settings(BOUNDED, max_examples=12)
@given(log_rate=st.floats(2.5, 7), seed=st.integers(0, 3))
def test_a_learning_rate_that_saturates_the_network_is_reported_as_divergence(log_rate, seed):
    rng = np.random.default_rng(seed)
    X, labels = rng.random((30, 784)), np.arange(30) % 10
    net = bp.Network(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = bp.train(net, X, labels, learning_rate=10 ** log_rate, epochs=3, progress=False)
    out = forward_by_hand(net, X)
    saturated = np.mean(np.minimum(out, 1 - out)) < 1e-3  # every output pinned at 0 or 1
    assert history.diverged or not saturated
