"""``train`` (the engine's fast run) against ``sgd``, the lesson's loop, as the oracle.

``train`` keeps the parameters in one flat vector, fuses the learning rate into the
backward pass and checks for divergence; ``backprop.training.sgd`` takes every step
the plain way (``shuffled_batches``, ``Network.cost_and_gradient``, ``sgd_step``).
These tests hold the two to the same parameters and the same History, and hold
``train``'s stops to the trajectory of the plain loop.
"""
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.engine.divergence import (CHECK_EVERY, DIVERGENCE_FACTOR, PARAMETER_LIMIT,
                                        STUCK_ERROR)


def lesson_loop(net, X, labels, **settings):
    """``bp.training.sgd`` with the parameter vector kept after every step:
    ``states[k]`` is the vector after ``k`` steps. Runs on through NaN."""
    states = [net.to_vector()]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        history = bp.training.sgd(net, X, labels,
                                  callback=lambda step, cost, n: states.append(n.to_vector()),
                                  **settings)
    return history, states


def assert_same_history(fast, plain, rtol):
    assert (fast.batch_size, fast.n_examples) == (plain.batch_size, plain.n_examples)
    assert (fast.diverged, fast.kept_steps) == (plain.diverged, plain.kept_steps) == (False, None)
    assert len(fast.step_costs) == len(plain.step_costs)
    np.testing.assert_allclose(fast.step_costs, plain.step_costs, rtol=rtol)
    np.testing.assert_allclose(fast.learning_rates, plain.learning_rates, rtol=1e-15)
    np.testing.assert_allclose(fast.train_accuracy, plain.train_accuracy, atol=0.011)
    np.testing.assert_allclose(fast.test_accuracy, plain.test_accuracy, atol=0.021)
    assert len(fast.epoch_seconds) == len(fast.learning_rates) and plain.epoch_seconds == []


@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, 1e-10, 1e-12),
                                               (np.float32, 2e-4, 2e-5)])
def test_train_gives_the_parameters_and_history_of_the_lesson_loop(dtype, rtol, atol, rng):
    X, labels = rng.random((95, 784)), rng.integers(0, 10, 95)   # last batch is short
    test = (rng.random((50, 784)), rng.integers(0, 10, 50))
    settings = dict(epochs=3, learning_rate=2.0, batch_size=20, seed=7, lr_decay=0.3,
                    weight_decay=1e-3, test_data=test)
    fast, plain = bp.Network(seed=3, dtype=dtype), bp.Network(seed=3, dtype=dtype)
    history = bp.train(fast, X, labels, progress=False, **settings)
    plain_history, states = lesson_loop(plain, X, labels, **settings)
    assert len(history.step_costs) == 3 * 5
    assert_same_history(history, plain_history, rtol)
    np.testing.assert_allclose(fast.to_vector(), states[-1], rtol=rtol, atol=atol)
    assert all(p.dtype == dtype for p in fast.weights + fast.biases)


def test_train_on_mnist_keeps_the_history_of_the_lesson_loop(mnist):
    (X, labels), (X_test, labels_test) = mnist
    settings = dict(epochs=2, learning_rate=3.0, batch_size=100, seed=1,
                    test_data=(X_test[:1000], labels_test[:1000]))
    fast, plain = bp.Network(seed=0), bp.Network(seed=0)
    history = bp.train(fast, X[:3000], labels[:3000], progress=False, **settings)
    plain_history, states = lesson_loop(plain, X[:3000], labels[:3000], **settings)
    assert_same_history(history, plain_history, rtol=1e-9)
    assert history.train_accuracy == plain_history.train_accuracy
    assert history.test_accuracy == plain_history.test_accuracy
    np.testing.assert_allclose(fast.to_vector(), states[-1], rtol=1e-9, atol=1e-12)


