"""One network is trained by one run at a time, and its dtype cannot change mid-run.

Two threads that start training one network together: one trains, the other gets a
clear error before anything changes, and the network ends as after one run. Two
networks train side by side in two threads. A callback cannot convert its network's
dtype. Every hold ends with its run, an exception included.
"""
import threading

import numpy as np
import pytest

import backprop as bp
from backprop.in_training import NetworkInTrainingError, training_run

RNG = np.random.default_rng(3)
X, LABELS = RNG.random((60, 6)), RNG.integers(0, 3, 60)
SETTINGS = dict(epochs=2, learning_rate=0.5, batch_size=10, seed=2)


def small_net(seed: int = 0) -> bp.Network:
    return bp.Network([6, 5, 3], seed=seed)


def run(trainer, net, callback=None):
    extra = {"progress": False} if trainer is bp.train else {}
    return trainer(net, X, LABELS, callback=callback, **SETTINGS, **extra)


def race(first, second, net):
    """``first`` and ``second`` train ``net`` in two threads released together by a barrier;
    whichever holds the network waits in its first callback until the other has tried."""
    barrier, tried = threading.Barrier(2), threading.Event()
    outcomes = {}

    def wait_for_the_other(step, cost, net):
        if step == 1:
            tried.wait(timeout=20)

    def contender(name, trainer):
        barrier.wait()
        try:
            run(trainer, net, wait_for_the_other)
            outcomes[name] = "trained"
        except NetworkInTrainingError as err:
            outcomes[name] = err
            tried.set()

    threads = [threading.Thread(target=contender, args=(name, trainer), name=name)
               for name, trainer in (("one", first), ("two", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert tried.is_set(), f"both runs went ahead: {outcomes}"
    return outcomes


@pytest.mark.parametrize("first, second", [(bp.train, bp.train), (bp.sgd, bp.sgd),
                                           (bp.train, bp.sgd)])
def test_a_second_run_on_the_same_network_gets_one_clear_error(first, second):
    net = small_net()
    outcomes = race(first, second, net)
    assert sorted(map(str, outcomes.values())).count("trained") == 1
    (winner,) = [name for name, outcome in outcomes.items() if outcome == "trained"]
    (error,) = [outcome for outcome in outcomes.values() if outcome != "trained"]
    who = "bp.train" if (first if winner == "one" else second) is bp.train else "bp.sgd"
    message = str(error)
    assert f"is being trained by {who} in thread {winner!r}" in message
    assert "Network(sizes=[6, 5, 3]" in message and f"{id(net):#x}" in message
    alone = small_net()
    run(first if winner == "one" else second, alone, lambda *a: None)
    np.testing.assert_array_equal(net.to_vector(), alone.to_vector())  # exactly one run's steps


def test_two_networks_train_side_by_side_in_two_threads():
    nets, barrier = [small_net(0), small_net(1)], threading.Barrier(2)
    errors = []

    def trains(net, trainer):
        barrier.wait()
        try:
            run(trainer, net)
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=trains, args=pair)
               for pair in zip(nets, (bp.train, bp.sgd))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for net, seed, trainer in zip(nets, (0, 1), (bp.train, bp.sgd)):
        alone = small_net(seed)
        run(trainer, alone)
        np.testing.assert_allclose(net.to_vector(), alone.to_vector(), rtol=1e-13, atol=1e-15)


def stops_at_step_3(action):
    def callback(step, cost, net):
        if step == 3:
            action(net)
    return callback


@pytest.mark.parametrize("trainer", [bp.train, bp.sgd])
def test_astype_in_a_callback_is_refused_and_leaves_the_network_as_it_was(trainer):
    net, stopped = small_net(), small_net()
    with pytest.raises(NetworkInTrainingError, match="net.astype cannot change this network now"):
        run(trainer, net, stops_at_step_3(lambda n: n.astype(np.float32)))
    with pytest.raises(KeyError):
        run(trainer, stopped, stops_at_step_3(lambda n: {}["stop"]))
    assert net.dtype == np.float64
    assert all(p.dtype == np.float64 for p in net.weights + net.biases)
    np.testing.assert_array_equal(net.to_vector(), stopped.to_vector())  # three steps, no more
    assert not np.array_equal(net.to_vector(), small_net().to_vector())


def test_a_callback_cannot_start_a_second_run_of_its_own_network():
    net = small_net()
    nested = stops_at_step_3(lambda n: bp.train(n, X, LABELS, progress=False))
    with pytest.raises(NetworkInTrainingError, match="is being trained by bp.train in this thread"):
        run(bp.train, net, nested)


def test_load_vector_in_a_callback_still_works_but_not_from_another_thread():
    net, vector = small_net(), small_net(5).to_vector()
    other_thread = []

    def from_elsewhere(step, cost, n):
        if step == 2:
            worker = threading.Thread(target=lambda: other_thread.append(_try(n.load_vector, vector)))
            worker.start()
            worker.join()
            n.load_vector(vector)   # the run's own thread: taken over by the run

    run(bp.train, net, from_elsewhere)
    assert isinstance(other_thread[0], NetworkInTrainingError)
    assert "net.load_vector cannot change this network now" in str(other_thread[0])
    assert not np.array_equal(net.to_vector(), small_net().to_vector())


def _try(call, *args):
    try:
        return call(*args)
    except Exception as err:  # returned for the test to look at
        return err


def test_the_hold_ends_with_the_run_whatever_ended_it():
    net = small_net()
    with pytest.raises(ZeroDivisionError):
        run(bp.train, net, stops_at_step_3(lambda n: 1 / 0))
    with pytest.raises(ValueError):
        bp.train(net, X[:, :4], LABELS, progress=False)   # refused input: nothing held
    with pytest.raises(ZeroDivisionError):
        run(bp.sgd, net, stops_at_step_3(lambda n: 1 / 0))
    before = net.to_vector()
    history = run(bp.train, net)
    assert len(history.step_costs) == 12 and not np.array_equal(net.to_vector(), before)
    net.astype(np.float32)           # after the run: allowed again
    assert net.dtype == np.float32


def test_train_converts_its_own_network_before_the_steps():
    net = small_net()
    bp.train(net, X, LABELS, dtype=np.float32, progress=False)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)


def test_a_hold_is_refused_to_a_second_holder_directly():
    net = small_net()
    with training_run(net, "a test"):
        with pytest.raises(NetworkInTrainingError, match="being trained by a test in this thread"):
            with training_run(net, "bp.train"):
                pass
        with pytest.raises(NetworkInTrainingError, match="sgd_step cannot change"):
            threading_result = []
            t = threading.Thread(target=lambda: threading_result.append(
                _try(bp.sgd_step, net, net.gradient(X[:2], LABELS[:2]), 0.1)))
            t.start()
            t.join()
            raise threading_result[0]
    with training_run(net, "bp.train"):   # released
        pass
