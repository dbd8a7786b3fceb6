"""Mini-batch SGD: batches, steps, histories, reproducibility, bad settings, divergence."""
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.engine.divergence import CHECK_EVERY, has_diverged


def test_shuffled_batches_partition_the_examples():
    batches = list(bp.shuffled_batches(23, 5, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(23))
    assert not np.array_equal(np.concatenate(batches), np.arange(23))


def test_sgd_step_moves_against_the_gradient(rng):
    net = bp.Network([4, 3, 2], seed=0)
    X, labels = rng.random((5, 4)), [0, 1, 1, 0, 1]
    before, grad = net.to_vector(), net.gradient(X, labels)
    bp.sgd_step(net, grad, 0.5)
    np.testing.assert_allclose(net.to_vector(), before - 0.5 * grad.to_vector(), rtol=1e-15)


def test_small_step_lowers_the_cost(rng):
    net = bp.Network([4, 3, 2], seed=0)
    X, labels = rng.random((5, 4)), [0, 1, 1, 0, 1]
    cost = net.cost(X, labels)
    bp.sgd_step(net, net.gradient(X, labels), 0.1)
    assert net.cost(X, labels) < cost


def test_learning_rate_decays_per_epoch():
    assert [bp.learning_rate_at(e, 2.0, 0.5) for e in range(3)] == [2.0, 2.0 / 1.5, 1.0]


@pytest.mark.parametrize("loop", [bp.sgd, bp.train])
def test_weight_decay_alone_moves_a_weight_from_a_blank_input(loop, rng):
    X, labels = rng.random((60, 5)), rng.integers(0, 3, 60)
    X[:, 2] = 0.0                                   # input 2 is blank in every example
    net = bp.Network([5, 4, 3], seed=0)
    start = net.weights[0].copy()
    kwargs = {} if loop is bp.sgd else {"progress": False}
    history = loop(net, X, labels, epochs=4, learning_rate=2.0, batch_size=20, lr_decay=0.5,
                   weight_decay=0.01, **kwargs)
    shrink = bp.training.weight_decay_shrink(history.learning_rates, 60 // 20, 0.01)
    by_hand = 1.0
    for rate in [2.0, 2.0 / 1.5, 1.0, 2.0 / 2.5]:     # the four epochs' rates
        by_hand *= (1 - rate * 0.01) ** 3
    assert shrink == pytest.approx(by_hand, rel=1e-12) and shrink < 1
    np.testing.assert_allclose(net.weights[0][:, 2], shrink * start[:, 2], rtol=1e-12)
    moved = net.weights[0][:, [0, 1, 3, 4]] - shrink * start[:, [0, 1, 3, 4]]
    assert np.all(np.abs(moved) > 1e-6)             # the gradient moved the other weights too


def test_weight_decay_shrink_names_bad_arguments():
    with pytest.raises(TypeError, match="learning_rates must be a list"):
        bp.training.weight_decay_shrink(0.5, 10, 0.01)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        bp.training.weight_decay_shrink([0.5], 0, 0.01)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        bp.training.weight_decay_shrink([0.5], 10, -1.0)
    assert bp.training.weight_decay_shrink([0.5, 0.25], 10, 0.0) == 1.0


def test_training_on_mnist_lowers_cost_and_beats_chance(mnist):
    (X, labels), (X_test, labels_test) = mnist
    net = bp.Network(seed=0)
    untrained = bp.accuracy(net, X_test[:2000], labels_test[:2000])
    cost_before = net.cost(X[:3000], labels[:3000])
    history = bp.train(net, X[:3000], labels[:3000], epochs=5, learning_rate=3.0, batch_size=20,
                       test_data=(X_test[:2000], labels_test[:2000]), progress=False)
    assert net.cost(X[:3000], labels[:3000]) < 0.5 * cost_before
    assert untrained < 0.2
    assert history.test_accuracy[-1] > 0.8
    assert len(history.step_costs) == 5 * 150
    assert len(history.train_accuracy) == len(history.test_accuracy) == 5
    assert np.mean(history.step_costs[-150:]) < np.mean(history.step_costs[:150])
    assert history.train_accuracy[-1] == bp.accuracy(net, X[:3000], labels[:3000])


def test_same_seed_gives_identical_training_history(rng):
    X, labels = rng.random((200, 784)), rng.integers(0, 10, 200)
    runs = []
    for _ in range(2):
        net = bp.Network(seed=1)
        runs.append((bp.train(net, X, labels, epochs=2, learning_rate=1.0, batch_size=16, seed=4,
                              progress=False), net.to_vector()))
    assert runs[0][0].step_costs == runs[1][0].step_costs
    assert runs[0][0].train_accuracy == runs[1][0].train_accuracy
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = bp.train(bp.Network(seed=1), X, labels, epochs=2, batch_size=16, seed=5, progress=False)
    assert other.step_costs != runs[0][0].step_costs


def test_per_example_loop_trains_exactly_like_the_vectorised_pass(rng):
    X, labels = rng.random((60, 784)), rng.integers(0, 10, 60)
    fast, slow = bp.Network(seed=2), bp.Network(seed=2)
    h_fast = bp.train(fast, X, labels, epochs=2, batch_size=10, progress=False)
    h_slow = bp.train(slow, X, labels, epochs=2, batch_size=10, progress=False, per_example=True)
    np.testing.assert_allclose(h_fast.step_costs, h_slow.step_costs, rtol=1e-10)
    np.testing.assert_allclose(fast.to_vector(), slow.to_vector(), rtol=1e-9, atol=1e-12)


def test_float32_training_keeps_float32_parameters(rng):
    X, labels = rng.random((100, 784)), rng.integers(0, 10, 100)
    net = bp.Network(seed=0)
    bp.train(net, X, labels, epochs=1, batch_size=10, dtype=np.float32, progress=False)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)


def test_callback_sees_every_step(rng):
    X, labels = rng.random((50, 784)), rng.integers(0, 10, 50)
    seen = []
    bp.train(bp.Network(seed=0), X, labels, epochs=2, batch_size=20, progress=False,
             callback=lambda step, cost, net: seen.append((step, cost)))
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5, 6]


