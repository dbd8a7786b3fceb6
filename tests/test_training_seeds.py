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
    with pytest.raises(ValueError, match="epochs must be a positive whole number"):
        recipes.shortened("best", 0)
