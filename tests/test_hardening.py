"""Issue 23's smaller cases: explorers refuse non-finite numbers, a saved page is written
whole and escapes what it holds, and each odd argument gets one clear error naming it
(or the right result, checked against a computation written here).
"""
from __future__ import annotations

import errno
import json
import re

import numpy as np
import pytest

import backprop as bp
from backprop import hebb, lesson, sensitivity as sens
from backprop.exercises import check_mini_batches, check_sigmoid
from backprop.explorers import page
from backprop.explorers.nudges import NudgeExplorer
from backprop.explorers.sensitivity import SensitivityExplorer
from backprop.explorers.stepper import StepperExplorer

RNG = np.random.default_rng(23)
IMAGES, LABELS = RNG.random((2, 784)), np.array([3, 7])


# ------------------------------------------------------------------ explorers and pages

@pytest.mark.parametrize("explorer", [StepperExplorer, NudgeExplorer, SensitivityExplorer])
@pytest.mark.parametrize("where", ["weight", "bias", "inf weight"])
def test_explorers_refuse_a_network_with_non_finite_parameters(explorer, where):
    net = bp.Network(seed=0)
    if where == "bias":
        net.biases[1][3] = np.nan
    else:
        net.weights[2][0, 5] = np.nan if where == "weight" else -np.inf
    with pytest.raises(ValueError, match=r"net's weights or biases hold NaN or inf"):
        explorer(net, IMAGES, LABELS)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_explorers_refuse_non_finite_images(bad):
    images = IMAGES.copy()
    images[1, 100] = bad
    with pytest.raises(ValueError, match=r"images must hold finite pixel values"):
        StepperExplorer(bp.Network(seed=0), images, LABELS)


@pytest.fixture(scope="module")
def stepper():
    return StepperExplorer(bp.Network(seed=0), IMAGES, LABELS)


def test_the_title_is_escaped(stepper, tmp_path):
    title = "</title><script>alert('x')</script> & more"
    text = page.save_html([stepper], tmp_path / "p.html", title=title).read_text()
    assert "<script>alert" not in text
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more</title>" in text


def test_text_in_the_data_cannot_close_the_script_tag(stepper):
    stepper.caption = "</script><script>alert(1)</script><!--"
    try:
        text = page.standalone_html([stepper])
    finally:
        stepper.caption = ""
    assert text.count("</script>") == 3  # state, view, runtime: none from the caption
    assert "<script>alert" not in text and "<!--" not in text
    state = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S)
    models = json.loads(state.group(1))["state"]
    captions = [m["state"].get("caption") for m in models.values()]
    assert "</script><script>alert(1)</script><!--" in captions  # read back unchanged


@pytest.mark.parametrize("title", [None, 3, b"bytes"])
def test_a_title_that_is_not_text_is_named(stepper, title):
    with pytest.raises(TypeError, match="title must be text"):
        page.standalone_html([stepper], title=title)


