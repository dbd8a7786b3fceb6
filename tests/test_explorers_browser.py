"""The chapter 2-6 explorers in a real browser, as a reader of the static book meets them.

One standalone page (no kernel, no network) holds the four explorers. Headless
Chromium moves every control and checks that the drawing changes with no console
error, then moves controls to chosen values and compares the numbers the module
drew with :meth:`shown` of the same explorer set to the same values in Python.
Skipped when Chromium or Playwright is missing.
"""

import numpy as np
import pytest

import backprop as bp
from backprop import descent
from backprop.explorers import (NudgeExplorer, SensitivityExplorer, SGDExplorer,
                                StepperExplorer, save_html)
from explorer_pages import needs_browser, opened_page

pytestmark = needs_browser

ORDER = ("sensitivity", "nudges", "stepper", "sgd")
JS_CANVAS = ("(k) => document.querySelectorAll('.bp-explorer')[k]"
             ".querySelector('canvas').toDataURL()")
JS_DRAWN = "(k) => document.querySelectorAll('.bp-explorer')[k].backprop.drawn()"
JS_MOVE = """([k, name]) => {
  const c = document.querySelectorAll('.bp-explorer')[k].querySelector(`[data-control="${name}"]`);
  if (c.tagName === 'SELECT') { c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
                                c.dispatchEvent(new Event('change')); }
  else if (c.type === 'range') {
    c.value = Number(c.value) < Number(c.max) ? Number(c.value) + 1 : c.min;
    c.dispatchEvent(new Event('input'));
  }
  else { c.click(); }
}"""
JS_SET = """([k, name, value]) => {
  const c = document.querySelectorAll('.bp-explorer')[k].querySelector(`[data-control="${name}"]`);
  c.value = String(value);
  c.dispatchEvent(new Event(c.tagName === 'SELECT' ? 'change' : 'input'));
}"""


@pytest.fixture(scope="module")
def explorers():
    rng = np.random.default_rng(7)
    X = rng.random((40, 784)) * (rng.random((40, 784)) < 0.25)
    y = np.arange(40) % 10
    net = bp.Network(seed=1)
    problems = {"line": (descent.LineFit(n_examples=300, seed=2), (0.03, 3.0, 0.3))}
    return {"sensitivity": SensitivityExplorer(net, X, y, points=21),
            "nudges": NudgeExplorer(net, X[:5], y[:5]),
            "stepper": StepperExplorer(net, X[:5], y[:5]),
            "sgd": SGDExplorer(problems, max_steps=40, grid_points=21, rates_per_decade=3, seeds=2)}


