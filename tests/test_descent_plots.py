"""Drawings of chapters 5-8."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop import descent  # noqa: E402
from backprop.figures import descent as dp  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_path_and_cost_curve_show_the_walk():
    line = descent.LineFit(n_examples=50)
    walk = descent.descend(line, 0.2, 8, batch_size=5)
    path = dp.draw_path(walk)
    np.testing.assert_array_equal(path.get_xdata(), walk.params[:, 0])
    np.testing.assert_array_equal(path.get_ydata(), walk.params[:, 1])
    curve = dp.draw_cost_curve(walk, "examples")
    np.testing.assert_array_equal(curve.get_xdata(), 5 * np.arange(1, 9))
    np.testing.assert_array_equal(curve.get_ydata(), walk.costs[1:])
    with pytest.raises(ValueError, match="examples"):
        dp.draw_cost_curve(walk, "epochs")


def test_divergence_is_said_in_words_with_the_step_that_blew_up():
    line = descent.LineFit(n_examples=50)
    assert dp.divergence_note(descent.descend(line, 0.1, 5), "GD") == ""
    walk = descent.descend(line, 5.0, 100)
    k = walk.diverged_at
    assert dp.divergence_note(walk, "GD") == f"GD diverged at step {k}"
    assert dp.walk_summary(walk) == f"diverged at step {k}"
    # independently: the first k - 1 steps stay finite, step k does not
    assert len(walk.params) == k and descent.descend(line, 5.0, k - 1).diverged_at is None
    assert descent.descend(line, 5.0, k).diverged_at == k
    done = descent.descend(line, 0.1, 5)
    assert dp.walk_summary(done) == f"cost {done.costs[-1]:.4g} after 5 steps"


def test_batch_size_panel_draws_one_surface_per_walk_and_names_divergence():
    line = descent.LineFit(n_examples=100)
    xs, ys = np.linspace(-3, 4, 9), np.linspace(-3, 3, 9)
    walks = [descent.descend(line, 1.3, 20, b, seed=0) for b in (1, 10, None)]
    fig, axes = plt.subplots(1, 3)
    dp.draw_batch_sizes(line, descent.cost_grid(line, xs, ys), xs, ys, walks, axes)
    assert [ax.get_title().split("\n")[0] for ax in axes] == \
        ["batch 1", "batch 10", "all examples"]
    texts = [t.get_text() for ax in axes for t in ax.texts]
    assert any("diverged" in t for t in texts)


def test_batch_size_panels_give_one_count_in_title_and_inset():
    """Title, inset and printed note name the same step: the one that blew up."""
    import re
    line = descent.LineFit(n_examples=100)
    xs, ys = np.linspace(-3, 4, 9), np.linspace(-3, 3, 9)
    walks = [descent.descend(line, 1.1, 50, b, seed=0) for b in (1, 10, 100, None)]
    fig, axes = plt.subplots(1, 4)
    dp.draw_batch_sizes(line, descent.cost_grid(line, xs, ys), xs, ys, walks, axes)
    diverged = [(ax, w) for ax, w in zip(axes, walks) if w.diverged_at is not None]
    assert diverged
    for ax, walk in diverged:
        counts = {int(n) for t in [ax.get_title(), *(t.get_text() for t in ax.texts),
                                   dp.divergence_note(walk, "GD")]
                  for n in re.findall(r"step (\d+)", t)}
        assert counts == {walk.diverged_at}
        assert len(walk.costs) == walk.diverged_at      # the drawn walk: start + k - 1 steps
    for ax, walk in zip(axes, walks):
        if walk.diverged_at is None:
            assert ax.get_title().endswith("after 50 steps") and not ax.texts


def test_walk_colours_are_neither_blue_nor_red():
    """Blue and red mean up and down in this book; the two walks are black and orange."""
    from matplotlib.colors import to_rgb
    for colour in (dp.GD_COLOR, dp.SGD_COLOR):
        r, g, b = to_rgb(colour)
        assert not (b > r + 0.2 or (r > 0.6 and g < 0.3 and b < 0.3))


def test_code_beside_ideas_pairs_every_line_and_catches_drift():
    def f(x):
        """Docstrings are left out."""
        y = x + 1
        return y * 2 < 5
    table = dp.code_beside_ideas(f, {"x + 1": "add one", "y * 2": "double"})
    rows = table.splitlines()
    assert len(rows) == 3 and "Docstrings" not in table
    assert "add one" in rows[1] and "double" in rows[2] and "y * 2 &lt; 5" in rows[2]
    with pytest.raises(ValueError, match="match no line"):
        dp.code_beside_ideas(f, {"x - 1": "subtract"})


def test_chapter_drawings_return_their_artists():
    assert len(dp.draw_prediction_counts([2, 2, 3], highlight=2)) == 10
    assert len(dp.draw_nudges_by_example([0.1, -0.2, 0.3], [2, 1, 2], digit=2)) == 4
    assert len(dp.draw_digits(np.zeros((3, 784)), ["a", "b", "c"])) == 3
    assert len(dp.draw_accuracy_vs_size([100, 1000], [0.6, 0.8])) == 1
    assert len(dp.draw_line_fit([0, 1], [1, 2], [(1.0, 1.0), (0.5, 0.0)])) == 3
    history = bp.History(train_accuracy=[0.5, 0.7], test_accuracy=[0.4, 0.6])
    assert len(dp.draw_learning_curve(history)) == 2


def test_no_drawing_uses_text_smaller_than_the_base_font():
    """The book's check assumes no text below 10 pt: no 'small' or fixed small sizes."""
    from matplotlib.text import Text
    line = descent.LineFit(n_examples=100)
    xs, ys = np.linspace(-3, 4, 9), np.linspace(-3, 3, 9)
    walks = [descent.descend(line, 1.1, 30, b, seed=0) for b in (1, None)]
    with plt.rc_context({"font.size": 10.5}):
        fig, axes = plt.subplots(2, 3, figsize=(12, 8))
        dp.draw_prediction_counts(np.arange(100) % 10, axes[0, 0], "answers", highlight=2)
        dp.draw_nudges_by_example(np.linspace(-1, 1, 50), np.arange(50) % 10, 2, axes[0, 1], "wishes")
        dp.draw_batch_sizes(line, descent.cost_grid(line, xs, ys), xs, ys, walks, axes[1, :2])
        dp.draw_accuracy_vs_size([100, 1000], [0.5, 0.8], axes[0, 2])
        dp.draw_line_fit(line.x, line.y, [(2.0, -1.0)], axes[1, 2])
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
        plt.close(fig)
    assert len(sizes) > 30 and min(sizes) >= 10.5


