"""The whole-network explorer: what it shows equals the lesson's own quantities."""
import numpy as np
import pytest
import traitlets

from backprop import Network, lesson
from backprop.explorers import NetworkExplorer, standalone_html, unpack
from backprop.explorers.drawing import pad_network
from backprop.explorers.whole_network import (PAD_NETWORK_NAME, STEP_NAMES, TOP_PIXEL_LINES,
                                              average_nudges, example_nudges)

RNG = np.random.default_rng(5)
IMAGES = RNG.uniform(0, 1, (3, 784))
LABELS = np.array([2, 7, 0])


@pytest.fixture(scope="module")
def explorer():
    nets = {"untrained": Network(seed=0), "other": Network(seed=1)}
    return NetworkExplorer(nets, IMAGES, LABELS, average_over=(IMAGES, LABELS))


def test_shown_numbers_follow_the_controls_and_match_the_backward_walk(explorer):
    for network, net in enumerate((Network(seed=0), Network(seed=1))):
        for example in range(3):
            explorer.network, explorer.example = network, example
            shown = explorer.shown()
            walk = lesson.backward_steps(net, IMAGES[example], int(LABELS[example]))
            np.testing.assert_allclose(shown["a3"], walk[0].activations, atol=1e-6)
            np.testing.assert_allclose(shown["push3"], -walk[0].delta, atol=1e-6)
            np.testing.assert_allclose(shown["push1"], -walk[2].delta, atol=1e-6)
            np.testing.assert_allclose(shown["wish0"], walk[3].wishes, atol=1e-6)
            np.testing.assert_allclose(shown["desired_nudges"],
                                       lesson.desired_nudges(walk[0].activations, LABELS[example]),
                                       atol=1e-6)
            assert shown["guess"] == int(np.argmax(net.output(IMAGES[example])))


def test_weight_nudge_of_one_example_is_minus_its_gradient():
    # The module draws push[j] * a[k] as the nudge of weight k -> j.
    net = Network(seed=2)
    fields = example_nudges(net, IMAGES[:1], LABELS[:1])
    gradient = net.gradient(IMAGES[:1], LABELS[:1])
    for layer in (1, 2, 3):
        drawn = np.outer(fields[f"push{layer}"][0], fields[f"a{layer - 1}"][0])
        np.testing.assert_allclose(drawn, -gradient.weights[layer - 1], atol=1e-12)


def test_average_view_is_minus_the_gradient_of_the_averaged_cost(explorer):
    explorer.network, explorer.average = 0, True
    average = explorer.shown()["average_weights"]
    expected = Network(seed=0).gradient(IMAGES, LABELS)
    for got, want in zip(average, expected.weights):
        np.testing.assert_allclose(got, -want, atol=1e-6)
    # the arrows show the averaged wishes: the same quantity as for one image
    wishes = explorer.shown()["average_wishes"]
    walks = [lesson.backward_steps(Network(seed=0), x, int(d)) for x, d in zip(IMAGES, LABELS)]
    for l in range(4):
        np.testing.assert_allclose(wishes[l], np.mean([w[3 - l].wishes for w in walks], axis=0),
                                   atol=1e-6)
    explorer.average = False
    assert set(average_nudges(Network(seed=0), IMAGES, LABELS)) == {
        "weights1", "weights2", "weights3", "mean_wish0", "mean_wish1", "mean_wish2", "mean_wish3"}


def test_weights_travel_as_float32_for_the_browser(explorer):
    packed = explorer.data["nets"][1]
    np.testing.assert_array_equal(unpack(packed["W2"]), Network(seed=1).weights[1].astype(np.float32))


@pytest.mark.parametrize("name, value, words", [
    ("network", 3, "network must be 0 to 2"), ("example", 3, "example must be 0 to 2"),
    ("step", 4, "step must be 0 to 3"), ("drawn_label", 10, "drawn_label must be 0 to 9"),
    ("example", 1.5, "example"), ("drawn_label", -2, "drawn_label must be 0 to 9"),
])
def test_control_values_out_of_range_name_the_control(explorer, name, value, words):
    before = getattr(explorer, name)
    with pytest.raises(traitlets.TraitError, match=words):
        setattr(explorer, name, value)
    assert getattr(explorer, name) == before


def test_drawing_pad_has_no_python_numbers(explorer):
    explorer.example = -1
    with pytest.raises(ValueError, match="computed in the browser"):
        explorer.shown()
    explorer.example = 0


@pytest.mark.parametrize("kwargs, words", [
    (dict(networks={"x": Network([784, 16, 10])}), "networks with 4 layers"),
    (dict(networks={"x": Network([100, 16, 16, 10])}), "784 pixels"),
    (dict(networks={"x": Network(activation="relu")}), "sigmoid"),
    (dict(networks={}), "non-empty dict"),
    (dict(networks={"x": "not a network"}), "must be a backprop Network"),
    (dict(images=np.zeros((13, 784)), labels=np.zeros(13, int)), "1 to 12 rows"),
    (dict(images=np.zeros((2, 100))), "784 pixels"),
    (dict(labels=np.array([1, 2, 10])), "whole numbers 0 to 9"),
    (dict(max_step=5), "max_step"),
])
def test_bad_arguments_get_one_clear_error(kwargs, words):
    arguments = dict(networks={"n": Network(seed=0)}, images=IMAGES, labels=LABELS)
    arguments.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=words):
        NetworkExplorer(**arguments)


