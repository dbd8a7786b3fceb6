"""The digit network: parameters, forward pass, cost and backward pass."""
import warnings

import numpy as np
import pytest

import backprop as bp


def test_digit_network_has_13002_parameters():
    net = bp.Network([784, 16, 16, 10])
    assert net.n_params == 13002
    assert net.n_params == sum(w.size for w in net.weights) + sum(b.size for b in net.biases)
    assert [w.shape for w in net.weights] == [(16, 784), (16, 16), (10, 16)]
    assert [b.shape for b in net.biases] == [(16,), (16,), (10,)]


def test_same_seed_gives_identical_parameters_and_other_seed_differs():
    a, b, c = bp.Network(seed=7), bp.Network(seed=7), bp.Network(seed=8)
    np.testing.assert_array_equal(a.to_vector(), b.to_vector())
    assert not np.array_equal(a.to_vector(), c.to_vector())


def test_forward_by_hand_on_tiny_network():
    net = bp.Network([2, 1])
    net.weights = [np.array([[0.5, -1.0]])]
    net.biases = [np.array([0.25])]
    fwd = net.forward([2.0, 1.0])
    z = 0.5 * 2.0 - 1.0 * 1.0 + 0.25
    assert fwd.zs[0][0, 0] == pytest.approx(z)
    assert fwd.activations[1][0, 0] == pytest.approx(1 / (1 + np.exp(-z)))


def test_cost_formula_by_hand_on_tiny_network():
    # two inputs, two outputs, two examples: cost = mean over examples of sum of squares
    net = bp.Network([2, 2])
    net.weights = [np.array([[1.0, 0.0], [0.0, -1.0]])]
    net.biases = [np.array([0.0, 0.5])]
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    labels = np.array([0, 1])
    s = lambda z: 1 / (1 + np.exp(-z))
    out1 = [s(0.0), s(0.5)]            # example 1, target (1, 0)
    out2 = [s(1.0), s(-2.0 + 0.5)]     # example 2, target (0, 1)
    c1 = (out1[0] - 1) ** 2 + (out1[1] - 0) ** 2
    c2 = (out2[0] - 0) ** 2 + (out2[1] - 1) ** 2
    assert net.cost(X, labels) == pytest.approx((c1 + c2) / 2, rel=1e-14)
    np.testing.assert_allclose(net.costs_per_example(X, labels), [c1, c2], rtol=1e-14)


def test_labels_and_one_hot_targets_give_the_same_cost(rng):
    net = bp.Network([5, 4, 3], seed=1)
    X, labels = rng.random((6, 5)), rng.integers(0, 3, 6)
    assert net.cost(X, labels) == net.cost(X, bp.one_hot(labels, 3))


def test_batch_gradient_equals_mean_of_per_example_gradients(rng):
    for activation in ("sigmoid", "relu"):
        for cost in ("quadratic", "cross_entropy"):
            net = bp.Network([784, 16, 16, 10], activation, cost, seed=3)
            X, labels = rng.random((20, 784)), rng.integers(0, 10, 20)
            batch = net.gradient(X, labels).to_vector()
            loop = net.gradient_by_examples(X, labels).to_vector()
            single = np.mean([net.example_gradient(x, y).to_vector() for x, y in zip(X, labels)], axis=0)
            np.testing.assert_allclose(batch, loop, rtol=1e-10, atol=1e-16)
            np.testing.assert_allclose(batch, single, rtol=1e-10, atol=1e-16)