def test_default_colours_of_lines_and_bars_are_neither_blue_nor_red():
    """Blue and red mean up and down in this book; other drawings use greys and orange."""
    from matplotlib.colors import to_rgb
    line = descent.LineFit(n_examples=20)
    history = bp.train(bp.Network(sizes=(784, 4, 10), seed=0), np.zeros((4, 784)), [0, 1, 2, 3],
                       epochs=2, learning_rate=0.1, progress=False,
                       test_data=(np.zeros((2, 784)), [0, 1]))
    artists = [*dp.draw_learning_curve(history), *dp.draw_accuracy_vs_size([10, 100], [0.5, 0.7]),
               *dp.draw_line_fit(line.x, line.y, [(1.0, 0.0), (2.0, -1.0)])[1:],
               *dp.draw_prediction_counts([0, 1, 2, 2], highlight=2)]
    for artist in artists:
        colour = artist.get_color() if hasattr(artist, "get_color") else artist.get_facecolor()
        r, g, b = to_rgb(colour)
        assert not (b > r + 0.2 or (r > 0.6 and g < 0.3 and b < 0.3)), colour


def test_cost_surface_is_filled_bands_only():
    line = descent.LineFit(n_examples=50, seed=0)
    xs, ys = np.linspace(-3, 4, 15), np.linspace(-3, 3, 15)
    grid = descent.cost_grid(line, xs, ys)
    (filled,) = dp.draw_cost_surface(xs, ys, grid)
    assert np.isclose(filled.levels[0], grid.min()) and np.isclose(filled.levels[-1], grid.max())
    assert len(filled.levels) == 25
