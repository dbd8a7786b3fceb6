"""Each explorer is created and driven through its controls, as a learner would.

After a control change the figure's artists must hold the lesson's numbers for
the new setting, and a fresh PNG must have been rendered.
"""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop import lesson, widgets  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def net():
    return bp.Network(seed=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    X = rng.random((60, 784)) * (rng.random((60, 784)) < 0.25)
    return X, np.arange(60) % 10


def heights(bars):
    return np.array([bar.get_height() for bar in bars])


def changed(explorer, name, value):
    """Set one control; return (redraws it caused, the PNG before, the PNG after)."""
    before, count = bytes(explorer.image.value), explorer.redraws
    explorer.controls[name].value = value
    return explorer.redraws - count, before, bytes(explorer.image.value)


# ----- chapter 2 ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def sensitivity(net, data):
    return widgets.sensitivity_explorer(net, *data, wiggle_range=0.4, points=5)


def parameter_a(explorer):
    v = {k: c.value for k, c in explorer.controls.items()}
    index = (v["neuron"], v["source"]) if v["kind"] == "weight" else (v["neuron"],)
    return lesson.Param(v["layer"], v["kind"], index)


def test_sensitivity_explorer_renders_a_png_at_once(sensitivity):
    assert bytes(sensitivity.image.value).startswith(PNG) and sensitivity.redraws >= 1
    assert set(sensitivity.controls) == {"parameter", "layer", "kind", "neuron", "source",
                                         "compare_with", "wiggle"}


def test_wiggling_moves_the_points_to_the_measured_cost_changes(sensitivity, net, data):
    redraws, before, after = changed(sensitivity, "wiggle", 0.24)
    a, b = parameter_a(sensitivity), sensitivity.controls["compare_with"].value
    g = net.gradient(*data)
    (_, _, point_a), (_, _, point_b) = sensitivity.artists["curves"]
    assert redraws == 1 and after != before
    assert point_a.get_xdata()[0] == 0.24
    assert point_a.get_ydata()[0] == pytest.approx(lesson.measured_cost_change(net, *data, a, 0.24))
    assert point_b.get_ydata()[0] == pytest.approx(lesson.measured_cost_change(net, *data, b, 0.24))
    measured, predicted = sensitivity.artists["bars"]
    assert heights(predicted)[0] == pytest.approx(lesson.sensitivity(g, a) * 0.24)
    assert heights(measured)[1] == pytest.approx(lesson.measured_cost_change(net, *data, b, 0.24))


def test_choosing_a_ranked_parameter_sets_the_controls_with_one_redraw(sensitivity):
    options = dict(sensitivity.controls["parameter"].options)
    pick = next(p for p in options.values() if p.kind == "weight" and p.layer == 1)
    redraws, before, after = changed(sensitivity, "parameter", pick)
    assert redraws == 1 and after != before
    assert parameter_a(sensitivity) == pick
    assert sensitivity.controls["source"].max == 783


def test_changing_layer_keeps_the_sliders_inside_the_layer(sensitivity, net):
    sensitivity.controls["neuron"].value = 15
    changed(sensitivity, "layer", 3)
    assert sensitivity.controls["neuron"].value == 9 and sensitivity.controls["neuron"].max == 9
    assert sensitivity.controls["source"].max == 15
    changed(sensitivity, "kind", "bias")
    assert parameter_a(sensitivity) == lesson.Param(3, "bias", (9,))
    assert sensitivity.controls["source"].disabled


# ----- chapter 3 ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def nudges(net, data):
    return widgets.nudge_explorer(net, data[0][:6], data[1][:6])


def test_nudge_explorer_shows_the_chosen_examples_nudges_and_avenues(nudges, net, data):
    changed(nudges, "example", 3)
    redraws, before, after = changed(nudges, "neuron", 7)
    assert redraws == 1 and after != before
    x, label = data[0][3], data[1][3]
    art = nudges.artists
    assert np.array_equal(art["digit"].get_array(), x.reshape(28, 28))
    assert np.allclose(heights(art["nudges"]), lesson.desired_nudges(net.output(x)[0], label))
    assert art["nudges"][7].get_linewidth() > 0 and art["nudges"][6].get_linewidth() == 0
    avenues = lesson.three_avenues(net, x, label, 7)
    assert np.allclose(heights(art["avenues"][0]), np.r_[avenues.bias, avenues.weights])
    assert np.allclose(heights(art["avenues"][1]), avenues.previous_activations)


def test_nudge_explorer_compares_backprop_and_hebbian_updates(nudges, net, data):
    changed(nudges, "example", 2)
    changed(nudges, "neuron", 4)
    x, label = data[0][2], data[1][2]
    k = lesson.compare_with_hebbian(net, x, label)
    art = nudges.artists
    assert np.allclose(art["backprop"].get_array(), k.backprop)
    assert np.allclose(art["hebbian"].get_array(), k.hebbian)
    assert [frame.get_y() for frame in art["frames"]] == [3.5, 3.5]
    pushes = [lesson.three_avenues(net, x, label, j).push for j in range(10)]
    assert np.allclose(heights(art["factors"][0]), net.output(x)[0])
    assert np.allclose(heights(art["factors"][1]), pushes)
    note = art["note"].get_text()
    assert f"{k.similarity:+.3f}" in note and f"{100 * k.agreement:.0f}%" in note


# ----- chapter 4 ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def stepper(net, data):
    return widgets.backward_stepper(net, data[0][:5], data[1][:5])


def visible_bars(bars):
    return sum(bar.get_visible() for bar in bars)


def test_stepping_back_reveals_one_layer_at_a_time(stepper, net, data):
    checks, pixels = stepper.artists["checks"], stepper.artists["pixels"]
    changed(stepper, "example", 1)
    changed(stepper, "step", 0)
    assert visible_bars(checks[0][0]) == 10 and visible_bars(checks[1][0]) == 0
    assert not pixels.get_visible()
    redraws, before, after = changed(stepper, "step", 2)
    assert redraws == 1 and after != before
    assert visible_bars(checks[1][0]) == 16 == visible_bars(checks[2][0])
    highlight, *_ = stepper.artists["network"]
    assert highlight.get_x() == 0.5
    changed(stepper, "step", 3)
    steps = lesson.backward_steps(net, data[0][1], data[1][1])
    assert pixels.get_visible()
    assert np.allclose(pixels.get_array(), steps[-1].activation_nudges.reshape(28, 28))


def test_stepper_shows_summed_wishes_and_minus_error_terms(stepper, net, data):
    changed(stepper, "example", 4)
    changed(stepper, "step", 3)
    x, label = data[0][4], data[1][4]
    errors = net.errors(x, [label])
    steps = lesson.backward_steps(net, x, label)
    for (bars, dots), layer in zip(stepper.artists["checks"], (3, 2, 1)):
        assert np.allclose(dots.get_ydata(), -errors[layer - 1][0])
        assert np.allclose(heights(bars), -errors[layer - 1][0])
    *_, nudge_bars = stepper.artists["network"]
    for s in steps[:-1]:
        widths = np.array([b.get_width() for b in nudge_bars[s.layer]])
        assert np.allclose(np.sign(widths), np.sign(s.activation_nudges))
    assert "Layer 0" in stepper.artists["status"].get_text()


def test_explorers_refuse_more_examples_than_they_can_precompute(net, data):
    many = np.zeros((51, 784))
    with pytest.raises(ValueError, match="1 to 50 images"):
        widgets.nudge_explorer(net, many, np.zeros(51, dtype=int))
    with pytest.raises(ValueError, match="labels"):
        widgets.backward_stepper(net, data[0][:3], data[1][:2])