def test_bias_gradient_is_mean_of_error_terms(rng):
    net = bp.Network([6, 5, 4], seed=2)
    X, labels = rng.random((9, 6)), rng.integers(0, 4, 9)
    errors, grad = net.errors(X, labels), net.gradient(X, labels)
    for delta, gb, gw, a in zip(errors, grad.biases, grad.weights, net.forward(X).activations):
        np.testing.assert_allclose(gb, delta.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(gw, delta.T @ a / len(X), rtol=1e-12)


def test_cross_entropy_outputs_are_probabilities(rng):
    net = bp.Network([5, 4, 3], cost="cross_entropy")
    out = net.output(rng.random((4, 5)))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(out > 0)


def test_predict_picks_most_active_output(rng):
    net = bp.Network([5, 4, 3], seed=4)
    X = rng.random((8, 5))
    np.testing.assert_array_equal(net.predict(X), np.argmax(net.output(X), axis=1))


def test_sigmoid_of_huge_inputs_gives_no_overflow_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = bp.sigmoid(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]))
        slope = bp.sigmoid_prime(np.array([-1e4, 1e4]))
    np.testing.assert_allclose(out, [0.0, 1 / (1 + np.exp(50.0)), 0.5, 1 / (1 + np.exp(-50.0)), 1.0])
    np.testing.assert_array_equal(slope, [0.0, 0.0])


def test_sigmoid_keeps_float32_and_reads_unsigned_integers_as_numbers():
    z32 = np.array([-100.0, -3.0, 0.0, 3.0, 100.0], np.float32)
    out = bp.sigmoid(z32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-z32.astype(np.float64))), rtol=1e-6,
                               atol=1e-37)    # below -88, exp(-z) overflows and gives 0
    np.testing.assert_allclose(bp.sigmoid(np.array([0, 2], np.uint8)),
                               [0.5, 1 / (1 + np.exp(-2.0))])    # -2 is not 254


@pytest.mark.parametrize("rows", [1, 63, 64, 65, 100, 129, 1000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_in_blocks_equal_one_product(rows, dtype):
    """The engine's blocked products give the lesson's numbers (up to float rounding)."""
    from backprop.engine.blocks import sum_over_examples, weighted_inputs
    from backprop.network import weighted_inputs as lesson_weighted_inputs
    rng = np.random.default_rng(rows)
    a = rng.random((rows, 784)).astype(dtype)
    w, b = rng.normal(size=(16, 784)).astype(dtype), rng.normal(size=16).astype(dtype)
    rtol, atol = (1e-5, 1e-4) if dtype == np.float32 else (1e-12, 1e-10)
    z = weighted_inputs(a, w, b)
    assert z.shape == (rows, 16) and z.dtype == dtype
    exact = a.astype(np.float64) @ w.T.astype(np.float64) + b
    np.testing.assert_allclose(z, exact, rtol=rtol, atol=atol)
    np.testing.assert_allclose(lesson_weighted_inputs(a, w, b), exact, rtol=rtol, atol=atol)
    delta = rng.normal(size=(rows, 16)).astype(dtype)
    out, scratch = np.empty((16, 784), dtype), np.empty((16, 784), dtype)
    sum_over_examples(delta, a, out, scratch)
    np.testing.assert_allclose(out, delta.T.astype(np.float64) @ a, rtol=rtol,
                               atol=atol * np.sqrt(rows))


def test_softmax_of_huge_scores_is_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = bp.softmax(np.array([[1e4, 0.0, -1e4]]))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])


def test_flat_vector_round_trip():
    net = bp.Network(seed=5)
    v = net.to_vector()
    assert v.shape == (13002,)
    other = bp.Network(seed=6).load_vector(v)
    for a, b in zip(net.weights + net.biases, other.weights + other.biases):
        np.testing.assert_array_equal(a, b)
    w, b = bp.unflatten(v, net.sizes)
    np.testing.assert_array_equal(bp.flatten(w, b), v)


def test_copy_is_independent():
    net = bp.Network([3, 2], seed=0)
    twin = net.copy()
    twin.weights[0][0, 0] += 1.0
    assert net.weights[0][0, 0] != twin.weights[0][0, 0]


def test_float32_network_computes_in_float32(rng):
    net = bp.Network(seed=0, dtype=np.float32)
    X, labels = rng.random((4, 784)), rng.integers(0, 10, 4)
    assert net.forward(X).activations[-1].dtype == np.float32
    assert net.gradient(X, labels).weights[0].dtype == np.float32
    net64 = bp.Network(seed=0)
    assert net.cost(X, labels) == pytest.approx(net64.cost(X, labels), rel=1e-5)


