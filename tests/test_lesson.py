"""The lesson's quantities against independent computations.

References: hand computations, the one-example teaching loop
(``Network.example_gradient``), and finite differences written here from
scratch (a forward pass from a chosen layer onwards).
"""
import numpy as np
import pytest

import backprop as bp
from backprop import lesson


@pytest.fixture(scope="module")
def net():
    return bp.Network(seed=3)


@pytest.fixture(scope="module")
def example():
    rng = np.random.default_rng(7)
    return rng.random(784) * (rng.random(784) < 0.3), 4  # sparse "ink" like a digit


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(8)
    return rng.random((40, 784)) * (rng.random((40, 784)) < 0.3), rng.integers(0, 10, 40)


def cost_from_layer(net, activations, layer, label):
    """One example's quadratic cost computed from layer ``layer``'s activations onwards."""
    a = activations
    for w, b in zip(net.weights[layer:], net.biases[layer:]):
        a = 1.0 / (1.0 + np.exp(-(w @ a + b)))
    return np.sum((a - np.eye(10)[label]) ** 2)


def central_slopes(f, point, eps=1e-6):
    slopes = np.empty_like(point)
    for k in range(point.size):
        up, down = point.copy(), point.copy()
        up[k] += eps
        down[k] -= eps
        slopes[k] = (f(up) - f(down)) / (2 * eps)
    return slopes


# ----- chapter 1 ---------------------------------------------------------------------
def test_parameters_per_layer_add_up_to_the_networks_count():
    counts = lesson.parameters_per_layer([784, 16, 16, 10])
    assert counts == [(784 * 16, 16), (16 * 16, 16), (16 * 10, 10)]
    assert sum(w + b for w, b in counts) == bp.Network().n_params == 13002


def test_neuron_sum_is_weights_times_activations_plus_bias_then_sigmoid(net, example):
    x, _ = example
    piece = lesson.neuron_sum(net, x, layer=2, neuron=5)
    hidden = 1 / (1 + np.exp(-(net.weights[0] @ x + net.biases[0])))
    by_hand = sum(w * a for w, a in zip(net.weights[1][5], hidden)) + net.biases[1][5]
    assert np.allclose(piece.previous_activations, hidden)
    assert piece.z == pytest.approx(by_hand, abs=1e-12)
    assert piece.activation == pytest.approx(1 / (1 + np.exp(-by_hand)), abs=1e-12)


def test_cost_terms_are_squared_differences_adding_up_to_the_example_cost(net, example):
    x, label = example
    output = net.output(x)[0]
    terms = lesson.cost_terms(output, label)
    assert terms[label] == pytest.approx((output[label] - 1) ** 2)
    assert terms[0] == pytest.approx(output[0] ** 2)
    assert terms.sum() == pytest.approx(net.costs_per_example(x, [label])[0])


# ----- chapter 2 ---------------------------------------------------------------------
def test_param_at_follows_the_flat_parameter_order(net):
    vector = net.to_vector()
    for position in [0, 783, 784, 12543, 12544, 12559, 12560, 12815, 12816, 12831, 12832, 13001]:
        p = lesson.param_at(net.sizes, position)
        arrays = net.weights if p.kind == "weight" else net.biases
        assert arrays[p.layer - 1][p.index] == vector[position]
    assert lesson.param_at(net.sizes, 12544) == lesson.Param(1, "bias", (0,))
    assert lesson.param_at(net.sizes, 12560).label == "w2[0, 0]"
    with pytest.raises(ValueError, match="outside"):
        lesson.param_at(net.sizes, 13002)


def test_sensitivity_ranking_lists_components_by_size(net, batch):
    g = net.gradient(*batch)
    ranking = lesson.sensitivity_ranking(g, top=None)
    sizes = np.abs([v for _, v in ranking])
    assert len(ranking) == net.n_params
    assert np.all(np.diff(sizes) <= 0)
    assert sizes[0] == np.abs(g.to_vector()).max()
    assert all(lesson.sensitivity(g, p) == v for p, v in ranking[:50])
    assert len(lesson.sensitivity_ranking(g, top=5)) == 5


def test_measured_cost_change_matches_the_gradient_for_a_small_wiggle(net, batch):
    g = net.gradient(*batch)
    for p, _ in lesson.sensitivity_ranking(g, top=3) + [(lesson.Param(1, "weight", (2, 300)), 0)]:
        measured = lesson.measured_cost_change(net, *batch, p, 1e-5)
        predicted = lesson.predicted_cost_change(g, p, 1e-5)
        assert measured == pytest.approx(predicted, rel=1e-3, abs=1e-15)


