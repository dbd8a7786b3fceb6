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