@pytest.mark.parametrize("X, labels, message", [
    (np.zeros((3, 783)), [1, 2, 3], "wrong input width"),
    (np.zeros((3, 784)), [1, 2], "different lengths"),
    (np.zeros((3, 784)), np.zeros((2, 10)), "different lengths"),
    (np.zeros((2, 784)), [3, 10], "labels outside 0-9"),
    (np.zeros((2, 784)), [-1, 2], "labels outside 0-9"),
    (np.full((2, 784), np.nan), [1, 2], "NaN or inf"),
    (np.full((2, 784), np.inf), [1, 2], "NaN or inf"),
    (np.zeros((0, 784)), [], "empty batch"),
    (np.zeros((2, 784)), [0.5, 1], "whole numbers"),
    (np.zeros((2, 784)), np.zeros((2, 9)), "one-hot"),
])
def test_bad_input_raises_one_clear_error(X, labels, message):
    net = bp.Network(seed=0)
    before = net.to_vector()
    for call in (net.cost, net.gradient, net.errors):
        with pytest.raises(ValueError, match=message):
            call(X, labels)
    np.testing.assert_array_equal(net.to_vector(), before)


@pytest.mark.parametrize("sizes", [[784], [784, 0, 10], [784, 16.5, 10], []])
def test_bad_layer_sizes_are_rejected(sizes):
    with pytest.raises(ValueError, match="layer"):
        bp.Network(sizes)


def test_unknown_activation_and_cost_are_named():
    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        bp.Network(activation="tanh")
    with pytest.raises(ValueError, match="unknown cost 'hinge'"):
        bp.Network(cost="hinge")


def test_loading_a_wrong_length_vector_is_refused():
    net = bp.Network(seed=0)
    with pytest.raises(ValueError, match="13002 parameters"):
        net.load_vector(np.zeros(13001))


# ------------------------------------------------- wrong arguments, named before any change

@pytest.mark.parametrize("dtype", [int, np.int64, np.float16, np.complex128, None, "pixels", bool])
def test_only_float32_and_float64_are_parameter_types(dtype):
    with pytest.raises(ValueError, match="dtype must be np.float64 .exact. or np.float32"):
        bp.Network([3, 2], dtype=dtype)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, "garbage"])
def test_astype_refuses_other_types_and_leaves_the_network_alone(dtype):
    net = bp.Network([3, 2], seed=0)
    before = net.to_vector()
    with pytest.raises(ValueError, match="dtype must be"):
        net.astype(dtype)
    assert net.dtype == np.float64 and net.weights[0].dtype == np.float64
    np.testing.assert_array_equal(net.to_vector(), before)


@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float64")])
def test_float32_and_float64_are_accepted_in_any_spelling(dtype):
    assert bp.Network([3, 2], dtype=dtype).weights[0].dtype == np.dtype(dtype)


@pytest.mark.parametrize("sizes", [784, "784", None, 16.0])
def test_sizes_that_are_not_a_list_are_named(sizes):
    with pytest.raises(TypeError, match=r"sizes must be a list of layer widths, input first"):
        bp.Network(sizes)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, ValueError),
                                         (np.float64(2.0), ValueError), (True, TypeError),
                                         ("3", TypeError), (None, TypeError)])
def test_bad_seeds_are_named(seed, error):
    """A number that is no seed is a ValueError; something that is not a number, a TypeError."""
    with pytest.raises(error, match="seed must be a whole number >= 0"):
        bp.Network([3, 2], seed=seed)


def test_numpy_integer_seed_is_the_same_seed():
    np.testing.assert_array_equal(bp.Network([3, 2], seed=np.int64(4)).to_vector(),
                                  bp.Network([3, 2], seed=4).to_vector())


def test_a_network_too_large_for_memory_is_refused_up_front_with_its_size():
    sizes = [100_000, 1_000_000, 10]
    gigabytes = (100_000 * 1_000_000 + 1_000_000 + 1_000_000 * 10 + 10) * 8 / 1e9  # by hand
    with pytest.raises(ValueError, match=f"would need {gigabytes:,.1f} GB of memory"):
        bp.Network(sizes)
    with pytest.raises(ValueError, match=f"would need {gigabytes / 2:,.1f} GB"):
        bp.Network(sizes, dtype=np.float32)