def test_per_example_path_gives_the_parameters_of_the_lesson_loop(rng):
    X, labels = rng.random((30, 784)), rng.integers(0, 10, 30)
    fast, plain = bp.Network(seed=1), bp.Network(seed=1)
    history = bp.train(fast, X, labels, epochs=2, learning_rate=1.0, batch_size=7,
                       per_example=True, progress=False)
    plain_history, states = lesson_loop(plain, X, labels, epochs=2, learning_rate=1.0,
                                        batch_size=7)
    assert_same_history(history, plain_history, rtol=1e-10)
    np.testing.assert_allclose(fast.to_vector(), states[-1], rtol=1e-10, atol=1e-12)


def test_the_lesson_loop_checks_its_arguments_like_train(rng):
    X, labels = rng.random((20, 784)), rng.integers(0, 10, 20)
    net = bp.Network(seed=0)
    before = net.to_vector()
    for settings, message in [(dict(batch_size=0), "batch size"), (dict(seed=-1), "seed"),
                              (dict(learning_rate=-1.0), "learning rate"),
                              (dict(test_data="test"), "test_data must be a pair")]:
        with pytest.raises(ValueError, match=message):
            bp.training.sgd(net, X, labels, **settings)
    with pytest.raises(TypeError, match="net must be a backprop.Network"):
        bp.training.sgd("net", X, labels)
    np.testing.assert_array_equal(net.to_vector(), before)


def test_a_callback_sees_the_same_costs_the_history_keeps(rng):
    X, labels = rng.random((90, 784)), rng.integers(0, 10, 90)
    seen = []
    with_callback = bp.train(bp.Network(seed=0), X, labels, epochs=2, batch_size=4,
                             progress=False, callback=lambda s, c, n: seen.append(c))
    without = bp.train(bp.Network(seed=0), X, labels, epochs=2, batch_size=4, progress=False)
    assert seen == with_callback.step_costs == without.step_costs
    assert len(seen) == 2 * 23


def test_network_keeps_its_own_arrays_and_they_are_updated(rng):
    X, labels = rng.random((40, 784)), rng.integers(0, 10, 40)
    net = bp.Network(seed=0)
    arrays, before = net.weights + net.biases, net.to_vector()
    bp.train(net, X, labels, epochs=1, batch_size=10, progress=False)
    assert all(a is b for a, b in zip(net.weights + net.biases, arrays))
    assert not np.array_equal(net.to_vector(), before)
    other = net.copy()
    other.weights[0][0, 0] += 1.0                  # no shared memory left behind
    assert net.weights[0][0, 0] != other.weights[0][0, 0]


def test_parameters_a_callback_loads_are_trained_on(rng):
    X, labels = rng.random((40, 784)), rng.integers(0, 10, 40)
    reset = bp.Network(seed=9).to_vector()

    def load_at_step_2(step, cost, net):
        if step == 2:
            net.load_vector(reset)

    net, plain = bp.Network(seed=0), bp.Network(seed=0)
    bp.train(net, X, labels, epochs=1, batch_size=10, seed=4, progress=False,
             callback=load_at_step_2)
    bp.training.sgd(plain, X, labels, epochs=1, batch_size=10, seed=4, callback=load_at_step_2)
    np.testing.assert_allclose(net.to_vector(), plain.to_vector(), rtol=1e-10, atol=1e-12)


def test_examples_seen_counts_the_short_last_batch(rng):
    X, labels = rng.random((25, 784)), rng.integers(0, 10, 25)
    history = bp.train(bp.Network(seed=0), X, labels, epochs=2, batch_size=10, progress=False)
    np.testing.assert_array_equal(history.examples_seen, [10, 20, 25, 35, 45, 50])


# ----- divergence ------------------------------------------------------------------

@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_huge_rate_on_the_courses_sigmoid_network_is_reported(cost, rng):
    X, labels = rng.random((200, 784)), rng.integers(0, 10, 200)
    net = bp.Network(cost=cost, seed=0)
    start = net.to_vector()
    with pytest.warns(bp.DivergenceWarning, match="learning rate 1e\\+06 is too large"):
        history = bp.train(net, X, labels, epochs=2, learning_rate=1e6, batch_size=10,
                           progress=False)
    assert history.diverged and history.kept_steps == 0
    np.testing.assert_array_equal(net.to_vector(), start)   # the last good parameters


