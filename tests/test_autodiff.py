"""The autodiff engine against finite differences and against the hand-written backward pass."""
import numpy as np
import pytest

import backprop as bp
from backprop import autodiff as ad


def numerical_slopes(f, x, eps=1e-6):
    """Central differences of a scalar function of one array, entry by entry."""
    slopes = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + eps
        up = f()
        x[i] = keep - eps
        down = f()
        x[i] = keep
        slopes[i] = (up - down) / (2 * eps)
    return slopes


@pytest.mark.parametrize("shape_a, shape_b", [((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 1), (3, 4)),
                                               ((2, 3), ()), ((5,), (5,))])
def test_broadcast_add_and_multiply_match_finite_differences(shape_a, shape_b):
    rng = np.random.default_rng(0)
    a, b = ad.Tensor(rng.normal(size=shape_a)), ad.Tensor(rng.normal(size=shape_b))

    def cost():
        return float((((a * b + a) - b) ** 2).sum().value)
    c = ((a * b + a) - b) ** 2
    c.sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    np.testing.assert_allclose(a.grad, numerical_slopes(cost, a.value), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.grad, numerical_slopes(cost, b.value), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n, k, m", [(1, 1, 1), (4, 3, 2), (7, 5, 6)])
def test_matmul_sigmoid_mean_match_finite_differences(n, k, m):
    rng = np.random.default_rng(n)
    x, w = ad.Tensor(rng.normal(size=(n, k))), ad.Tensor(rng.normal(size=(m, k)))

    def build():
        return ((x @ w.T).sigmoid() / 3.0 - 0.5).mean(axis=0).sum()
    build().backward()
    for t in (x, w):
        np.testing.assert_allclose(t.grad, numerical_slopes(lambda: float(build().value), t.value),
                                   rtol=1e-6, atol=1e-9)


def test_a_tensor_used_twice_collects_both_gradients():
    x = ad.Tensor(3.0)
    y = x * x + x          # dy/dx = 2x + 1 = 7
    y.backward()
    assert x.grad == pytest.approx(7.0)


def test_backward_twice_gives_the_same_gradient_not_the_double():
    x = ad.Tensor([1.0, 2.0])
    y = (x ** 2).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


@pytest.mark.parametrize("sizes", [(784, 16, 16, 10), (5, 3, 4), (2, 1), (6, 4, 4, 4, 3)])
def test_engine_gradient_equals_backward_pass(sizes):
    net = bp.Network(sizes, seed=3)
    rng = np.random.default_rng(1)
    X, labels = rng.random((12, sizes[0])), rng.integers(0, sizes[-1], 12)
    weights, biases = ad.parameters_of(net)
    cost = ad.quadratic_cost(ad.network_output(weights, biases, X), bp.one_hot(labels, sizes[-1]))
    cost.backward()
    expected = net.gradient(X, labels)
    assert float(cost.value) == pytest.approx(net.cost(X, labels), abs=1e-12)
    for tensor, g in zip(weights + biases, expected.weights + expected.biases):
        np.testing.assert_allclose(tensor.grad, g, rtol=0, atol=1e-10)


def test_four_step_loop_matches_sgd_steps_of_the_network():
    net = bp.Network((4, 3, 2), seed=0)
    rng = np.random.default_rng(2)
    X, labels = rng.random((8, 4)), rng.integers(0, 2, 8)
    weights, biases = ad.parameters_of(net)
    for _ in range(5):
        output = ad.network_output(weights, biases, X)
        cost = ad.quadratic_cost(output, bp.one_hot(labels, 2))
        cost.backward()
        ad.gradient_descent_step(weights + biases, 0.5)
        bp.sgd_step(net, net.gradient(X, labels), 0.5)
    for tensor, p in zip(weights + biases, net.weights + net.biases):
        np.testing.assert_allclose(tensor.value, p, atol=1e-12)


def test_line_fit_gradient_by_the_engine_matches_the_chain_rule():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=20), rng.normal(size=20)
    m, c = ad.Tensor(0.7), ad.Tensor(-0.2)
    ((m * x + c - y) ** 2).mean().backward()
    error = 0.7 * x - 0.2 - y
    assert m.grad == pytest.approx(np.mean(2 * error * x))
    assert c.grad == pytest.approx(np.mean(2 * error))