@pytest.fixture(scope="module")
def page(explorers, tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "explorers.html"
    with opened_page([explorers[name] for name in ORDER], path) as tab:
        yield tab


def set_both(page, explorer, k, **values):
    """Set controls in the page (through its inputs) and the same traits in Python."""
    for name, value in values.items():
        page.evaluate(JS_SET, [k, name, value])
        setattr(explorer, name, value)
    return page.evaluate(JS_DRAWN, k), explorer.shown()


def test_every_control_changes_the_drawing_with_no_console_error(page):
    for k, name in enumerate(ORDER):
        controls = page.evaluate(
            "(k) => [...document.querySelectorAll('.bp-explorer')[k]"
            ".querySelectorAll('[data-control]')]"
            ".map(c => c.dataset.control)", k)
        assert controls, f"{name} shows no controls"
        for control in controls:
            before = page.evaluate(JS_CANVAS, k)
            page.evaluate(JS_MOVE, [k, control])
            after = page.evaluate(JS_CANVAS, k)
            assert after != before, f"{name}: moving {control} changed nothing"
    page.evaluate("() => document.querySelector('[data-control=play]').click()")  # pause
    assert page.problems == []


def test_sensitivity_page_draws_the_measured_and_predicted_changes(page, explorers):
    drawn, shown = set_both(page, explorers["sensitivity"], 0, a=3, b=9, wiggle=17)
    assert drawn["wiggle"] == pytest.approx(shown["wiggle"], rel=1e-6)
    assert np.allclose(drawn["measured"], shown["measured"], rtol=1e-6)
    assert np.allclose(drawn["predicted"], shown["predicted"], rtol=1e-5)


@pytest.mark.parametrize("layer", [3, 2, 1])
def test_nudge_page_draws_the_avenues_python_computes(page, explorers, layer):
    drawn, shown = set_both(page, explorers["nudges"], 1, example=2, layer=layer, neuron=5)
    for name in ("desired", "weights", "wish_parts"):
        assert np.allclose(drawn[name], shown["desired_nudges" if name == "desired" else name],
                           rtol=1e-5, atol=1e-9), name
    assert drawn["bias"] == pytest.approx(shown["bias"], rel=1e-6)
    assert np.allclose(drawn["hebbian_row"], shown["hebbian_update"][5], rtol=1e-5, atol=1e-9)


def test_stepper_page_reveals_the_layers_python_reached(page, explorers):
    for step in (0, 3):
        drawn, shown = set_both(page, explorers["stepper"], 2, example=4, step=step)
        assert sorted(int(l) for l in drawn) == sorted(shown["reached"])
        for l in shown["reached"]:
            assert np.allclose(drawn[str(l)], shown["layers"][l]["wishes"], rtol=1e-6, atol=1e-12)


def test_sgd_page_draws_the_walks_and_says_when_one_diverges(page, explorers):
    sgd = explorers["sgd"]
    drawn, shown = set_both(page, sgd, 3, batch_size=10, seed=1, rate=2, steps=25)
    for walk in ("gd", "sgd"):
        rows = np.array(drawn[walk]).reshape(-1, 3)
        assert np.allclose(rows[:, :2], shown[walk]["params"], rtol=1e-6)
        assert np.allclose(rows[:, 2], shown[walk]["costs"], rtol=1e-6)
    assert drawn["message"] == ""
    top = sgd.data["problems"][0]["rates"]["shape"][0] - 1
    drawn, shown = set_both(page, sgd, 3, rate=top, steps=40)
    assert shown["gd"]["diverged_at"] is not None
    assert f"diverged at step {shown['gd']['diverged_at']}" in drawn["message"]
    assert len(drawn["gd"]) == 3 * len(shown["gd"]["params"]) > 0


# ----- every reader: names, values, phones, themes, labels ----------------------------
JS_NAMES = "() => [...document.querySelectorAll('.bp-figure')].map(f => [f.getAttribute('role'), f.getAttribute('aria-label')])"
JS_VALUETEXT = """([k, name]) => {
  const c = document.querySelectorAll('.bp-explorer')[k].querySelector(`[data-control="${name}"]`);
  return [c.getAttribute('aria-valuetext'), c.bpReadout.textContent];
}"""


def figures(page):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book"))
    from check_explorers import JS_FIGURES
    return page.evaluate(JS_FIGURES)


def test_each_figure_is_named_by_what_it_shows_and_the_name_follows_the_controls(page, explorers):
    names = page.evaluate(JS_NAMES)
    assert [role for role, _ in names] == ["img"] * 4
    assert all(name and len(name) > 40 for _, name in names)
    set_both(page, explorers["sgd"], 3, steps=7)
    assert "7 steps" in page.evaluate(JS_NAMES)[3][1]
    set_both(page, explorers["stepper"], 2, example=3, step=2)
    assert "image 3" in page.evaluate(JS_NAMES)[2][1] and "2 steps back" in page.evaluate(JS_NAMES)[2][1]
    page.wait_for_timeout(800)  # the live region speaks once the controls rest
    assert page.evaluate("() => document.querySelectorAll('.bp-live')[2].textContent") == page.evaluate(JS_NAMES)[2][1]


def test_sliders_announce_the_value_they_show(page, explorers):
    set_both(page, explorers["sgd"], 3, rate=2)
    text, shown = page.evaluate(JS_VALUETEXT, [3, "rate"])
    assert text == shown and float(text) == pytest.approx(explorers["sgd"].shown()["learning_rate"], rel=1e-2)
    text, shown = page.evaluate(JS_VALUETEXT, [0, "wiggle"])
    assert text == shown and float(text) == pytest.approx(explorers["sensitivity"].shown()["wiggle"], abs=1e-3)


def test_labels_neither_overlap_nor_fade_in_light_or_dark_mode(page):
    for mode in ("light", "dark"):
        page.evaluate("(m) => { document.documentElement.dataset.theme = m; }", mode)
        page.wait_for_timeout(100)
        for figure in figures(page):
            assert figure["labels"] > 10
            assert figure["overlaps"] == [] and figure["cut"] == [] and figure["faint"] == [], (mode, figure)
            assert figure["lowest"] >= 4.5
    page.evaluate("() => { document.documentElement.dataset.theme = 'light'; }")


def test_the_label_check_finds_an_overlap(page):
    # Two labels drawn at the same place: the check must report them.
    page.evaluate("() => { const labels = document.querySelector('.bp-figure').bpPad.labels;"
                  " labels.push({...labels[0], words: 'a copy'}); }")
    assert any("a copy" in pair for pair in figures(page)[0]["overlaps"])
    page.evaluate(JS_MOVE, [0, "wiggle"])  # a redraw records the labels afresh
    assert figures(page)[0]["overlaps"] == []


def test_on_a_phone_every_explorer_stacks_and_fits(page, explorers, tmp_path):
    path = save_html([explorers[name] for name in ORDER], tmp_path / "phone.html")
    phone = page.context.browser.new_page(viewport={"width": 390, "height": 844},
                                          device_scale_factor=3, is_mobile=True, has_touch=True)
    try:
        phone.goto(path.as_uri())
        phone.wait_for_function("document.documentElement.dataset.explorers === '4'", timeout=15000)
        found = figures(phone)
        sizes = phone.evaluate("""() => [...document.querySelectorAll('canvas')].filter(c => c.offsetParent)
          .map(c => c.getBoundingClientRect().width / Number(c.dataset.width) * Number(c.dataset.smallestText))""")
        heights = phone.evaluate("""() => [...document.querySelectorAll('[data-control]')]
          .map(c => c.getBoundingClientRect().height)""")
    finally:
        phone.close()
    assert [f["layout"] for f in found] == ["stacked"] * 4
    for figure in found:
        assert not figure["wider"] and figure["overlaps"] == [] and figure["cut"] == [], figure
    assert min(sizes) >= 9.95   # every canvas's smallest text, on screen
    assert min(heights) >= 23.5  # finger-sized controls