@pytest.mark.parametrize("labels, words", [
    (["a", "b"], "Y must be whole numbers .digit classes 0-1.; got values of type <U1, e.g. 'a'"),
    (np.array([1, None], dtype=object), "Y must be whole numbers .digit classes.; found None"),
    ([True, False], "Y must be whole numbers"),
    ([1 + 2j, 0], "Y must be whole numbers"),
])
def test_labels_that_are_not_numbers_are_named(labels, words):
    net = bp.Network([3, 2], seed=0)
    with pytest.raises(ValueError, match=words):
        net.cost(np.zeros((2, 3)), labels)


def test_object_labels_holding_numbers_work_like_numbers():
    net = bp.Network([3, 2], seed=0)
    X = np.ones((2, 3)) / 3
    assert net.cost(X, np.array([1, 0], dtype=object)) == net.cost(X, [1, 0])


def test_ragged_inputs_are_named():
    with pytest.raises(ValueError, match="X must be an array of numbers"):
        bp.Network([2, 1]).output([[1.0, 2.0], [3.0]])


def test_string_inputs_and_targets_are_named():
    net = bp.Network([2, 2])
    with pytest.raises(ValueError, match="inputs must be real numbers"):
        net.output([["a", "b"]])
    with pytest.raises(ValueError, match="desired outputs must be real numbers"):
        net.cost([[0.5, 0.5]], np.array([["a", "b"]]))


def test_raw_pixels_0_to_255_raise_a_hint(rng):
    net = bp.Network(seed=0)
    raw = rng.integers(0, 256, (3, 784))
    with pytest.warns(bp.arguments.PixelScaleWarning, match="Divide by 255"):
        net.output(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.output(raw / 255)
        net.output(rng.normal(size=(3, 784)))  # not whole numbers: no hint
        bp.Network([4, 2]).output([[3, 200, 7, 1]])  # not an image: no hint


def test_one_hot_matches_the_identity_matrix_and_refuses_bad_labels():
    np.testing.assert_array_equal(bp.one_hot([2, 0, 9]), np.eye(10)[[2, 0, 9]])
    np.testing.assert_array_equal(bp.one_hot(1, 3), [[0.0, 1.0, 0.0]])
    for labels in ([-1], [10], [0.5], ["3"]):
        with pytest.raises(ValueError, match="labels"):
            bp.one_hot(labels)
    with pytest.raises(ValueError, match="n_classes must be a positive whole number"):
        bp.one_hot([0], 0)


@pytest.mark.parametrize("vector, words", [
    ("abc", "vector must hold real numbers"), (None, "vector must hold real numbers"),
    (np.ones(8) * (1 + 1j), "vector must hold real numbers"), (np.ones(8, bool), "real numbers"),
    (np.full(8, np.nan), "vector contains NaN or inf"), (np.ones((1, 8)), "has 8 parameters")])
def test_load_vector_refuses_what_is_not_a_parameter_vector(vector, words):
    net = bp.Network([3, 2], seed=0)
    before = net.to_vector()
    with pytest.raises(ValueError, match=words):
        net.load_vector(vector)
    np.testing.assert_array_equal(net.to_vector(), before)


@pytest.mark.parametrize("call", [bp.sigmoid, bp.sigmoid_prime, bp.relu, bp.relu_prime, bp.softmax])
@pytest.mark.parametrize("z", ["a", None, [1, "b"], np.array([1 + 1j])])
def test_activations_name_inputs_that_are_not_real_numbers(call, z):
    with pytest.raises(ValueError, match="z must hold real numbers"):
        call(z)


def test_count_parameters_names_sizes_that_are_not_a_list():
    with pytest.raises(TypeError, match="sizes must be a list of layer widths"):
        bp.count_parameters(784)
    assert bp.count_parameters([784, 16, 16, 10]) == 784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10
