"""Several seeds of a recipe trained in parallel give exactly the runs trained one by one."""
import numpy as np
import pytest

from backprop import recipes


@pytest.fixture
def small_data(rng):
    images = rng.random((300, 784)).astype(np.float32)
    return (images[:240], rng.integers(0, 10, 240)), (images[240:], rng.integers(0, 10, 60))


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_seeds_equal_runs_trained_alone(workers, small_data):
    train_data, test_data = small_data
    results = recipes.train_seeds("best", [3, 0, 5], train_data, test_data, workers=workers,
                                  epochs=2, batch_size=20)
    for seed, (net, history) in zip([3, 0, 5], results):
        alone, alone_history = recipes.train_digit_recogniser(
            "best", train_data, test_data, seed=seed, epochs=2, batch_size=20)
        np.testing.assert_array_equal(net.to_vector(), alone.to_vector())
        assert history.step_costs == alone_history.step_costs
        assert history.test_accuracy == alone_history.test_accuracy
    assert not np.array_equal(results[0][0].to_vector(), results[1][0].to_vector())


@pytest.mark.parametrize("seeds, changes, error, message", [
    ([0, -1], {}, ValueError, "seeds must be a whole number >= 0"),
    ([1.5], {}, ValueError, "seeds must be a whole number >= 0"),
    ("01", {}, TypeError, "seeds must be a list"),
    ([], {}, ValueError, "seeds is empty"),
    ([0], {"seed": 1}, ValueError, "do not also pass seed"),
    ([0], {"momentum": 0.9}, ValueError, "unknown recipe settings"),
])
def test_bad_seed_lists_are_refused_before_any_training(seeds, changes, error, message,
                                                        small_data):
    with pytest.raises(error, match=message):
        recipes.train_seeds("lesson", seeds, *small_data, **changes)


def test_bad_worker_count_is_refused(small_data):
    with pytest.raises(ValueError, match="workers must be a positive whole number"):
        recipes.train_seeds("lesson", [0, 1], *small_data, workers=0)


def test_shortened_recipe_keeps_how_far_the_rate_shrinks():
    full = recipes.RECIPES["best"]
    changes = recipes.shortened("best", 10, weight_decay=0.0)
    assert changes["epochs"] == 10 and changes["weight_decay"] == 0.0
    assert changes["lr_decay"] * 10 == pytest.approx(full["lr_decay"] * full["epochs"])
    assert recipes.shortened("lesson", 10)["lr_decay"] == 0.12   # no float noise shown
    with pytest.raises(ValueError, match="epochs must be a positive whole number"):
        recipes.shortened("best", 0)


def test_runs_of_several_recipes_and_sizes_equal_runs_trained_alone(small_data):
    train_data, test_data = small_data
    runs = [dict(recipe="lesson", seed=1, epochs=1),
            dict(recipe="best", seed=2, epochs=2, weight_decay=0.0),
            dict(recipe="best", seed=0, epochs=3, examples=50)]
    results = recipes.train_runs(runs, train_data, test_data, workers=2)
    for run, (net, history) in zip(runs, results):
        settings = {k: v for k, v in run.items() if k not in ("recipe", "examples")}
        n = run.get("examples", len(train_data[0]))
        alone, alone_history = recipes.train_digit_recogniser(
            run["recipe"], (train_data[0][:n], train_data[1][:n]), test_data, **settings)
        np.testing.assert_array_equal(net.to_vector(), alone.to_vector())
        assert history.step_costs == alone_history.step_costs
        assert history.n_examples == n


@pytest.mark.parametrize("runs, error, message", [
    ([{"seed": 1}], TypeError, "each run must be a dict with a 'recipe' key"),
    ([{"recipe": "best", "examples": 0}], ValueError, "examples must be a positive"),
    ([{"recipe": "best", "examples": 10_000}], ValueError, "only 240 available"),
    ([{"recipe": "best", "seed": -2}], ValueError, "seed must be a whole number"),
    ({"recipe": "best"}, TypeError, "runs must be a list"),
    ([], ValueError, "runs is empty"),
])
def test_bad_runs_are_refused_before_any_training(runs, error, message, small_data):
    with pytest.raises(error, match=message):
        recipes.train_runs(runs, *small_data)