class FullDisk:
    """Stands in for a file on a disk that fills up after ``room`` characters."""

    def __init__(self, real, room: int) -> None:
        self.real, self.room = real, room

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()

    def write(self, text: str) -> int:
        self.real.write(text[:self.room])
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_save_keeps_the_old_page_whole_and_leaves_nothing(stepper, tmp_path, monkeypatch):
    path = page.save_html([stepper], tmp_path / "explorer.html", title="old")
    old = path.read_text()
    real_fdopen = page.os.fdopen
    monkeypatch.setattr(page.os, "fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k), 1000))
    with pytest.raises(OSError, match="No space left"):
        page.save_html([stepper], path, title="new")
    assert path.read_text() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explorer.html"]


# ------------------------------------------------------------------ the smaller cases

NET = bp.Network([3, 4, 2], seed=0)
X, Y = RNG.random((5, 3)), np.array([0, 1, 0, 1, 1])


@pytest.mark.parametrize("call, error, words", [
    (lambda: bp.train(NET.copy(), X, Y, learning_rate="0.1", progress=False), TypeError, "learning rate"),
    (lambda: bp.train(NET.copy(), X, Y, learning_rate=True, progress=False), TypeError, "learning rate"),
    (lambda: bp.sgd_step(NET.copy(), NET.gradient(X, Y), "0.1"), TypeError, "learning_rate"),
    (lambda: bp.sgd_step(NET.copy(), NET.gradient(X, Y), True), TypeError, "learning_rate"),
    (lambda: bp.sgd_step(NET.copy(), NET.gradient(X, Y), -1.0), ValueError, "learning_rate"),
    (lambda: bp.learning_rate_at(0, True, 0.0), TypeError, "learning_rate"),
    (lambda: bp.learning_rate_at(0, "0.1", 0.0), TypeError, "learning_rate"),
    (lambda: bp.learning_rate_at(0.5, 1.0, 0.1), ValueError, "epoch"),
    (lambda: bp.train(NET.copy(), X, Y, per_example="no", progress=False), TypeError, "per_example"),
    (lambda: bp.Network({3: 1, 2: 1}), TypeError, "sizes"),
    (lambda: bp.count_parameters({3: 1, 2: 1}), TypeError, "sizes"),
    (lambda: sens.param_at({3: 1, 4: 1, 2: 1}, 2), TypeError, "sizes"),
    (lambda: sens.param_at(NET.sizes, 2.5), ValueError, "position"),
    (lambda: sens.param_at(NET.sizes, "2"), TypeError, "position"),
    (lambda: sens.param_at(NET.sizes, -1), ValueError, "position"),
    (lambda: lesson.neuron_sum(NET, X[0], 1, 2.7), ValueError, "neuron"),
    (lambda: lesson.neuron_sum(NET, X[0], 1.5, 2), ValueError, "layer"),
    (lambda: bp.softmax([-np.inf, -np.inf]), ValueError, "all -inf"),
    (lambda: bp.softmax([[0.0, 1.0], [-np.inf, -np.inf]]), ValueError, "all -inf"),
    (lambda: bp.softmax([np.nan, 1.0]), ValueError, "NaN or \\+inf"),
    (lambda: sens.measured_cost_change(NET, X, Y, sens.param_at(NET.sizes, 0), float("nan")), ValueError,
     "wiggle"),
    (lambda: sens.measured_cost_change(NET, X, Y, sens.param_at(NET.sizes, 0), "0.1"), TypeError, "wiggle"),
    (lambda: sens.sensitivity_ratio(NET, X, Y, sens.param_at(NET.sizes, 0), sens.param_at(NET.sizes, 1), 0.0),
     ValueError, "wiggle"),
    (lambda: hebb.hebbian_similarity([np.nan, 1.0], [1.0, 1.0]), ValueError, "finite"),
])
def test_each_odd_argument_gets_one_clear_error_naming_it(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_softmax_with_some_minus_inf_gives_those_zero_probability():
    got = bp.softmax([[-np.inf, 0.0, np.log(3.0)]])
    np.testing.assert_allclose(got, [[0.0, 0.25, 0.75]])


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1.0])
def test_hebbian_similarity_is_the_cosine_at_any_scale(scale):
    a, b = np.array([1.0, 2.0, 2.0]), np.array([2.0, 0.0, 1.0])
    cosine = (2 + 0 + 2) / (3 * np.sqrt(5))  # by hand: a.b = 4, |a| = 3, |b| = sqrt(5)
    assert hebb.hebbian_similarity(a * scale, b * scale) == pytest.approx(cosine, rel=1e-12)
    assert hebb.hebbian_similarity(a * scale, a * scale) == pytest.approx(1.0, rel=1e-12)


def test_a_ratio_to_a_parameter_that_does_not_move_the_cost_is_named():
    net = bp.Network([2, 2, 1], seed=0)
    X2, Y2 = np.array([[0.0, 0.0]]), np.array([[0.3]])  # zero inputs: first-layer weights do nothing
    with pytest.raises(ValueError, match=r"^q .* does not move the cost"):
        sens.sensitivity_ratio(net, X2, Y2, sens.param_at(net.sizes, 6), sens.param_at(net.sizes, 0), 0.01)


def test_param_at_still_finds_every_parameter():
    sizes = [3, 4, 2]
    found = [sens.param_at(sizes, np.int64(i)) for i in range(bp.count_parameters(sizes))]
    assert found[0] == sens.Param(1, "weight", (0, 0)) and found[12] == sens.Param(1, "bias", (0,))
    assert found[16] == sens.Param(2, "weight", (0, 0)) and found[-1] == sens.Param(2, "bias", (1,))


def test_a_checker_refuses_complex_answers_even_with_zero_imaginary_parts(capsys):
    assert check_sigmoid(lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=complex)))) is False
    assert "complex numbers" in capsys.readouterr().out


def test_check_mini_batches_refuses_float_indices(capsys):
    def float_batches(n, size, seed):
        order = np.random.default_rng(seed).permutation(n).astype(float)
        return [order[i:i + size] for i in range(0, n, size)]

    assert check_mini_batches(float_batches) is False
    assert "whole-number indices" in capsys.readouterr().out
