"""Chapter 7's seed spreads: summaries match NumPy, drawings show every run uncut."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop.figures import runs as rp  # noqa: E402
from backprop.training import History  # noqa: E402


def test_spread_is_mean_and_sample_standard_deviation():
    values = [0.95, 0.94, 0.96, 0.93, 0.97]
    s = rp.spread(values)
    assert s.mean == pytest.approx(np.mean(values))
    assert s.std == pytest.approx(np.std(values, ddof=1))
    assert (s.low, s.high, s.runs) == (0.93, 0.97, 5)


def test_spread_needs_two_runs():
    with pytest.raises(ValueError, match="at least two"):
        rp.spread([0.9])


def test_curves_of_runs_that_stopped_early_end_in_nan():
    runs = [History(test_accuracy=[0.5, 0.6, 0.7]), History(test_accuracy=[0.4])]
    curves = rp.accuracy_curves(runs)
    assert curves.shape == (2, 3)
    assert np.array_equal(curves[0], [0.5, 0.6, 0.7])
    assert curves[1, 0] == 0.4 and np.isnan(curves[1, 1:]).all()


def test_bands_keep_every_epoch_of_every_seed_inside_the_axes():
    rng = np.random.default_rng(0)
    low_start = 0.80 + 0.15 * (1 - np.exp(-np.arange(20) / 3)) + rng.normal(0, 0.005, (5, 20))
    other = 0.90 + rng.normal(0, 0.01, (5, 20))
    fig, ax = plt.subplots()
    rp.draw_accuracy_bands({"a": low_start, "b": other}, ax)
    bottom, top = ax.get_ylim()
    everything = 100 * np.concatenate([low_start.ravel(), other.ravel()])
    assert bottom < everything.min() and top > everything.max()
    means = [line for line in ax.lines if line.get_linewidth() == 2]
    assert np.allclose(means[0].get_ydata(), 100 * low_start.mean(axis=0))
    plt.close(fig)


def test_a_later_first_epoch_zooms_in_on_the_epochs_drawn():
    runs = np.array([[0.60, 0.90, 0.94, 0.95], [0.70, 0.91, 0.93, 0.96]])
    fig, ax = plt.subplots()
    rp.draw_accuracy_bands({"a": runs}, ax, first_epoch=3, legend=False)
    bottom, top = ax.get_ylim()
    assert 90 < bottom < 93 and 96 < top < 97.5
    mean = next(line for line in ax.lines if line.get_linewidth() == 2)
    assert list(mean.get_xdata()) == [3, 4] and ax.get_legend() is None
    plt.close(fig)


def test_recipe_colours_are_never_blue_or_red():
    for color in rp.RECIPE_COLORS:
        r, g, b = mcolors.to_rgb(color)
        assert not (b > r + 0.2 and b > g + 0.2), color   # not blue
        assert not (r > g + 0.3 and r > b + 0.3), color   # not red


def test_final_accuracies_show_each_seed_and_the_mean_with_its_spread():
    finals = {"with": [0.95, 0.96, 0.955, 0.958, 0.952], "without": [0.94, 0.4, 0.93, 0.5, 0.9]}
    fig, ax = plt.subplots()
    rp.draw_final_accuracies(finals, ax, pair_seeds=True)
    texts = [t.get_text() for t in ax.texts]
    for values in finals.values():
        s = rp.spread(100 * np.asarray(values))
        assert f"{s.mean:.1f} ± {s.std:.1f}" in texts
    assert len(ax.lines) >= 5   # one line per seed joins the pairs
    assert "mean ± 1 standard deviation" in ax.get_xlabel()   # what the bar is, on the figure
    bottom, top = ax.get_ylim()
    assert bottom < 40 and top > 96
    plt.close(fig)


def test_final_accuracies_bar_stops_at_one_hundred_percent():
    fig, ax = plt.subplots()
    rp.draw_final_accuracies({"wide": [0.99, 0.99, 0.99, 0.99, 0.5]}, ax)
    s = rp.spread(100 * np.array([0.99, 0.99, 0.99, 0.99, 0.5]))
    assert s.mean + s.std > 100                            # a plain bar would pass 100%
    (bar,) = ax.containers[0].lines[2]
    ends = np.concatenate([segment[:, 1] for segment in bar.get_segments()])
    np.testing.assert_allclose([ends.min(), ends.max()], [s.mean - s.std, 100])
    assert f"{s.mean:.1f} ± {s.std:.1f}\n(bar cut at 100%)" in [t.get_text() for t in ax.texts]
    plt.close(fig)


def test_pairing_seeds_needs_the_same_number_of_runs():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="same number of seeds"):
        rp.draw_final_accuracies({"a": [0.9, 0.8], "b": [0.9, 0.8, 0.7]}, ax, pair_seeds=True)
    plt.close(fig)
