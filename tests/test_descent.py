"""Chapters 5-7 machinery: averaged nudges, descent paths, cost slices, training recipes."""
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import descent, recipes


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    net = bp.Network((6, 5, 4, 3), seed=1)
    return net, rng.random((30, 6)), rng.integers(0, 3, 30)


def test_fraction_predicted_as_counts_the_networks_answers(small):
    net, X, _ = small
    answers = net.predict(X)
    assert descent.fraction_predicted_as(net, X, 2) == pytest.approx(np.sum(answers == 2) / len(X))


def test_mean_of_example_gradients_is_the_gradient_of_the_average_cost(small):
    net, X, y = small
    rows = descent.example_gradients(net, X, y)
    assert rows.shape == (30, net.n_params)
    np.testing.assert_allclose(rows.mean(axis=0), net.gradient(X, y).to_vector(), atol=1e-14)


def test_each_example_gradient_is_that_examples_own_gradient(small):
    net, X, y = small
    rows = descent.example_gradients(net, X[:3], y[:3])
    for row, x, label in zip(rows, X[:3], y[:3]):
        np.testing.assert_allclose(row, net.gradient(x[None], [label]).to_vector(), atol=1e-14)


def finite_difference(f, p, eps=1e-6):
    p = np.asarray(p, dtype=float)
    return np.array([(f(p + eps * e) - f(p - eps * e)) / (2 * eps) for e in np.eye(2)])


def test_line_fit_cost_and_gradient_match_hand_formula_and_finite_differences():
    line = descent.LineFit(n_examples=50, seed=3)
    m, c = 0.4, -0.3
    assert line.cost((m, c)) == pytest.approx(np.mean((m * line.x + c - line.y) ** 2))
    np.testing.assert_allclose(line.gradient((m, c)), finite_difference(line.cost, (m, c)), rtol=1e-6)
    idx = np.array([3, 7, 11])
    np.testing.assert_allclose(line.gradient((m, c), idx),
                               finite_difference(lambda p: line.cost(p, idx), (m, c)), rtol=1e-6)


@pytest.mark.parametrize("first, second", [((2, 1, 3), (2, 0, 0)), ((1, 2, 0), (2, 1, 3)),
                                           ((0, 4, 5), (0, 0, 1))])
def test_network_slice_is_the_full_networks_cost_and_gradient(small, first, second):
    net, X, y = small
    piece = descent.NetworkSlice(net, X, y, first, second)
    point = piece.center + np.array([0.7, -1.2])
    moved = net.copy()
    for (layer, j, k), value in zip((first, second), point):
        moved.weights[layer][j, k] = value
    assert piece.cost(point) == pytest.approx(moved.cost(X, y), abs=1e-14)
    g = moved.gradient(X, y)
    expected = [g.weights[layer][j, k] for layer, j, k in (first, second)]
    np.testing.assert_allclose(piece.gradient(point), expected, atol=1e-14)
    np.testing.assert_allclose(piece.gradient(point), finite_difference(piece.cost, point), atol=1e-8)
    idx = np.array([0, 5, 9])
    assert piece.cost(point, idx) == pytest.approx(moved.cost(X[idx], y[idx]), abs=1e-14)


def test_network_slice_leaves_the_network_alone(small):
    net, X, y = small
    before = net.to_vector()
    piece = descent.NetworkSlice(net, X, y, (2, 0, 0), (2, 1, 1))
    piece.cost(piece.center + 3.0)
    np.testing.assert_array_equal(net.to_vector(), before)


def test_network_slice_rejects_weights_that_do_not_exist(small):
    net, X, y = small
    with pytest.raises(ValueError, match="no weight"):
        descent.NetworkSlice(net, X, y, (3, 0, 0), (2, 0, 0))
    with pytest.raises(ValueError, match="different"):
        descent.NetworkSlice(net, X, y, (2, 0, 0), (2, 0, 0))


def test_cost_grid_rows_follow_the_second_parameter():
    line = descent.LineFit(n_examples=20)
    xs, ys = np.array([0.0, 1.0, 2.0]), np.array([-1.0, 1.0])
    grid = descent.cost_grid(line, xs, ys)
    assert grid.shape == (2, 3)
    assert grid[1, 2] == pytest.approx(line.cost((2.0, 1.0)))