def test_measured_cost_change_is_a_real_difference_of_costs_and_restores_the_network(net, batch):
    p = lesson.Param(2, "bias", (3,))
    before = net.to_vector()
    changed = net.copy()
    changed.biases[1][3] += 0.5
    expected = changed.cost(*batch) - net.cost(*batch)
    assert lesson.measured_cost_change(net, *batch, p, 0.5) == pytest.approx(expected, abs=1e-14)
    assert np.array_equal(net.to_vector(), before)
    curve = lesson.cost_change_curve(net, *batch, p, [-0.5, 0.0, 0.5])
    assert curve[1] == 0 and curve[2] == pytest.approx(expected, abs=1e-14)


def test_sensitivity_ratio_measured_agrees_with_the_gradient_ratio(net, batch):
    g = net.gradient(*batch)
    ranking = lesson.sensitivity_ranking(g, top=None)
    ratio = lesson.sensitivity_ratio(net, *batch, ranking[0][0], ranking[500][0], 1e-5)
    assert ratio.predicted == pytest.approx(ranking[0][1] / ranking[500][1])
    assert ratio.measured == pytest.approx(ratio.predicted, rel=1e-3)


def test_bad_parameters_raise_one_value_error_naming_the_problem(net):
    g = net.gradient(np.zeros(784), [0])
    with pytest.raises(ValueError, match="kind"):
        lesson.sensitivity(g, lesson.Param(1, "weights", (0, 0)))
    with pytest.raises(ValueError, match="layer 4"):
        lesson.sensitivity(g, lesson.Param(4, "bias", (0,)))
    with pytest.raises(ValueError, match="outside"):
        lesson.sensitivity(g, lesson.Param(3, "weight", (10, 0)))


# ----- chapter 3 ---------------------------------------------------------------------
def test_desired_nudges_are_target_minus_output():
    output = np.array([0.2, 0.9, 0.5])
    assert np.allclose(lesson.desired_nudges(output, 1), [-0.2, 0.1, -0.5])
    with pytest.raises(ValueError, match="labels"):
        lesson.desired_nudges(output, 3)


def test_three_avenues_equal_minus_the_example_gradient_terms(net, example):
    x, label = example
    loop = net.example_gradient(x, label)  # the classic one-example loop
    for layer, neuron in [(3, label), (3, 0), (2, 7), (1, 11)]:
        avenues = lesson.three_avenues(net, x, label, neuron, layer)
        assert avenues.bias == pytest.approx(-loop.biases[layer - 1][neuron], abs=1e-15)
        assert np.allclose(avenues.weights, -loop.weights[layer - 1][neuron], atol=1e-15)


def test_output_push_is_twice_the_slope_times_the_desired_nudge(net, example):
    x, label = example
    fwd = net.forward(x)
    nudges = lesson.desired_nudges(fwd.activations[-1][0], label)
    for j in range(10):
        push = lesson.three_avenues(net, x, label, j).push
        assert push == pytest.approx(2 * bp.sigmoid_prime(fwd.zs[-1][0, j]) * nudges[j])


def test_previous_activation_avenues_add_up_to_minus_dcost_by_dactivation(net, example):
    x, label = example
    hidden = net.forward(x).activations[2][0]
    slopes = central_slopes(lambda a: cost_from_layer(net, a, 2, label), hidden)
    total = sum(lesson.three_avenues(net, x, label, j).wish_parts for j in range(10))
    assert np.allclose(total, -slopes, atol=1e-8)


def test_one_neurons_previous_activation_avenue_matches_its_own_cost_term(net, example):
    x, label = example
    hidden = net.forward(x).activations[2][0]
    j = 6

    def term(a):  # the part of the cost that output neuron j is responsible for
        out = 1 / (1 + np.exp(-(net.weights[2][j] @ a + net.biases[2][j])))
        return (out - (j == label)) ** 2

    avenue = lesson.three_avenues(net, x, label, j).wish_parts
    assert np.allclose(avenue, -central_slopes(term, hidden), atol=1e-8)


def test_hebbian_update_is_post_activation_times_pre_activation():
    assert np.array_equal(lesson.hebbian_update([1.0, 2.0, 0.0], [3.0, -1.0]),
                          [[3.0, 6.0, 0.0], [-1.0, -2.0, 0.0]])


