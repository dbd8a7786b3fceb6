"""The whole-network explorer: what it shows equals the lesson's own quantities."""
import numpy as np
import pytest
import traitlets

from backprop import Network, lesson
from backprop.explorers import NetworkExplorer, standalone_html, unpack
from backprop.explorers.whole_network import average_nudges, example_nudges

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
    explorer.average = False
    assert set(average_nudges(Network(seed=0), IMAGES, LABELS)) == {
        "weights1", "biases1", "weights2", "biases2", "weights3", "biases3"}


def test_weights_travel_as_float32_for_the_browser(explorer):
    packed = explorer.data["nets"][1]
    np.testing.assert_array_equal(unpack(packed["W2"]), Network(seed=1).weights[1].astype(np.float32))


@pytest.mark.parametrize("name, value, words", [
    ("network", 2, "network must be 0 to 1"), ("example", 3, "example must be 0 to 2"),
    ("step", 4, "step must be 0 to 3"), ("drawn_label", 10, "drawn_label must be 0 to 9"),
    ("example", 1.5, "example"),
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
