"""recipes.stuck_outputs: the outputs a sigmoid network never lets win, and how flat they sit."""
import math

import numpy as np
import pytest

import backprop as bp
from backprop import recipes


def _plain_outputs(net, X):
    """z and a of the output layer, one image at a time with plain loops (independent)."""
    zs, acts = [], []
    for x in X:
        a = list(x)
        for w, b in zip(net.weights, net.biases):
            z = [sum(w[j, k] * a[k] for k in range(len(a))) + b[j] for j in range(len(b))]
            a = [1 / (1 + math.exp(-v)) for v in z]
        zs.append(z)
        acts.append(a)
    return np.array(zs), np.array(acts)


def test_an_output_pushed_to_the_flat_end_is_found():
    net = bp.Network((4, 3, 3), seed=1)
    net.biases[-1][2] = -30.0                    # output 2 sits far out on the lower flat end
    X = np.random.default_rng(0).random((40, 4))
    z, a = _plain_outputs(net, X)
    expected_missing = sorted(set(range(3)) - set(np.argmax(a, axis=1).tolist()))
    assert 2 in expected_missing
    found = recipes.stuck_outputs(net, X)
    assert found.missing == expected_missing
    slopes = [a[i, d] * (1 - a[i, d]) for i in range(len(X)) for d in expected_missing]
    assert found.median_slope == pytest.approx(np.median(slopes), rel=1e-9)
    assert found.median_z == pytest.approx(np.median(z[:, expected_missing]), rel=1e-9)
    assert found.largest_z == pytest.approx(np.abs(z).max(), rel=1e-12)
    w = net.weights[-1]
    by_hand = math.sqrt(sum(v * v for v in w.ravel()) / w.size)
    assert found.output_weights == pytest.approx(by_hand, rel=1e-12)


def test_no_missing_digit_gives_nan_slopes():
    net = bp.Network((2, 2), seed=0)
    net.weights[0][:] = [[5.0, 0.0], [0.0, 5.0]]
    net.biases[0][:] = 0.0
    X = np.array([[1.0, 0.0], [0.0, 1.0]])        # each output wins once
    found = recipes.stuck_outputs(net, X)
    assert found.missing == []
    assert math.isnan(found.median_slope) and math.isnan(found.median_z)


def test_softmax_outputs_are_refused():
    net = bp.Network((4, 3, 3), cost="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="^net: .*sigmoid outputs"):
        recipes.stuck_outputs(net, np.zeros((2, 4)))