def test_hebbian_similarity_is_the_cosine_between_updates():
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert lesson.hebbian_similarity(a, 3 * a) == pytest.approx(1.0)
    assert lesson.hebbian_similarity(a, -a) == pytest.approx(-1.0)
    assert lesson.hebbian_similarity(a, [[0.0, 5.0], [1.0, 0.0]]) == pytest.approx(0.0)
    assert lesson.hebbian_similarity([1.0, 1.0], [1.0, 0.0]) == pytest.approx(1 / np.sqrt(2))
    with pytest.raises(ValueError, match="all zeros"):
        lesson.hebbian_similarity(a, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="same shape"):
        lesson.hebbian_similarity(a, np.ones(3))


def test_sign_agreement_counts_entries_pushed_the_same_way():
    assert lesson.sign_agreement([1.0, -2.0, 3.0, -4.0], [2.0, 1.0, 5.0, -1.0]) == 0.75


def test_compare_with_hebbian_rows_are_factors_times_previous_activations(net, example):
    x, label = example
    fwd = net.forward(x)
    hidden, out = fwd.activations[2][0], fwd.activations[3][0]
    k = lesson.compare_with_hebbian(net, x, label)
    pushes = np.array([lesson.three_avenues(net, x, label, j).push for j in range(10)])
    assert np.allclose(k.nudges, np.outer(pushes, hidden))
    assert np.allclose(k.nudges, -net.example_gradient(x, label).weights[2])
    assert np.allclose(k.hebbian, np.outer(out, hidden))
    # cosine of two outer products with the same right factor = cosine of the left factors
    cosine = pushes @ out / np.linalg.norm(pushes) / np.linalg.norm(out)
    assert k.similarity == pytest.approx(cosine)