def test_backward_needs_a_single_number():
    with pytest.raises(ValueError, match="single number"):
        ad.Tensor(np.ones(3)).backward()


def test_matmul_rejects_vectors():
    with pytest.raises(ValueError, match="two matrices"):
        ad.Tensor(np.ones(3)) @ ad.Tensor(np.ones((3, 2)))


def test_engine_refuses_networks_it_cannot_write():
    with pytest.raises(ValueError, match="sigmoid"):
        ad.parameters_of(bp.Network((3, 2), activation="relu"))


def test_accumulating_backward_adds_to_the_parameters_and_zero_grad_clears_them():
    x = ad.Tensor([1.0, 2.0])
    y = (x ** 2).sum()                     # dy/dx = 2x
    y.backward(accumulate=True)
    y.backward(accumulate=True)
    np.testing.assert_allclose(x.grad, [4.0, 8.0])      # twice 2x: nothing cleared it
    ad.SGD([x], learning_rate=0.1).zero_grad()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    y.backward(accumulate=True)
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_accumulated_half_batches_divided_by_two_give_the_whole_batch_gradient():
    net = bp.Network((5, 4, 3), seed=1)
    rng = np.random.default_rng(4)
    X, labels = rng.random((10, 5)), rng.integers(0, 3, 10)
    weights, biases = ad.parameters_of(net)
    optimizer = ad.SGD(weights + biases, 1.0)
    optimizer.zero_grad()
    for half in (slice(0, 5), slice(5, 10)):
        cost = ad.quadratic_cost(ad.network_output(weights, biases, X[half]),
                                 bp.one_hot(labels[half], 3))
        (cost / 2).backward(accumulate=True)
    expected = net.gradient(X, labels)
    for tensor, g in zip(weights + biases, expected.weights + expected.biases):
        np.testing.assert_allclose(tensor.grad, g, rtol=0, atol=1e-12)


def test_framework_style_loop_matches_the_networks_own_sgd_steps():
    net = bp.Network((4, 3, 2), seed=0)
    rng = np.random.default_rng(2)
    X, labels = rng.random((8, 4)), rng.integers(0, 2, 8)
    weights, biases = ad.parameters_of(net)
    optimizer = ad.SGD(weights + biases, learning_rate=0.5)
    for _ in range(5):
        optimizer.zero_grad()
        cost = ad.quadratic_cost(ad.network_output(weights, biases, X), bp.one_hot(labels, 2))
        cost.backward(accumulate=True)
        optimizer.step()
        bp.sgd_step(net, net.gradient(X, labels), 0.5)
    for tensor, p in zip(weights + biases, net.weights + net.biases):
        np.testing.assert_allclose(tensor.value, p, rtol=0, atol=1e-12)


def test_a_loop_without_zero_grad_steps_along_the_sum_of_all_gradients_so_far():
    x = ad.Tensor(3.0)
    optimizer = ad.SGD([x], learning_rate=0.25)
    seen = []
    for _ in range(3):
        cost = x * x                        # dC/dx = 2x
        cost.backward(accumulate=True)
        seen.append(2 * float(x.value))
        np.testing.assert_allclose(x.grad, sum(seen))
        optimizer.step()


def test_sgd_rejects_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate"):
        ad.SGD([ad.Tensor(1.0)], learning_rate=0.0)
    with pytest.raises(TypeError, match="params"):
        ad.SGD([np.zeros(3)], learning_rate=0.1)


def test_bytes_held_counts_what_the_result_keeps_and_not_the_temporaries():
    n = 100_000

    def keeps_one_array():
        scratch = np.ones(3 * n)          # freed before returning
        return np.zeros(n) + scratch[:n]
    held = ad.bytes_held(keeps_one_array)
    assert 8 * n <= held < 8 * n + 10_000
    assert ad.bytes_held(lambda: None) < 10_000


def test_forward_pass_keeps_every_layers_z_and_a():
    net = bp.Network((30, 20, 10), seed=0)
    X = np.random.default_rng(0).random((500, 30))
    per_example = 8 * 2 * (20 + 10)         # z and a of both layers, float64
    assert abs(ad.bytes_held(net.forward, X) / 500 - per_example) < 0.05 * per_example
    assert ad.bytes_held(net.output, X) / 500 < 0.4 * per_example
