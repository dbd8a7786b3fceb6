"""The training explorer's Python side: its checks, its data file and the run it shows.

The browser's steps are compared with backprop.sgd in test_training_explorer_mirror.py
(Node.js) and test_training_explorer_browser.py (Chromium).
"""
import re

import numpy as np
import pytest
import traitlets

import backprop as bp
from backprop.explorers import TrainingExplorer
from backprop.explorers.base import HERE
from backprop.explorers.training import (DATA_FILE, N_TEST, N_TRAIN, SEEDS, data_file_bytes,
                                         read_data, starting_network, training_run)


@pytest.fixture(scope="module")
def arrays():
    return read_data()


@pytest.fixture(scope="module")
def explorer():
    return TrainingExplorer(embed=False)


@pytest.mark.parametrize("name, bad, words", [
    ("learning_rate", -3.0, "learning_rate must be one of 0.3, 1.0, 3.0, 10.0, 100.0; got -3.0"),
    ("learning_rate", float("nan"), "learning_rate must be one of"),
    ("learning_rate", "3", "'learning_rate' trait"),  # traitlets' own words for a wrong type
    ("batch_size", 0, "batch_size must be one of 1, 10, 100; got 0"),
    ("batch_size", True, "batch_size"),
    ("seed", 7, "seed must be one of 0, 1, 2; got 7"),
    ("seed", 1.5, "'seed' trait")])
def test_a_bad_setting_gets_one_clear_error_and_changes_nothing(explorer, name, bad, words):
    before = explorer.shown()
    with pytest.raises(traitlets.TraitError, match=re.escape(words)):
        setattr(explorer, name, bad)
    with pytest.raises(traitlets.TraitError, match=re.escape(words)):
        explorer.set_state({name: bad})  # a change sent by the page
    assert explorer.shown() == before


def test_good_settings_are_kept(explorer):
    explorer.set_state({"learning_rate": 100, "batch_size": 1, "seed": 2})
    assert explorer.shown() == {"learning_rate": 100.0, "batch_size": 1, "seed": 2}
    explorer.set_state({"learning_rate": 3.0, "batch_size": 10, "seed": 0})


def test_the_widget_carries_the_file_or_says_where_to_fetch_it(monkeypatch):
    assert TrainingExplorer(embed=True).data["bundle"] == DATA_FILE.read_bytes()
    monkeypatch.setenv("BACKPROP_BOOK_BUILD", "1")
    book = TrainingExplorer()
    assert "bundle" not in book.data and book.data["url"] == "../_static/training_explorer.bin"
    assert book.data_bytes() < 5_000
    with pytest.raises(ValueError, match="embed must be True, False or None"):
        TrainingExplorer(embed="yes")


def test_the_data_file_holds_mnist_and_the_packages_starting_networks(arrays, mnist):
    (X, y), (X_test, y_test) = mnist
    assert np.array_equal(arrays["train_images"] / 255, X[:N_TRAIN])
    assert np.array_equal(arrays["test_labels"], y_test[:N_TEST])
    for seed in SEEDS:
        net, made = starting_network(seed, arrays), bp.Network(seed=seed)
        assert all(np.array_equal(a, b) for a, b in zip(net.weights + net.biases,
                                                         made.weights + made.biases))
    assert data_file_bytes(mnist) == DATA_FILE.read_bytes()  # the maker makes the file shipped
    assert DATA_FILE.stat().st_size <= 2_000_000


def test_the_default_run_learns_and_a_rate_of_100_does_not(arrays):
    run = training_run(steps=1200, arrays=arrays)
    assert list(run["evaluated"]) == list(range(0, 1201, 100))
    assert run["accuracy"][0] < 0.3 and run["accuracy"][-1] >= 0.8
    assert run["running"][-1] < run["running"][49] / 2
    # the running average is the mean of the last 50 costs
    assert run["running"][-1] == pytest.approx(np.mean(run["costs"][-50:]))
    stuck = training_run(learning_rate=100.0, steps=300, arrays=arrays)
    assert np.max(stuck["accuracy"][1:]) < 0.15  # about one digit in ten: chance


def test_the_run_refuses_steps_beyond_the_shipped_epochs(arrays):
    with pytest.raises(ValueError, match="steps must be 1 to 1500 at batch size 10"):
        training_run(steps=1501, arrays=arrays)


def test_the_still_draws_the_run_it_states(explorer):
    fig, run = explorer.still(steps=200)
    assert f"{run['accuracy'][-1]:.1%}" in fig._suptitle.get_text()
    assert len(fig.axes) == 2 + 16


def test_the_front_end_uses_only_the_model_calls_the_static_runtime_offers():
    source = (HERE / "training.js").read_text()
    assert "export default { render }" in source
    assert set(re.findall(r"model\.(\w+)", source)) <= {"get", "set", "on", "save_changes"}
    smallest = int(re.search(r"const SMALLEST_TEXT = (\d+);", (HERE / "common.js").read_text())[1])
    sizes = [int(n) for n in re.findall(r"\bsize: (\d+)", source)]
    assert sizes and min(sizes) >= smallest