def test_a_bounded_cost_that_stays_far_above_its_start_is_reported(rng):
    X, labels = rng.random((300, 784)), rng.integers(0, 10, 300)
    net = bp.Network(cost="cross_entropy", seed=0)      # clipped: it cannot grow 1000x
    with pytest.warns(bp.DivergenceWarning, match="the cost rose to"):
        history = bp.train(net, X, labels, epochs=3, learning_rate=100.0, batch_size=10,
                           progress=False)
    assert history.diverged
    recent = history.step_costs[-CHECK_EVERY:]
    assert np.mean(recent) > 10 * history.step_costs[0]


def test_a_network_saturated_by_a_large_rate_is_reported_as_stuck(mnist):
    (X, labels), _ = mnist
    net = bp.Network(seed=0, dtype=np.float32)
    with pytest.warns(bp.DivergenceWarning, match="outputs are saturated at wrong values"):
        history = bp.train(net, X[:3000], labels[:3000], epochs=2, learning_rate=30.0,
                           batch_size=10, progress=False)
    assert history.diverged and history.kept_steps < len(history.step_costs)
    # the kept network's outputs can still be moved: their error terms have not vanished
    gradient = net.gradient(X[:100], labels[:100])
    assert np.max(np.abs(gradient.biases[-1])) > STUCK_ERROR


def one_wrong_image_network(n_wrong: int, n_examples: int = 40) -> tuple:
    """A 2-3-2 network sure of its answers: every image is [0, 1] (answered right)
    except the first ``n_wrong``, [1, 0], answered wrong with saturated outputs."""
    net = bp.Network((2, 3, 2), seed=0)
    net.weights = [np.array([[40.0, 0], [0, 0], [0, 0]]), np.array([[40.0, 0, 0], [-40, 0, 0]])]
    net.biases = [np.array([-20.0, 0, 0]), np.array([-20.0, 20])]
    X = np.tile([0.0, 1.0], (n_examples, 1))
    X[:n_wrong] = [1.0, 0.0]
    return net, X, np.ones(n_examples, int)


