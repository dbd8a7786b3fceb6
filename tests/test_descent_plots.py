"""Drawings of chapters 5-8 and the SGD explorer, driven without a browser."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop import descent, descent_plots as dp, sgd_widget  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def problems():
    rng = np.random.default_rng(0)
    net = bp.Network((6, 5, 4, 3), seed=1)
    X, y = rng.random((200, 6)), rng.integers(0, 3, 200)
    return {"line": (descent.LineFit(n_examples=300), (0.01, 3.0, 0.3)),
            "net": (descent.NetworkSlice(net, X, y, (1, 0, 0), (1, 1, 1)), (1.0, 1000.0, 30.0))}


@pytest.fixture
def explorer(problems):
    return sgd_widget.sgd_explorer(problems, grid_points=15)


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


def picture(explorer):
    lines = explorer.artists["paths"] + explorer.artists["examples"]
    return [np.array(line.get_xydata()) for line in lines]


def test_explorer_redraws_when_each_control_changes(explorer):
    for name, value in [("batch_size", 1), ("learning_rate", 0.05), ("steps", 20), ("seed", 3),
                        ("batch_size", 0), ("problem", "net"), ("batch_size", 100)]:
        before, image = picture(explorer), explorer.image.value
        explorer.controls[name].value = value
        after = picture(explorer)
        assert any(b.shape != a.shape or not np.array_equal(b, a) for b, a in zip(before, after)), name
        png = bytes(explorer.image.value)
        assert png != bytes(image) and png.startswith(b"\x89PNG")


def test_explorer_paths_are_the_walks_of_the_controls(explorer, problems):
    with explorer.hold():
        for name, value in dict(batch_size=10, learning_rate=0.2, steps=15, seed=2).items():
            explorer.controls[name].value = value
    line = problems["line"][0]
    rate = explorer.controls["learning_rate"].value   # the slider's own rounding
    sgd, gd = descent.descend(line, rate, 15, 10, seed=2), descent.descend(line, rate, 15)
    np.testing.assert_allclose(np.array(explorer.artists["paths"][1].get_xydata()), sgd.params)
    np.testing.assert_allclose(np.array(explorer.artists["paths"][0].get_xydata()), gd.params)
    np.testing.assert_allclose(explorer.artists["examples"][1].get_xdata(), 10 * np.arange(1, 16))


def test_explorer_shows_divergence_without_an_exception(explorer):
    explorer.controls["steps"].value = 100
    explorer.controls["learning_rate"].value = 3.0
    assert explorer.artists["note"].get_visible()
    assert "gradient descent diverged after" in explorer.artists["note"].get_text()
    explorer.controls["learning_rate"].value = 0.1
    assert not explorer.artists["note"].get_visible()


def test_switching_problem_moves_the_learning_rate_to_its_range(explorer, problems):
    redraws = explorer.redraws
    explorer.controls["problem"].value = "net"
    rate = explorer.controls["learning_rate"]
    assert rate.value == pytest.approx(30.0) and rate.min == pytest.approx(0.0)
    assert explorer.redraws == redraws + 1       # one redraw for the whole switch
    start = problems["net"][0].start
    np.testing.assert_allclose(explorer.artists["paths"][0].get_xydata()[0], start)


def test_benchmark_explorer_is_the_chapters_explorer():
    rng = np.random.default_rng(0)
    X, y = rng.random((1000, 784)), rng.integers(0, 10, 1000)
    explorer = sgd_widget.benchmark_explorer(X, y)
    assert set(explorer.controls) == {"problem", "batch_size", "learning_rate", "steps", "seed"}
    assert list(explorer.controls["problem"].options) == list(sgd_widget.sgd_problems(
        bp.Network(seed=0), X[:50], y[:50]))
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


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
    assert len(dp.draw_nudges([0.1, -0.2, 0.3], [2, 1, 2], digit=2)) == 4
    assert len(dp.draw_digits(np.zeros((3, 784)), ["a", "b", "c"])) == 3
    assert len(dp.draw_accuracy_vs_size([100, 1000], [0.6, 0.8])) == 1
    assert len(dp.draw_line_fit([0, 1], [1, 2], [(1.0, 1.0), (0.5, 0.0)])) == 3
    history = bp.History(train_accuracy=[0.5, 0.7], test_accuracy=[0.4, 0.6])
    assert len(dp.draw_learning_curve(history)) == 2


def test_walk_frames_draw_one_picture_per_step():
    line = descent.LineFit(n_examples=200, seed=0)
    xs, ys = np.linspace(-3, 4, 15), np.linspace(-3, 3, 15)
    walks = [descent.descend(line, 0.3, 5), descent.descend(line, 0.3, 5, 10, seed=0)]
    frames = dp.walk_frames(walks, xs, ys, descent.cost_grid(line, xs, ys), line.names)
    assert len(frames) == 6
    assert all(f.startswith(b"\x89PNG") for f in frames)
    assert len(set(frames)) == 6  # every step moves the paths


def test_frames_player_is_self_contained_and_reproducible():
    frames = [b"\x89PNG first", b"\x89PNG second", b"\x89PNG third"]
    page = dp.frames_player(frames, interval_ms=100)
    assert page == dp.frames_player(frames, interval_ms=100)
    assert page != dp.frames_player(frames[::-1], interval_ms=100)
    assert page.count("data:image/png;base64,") == 4  # three frames, the first shown at once
    assert 'max="2"' in page and "step 0 of 2" in page
    assert "http://" not in page and "https://" not in page