def test_gradient_descent_steps_against_the_full_gradient():
    line = descent.LineFit(n_examples=40)
    walk = descent.descend(line, 0.1, 3)
    p = line.start
    for step in range(1, 4):
        p = p - 0.1 * line.gradient(p)
        np.testing.assert_allclose(walk.params[step], p)
    np.testing.assert_array_equal(walk.examples, [0, 40, 80, 120])
    assert walk.diverged_at is None and np.all(np.diff(walk.costs) < 0)


def test_sgd_with_one_example_per_step_follows_single_examples():
    line = descent.LineFit(n_examples=40)
    walk = descent.descend(line, 0.1, 40, batch_size=1, seed=5)
    step_gradients = -np.diff(walk.params, axis=0) / 0.1
    singles = np.array([line.gradient(walk.params[0], [i]) for i in range(40)])
    assert any(np.allclose(step_gradients[0], s) for s in singles)
    np.testing.assert_array_equal(walk.examples, np.arange(41))


def test_sgd_mini_batches_use_every_example_once_per_pass():
    line = descent.LineFit(n_examples=12)
    used = []
    original = line.gradient
    line.gradient = lambda p, idx=None: (used.append(idx), original(p, idx))[1]
    descent.descend(line, 0.1, 6, batch_size=4, seed=0)
    assert sorted(np.concatenate(used[:3])) == list(range(12))
    assert sorted(np.concatenate(used[3:])) == list(range(12))


def test_sgd_with_the_whole_data_set_is_gradient_descent():
    line = descent.LineFit(n_examples=30)
    np.testing.assert_allclose(descent.descend(line, 0.2, 5, batch_size=30).params,
                               descent.descend(line, 0.2, 5).params)


def test_same_seed_same_walk_and_shorter_walks_are_beginnings_of_longer_ones():
    line = descent.LineFit(n_examples=50)
    long = descent.descend(line, 0.3, 30, batch_size=7, seed=4)
    short = descent.descend(line, 0.3, 10, batch_size=7, seed=4)
    cut = descent.first_steps(long, 10)
    np.testing.assert_array_equal(cut.params, short.params)
    np.testing.assert_array_equal(cut.costs, short.costs)
    assert not np.allclose(descent.descend(line, 0.3, 10, batch_size=7, seed=5).params, short.params)


def test_too_large_a_learning_rate_is_reported_as_divergence_not_an_error():
    line = descent.LineFit(n_examples=50)
    walk = descent.descend(line, 5.0, 100)
    assert walk.diverged_at is not None and walk.diverged_at < 100
    assert len(walk.params) == walk.diverged_at and np.all(np.isfinite(walk.costs))
    assert descent.first_steps(walk, walk.diverged_at - 1).diverged_at is None
    assert descent.first_steps(walk, 100).diverged_at == walk.diverged_at


def test_descend_rejects_bad_settings():
    line = descent.LineFit(n_examples=10)
    with pytest.raises(ValueError, match="larger than"):
        descent.descend(line, 0.1, 5, batch_size=11)
    with pytest.raises(ValueError, match="steps"):
        descent.descend(line, 0.1, 0)
    with pytest.raises(ValueError, match="learning rate"):
        descent.descend(line, -1.0, 5)


def test_recipes_are_one_place_and_changes_are_checked():
    settings = recipes.recipe_settings("best", epochs=2)
    assert settings["epochs"] == 2
    assert settings["weight_decay"] == recipes.RECIPES["best"]["weight_decay"]
    with pytest.raises(ValueError, match="unknown recipe"):
        recipes.recipe_settings("magic")
    with pytest.raises(ValueError, match="unknown recipe settings"):
        recipes.recipe_settings("lesson", momentum=0.9)


