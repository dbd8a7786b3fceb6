"""The chapter 2-6 explorers, driven from Python as the page drives them.

Each test sets the control traits, reads :meth:`shown` (the numbers the page
draws, unpacked from the float32 data the page receives) and compares them with
the lesson's own functions, computed independently here.
"""
import re

import numpy as np
import pytest
import traitlets

import backprop as bp
from backprop import descent, lesson
from backprop.explorers.base import HERE
from backprop.explorers.nudges import NudgeExplorer
from backprop.explorers.sensitivity import SensitivityExplorer
from backprop.explorers.sgd import SGDExplorer, rate_grid, sgd_problems
from backprop.explorers.stepper import StepperExplorer

F32 = dict(rel=2e-6, abs=1e-12)  # what float32 packing leaves of a float64 number


def close(a, b):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=2e-6, atol=1e-9)


@pytest.fixture(scope="module")
def net():
    return bp.Network(seed=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    X = rng.random((60, 784)) * (rng.random((60, 784)) < 0.25)
    X[:, :200] = 0.0  # like MNIST's blank border: these pixels' weights never matter
    return X, np.arange(60) % 10


# ----- chapter 2: sensitivities --------------------------------------------------------
@pytest.fixture(scope="module")
def sensitivity(net, data):
    return SensitivityExplorer(net, *data, wiggle_range=0.4, points=11)


def test_sensitivity_choices_span_every_layer_most_sensitive_first(sensitivity, net, data):
    params = sensitivity.params
    assert 12 <= len(params) <= 24
    assert {p.layer for p, _, _ in params} == {1, 2, 3}
    assert {p.kind for p, _, _ in params} == {"weight", "bias"}
    g = net.gradient(*data)
    sizes = [abs(lesson.sensitivity(g, p)) for p, _, _ in params]
    assert sizes == sorted(sizes, reverse=True)


def test_sensitivity_shows_measured_and_predicted_changes_of_a_and_b(sensitivity, net, data):
    sensitivity.a, sensitivity.b, sensitivity.wiggle = 2, 15, 8
    shown, g = sensitivity.shown(), net.gradient(*data)
    a, b = shown["a"], shown["b"]
    assert (a, b) == (sensitivity.params[2][0], sensitivity.params[15][0])
    assert shown["wiggle"] == pytest.approx(np.linspace(-0.4, 0.4, 11)[8], **F32)
    for p, measured, predicted in zip((a, b), shown["measured"], shown["predicted"]):
        w = shown["wiggle"]
        assert measured == pytest.approx(lesson.measured_cost_change(net, *data, p, w), **F32)
        assert predicted == pytest.approx(lesson.predicted_cost_change(g, p, w), **F32)
    ratio = lesson.sensitivity(g, a) / lesson.sensitivity(g, b)
    assert shown["ratio_predicted"] == pytest.approx(ratio, rel=1e-5)
    assert shown["heat_layer"] == a.layer and close(shown["heat"], np.abs(g.weights[a.layer - 1]))


def test_sensitivity_ratio_is_none_when_b_never_moves_the_cost(net, data):
    explorer = SensitivityExplorer(net, *data, points=5)
    dead = [i for i, (_, g, _) in enumerate(explorer.params) if g == 0]
    assert dead, "weights from always-blank pixels have a zero slope"
    explorer.b = dead[0]
    assert explorer.shown()["ratio_measured"] is None


def test_sensitivity_refuses_bad_inputs_and_controls(net, data, sensitivity):
    with pytest.raises(ValueError, match="4 layers"):
        SensitivityExplorer(bp.Network([784, 10]), *data)
    with pytest.raises(ValueError, match="images must be 1 to 5000 rows"):
        SensitivityExplorer(net, np.zeros((0, 784)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="labels must be 60"):
        SensitivityExplorer(net, data[0], data[1][:59])
    with pytest.raises(ValueError, match="wiggle_range"):
        SensitivityExplorer(net, *data, wiggle_range=0)
    with pytest.raises(ValueError, match="points must be a whole number from 3 to 401"):
        SensitivityExplorer(net, *data, points=2)
    with pytest.raises(traitlets.TraitError, match="b must be 0 to"):
        sensitivity.b = len(sensitivity.params)
    with pytest.raises(traitlets.TraitError, match="wiggle must be 0 to 10"):
        sensitivity.wiggle = 11


# ----- chapter 3: one example's nudges and Hebb ----------------------------------------
@pytest.fixture(scope="module")
def nudges(net, data):
    return NudgeExplorer(net, data[0][:6], data[1][:6])


def test_nudges_show_the_three_avenues_of_an_output_neuron(nudges, net, data):
    nudges.example, nudges.layer, nudges.neuron = 3, 3, 7
    shown, x, label = nudges.shown(), data[0][3], int(data[1][3])
    avenues = lesson.three_avenues(net, x, label, 7)
    assert shown["label"] == label
    assert close(shown["desired_nudges"], lesson.desired_nudges(net.output(x)[0], label))
    assert shown["bias"] == pytest.approx(avenues.bias, **F32)
    assert close(shown["weights"], avenues.weights)
    assert close(shown["wish_parts"], avenues.wish_parts)


def test_nudges_compare_the_whole_update_with_hebb(nudges, net, data):
    nudges.example, nudges.layer, nudges.neuron = 2, 3, 4
    shown, x, label = nudges.shown(), data[0][2], int(data[1][2])
    k = lesson.compare_with_hebbian(net, x, label)
    assert close(shown["weight_nudges"], k.nudges) and close(shown["hebbian_update"], k.hebbian)
    assert shown["similarity"] == pytest.approx(k.similarity, rel=1e-6)
    assert shown["agreement"] == pytest.approx(k.agreement, rel=1e-6)


@pytest.mark.parametrize("layer", [2, 1])
def test_nudges_of_a_hidden_neuron_come_back_through_the_forward_weights(nudges, net, data, layer):
    nudges.example, nudges.layer, nudges.neuron = 1, layer, 5
    shown, x, label = nudges.shown(), data[0][1], int(data[1][1])
    avenues = lesson.three_avenues(net, x, label, 5, layer=layer)
    assert close(shown["weights"], avenues.weights)
    assert close(shown["weight_nudges"], lesson.example_weight_nudges(net, x, label, layer))
    fwd = net.forward(x).activations
    hebb = lesson.hebbian_update(fwd[layer - 1][0], fwd[layer][0])
    assert close(shown["hebbian_update"], hebb)
    assert shown["similarity"] == pytest.approx(
        lesson.hebbian_similarity(lesson.example_weight_nudges(net, x, label, layer), hebb), rel=1e-6)
    pushes_after = -net.errors(x, [label])[layer][0]
    from_next = lesson.wish_parts(net.weights[layer], pushes_after)[:, 5]
    assert close(shown["own_wish_parts"], from_next)
    assert close(shown["wish_parts"], avenues.wish_parts)
    assert shown["wish"] == pytest.approx(from_next.sum(), **F32)
    assert shown["slope"] * shown["wish"] == pytest.approx(avenues.push, rel=1e-5)


def test_nudges_keep_the_neuron_inside_the_chosen_layer(nudges):
    nudges.layer, nudges.neuron = 2, 15
    nudges.layer = 3
    assert nudges.neuron == 9
    with pytest.raises(traitlets.TraitError, match=r"neuron \(of layer 3\) must be 0 to 9"):
        nudges.neuron = 10
    with pytest.raises(traitlets.TraitError, match="layer must be 3 .output., 2 or 1"):
        nudges.layer = 0


def test_nudges_and_stepper_refuse_what_they_cannot_show(net, data):
    with pytest.raises(ValueError, match="images must be 1 to 50 rows"):
        NudgeExplorer(net, np.zeros((51, 784)), np.zeros(51, dtype=int))
    with pytest.raises(ValueError, match="images must be 1 to 50 rows"):
        StepperExplorer(net, np.zeros((0, 784)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="labels must be 3 whole numbers 0 to 9"):
        StepperExplorer(net, data[0][:3], [1, 2, 10])
    with pytest.raises(ValueError, match="quadratic cost"):
        NudgeExplorer(bp.Network(cost="cross_entropy"), data[0][:3], data[1][:3])
    with pytest.raises(ValueError, match="784 pixels"):
        StepperExplorer(bp.Network([100, 16, 16, 10]), np.zeros((2, 100)), [0, 1])


# ----- chapter 4: the backwards stepper ------------------------------------------------
@pytest.fixture(scope="module")
def stepper(net, data):
    return StepperExplorer(net, data[0][:5], data[1][:5])


def test_stepper_starts_at_the_outputs_and_checks_against_delta(stepper, net, data):
    stepper.example, stepper.step = 4, 0
    shown, x, label = stepper.shown(), data[0][4], int(data[1][4])
    assert shown["reached"] == [3] and shown["pixel_wishes"] is None
    out = shown["layers"][3]
    assert close(out["wishes"], 2 * lesson.desired_nudges(net.output(x)[0], label))
    assert close(out["minus_delta"], -net.errors(x, [label])[2][0])
    assert close(out["pushes"], out["minus_delta"]) and out["gap"] < 1e-12


def test_each_layers_wishes_add_up_the_pushes_of_the_layer_after(stepper, net, data):
    stepper.example, stepper.step = 1, 3
    shown, x, label = stepper.shown(), data[0][1], int(data[1][1])
    assert shown["reached"] == [3, 2, 1, 0]
    deltas = net.errors(x, [label])
    for layer in (2, 1, 0):
        summed = lesson.wishes_from_pushes(net.weights[layer], -deltas[layer][0])
        assert close(shown["layers"][layer]["wishes"], summed)
    pixels = lesson.backward_steps(net, x, label)[-1].wishes
    assert close(shown["pixel_wishes"], pixels.reshape(28, 28))
    with pytest.raises(traitlets.TraitError, match="step must be 0 to 3"):
        stepper.step = 4


# ----- chapter 6: gradient descent vs SGD ----------------------------------------------
@pytest.fixture(scope="module")
def small_problems(data):
    trained = bp.Network(seed=0)
    return {"line": (descent.LineFit(n_examples=200, seed=1), (0.03, 3.0, 0.3)),
            "slice": (descent.NetworkSlice(trained, *data, first=(1, 3, 0), second=(1, 3, 1)),
                      (3.0, 300.0, 30.0))}


@pytest.fixture(scope="module")
def sgd(small_problems):
    return SGDExplorer(small_problems, max_steps=30, grid_points=21, rates_per_decade=2, seeds=2)


def test_learning_rate_grid_is_log_spaced_and_holds_the_usual_rate():
    rates = rate_grid(0.01, 3.0, 0.3, 5)
    assert rates[0] >= 0.01 and rates[-1] <= 3.0 * (1 + 1e-12)
    assert 0.3 in rates and np.allclose(np.diff(np.log10(rates)), 0.2)


def test_sgd_shows_the_walks_descend_takes(sgd, small_problems):
    sgd.problem, sgd.batch_size, sgd.seed, sgd.steps = "line", 10, 1, 20
    sgd.rate = 1
    shown = sgd.shown()
    problem = small_problems["line"][0]
    assert shown["learning_rate"] == pytest.approx(0.3 / 10 ** 0.5, **F32)
    for name, batch, seed in (("gd", None, 0), ("sgd", 10, 1)):
        walk = descent.descend(problem, shown["learning_rate"], 20, batch, seed)
        assert close(shown[name]["params"], walk.params) and close(shown[name]["costs"], walk.costs)
        assert np.array_equal(shown[name]["examples"], walk.examples)


def test_sgd_with_every_example_is_gradient_descent(sgd):
    sgd.problem, sgd.steps = "slice", 30  # 60 examples: a batch of 100 is all of them
    for batch in (0, 100):
        sgd.batch_size = batch
        shown = sgd.shown()
        assert shown["batch_size"] == 60
        assert close(shown["sgd"]["params"], shown["gd"]["params"])
        assert np.array_equal(shown["sgd"]["examples"], shown["gd"]["examples"])


def test_a_diverging_walk_stops_and_says_where(sgd, small_problems):
    sgd.problem, sgd.batch_size, sgd.steps = "line", 1, 30
    sgd.rate = len(sgd.data["problems"][0]["gd_diverged"]) - 1  # the largest rate
    shown = sgd.shown()
    walk = descent.descend(small_problems["line"][0], shown["learning_rate"], 30)
    assert walk.diverged_at is not None and shown["gd"]["diverged_at"] == walk.diverged_at
    assert len(shown["gd"]["params"]) == walk.diverged_at
    sgd.steps = walk.diverged_at - 1
    assert sgd.shown()["gd"]["diverged_at"] is None


def test_choosing_a_problem_resets_its_usual_learning_rate(sgd):
    sgd.problem, sgd.rate = "line", 0
    sgd.problem = "slice"
    assert sgd.shown()["learning_rate"] == pytest.approx(30.0, **F32)


def test_sgd_refuses_bad_problems_and_controls(sgd):
    with pytest.raises(ValueError, match="non-empty dict"):
        SGDExplorer({})
    with pytest.raises(ValueError, match="diverges on its very first step"):
        SGDExplorer({"steep": (descent.LineFit(n_examples=50), (0.01, 50.0, 50.0))})
    with pytest.raises(ValueError, match=r"problems\['line'\] must be \(problem, "):
        SGDExplorer({"line": (descent.LineFit(n_examples=50), 0.3)})
    with pytest.raises(ValueError, match="0 < lowest <= usual <= highest"):
        SGDExplorer({"line": (descent.LineFit(n_examples=50), (1.0, 3.0, 0.5))})
    with pytest.raises(ValueError, match="max_steps must be a whole number from 1 to 200"):
        SGDExplorer({"line": (descent.LineFit(n_examples=50), (0.1, 1.0, 0.3))}, max_steps=0)
    with pytest.raises(traitlets.TraitError, match="batch_size must be 1, 10, 100 or 0"):
        sgd.batch_size = 7
    with pytest.raises(traitlets.TraitError, match="steps must be 1 to 30"):
        sgd.steps = 0
    with pytest.raises(traitlets.TraitError, match="problem must be one of"):
        sgd.problem = "bowl"


# ----- all four: front-end contract and sizes as the chapters build them ---------------
def test_changes_sent_by_the_page_are_checked_like_changes_made_in_python(nudges, sgd):
    nudges.set_state({"layer": 2, "neuron": 15})
    nudges.set_state({"layer": 3})  # as the page sends it when the reader picks the outputs
    assert (nudges.layer, nudges.neuron) == (3, 9)
    with pytest.raises(traitlets.TraitError, match="neuron"):
        nudges.set_state({"neuron": 12})
    usual = sgd.data["problems"][1]["usual"]
    sgd.set_state({"problem": "line", "rate": 0})
    sgd.set_state({"problem": "slice", "rate": usual})  # the page resets the rate with it
    assert sgd.shown()["learning_rate"] == pytest.approx(30.0, **F32)


# ----- all four: front-end contract and sizes as the chapters build them ---------------
@pytest.mark.parametrize("name", ["sensitivity", "nudges", "stepper", "sgd"])
def test_front_ends_use_only_the_model_calls_the_static_runtime_offers(name):
    source = (HERE / f"{name}.js").read_text()
    assert "export default { render }" in source
    assert set(re.findall(r"model\.(\w+)", source)) <= {"get", "set", "on", "save_changes"}


@pytest.mark.parametrize("name", ["common", "sensitivity", "nudges", "stepper", "sgd",
                                  "whole_network"])
def test_no_explorer_draws_text_smaller_than_the_size_the_canvas_protects(name):
    smallest = int(re.search(r"const SMALLEST_TEXT = (\d+);", (HERE / "common.js").read_text())[1])
    source = (HERE / f"{name}.js").read_text()
    sizes = [int(n) for n in re.findall(r"\bsize: (\d+)", source)]
    sizes += [int(n) for n in re.findall(r'"(\d+)px system-ui', source)]
    assert sizes and min(sizes) >= smallest, (name, sorted(sizes))


def test_explorers_as_the_chapters_build_them_stay_small(mnist):
    (X, y), _ = mnist
    net = bp.Network(seed=0)
    picks = list(range(12))
    sizes = {"nudges": NudgeExplorer(net, X[picks], y[picks]).data_bytes(),
             "stepper": StepperExplorer(net, X[picks], y[picks]).data_bytes(),
             "sensitivity": SensitivityExplorer(net, X[:500], y[:500]).data_bytes()}
    bp.train(net, X[:10000], y[:10000], epochs=3, learning_rate=3.0, progress=False)
    sizes["sgd"] = SGDExplorer(sgd_problems(net, X[:1000], y[:1000])).data_bytes()
    print({name: f"{size / 1000:.0f} KB" for name, size in sizes.items()})
    assert sizes["sgd"] <= 600_000
    assert max(sizes["nudges"], sizes["stepper"], sizes["sensitivity"]) <= 200_000


def test_sgd_problems_say_which_networks_they_slice():
    with pytest.raises(ValueError, match="networks with 4 layers"):
        sgd_problems(bp.Network([784, 10]), np.zeros((5, 784)), np.zeros(5, int))


def test_sensitivity_names_each_parameter_in_words(sensitivity):
    from backprop.explorers.sensitivity import plain_name

    names = sensitivity.data["names"]
    assert len(names) == len(sensitivity.params)
    for name, (p, _, rank) in zip(names, sensitivity.params):
        assert name.endswith(f"({p.label}, rank {rank + 1:,})")
    cases = {("bias", 3, (9,)): "bias of output 9",
             ("bias", 2, (4,)): "bias of layer-2 neuron 4",
             ("weight", 1, (7, 188)): "weight from pixel 188 into layer-1 neuron 7",
             ("weight", 3, (2, 15)): "weight from layer-2 neuron 15 into output 2"}
    for (kind, layer, index), words in cases.items():
        assert plain_name(lesson.Param(layer=layer, kind=kind, index=index)) == words