def test_one_confidently_wrong_image_in_a_batch_of_one_does_not_stop_training():
    net, X, labels = one_wrong_image_network(1)
    seed = next(s for s in range(1000)            # a shuffle that checks the wrong image
                if np.random.default_rng(s).permutation(len(X))[CHECK_EVERY] == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # a DivergenceWarning fails the test
        history = bp.train(net, X, labels, epochs=1, learning_rate=0.1, batch_size=1,
                           seed=seed, progress=False)
    assert not history.diverged and len(history.step_costs) == len(X)


def test_a_batch_of_one_still_stops_a_network_stuck_on_every_image():
    net, X, labels = one_wrong_image_network(40)
    with pytest.warns(bp.DivergenceWarning, match="outputs are saturated at wrong values"):
        history = bp.train(net, X, labels, epochs=1, learning_rate=0.1, batch_size=1,
                           progress=False)
    assert history.diverged and history.kept_steps == 0


def first_cost_rule_break(costs) -> int:
    """How many steps the plain loop takes before a step's cost breaks the blow-up rule."""
    for step, cost in enumerate(costs):
        if not np.isfinite(cost) or cost > DIVERGENCE_FACTOR * max(costs[0], 1.0):
            return step
    return len(costs)


def test_divergence_stops_where_the_lesson_loop_breaks_a_rule_and_keeps_a_state_it_passed(rng):
    X, labels = rng.random((200, 784)), rng.integers(0, 10, 200)
    settings = dict(epochs=5, learning_rate=3.0, batch_size=10, seed=2)
    net = bp.Network(activation="relu", seed=0)
    with pytest.warns(bp.DivergenceWarning):
        history = bp.train(net, X, labels, progress=False, **settings)
    plain_history, states = lesson_loop(bp.Network(activation="relu", seed=0), X, labels,
                                        **settings)
    costs = plain_history.step_costs
    size_ok = [np.max(np.abs(s)) <= PARAMETER_LIMIT for s in states]
    first_bad_state = size_ok.index(False) if False in size_ok else len(states)
    # the cost rule stops before the step whose cost blew up; the size rule can only be
    # seen at a check, so train stops at one of the two, never later
    stop = min(first_cost_rule_break(costs), -(-first_bad_state // CHECK_EVERY) * CHECK_EVERY)
    assert stop < len(costs)                      # the plain loop did break a rule
    assert history.diverged
    assert len(history.step_costs) <= stop
    np.testing.assert_allclose(history.step_costs, costs[:len(history.step_costs)], rtol=1e-9)
    kept = history.kept_steps
    assert kept % CHECK_EVERY == 0 and kept <= len(history.step_costs) < kept + CHECK_EVERY
    np.testing.assert_allclose(net.to_vector(), states[kept], rtol=1e-9, atol=1e-12)
    assert np.isfinite(net.cost(X, labels))


@pytest.mark.parametrize("weight_decay", [1e6, 1.0])
def test_absurd_weight_decay_is_reported_before_it_changes_anything(weight_decay, rng):
    X, labels = rng.random((50, 784)), rng.integers(0, 10, 50)
    net = bp.Network(seed=0)
    start = net.to_vector()
    with pytest.warns(bp.DivergenceWarning, match="weight decay"):
        history = bp.train(net, X, labels, epochs=2, learning_rate=3.0, batch_size=10,
                           weight_decay=weight_decay, progress=False)
    assert history.diverged and history.step_costs == []
    np.testing.assert_array_equal(net.to_vector(), start)


def test_sensible_training_never_trips_the_checks(mnist):
    (X, labels), _ = mnist
    with warnings.catch_warnings():
        warnings.simplefilter("error", bp.DivergenceWarning)
        history = bp.train(bp.Network(seed=0, dtype=np.float32), X[:5000], labels[:5000],
                           epochs=3, learning_rate=10.0, batch_size=10, progress=False)
    assert not history.diverged and history.kept_steps is None


# ----- every argument is checked before anything changes ----------------------------

@pytest.mark.parametrize("settings, error, message", [
    (dict(dtype=np.int64), ValueError, "dtype must be np.float64 .* or np.float32"),
    (dict(dtype=np.float16), ValueError, "dtype must be np.float64 .* or np.float32"),
    (dict(dtype="fast"), ValueError, "dtype"),
    (dict(seed=-1), ValueError, "seed must be a whole number >= 0"),
    (dict(seed=1.5), ValueError, "seed must be a whole number >= 0"),
    (dict(callback=5), TypeError, "callback must be a function"),
    (dict(test_data="test"), ValueError, "test_data must be a pair"),
    (dict(lr_decay=-1.0), ValueError, "learning-rate decay must be"),
])
def test_bad_arguments_raise_one_clear_error_and_change_nothing(settings, error, message, rng):
    X, labels = rng.random((20, 784)), rng.integers(0, 10, 20)
    net = bp.Network(seed=0)
    before = net.to_vector()
    with pytest.raises(error, match=message):
        bp.train(net, X, labels, progress=False, **settings)
    assert net.dtype == np.float64 and all(p.dtype == np.float64 for p in net.weights)
    np.testing.assert_array_equal(net.to_vector(), before)


def test_something_that_is_not_a_network_is_refused(rng):
    with pytest.raises(TypeError, match="net must be a backprop.Network"):
        bp.train([np.zeros((16, 784))], rng.random((5, 784)), np.arange(5), progress=False)


def test_half_a_test_pair_is_refused_before_the_first_step(rng):
    X, labels = rng.random((20, 784)), rng.integers(0, 10, 20)
    steps = []
    with pytest.raises(ValueError, match="test_data must be a pair .* got 1 items"):
        bp.train(bp.Network(seed=0), X, labels, test_data=(X,), progress=False,
                 callback=lambda step, cost, net: steps.append(step))
    assert steps == []