def digit_like_data(n, seed=0):
    """Ten well-separated blobs in 784 dimensions, standing in for MNIST."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    X = np.clip(rng.normal(0.1, 0.05, (n, 784)), 0, 1)
    for digit in range(10):
        X[labels == digit, digit * 78:(digit + 1) * 78] = 0.9
    return X.astype(np.float32), labels


def test_train_digit_recogniser_is_plain_training_with_the_recipe_settings():
    X, y = digit_like_data(300)
    net, history = recipes.train_digit_recogniser("best", (X, y), test_data=(X, y), epochs=2)
    r = recipes.RECIPES["best"]
    same = bp.Network((784, 16, 16, 10), "sigmoid", r["cost"], seed=r["seed"], dtype=np.float32)
    bp.train(same, X, y, epochs=2, learning_rate=r["learning_rate"], batch_size=r["batch_size"],
             seed=r["seed"], lr_decay=r["lr_decay"], weight_decay=r["weight_decay"], progress=False)
    assert net.sizes == [784, 16, 16, 10] and net.dtype == np.float32
    np.testing.assert_array_equal(net.to_vector(), same.to_vector())
    assert history.batch_size == r["batch_size"] and len(history.test_accuracy) == 2


def test_the_starting_network_is_what_training_starts_from():
    X, y = digit_like_data(100)
    start = recipes.starting_network("best", seed=4, cost="cross_entropy")
    assert start.cost_function.name == "cross_entropy" and start.dtype == np.float32
    np.testing.assert_array_equal(start.to_vector(), bp.Network(seed=4, dtype=np.float32).to_vector())
    bp.train(start, X, y, epochs=1, learning_rate=0.5, batch_size=20, seed=4, progress=False)
    net, _ = recipes.train_digit_recogniser("best", (X, y), test_data=(X, y), seed=4, epochs=1,
                                            cost="cross_entropy", learning_rate=0.5, batch_size=20,
                                            lr_decay=0.0, weight_decay=0.0)
    np.testing.assert_array_equal(net.to_vector(), start.to_vector())
    with pytest.raises(ValueError, match="unknown recipe settings"):
        recipes.starting_network("best", seeds=4)


def test_accuracy_vs_training_size_trains_one_network_per_size():
    X, y = digit_like_data(400)
    Xt, yt = digit_like_data(200, seed=1)
    accuracies = recipes.accuracy_vs_training_size(X, y, Xt, yt, [20, 400], steps=200)
    assert accuracies.shape == (2,) and np.all((0 <= accuracies) & (accuracies <= 1))
    assert accuracies[1] > 0.9
    with pytest.raises(ValueError, match="only 400"):
        recipes.accuracy_vs_training_size(X, y, Xt, yt, [500], steps=10)


def test_size_runs_give_every_size_the_same_steps_and_rescale_the_decay():
    runs = recipes.size_runs([100, 1000, 60000], "best", steps=6000)   # batches of 50
    assert [r["examples"] for r in runs] == [100, 1000, 60000]
    assert [r["epochs"] for r in runs] == [3000, 300, 5]               # 6,000 steps each
    assert all(r["recipe"] == "best" for r in runs)
    assert [r["lr_decay"] for r in runs] == [round(0.05 * 100 / e, 12) for e in (3000, 300, 5)]
    assert recipes.size_runs([10 ** 6], "best", steps=10)[0]["epochs"] == 1   # at least one
    with pytest.raises(ValueError, match="steps"):
        recipes.size_runs([100], steps=0)


def test_misclassified_lists_exactly_the_wrong_answers(small):
    net, X, y = small
    wrong, guesses = recipes.misclassified(net, X, y)
    answers = net.predict(X)
    np.testing.assert_array_equal(wrong, np.flatnonzero(answers != y))
    np.testing.assert_array_equal(guesses, answers[answers != y])


def test_cosine_similarity_of_hand_picked_directions():
    assert descent.cosine_similarity([1, 0], [3, 0]) == pytest.approx(1.0)
    assert descent.cosine_similarity([1, 0], [0, 2]) == pytest.approx(0.0)
    assert descent.cosine_similarity([1, 1], [-1, -1]) == pytest.approx(-1.0)


def test_a_mini_batch_of_everything_points_exactly_along_the_full_gradient(small):
    net, X, y = small
    np.testing.assert_allclose(descent.mini_batch_agreement(net, X, y, 30, n_batches=3), 1.0)
    single = descent.mini_batch_agreement(net, X, y, 1, n_batches=30, seed=0)
    full = net.gradient(X, y).to_vector()
    expected = sorted(descent.cosine_similarity(net.gradient(X[i:i + 1], y[i:i + 1]).to_vector(), full)
                      for i in range(30))
    np.testing.assert_allclose(sorted(single), expected)   # one pass: every example once


def test_race_trains_each_batch_size_like_plain_training(small):
    net, X, y = small
    before = net.to_vector()
    probe = (X[:10], y[:10])
    races = descent.race_batch_sizes(net, X, y, [1, 7, 30], epochs=2, learning_rate=0.5,
                                     probe=probe, checkpoints=5)
    np.testing.assert_array_equal(net.to_vector(), before)
    for size, race in races.items():
        copy = net.copy()
        bp.train(copy, X, y, epochs=2, learning_rate=0.5, batch_size=size, progress=False)
        assert race.costs[0] == pytest.approx(net.cost(*probe))
        assert race.costs[-1] == pytest.approx(copy.cost(*probe))
        assert race.examples[-1] == 60 and np.all(np.diff(race.examples) > 0)
        assert np.all(np.diff(race.seconds) >= 0)


def test_a_race_that_stops_early_ends_at_the_parameters_training_kept(small):
    net, X, y = small
    probe = (X[:10], y[:10])
    with pytest.warns(bp.DivergenceWarning):
        races = descent.race_batch_sizes(net, X, y, [3], epochs=4, learning_rate=1e5,
                                         probe=probe, checkpoints=40)
    copy = net.copy()
    with pytest.warns(bp.DivergenceWarning):
        history = bp.train(copy, X, y, epochs=4, learning_rate=1e5, batch_size=3, progress=False)
    race = races[3]
    assert race.stopped and race.examples[-1] == 3 * history.kept_steps
    assert race.costs[-1] == pytest.approx(copy.cost(*probe))
    assert np.all(np.diff(race.examples) >= 0) and len(race.examples) == len(race.costs)


def test_seed_study_is_the_race_run_once_per_seed():
    (X, y), probe = digit_like_data(120), digit_like_data(30, seed=1)
    study = descent.batch_sizes_over_seeds(X, y, [10, 120], epochs=2, learning_rate=1.0,
                                           probe=probe, seeds=[0, 3])
    assert study.costs.shape == study.stopped.shape == (2, 2) and not study.stopped.any()
    for row, seed in enumerate([0, 3]):
        races = descent.race_batch_sizes(bp.Network(seed=seed), X, y, [10, 120], epochs=2,
                                         learning_rate=1.0, probe=probe, seed=seed)
        assert study.costs[row] == pytest.approx([races[b].costs[-1] for b in (10, 120)])
    assert study.costs[0, 0] != study.costs[1, 0]      # another seed, another run


def test_seed_study_marks_runs_that_stopped_early_and_keeps_quiet():
    (X, y), probe = digit_like_data(60), digit_like_data(20, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # a warning would fail the test
        study = descent.batch_sizes_over_seeds(X, y, [1, 60], epochs=3, learning_rate=1e4,
                                               probe=probe, seeds=[0])
    assert study.stopped[0, 0] and np.all(np.isfinite(study.costs))


@pytest.mark.parametrize("changes, message", [
    (dict(batch_sizes=[10, 0]), "batch size"), (dict(seeds=[]), "at least one"),
    (dict(seeds=[1.5]), "seed")])
def test_seed_study_rejects_bad_settings_before_training(changes, message, monkeypatch):
    monkeypatch.setattr(descent, "train", lambda *a, **k: pytest.fail("trained"))
    settings = {"batch_sizes": [10], "seeds": [0], **changes}
    with pytest.raises((ValueError, TypeError), match=message):
        descent.batch_sizes_over_seeds(*digit_like_data(20), epochs=1, learning_rate=1.0,
                                       probe=digit_like_data(5), **settings)


def test_train_digit_recogniser_loads_mnist_and_scores_its_test_set_by_default(monkeypatch):
    train_set, test_set = digit_like_data(200), digit_like_data(50, seed=1)
    asked = {}

    def fake_load(dtype, progress):
        asked["dtype"] = dtype
        return train_set, test_set
    monkeypatch.setattr(recipes, "load_mnist", fake_load)
    net, history = recipes.train_digit_recogniser("lesson", epochs=1)
    assert asked["dtype"] == np.float32
    assert history.test_accuracy == [bp.accuracy(net, *test_set)]
