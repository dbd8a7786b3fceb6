"""Drawings of chapters 5-8 and the SGD explorer, driven without a browser."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop import descent, descent_plots as dp  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def explorer():
    rng = np.random.default_rng(0)
    net = bp.Network((6, 5, 4, 3), seed=1)
    X, y = rng.random((200, 6)), rng.integers(0, 3, 200)
    problems = {"line": (descent.LineFit(n_examples=300), (0.01, 3.0, 0.3)),
                "net": (descent.NetworkSlice(net, X, y, (1, 0, 0), (1, 1, 1)), (1.0, 1000.0, 30.0))}
    return dp.SGDExplorer(problems, grid_points=15)


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


def test_divergence_is_said_in_words():
    line = descent.LineFit(n_examples=50)
    assert dp.divergence_note(descent.descend(line, 0.1, 5), "GD") == ""
    walk = descent.descend(line, 5.0, 100)
    assert dp.divergence_note(walk, "GD") == f"GD diverged after {walk.diverged_at} steps"


def test_batch_size_panel_draws_one_surface_per_walk_and_names_divergence():
    line = descent.LineFit(n_examples=100)
    xs, ys = np.linspace(-3, 4, 9), np.linspace(-3, 3, 9)
    walks = [descent.descend(line, 1.3, 20, b, seed=0) for b in (1, 10, None)]
    fig, axes = plt.subplots(1, 3)
    dp.draw_batch_sizes(line, descent.cost_grid(line, xs, ys), xs, ys, walks, axes)
    assert [ax.get_title().split(",")[0] for ax in axes] == \
        ["batch 1", "batch 10", "all examples"]
    texts = [t.get_text() for ax in axes for t in ax.texts]
    assert any("diverged after" in t for t in texts)


def test_explorer_redraws_when_each_control_changes(explorer):
    def picture():
        return [np.array(line.get_xydata()) for line in explorer.paths + explorer.curves["examples"]]
    for change in [dict(batch_size=1), dict(learning_rate=0.05), dict(steps=20), dict(seed=3),
                   dict(batch_size="all"), dict(problem="net"), dict(batch_size=100)]:
        before = picture()
        explorer.set(**change)
        after = picture()
        assert any(b.shape != a.shape or not np.array_equal(b, a) for b, a in zip(before, after)), change
    assert explorer.png().startswith(b"\x89PNG")


def test_explorer_paths_are_the_walks_of_the_controls(explorer):
    explorer.set(batch_size=10, learning_rate=0.2, steps=15, seed=2)
    line = explorer.problems["line"][0]
    expected = descent.descend(line, 0.2, 15, 10, seed=2)
    np.testing.assert_allclose(np.array(explorer.paths[1].get_xydata()), expected.params)
    gd = descent.descend(line, 0.2, 15)
    np.testing.assert_allclose(np.array(explorer.paths[0].get_xydata()), gd.params)


def test_explorer_shows_divergence_without_an_exception(explorer):
    explorer.set(learning_rate=3.0, steps=100)
    assert explorer.note.get_visible()
    assert "gradient descent diverged after" in explorer.note.get_text()
    explorer.set(learning_rate=0.1)
    assert not explorer.note.get_visible()


def test_explorer_rejects_unknown_controls_and_values(explorer):
    with pytest.raises(ValueError, match="unknown controls"):
        explorer.set(momentum=0.9)
    with pytest.raises(ValueError, match="unknown problem"):
        explorer.set(problem="banana")
    with pytest.raises(ValueError, match="steps"):
        explorer.set(steps=explorer.MAX_STEPS + 1)


def test_explorer_widget_sliders_drive_the_picture(explorer):
    box = explorer.show()
    assert explorer.show() is box
    first = explorer._image.value
    explorer.sliders["batch_size"].value = 1
    assert explorer.controls["batch_size"] == 1 and explorer._image.value != first
    explorer.sliders["problem"].value = "net"
    assert explorer.controls["learning_rate"] == 30.0
    assert explorer.sliders["learning_rate"].value == pytest.approx(30.0)


def test_time_control_change_reports_seconds(explorer):
    seconds = explorer.time_control_change(seed=4)
    assert seconds > 0 and explorer.controls["seed"] == 4


def test_code_beside_ideas_pairs_every_line_and_catches_drift():
    def f(x):
        y = x + 1
        return y * 2
    table = dp.code_beside_ideas(f, {"x + 1": "add one", "y * 2": "double"})
    rows = table.splitlines()
    assert len(rows) == 2 + 3 and "add one" in rows[3] and "double" in rows[4]
    with pytest.raises(ValueError, match="match no line"):
        dp.code_beside_ideas(f, {"x - 1": "subtract"})


def test_chapter_drawings_return_their_artists():
    assert len(dp.draw_prediction_counts([2, 2, 3], highlight=2)) == 10
    assert len(dp.draw_nudges([0.1, -0.2, 0.3], [2, 1, 2], digit=2)) == 4
    assert len(dp.draw_digits(np.zeros((3, 784)), ["a", "b", "c"])) == 3
    assert len(dp.draw_accuracy_vs_size([100, 1000], [0.6, 0.8])) == 1
    assert len(dp.draw_line_fit([0, 1], [1, 2], [(1.0, 1.0), (0.5, 0.0)])) == 3
    history = bp.History(train_accuracy=[0.5, 0.7], test_accuracy=[0.4, 0.6])
    assert len(dp.draw_learning_curve(history)) == 2
