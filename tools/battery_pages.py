"""The battery's cases for explorers and saved pages, and for the smaller odd arguments of
issue 23. Right results are checked against computations written here."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np

import backprop as bp
from backprop import hebb, lesson, sensitivity as sens
from backprop.explorers import page
from backprop.explorers.nudges import NudgeExplorer
from backprop.explorers.sensitivity import SensitivityExplorer
from backprop.explorers.stepper import StepperExplorer

RNG = np.random.default_rng(7)
IMAGES, LABELS = RNG.random((2, 784)), np.array([1, 8])


def spoiled_net(where: str, value: float) -> bp.Network:
    net = bp.Network(seed=0)
    target = {"first weights": net.weights[0], "last weights": net.weights[2],
              "a bias": net.biases[1]}[where]
    target.flat[3] = value
    return net


def failing_save(scratch: Path) -> bool:
    """A save that fails half way (a full disk) must leave the old page whole and nothing else."""
    explorer = StepperExplorer(bp.Network(seed=0), IMAGES[:1], LABELS[:1])
    path = page.save_html([explorer], scratch / "page.html", title="old")
    old, real = path.read_text(), os.fdopen

    class Full:
        def __init__(self, *a, **k):
            self.file = real(*a, **k)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, text):
            self.file.write(text[:500])
            raise OSError(errno.ENOSPC, "No space left on device")

    page.os.fdopen = Full
    try:
        page.save_html([explorer], path, title="new")
    except OSError:
        pass
    finally:
        page.os.fdopen = real
    return path.read_text() == old and sorted(p.name for p in scratch.iterdir()) == ["home", "page.html"]


def hostile_page(title: str, caption: str) -> str:
    explorer = StepperExplorer(bp.Network(seed=0), IMAGES[:1], LABELS[:1])
    explorer.caption = caption
    return page.standalone_html([explorer], title=title)


def page_cases(Case) -> list:
    cases = []
    for explorer in (StepperExplorer, NudgeExplorer, SensitivityExplorer):
        for where in ("first weights", "last weights", "a bias"):
            for value in (np.nan, np.inf):
                cases.append(Case("explorers and pages", f"{explorer.__name__}: {value} in {where}",
                                  lambda s, e=explorer, w=where, v=value: e(spoiled_net(w, v), IMAGES, LABELS),
                                  ("net",), bound=20))
        for value in (np.nan, -np.inf):
            images = IMAGES.copy()
            images[0, 300] = value
            cases.append(Case("explorers and pages", f"{explorer.__name__}: {value} pixel",
                              lambda s, e=explorer, x=images: e(bp.Network(seed=0), x, LABELS), ("images",),
                              bound=20))
    for label, title, caption in [("script in the title", "</title><script>alert(1)</script>", ""),
                                  ("script in a caption", "t", "</script><script>alert(1)</script>"),
                                  ("comment opener in a caption", "t", "<!--<script>"),
                                  ("ampersands and quotes", "a & \"b\" <c>", "&amp; 'x'")]:
        cases.append(Case("explorers and pages", f"standalone_html: {label}",
                          lambda s, t=title, c=caption: hostile_page(t, c),
                          check=lambda text: "<script>alert" not in text and "<!--" not in text
                          and text.count("</script>") == 3 and "<c>" not in text, bound=10))
    for label, call, names in [
            ("title=None", lambda: hostile_page(None, ""), ("title",)),
            ("title=3", lambda: hostile_page(3, ""), ("title",)),
            ("explorers=[]", lambda: page.standalone_html([]), ("explorers",)),
            ("explorers='x'", lambda: page.standalone_html("x"), ("explorers",)),
            ("explorers=[None]", lambda: page.standalone_html([None]), ("explorers",))]:
        cases.append(Case("explorers and pages", f"standalone_html({label})", lambda s, c=call: c(), names,
                          bound=10))
    cases.append(Case("explorers and pages", "save_html on a full disk", failing_save,
                      check=lambda ok: ok is True, bound=20, leaves=("page.html",)))
    return cases


# ---------------------------------------------------------------- the smaller cases

NET = bp.Network([3, 4, 2], seed=0)
X, Y = RNG.random((5, 3)), np.array([0, 1, 0, 1, 1])


def small_cases(Case) -> list:
    gradient = NET.gradient(X, Y)
    p0, p1 = sens.param_at(NET.sizes, 0), sens.param_at(NET.sizes, 1)
    errors = [
        ("train(learning_rate='0.1')", lambda: bp.train(NET.copy(), X, Y, learning_rate="0.1", progress=False),
         ("learning rate",)),
        ("train(learning_rate=True)", lambda: bp.train(NET.copy(), X, Y, learning_rate=True, progress=False),
         ("learning rate",)),
        ("sgd(learning_rate=False)", lambda: bp.sgd(NET.copy(), X, Y, learning_rate=False), ("learning rate",)),
        ("sgd_step(rate '0.1')", lambda: bp.sgd_step(NET.copy(), gradient, "0.1"), ("learning_rate",)),
        ("sgd_step(rate True)", lambda: bp.sgd_step(NET.copy(), gradient, True), ("learning_rate",)),
        ("sgd_step(rate nan)", lambda: bp.sgd_step(NET.copy(), gradient, float("nan")), ("learning_rate",)),
        ("sgd_step(weight_decay='x')", lambda: bp.sgd_step(NET.copy(), gradient, 0.1, "x"), ("weight_decay",)),
        ("learning_rate_at(rate True)", lambda: bp.learning_rate_at(0, True, 0.0), ("learning_rate",)),
        ("learning_rate_at(decay '0.1')", lambda: bp.learning_rate_at(0, 1.0, "0.1"), ("decay",)),
        ("learning_rate_at(epoch 0.5)", lambda: bp.learning_rate_at(0.5, 1.0, 0.1), ("epoch",)),
        ("train(per_example='no')", lambda: bp.train(NET.copy(), X, Y, per_example="no", progress=False),
         ("per_example",)),
        ("train(per_example=None)", lambda: bp.train(NET.copy(), X, Y, per_example=None, progress=False),
         ("per_example",)),
        ("Network(sizes=dict)", lambda: bp.Network({3: 1, 2: 1}), ("sizes",)),
        ("Network(sizes=set)", lambda: bp.Network({3, 2}), ("sizes",)),
        ("count_parameters(dict)", lambda: bp.count_parameters({3: 1, 2: 1}), ("sizes",)),
        ("param_at(dict, 2)", lambda: sens.param_at({3: 1, 4: 1, 2: 1}, 2), ("sizes",)),
        ("param_at(sizes, 2.5)", lambda: sens.param_at(NET.sizes, 2.5), ("position",)),
        ("param_at(sizes, '2')", lambda: sens.param_at(NET.sizes, "2"), ("position",)),
        ("param_at(sizes, True)", lambda: sens.param_at(NET.sizes, True), ("position",)),
        ("neuron_sum(neuron=2.7)", lambda: lesson.neuron_sum(NET, X[0], 1, 2.7), ("neuron",)),
        ("neuron_sum(layer=1.0)", lambda: lesson.neuron_sum(NET, X[0], 1.0, 2), ("layer",)),
        ("neuron_sum(neuron=None)", lambda: lesson.neuron_sum(NET, X[0], 1, None), ("neuron",)),
        ("softmax(all -inf)", lambda: bp.softmax([-np.inf, -np.inf]), ("z",)),
        ("softmax(a row of -inf)", lambda: bp.softmax([[1.0, 2.0], [-np.inf, -np.inf]]), ("z",)),
        ("softmax(+inf)", lambda: bp.softmax([np.inf, 0.0]), ("z",)),
        ("measured_cost_change(nan)", lambda: sens.measured_cost_change(NET, X, Y, p0, float("nan")), ("wiggle",)),
        ("measured_cost_change(inf)", lambda: sens.measured_cost_change(NET, X, Y, p0, np.inf), ("wiggle",)),
        ("measured_cost_change('a')", lambda: sens.measured_cost_change(NET, X, Y, p0, "a"), ("wiggle",)),
        ("cost_change_curve([nan])", lambda: sens.cost_change_curve(NET, X, Y, p0, [0.1, np.nan]), ("wiggles",)),
        ("sensitivity_ratio(wiggle 0)", lambda: sens.sensitivity_ratio(NET, X, Y, p0, p1, 0.0), ("wiggle",)),
        ("sensitivity_ratio(q does nothing)", lambda: sens.sensitivity_ratio(
            bp.Network([2, 2, 1], seed=0), np.zeros((1, 2)), np.array([[0.3]]),
            sens.param_at([2, 2, 1], 6), sens.param_at([2, 2, 1], 0), 0.01), ("q",)),
        ("hebbian_similarity(nan)", lambda: hebb.hebbian_similarity([np.nan, 1.0], [1.0, 1.0]), ("finite",)),
        ("hebbian_similarity(zeros)", lambda: hebb.hebbian_similarity([0.0, 0.0], [1.0, 1.0]), ("all-zero",)),
    ]
    cases = [Case("smaller cases", label, lambda s, c=call: c(), names) for label, call, names in errors]
    a, b = np.array([1.0, 2.0, 2.0]), np.array([2.0, 0.0, 1.0])
    cosine = 4 / (3 * np.sqrt(5))
    for scale in (1e-200, 1e200, 1e-300, 1e300):
        cases.append(Case("smaller cases", f"hebbian_similarity at scale {scale:g}",
                          lambda s, k=scale: hebb.hebbian_similarity(a * k, b * k),
                          check=lambda got: abs(got - cosine) < 1e-12))
    cases += [
        Case("smaller cases", "softmax with one -inf", lambda s: bp.softmax([-np.inf, 0.0, np.log(3.0)]),
             check=lambda got: np.allclose(got, [0.0, 0.25, 0.75])),
        Case("smaller cases", "param_at(sizes, np.int64(16))", lambda s: sens.param_at([3, 4, 2], np.int64(16)),
             check=lambda p: p == sens.Param(2, "weight", (0, 0))),
        Case("smaller cases", "learning_rate_at(2, 1.0, 0.5)", lambda s: bp.learning_rate_at(2, 1.0, 0.5),
             check=lambda r: r == 0.5),
    ]
    return cases