def test_examples_seen_counts_batches(rng):
    X, labels = rng.random((40, 784)), rng.integers(0, 10, 40)
    h = bp.train(bp.Network(seed=0), X, labels, epochs=1, batch_size=10, progress=False)
    np.testing.assert_array_equal(h.examples_seen, [10, 20, 30, 40])


@pytest.mark.parametrize("settings, message", [
    (dict(batch_size=0), "batch size must be a positive whole number"),
    (dict(batch_size=-5), "batch size must be a positive whole number"),
    (dict(batch_size=2.5), "batch size must be a positive whole number"),
    (dict(learning_rate=-0.1), "learning rate must be a finite number >= 0"),
    (dict(learning_rate=float("nan")), "learning rate must be a finite number >= 0"),
    (dict(epochs=0), "epochs must be a positive whole number"),
    (dict(weight_decay=-1.0), "weight decay must be a finite number >= 0"),
])
def test_bad_training_settings_raise_before_anything_changes(settings, message, rng):
    net = bp.Network(seed=0)
    before = net.to_vector()
    with pytest.raises(ValueError, match=message):
        bp.train(net, rng.random((10, 784)), np.arange(10), progress=False, **settings)
    np.testing.assert_array_equal(net.to_vector(), before)


def test_bad_training_data_raises(rng):
    with pytest.raises(ValueError, match="different lengths"):
        bp.train(bp.Network(), rng.random((10, 784)), np.arange(9), progress=False)
    with pytest.raises(ValueError, match="labels outside 0-9"):
        bp.train(bp.Network(), rng.random((2, 784)), [1, 12], progress=False)
    with pytest.raises(ValueError, match="test images and test labels"):
        bp.train(bp.Network(), rng.random((2, 784)), [1, 2], progress=False,
                 test_data=(rng.random((3, 784)), [1, 2]))


def test_divergent_learning_rate_stops_with_warning_and_keeps_last_good_parameters(rng):
    X, labels = rng.random((200, 784)), rng.integers(0, 10, 200)
    net = bp.Network(activation="relu", seed=0)
    start = net.to_vector()
    snapshots = []
    with pytest.warns(bp.DivergenceWarning, match="learning rate 3 is too large"):
        history = bp.train(net, X, labels, epochs=5, learning_rate=3.0, batch_size=10,
                           progress=False, callback=lambda s, c, n: snapshots.append(n.to_vector()))
    assert history.diverged
    assert len(history.step_costs) < 5 * 20
    # kept: the parameters last checked and saved, after history.kept_steps steps
    assert history.kept_steps % CHECK_EVERY == 0
    expected = snapshots[history.kept_steps - 1] if history.kept_steps else start
    np.testing.assert_array_equal(net.to_vector(), expected)
    assert np.isfinite(net.cost(X, labels))


def test_divergence_rule():
    assert has_diverged(float("nan"), 2.0)
    assert has_diverged(float("inf"), 2.0)
    assert has_diverged(2500.0, 2.0)
    assert not has_diverged(900.0, 0.01)   # the starting cost counts as at least 1
    assert not has_diverged(30.0, 2.3)


def test_a_short_run_that_ends_saturated_is_reported_and_rolled_back():
    # Six steps never reach the regular check every 16 steps: the end of each epoch checks.
    rng = np.random.default_rng(0)
    X, labels = rng.random((20, 784)), np.arange(20) % 10
    net = bp.Network(seed=0)
    start = net.to_vector()
    with pytest.warns(bp.DivergenceWarning, match="saturated at wrong values"):
        history = bp.train(net, X, labels, learning_rate=1e3, epochs=3, batch_size=10,
                           progress=False)
    assert history.diverged and history.kept_steps == 0
    np.testing.assert_array_equal(net.to_vector(), start)