# ----- chapter 4 ---------------------------------------------------------------------
def test_wish_parts_weight_each_push_by_its_connection_and_add_up_to_the_wishes():
    weights = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    parts = lesson.wish_parts(weights, [2.0, -1.0])
    assert np.array_equal(parts, [[2.0, -4.0, 1.0], [-3.0, 0.0, 1.0]])
    assert np.array_equal(lesson.wishes_from_pushes(weights, [2.0, -1.0]), [-1.0, -4.0, 2.0])
    assert np.array_equal(lesson.wishes_from_pushes(weights, [2.0, -1.0]), parts.sum(axis=0))
    with pytest.raises(ValueError, match="pushes"):
        lesson.wishes_from_pushes(weights, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_slope_times_summed_wishes_is_minus_backprops_error_term(activation, example):
    x, label = example
    net = bp.Network(activation=activation, seed=5)
    steps = lesson.backward_steps(net, x, label)
    assert [s.layer for s in steps] == [3, 2, 1, 0]
    errors = net.errors(x, [label])
    for s in steps[:-1]:
        assert np.allclose(s.pushes, -errors[s.layer - 1][0], atol=1e-15)
        assert np.array_equal(s.delta, errors[s.layer - 1][0])
    for s, after in zip(steps[1:], steps):
        assert np.allclose(s.wishes, net.weights[s.layer].T @ after.pushes)
        assert np.array_equal(s.wish_parts.sum(axis=0), s.wishes)
    assert steps[0].wish_parts is None
    assert steps[-1].pushes is None and steps[-1].delta is None


def test_summed_wishes_are_minus_dcost_by_dactivation_by_finite_differences(net, example):
    x, label = example
    steps = lesson.backward_steps(net, x, label)
    wished = 2 * lesson.desired_nudges(steps[0].activations, label)
    assert np.allclose(steps[0].wishes, wished)
    for s in steps[1:3]:
        slopes = central_slopes(lambda a: cost_from_layer(net, a, s.layer, label), s.activations)
        assert np.allclose(s.wishes, -slopes, atol=1e-8)


def test_first_layer_weight_nudges_follow_from_layer_one_pushes(net, example):
    x, label = example
    pushes = lesson.backward_steps(net, x, label)[2].pushes
    assert np.allclose(np.outer(pushes, x), -net.example_gradient(x, label).weights[0])


def test_backward_steps_reject_a_cost_the_lesson_does_not_use(example):
    with pytest.raises(ValueError, match="quadratic"):
        lesson.backward_steps(bp.Network(cost="cross_entropy"), *example)


def test_one_example_functions_reject_a_batch(net, batch):
    with pytest.raises(ValueError, match="one example"):
        lesson.three_avenues(net, batch[0], 3, 0)
    with pytest.raises(ValueError, match="neurons 0 to 9"):
        lesson.three_avenues(net, batch[0][0], 3, 10)


# ----- chapter 4: how much the pushes shrink on the way back ---------------------------
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_shrink_by_layer_averages_the_backward_walk_of_each_example(activation, batch):
    """Batch means equal the mean, over examples, of one walk's means (a plain loop)."""
    net = bp.Network((784, 12, 8, 6, 10), activation=activation, seed=5)
    X, labels = batch
    rows = lesson.shrink_by_layer(net, X, labels)
    walks = [lesson.backward_steps(net, x, label) for x, label in zip(X, labels)]
    assert [row.layer for row in rows] == [4, 3, 2, 1]
    for i, row in enumerate(rows):
        wish = np.mean([np.abs(walk[i].wishes).mean() for walk in walks])
        push = np.mean([np.abs(walk[i].pushes).mean() for walk in walks])
        assert np.isclose(row.wish, wish, rtol=1e-12) and np.isclose(row.push, push, rtol=1e-12)
        assert np.isclose(row.slope_factor, push / wish, rtol=1e-12)
        if i == 0:
            assert row.weight_factor is None
        else:
            assert np.isclose(row.weight_factor, wish / rows[i - 1].push, rtol=1e-12)


def test_shrink_by_layer_of_one_example_by_hand(net, example):
    """Output row from the definitions: wish = 2 (y - a), push = sigmoid'(z) x wish."""
    x, label = example
    row = lesson.shrink_by_layer(net, x[np.newaxis], [label])[0]
    forward = net.forward(x[np.newaxis])
    a, z = forward.activations[-1][0], forward.zs[-1][0]
    wishes = 2 * (np.eye(10)[label] - a)
    pushes = wishes * bp.sigmoid(z) * (1 - bp.sigmoid(z))
    assert row.layer == 3 and np.isclose(row.wish, np.abs(wishes).mean(), rtol=1e-12)
    assert np.isclose(row.push, np.abs(pushes).mean(), rtol=1e-12)
    assert row.slope_factor <= 0.25


def test_shrink_by_layer_rejects_other_costs_and_mismatched_labels(batch):
    X, labels = batch
    with pytest.raises(ValueError, match="quadratic"):
        lesson.shrink_by_layer(bp.Network(seed=0, cost="cross_entropy"), X, labels)
    with pytest.raises(ValueError, match="one digit per example"):
        lesson.shrink_by_layer(bp.Network(seed=0), X, labels[:-1])


# ----- chapter 2: steps of one length -------------------------------------------------
def test_cost_change_of_step_moves_every_parameter_and_restores_the_network(net, batch):
    before = net.to_vector()
    step = np.zeros(net.n_params)
    step[-1] = 0.5                                   # the last entry: bias b3[9]
    expected = lesson.measured_cost_change(net, *batch, lesson.Param(3, "bias", (9,)), 0.5)
    assert lesson.cost_change_of_step(net, *batch, step) == pytest.approx(expected, abs=1e-14)
    moved = net.copy()
    moved.weights[0] += 0.01
    moved.biases[1] -= 0.02
    whole = moved.to_vector() - before
    assert lesson.cost_change_of_step(net, *batch, whole) == pytest.approx(
        moved.cost(*batch) - net.cost(*batch), abs=1e-13)
    assert np.array_equal(net.to_vector(), before)


def test_a_small_step_against_the_gradient_beats_other_steps_of_its_length(net, batch):
    length = 1e-3
    steps = lesson.steps_of_equal_length(net, *batch, length, n_random=10, seed=1)
    g = net.gradient(*batch).to_vector()
    assert steps.gradient == pytest.approx(-length * np.linalg.norm(g), rel=1e-2)
    assert steps.gradient < steps.largest_only < 0
    assert steps.largest_only == pytest.approx(-length * np.abs(g).max(), rel=1e-2)
    assert steps.random.shape == (10,) and np.all(steps.gradient < steps.random)


def test_steps_reject_a_wrong_shape_and_a_length_that_is_not_positive(net, batch):
    with pytest.raises(ValueError, match="one change per parameter"):
        lesson.cost_change_of_step(net, *batch, np.zeros(5))
    with pytest.raises(ValueError, match="length must be positive"):
        lesson.steps_of_equal_length(net, *batch, 0.0)


def test_neighbour_correlation_tells_noise_from_smooth_images():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(16, 784))
    ramp = np.add.outer(np.arange(28.0), np.arange(28.0))      # smooth in both directions
    stripes = np.tile([1.0, -1.0], (28, 14))                     # each pixel unlike its right
    assert abs(lesson.neighbour_correlation(noise)) < 0.02
    assert lesson.neighbour_correlation(ramp) == pytest.approx(1.0)
    # stripes: -1 to the right, +1 below, so the two directions cancel
    assert lesson.neighbour_correlation(stripes) == pytest.approx(0.0, abs=1e-12)
    assert lesson.neighbour_correlation(ramp.ravel()) == lesson.neighbour_correlation(ramp)