def test_standalone_page_carries_the_module_data_and_runtime(explorer):
    html = standalone_html([explorer], "test")
    assert "application/vnd.jupyter.widget-state+json" in html
    assert "function nudgesFor" in html and "makeModel" in html
    assert "</script" not in html.split('widget-state+json">', 1)[1].split("</script>", 1)[0]
    with pytest.raises(ValueError, match="non-empty list"):
        standalone_html([], "empty")


def test_the_pad_reads_with_the_shipped_network_and_no_label_is_said_at_first(explorer):
    assert explorer.data["names"][-1] == PAD_NETWORK_NAME
    assert explorer.data["pad_network"] == 2 and explorer.drawn_label == -1
    np.testing.assert_array_equal(unpack(explorer.data["nets"][2]["W1"]),
                                  pad_network().weights[0].astype(np.float32))
    explorer.network = 0
    explorer.example = -1            # choosing "your drawing" selects the pad's network
    assert explorer.network == 2
    explorer.network = 0             # ... which the reader may change again
    explorer.example = 1
    assert explorer.network == 0
    no_pad = NetworkExplorer({"untrained": Network(seed=0)}, IMAGES, LABELS, pad=False)
    assert no_pad.data["names"] == ["untrained"] and "samples" not in no_pad.data


def test_step_zero_names_the_wishes_it_draws():
    assert STEP_NAMES[0] == "the outputs' wishes (2 × desired nudge)"


@pytest.fixture
def reset(explorer):
    yield explorer
    explorer.network, explorer.example, explorer.step, explorer.average = 0, 0, 0, False


@pytest.mark.parametrize("step", [1, 2, 3])
def test_drawn_connections_are_one_examples_weight_nudges(reset, step):
    explorer = reset
    explorer.network, explorer.example, explorer.step = 1, 2, step
    drawn = explorer.drawn_nudges()
    walk = lesson.backward_steps(Network(seed=1), IMAGES[2], int(LABELS[2]))
    assert sorted(drawn["connections"]) == list(range(4 - step, 4))
    for l, (j, k, nudges) in drawn["connections"].items():
        step_l = walk[3 - l]   # the walk starts at the outputs
        expected = np.outer(step_l.pushes, walk[4 - l].activations)   # push_j * a_k
        np.testing.assert_allclose(nudges, expected[j, k], rtol=1e-5, atol=1e-9)
        if l == 1:   # only the strongest from the pixels
            assert len(j) == TOP_PIXEL_LINES
            assert np.min(np.abs(nudges)) >= np.sort(np.abs(expected).ravel())[-TOP_PIXEL_LINES] * (1 - 1e-5)
        else:
            assert len(j) == expected.size
        np.testing.assert_allclose(drawn["scale"][l], np.max(np.abs(expected)), rtol=1e-5)
        np.testing.assert_allclose(drawn["arrows"][l], step_l.wishes, atol=1e-6)


def test_the_still_draws_each_connection_as_wide_as_its_nudge(reset):
    import matplotlib.pyplot as plt

    from backprop.figures.network import NUDGE_WIDEST

    explorer = reset
    explorer.network, explorer.example, explorer.step = 0, 1, 3
    walk = lesson.backward_steps(Network(seed=0), IMAGES[1], int(LABELS[1]))
    fig, ax = plt.subplots(figsize=(9.5, 5.5))
    art = explorer.still(ax)
    for l in (1, 2, 3):
        expected = np.outer(walk[3 - l].pushes, walk[4 - l].activations)
        widths = art["connections"][l].get_linewidths()
        # width = 0.3 + widest * |nudge| / largest, so the widths give back the nudges' sizes
        sizes = (np.asarray(widths) - 0.3) / NUDGE_WIDEST[l] * np.max(np.abs(expected))
        strongest = np.sort(np.abs(expected).ravel())[::-1][:len(widths)]
        np.testing.assert_allclose(np.sort(sizes)[::-1], strongest, rtol=1e-4, atol=1e-12)
    assert "the 200 strongest from the pixels" in art["key"].get_text()
    plt.close(fig)


def test_the_still_honours_average_on_the_images_scale(reset):
    import matplotlib.pyplot as plt

    from backprop.figures.network import NUDGE_WIDEST

    explorer = reset
    explorer.network, explorer.example, explorer.step, explorer.average = 0, 0, 1, True
    fig, ax = plt.subplots(figsize=(9.5, 5.5))
    art = explorer.still(ax)
    average = -Network(seed=0).gradient(IMAGES, LABELS).weights[2]
    walk = lesson.backward_steps(Network(seed=0), IMAGES[0], int(LABELS[0]))
    own = np.abs(np.outer(walk[0].pushes, walk[1].activations)).max()
    scale = max(own, np.abs(average).max())
    widths = np.asarray(art["connections"][3].get_linewidths())
    np.testing.assert_allclose(widths, 0.3 + NUDGE_WIDEST[3] * np.abs(average).ravel() / scale,
                               rtol=1e-4)
    assert "averaged over 3 images" in ax.get_title()
    plt.close(fig)


def test_the_stills_key_names_only_what_is_drawn(reset):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    chapter1 = NetworkExplorer({"n": Network(seed=0)}, IMAGES, LABELS, max_step=0, pad=False)
    key = chapter1.still(ax)["key"].get_text()
    assert "Shade" in key and "Bars" not in key and "Lines" not in key
    reset.step = 0
    key = reset.still(ax)["key"].get_text()
    assert "Bars: wishes" in key and "Lines" not in key
    plt.close(fig)
