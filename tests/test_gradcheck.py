"""Backpropagation against finite differences, an independent way to get slopes."""
import numpy as np
import pytest

import backprop as bp

COMBINATIONS = [(a, c) for a in ("sigmoid", "relu") for c in ("quadratic", "cross_entropy")]


@pytest.mark.parametrize("activation, cost", COMBINATIONS)
@pytest.mark.parametrize("sizes", [[2, 3, 1], [5, 4, 4, 3]])
def test_backprop_matches_finite_differences_on_small_networks(sizes, activation, cost, rng):
    if cost == "cross_entropy" and sizes[-1] == 1:
        pytest.skip("softmax over a single output is constant")
    net = bp.Network(sizes, activation, cost, seed=11)
    X = rng.normal(size=(7, sizes[0]))
    labels = rng.integers(0, sizes[-1], 7)
    errors = bp.check_gradient(net, X, labels)
    assert errors.shape == (len(sizes) - 1,)
    assert errors.max() < 1e-7, errors


@pytest.mark.parametrize("activation, cost", COMBINATIONS)
def test_backprop_matches_finite_differences_on_digit_network(mnist, activation, cost):
    (X, labels), _ = mnist
    net = bp.Network([784, 16, 16, 10], activation, cost, seed=0)
    errors = bp.check_gradient(net, X[:4], labels[:4])
    assert errors.max() < 1e-7, errors


def test_gradient_check_catches_a_wrong_backward_pass(rng):
    net = bp.Network([5, 4, 3], seed=0)
    # a classic bug: using the sigmoid itself instead of its slope in the backward pass
    net.activation = net.activation._replace(slope=lambda z, a: a)
    errors = bp.check_gradient(net, rng.normal(size=(4, 5)), [0, 1, 2, 0])
    assert errors.max() > 1e-2


def test_relative_error_is_zero_for_equal_and_one_for_opposite():
    np.testing.assert_array_equal(bp.relative_error([1.0, 0.0, -2.0], [1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])


def test_a_float32_network_is_refused_as_meaningless(rng):
    net = bp.Network([3, 2], seed=0, dtype=np.float32)
    before = net.to_vector()
    with pytest.raises(ValueError, match="float32 numbers: a gradient check is meaningless"):
        bp.check_gradient(net, rng.random((2, 3)), [0, 1])
    np.testing.assert_array_equal(net.to_vector(), before)
    assert net.dtype == np.float32


def test_float16_weights_put_in_by_hand_are_refused_too(rng):
    net = bp.Network([3, 2], seed=0)
    net.weights = [w.astype(np.float16) for w in net.weights]
    with pytest.raises(ValueError, match="float16"):
        bp.check_gradient(net, rng.random((2, 3)), [0, 1])


def test_a_check_that_would_run_for_hours_is_refused(rng):
    net = bp.Network(seed=0)
    with pytest.raises(ValueError, match="X has 60 examples: .* far too long; use a handful"):
        bp.check_gradient(net, rng.random((60, 784)), np.arange(60) % 10)


@pytest.mark.parametrize("eps", [0, -1e-5, 1e-30, 2.0, float("nan"), "small"])
def test_bad_eps_is_named(eps, rng):
    with pytest.raises(ValueError, match="eps must be a small positive number"):
        bp.numerical_gradient(bp.Network([3, 2]), rng.random((2, 3)), [0, 1], eps=eps)
