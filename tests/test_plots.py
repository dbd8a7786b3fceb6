"""Drawings return artists that carry exactly the values they were given."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop import lesson  # noqa: E402
from backprop.figures import lesson as plots, network as network_plots  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def heights(bars):
    return np.array([bar.get_height() for bar in bars])


def test_draw_digit_shows_the_pixels_as_a_28_by_28_image(ax):
    pixels = np.linspace(0, 1, 784)
    image = plots.draw_digit(pixels, ax, "a digit")
    assert np.array_equal(image.get_array(), pixels.reshape(28, 28))
    assert image.get_clim() == (0, 1) and ax.get_title() == "a digit"


def test_signed_digit_is_centred_on_zero(ax):
    image = plots.draw_digit(np.linspace(-2, 1, 784), ax, cmap=plots.SIGNED)
    assert image.get_clim() == (-2, 2)


def test_nudge_bars_have_the_nudges_as_heights_and_sign_colours(ax):
    nudges = np.array([0.5, -0.25, 0.0, -1.0])
    bars = plots.draw_signed_bars(nudges, ax)
    assert np.array_equal(heights(bars), nudges)
    assert [matplotlib.colors.to_hex(b.get_facecolor()) for b in bars] == [
        plots.UP, plots.DOWN, plots.UP, plots.DOWN]
    plots.set_bars(bars, -nudges)
    assert np.array_equal(heights(bars), -nudges)
    assert matplotlib.colors.to_hex(bars[0].get_facecolor()) == plots.DOWN


def test_draw_outputs_marks_the_desired_digit(ax):
    output = np.linspace(0.1, 0.9, 10)
    bars = plots.draw_outputs(output, 3, ax)
    assert np.allclose(heights(bars), output)
    assert "3" in ax.get_title()


def test_activation_functions_draw_both_unscaled_and_relu_leaves_the_top(ax):
    sigmoid_line, relu_line = plots.draw_activation_functions(ax, z_range=4.0, top=2.0)
    z, a = sigmoid_line.get_data()
    assert np.allclose(a, bp.sigmoid(z))
    z, r = relu_line.get_data()
    assert np.allclose(r, np.maximum(z, 0))  # not divided by anything
    bottom, top = ax.get_ylim()
    assert top == 2.0 and r.max() > top      # ReLU runs off the axes: no ceiling drawn
    assert a.max() < 1 < top                 # the sigmoid's ceiling is inside


def test_weights_mosaic_puts_each_neurons_weights_in_its_own_tile():
    rows = np.random.default_rng(0).random((16, 784))
    mosaic = plots.weights_mosaic(rows)
    assert mosaic.shape == (4 * 29 - 1, 4 * 29 - 1)
    for neuron, pixel in [(0, 0), (5, 29), (15, 783), (10, 400)]:
        assert mosaic[plots.mosaic_position(neuron, pixel)] == rows[neuron, pixel]
    assert np.isnan(mosaic[28, 0]) and np.isnan(mosaic[0, 28])


def test_sensitivity_heatmap_shows_absolute_values(ax):
    g = np.array([[1.0, -3.0], [0.5, 0.0]])
    image = plots.draw_sensitivity_heatmap(g, layer=2, ax=ax)
    assert np.array_equal(image.get_array(), np.abs(g))
    assert image.get_clim() == (0, 3.0) and "layer 2" in ax.get_title()
    first = plots.draw_sensitivity_heatmap(np.ones((16, 784)), layer=1, ax=ax, colorbar=False)
    assert first.get_array().shape == (115, 115)
    assert "|dC/dw|" in ax.get_xlabel()          # it draws sensitivities, not weights


def test_wiggle_curve_draws_measurement_tangent_and_current_point(ax):
    wiggles = np.linspace(-1, 1, 5)
    measured = wiggles ** 2 + 0.5 * wiggles
    curve, tangent, point = plots.draw_wiggle_curve(wiggles, measured, 0.5, 0.5, ax)
    assert np.array_equal(curve.get_ydata(), measured)
    assert np.allclose(tangent.get_ydata(), 0.5 * wiggles)
    assert point.get_xdata()[0] == 0.5 and point.get_ydata()[0] == pytest.approx(0.5)
    assert tangent.get_label() == "parameter: sensitivity x wiggle (prediction)"


def test_change_bars_pair_measured_and_predicted(ax):
    got, guess = plots.draw_change_bars(["A", "B"], [0.3, 0.01], [0.32, 0.011], ax)
    assert np.allclose(heights(got), [0.3, 0.01]) and np.allclose(heights(guess), [0.32, 0.011])
    assert got.get_label() == "measured" and guess.get_label() == "sensitivity x wiggle (prediction)"


def test_avenues_draw_bias_first_then_weights_and_wish_parts():
    net = bp.Network(seed=0)
    x = np.random.default_rng(1).random(784)
    avenues = lesson.three_avenues(net, x, 2, 2)
    params, previous = plots.draw_avenues(avenues)
    assert heights(params)[0] == avenues.bias
    assert np.array_equal(heights(params)[1:], avenues.weights)
    assert np.array_equal(heights(previous), avenues.wish_parts)
    plt.close("all")


def test_update_heatmap_outlines_the_chosen_row(ax):
    update = np.arange(12.0).reshape(3, 4) - 6
    image, frame = plots.draw_signed_heatmap(update, ax, "update", row=2)
    assert np.array_equal(image.get_array(), update) and image.get_clim() == (-6, 6)
    assert frame.get_y() == 1.5 and frame.get_visible()
    _, hidden = plots.draw_signed_heatmap(update, ax, colorbar=False)
    assert not hidden.get_visible()


def test_row_factors_show_both_rules(ax):
    hebb, back = plots.draw_row_factors([0.2, 0.9], [0.1, -0.3], ax)
    assert np.allclose(heights(hebb), [0.2, 0.9]) and np.allclose(heights(back), [0.1, -0.3])
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "Hebbian: own activation", "weight nudges: push (blue up, red down)"]
    swatches = {tuple(s.get_facecolor()) for s in legend.findobj(matplotlib.patches.Rectangle)}
    assert {matplotlib.colors.to_rgba(c) for c in (plots.UP, plots.DOWN)} <= swatches


def test_neuron_positions_centre_each_layer():
    where = network_plots.neuron_positions([3, 2])
    assert np.array_equal(where[0], [[0, 1], [0, 0], [0, -1]])
    assert np.array_equal(where[1], [[1, 0.5], [1, -0.5]])


def test_network_drawing_has_every_connection_neuron_and_wish(ax):
    net = bp.Network(seed=0)
    x = np.random.default_rng(1).random(784)
    steps = lesson.backward_steps(net, x, 2)
    activations = [s.activations for s in steps[::-1]]
    wishes = [s.wishes for s in steps[::-1]]
    art = network_plots.draw_network(net.sizes, activations, net.weights, ax, wishes, current=2)
    assert [len(c.get_segments()) for c in art["connections"]] == [16 * 16, 10 * 16]
    assert np.allclose(art["connections"][1].get_array(),
                       net.weights[2].ravel() / np.abs(net.weights[2]).max())
    assert [len(n.get_offsets()) for n in art["neurons"]] == [16, 16, 10]
    assert np.allclose(art["neurons"][2].get_array(), activations[3])
    widths = np.array([b.get_width() for b in art["wishes"][3]])
    assert np.allclose(widths, network_plots.WISH_BAR * wishes[3] / np.abs(wishes[3]).max())
    assert art["highlight"].get_x() == 1.5
    assert art["connections"][1].get_alpha() == 0.9 and art["connections"][0].get_alpha() == 0.15
    network_plots.show_network_step(art, 1)
    assert art["highlight"].get_x() == 0.5 and art["connections"][0].get_alpha() == 0.9


def test_wish_check_draws_pushes_as_bars_and_minus_delta_as_dots(ax):
    bars, dots = plots.draw_wish_check([0.1, -0.2], [0.1, -0.2], ax, layer=2)
    assert np.allclose(heights(bars), [0.1, -0.2]) and np.allclose(dots.get_ydata(), [0.1, -0.2])
    assert "Layer 2" in ax.get_title()


def test_notation_names_the_layers_and_draws_w_from_k_to_j(ax):
    art = network_plots.draw_notation((784, 16, 16, 10), ax, layer=2, j=1, k=2)
    titles = [t.get_text() for t in art["layers"]]
    assert [t.split("\n")[0] for t in titles] == ["layer 0", "layer 1", "layer 2", "layer 3"]
    assert "784" in titles[0] and "pixels" in titles[0] and "10" in titles[3]
    start = art["neurons"][1].get_offsets()[2]   # neuron k = 2 of layer 1
    end = art["neurons"][2].get_offsets()[1]     # neuron j = 1 of layer 2
    assert np.allclose(np.transpose(art["weight"].get_data()), [start, end])
    names = {key: text.get_text() for key, text in art["names"].items()}
    assert names["w"].startswith("$w^{(2)}_{jk}$") and "from $k$ to $j$" in names["w"]
    assert names["b"].startswith("$b^{(2)}_j$") and names["a"].startswith("$a^{(2)}_j")
    assert "a^{(1)}_k" in names["z"] and "b^{(2)}_j" in names["z"]
    assert np.allclose(art["names"]["w"].xy, (start + end) / 2)   # arrows point at what
    assert np.allclose(art["names"]["b"].xy, end)                 # they name
    assert np.allclose(art["names"]["a_prev"].xy, start)


def every_text(fig):
    """Every piece of text a figure would draw (titles, labels, ticks, legends, notes)."""
    fig.canvas.draw()
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def test_no_drawing_uses_text_smaller_than_the_base_font():
    """The book's check assumes no text below 10 pt: no 'small' or fixed small sizes."""
    net = bp.Network(seed=0)
    x = np.random.default_rng(1).random(784)
    steps = lesson.backward_steps(net, x, 2)
    with plt.rc_context({"font.size": 10.5}):
        fig, axes = plt.subplots(3, 4, figsize=(16, 12))
        a = axes.flat
        plots.draw_digit(x, next(a), "digit")
        plots.draw_activation_functions(next(a))
        plots.draw_outputs(np.linspace(0, 1, 10), 2, next(a))
        plots.draw_signed_bars(np.linspace(-1, 1, 10), next(a))
        plots.draw_sensitivity_heatmap(np.ones((16, 784)), 1, next(a))
        plots.draw_wiggle_curve(np.linspace(-1, 1, 5), np.zeros(5), 0.1, 0.5, next(a))
        plots.draw_change_bars(["A", "B"], [0.1, 0.2], [0.1, 0.2], next(a))
        plots.draw_signed_heatmap(np.ones((3, 4)), next(a), "update", row=1)
        plots.draw_row_factors([0.2, 0.9], [0.1, -0.3], next(a))
        plots.draw_wish_check([0.1, -0.2], [0.1, -0.2], next(a))
        network_plots.draw_network(net.sizes, [s.activations for s in steps[::-1]], net.weights, next(a))
        network_plots.draw_notation(ax=next(a))
        sizes = [t.get_fontsize() for t in every_text(fig)]
        plt.close(fig)
    assert len(sizes) > 50 and min(sizes) >= 10.5
