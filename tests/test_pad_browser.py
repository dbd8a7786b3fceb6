"""The whole-network explorer's drawing pad in a real browser, drawn with the mouse.

Headless Chromium opens a standalone page with the explorer (no kernel). The tests
choose "your drawing", draw hand-designed digits (``pad_digits.py``: every digit at
three places and sizes, with slow and fast pointers) with the mouse, and check that
the 28 x 28 image the browser made equals Python's ``drawing.mnist_image`` of the
strokes the page recorded. How many the network reads right is printed; only a
sanity floor is asserted. They also check the pad's defaults and that the lines the
browser draws are the nudges ``NetworkExplorer.drawn_nudges`` computes.
Skipped when Chromium or Playwright is missing.
"""

import numpy as np
import pytest

from backprop import Network
from backprop.explorers import NetworkExplorer
from backprop.explorers.drawing import PAD, mnist_image
from backprop.explorers.pad_digits import DIGITS, PLACES, SPEEDS, drawing
from explorer_pages import needs_browser, opened_page

pytestmark = [pytest.mark.slow, needs_browser]

HOOK = "document.querySelector('.bp-explorer').backprop"
JS_STATE = f"""() => {{ const hook = {HOOK};
  const a3 = Array.from(hook.fields().a3);
  return {{drawn: hook.drawn(), strokes: hook.strokes(), label: hook.label(), network: hook.network(),
          guess: a3.indexOf(Math.max(...a3)), example: Number(document.querySelector(
            '[data-control=example]').value)}}; }}"""
JS_PAD_BOX = """() => { const r = document.querySelector('[data-pad]').getBoundingClientRect();
  return {x: r.x, y: r.y, w: r.width, h: r.height}; }"""
JS_SET = """([name, value]) => { const c = document.querySelector(`[data-control="${name}"]`);
  if (c.type === 'checkbox') { if (c.checked !== value) c.click(); return; }
  c.value = String(value); c.dispatchEvent(new Event(c.tagName === 'SELECT' ? 'change' : 'input')); }"""
JS_CLICK = "(name) => document.querySelector(`[data-control=\"${name}\"]`).click()"


@pytest.fixture(scope="module")
def explorer():
    rng = np.random.default_rng(3)
    images = rng.random((4, 784)) * (rng.random((4, 784)) < 0.3)
    return NetworkExplorer({"untrained": Network(seed=0)}, images, [3, 1, 4, 1], max_step=3,
                           average_over=(images, np.array([3, 1, 4, 1])))


@pytest.fixture(scope="module")
def page(explorer, tmp_path_factory):
    with opened_page([explorer], tmp_path_factory.mktemp("pad") / "pad.html", height=1000) as tab:
        yield tab


def draw(page, strokes) -> None:
    """Draw ``strokes`` (pad units) with the mouse, one pointer move per point."""
    box = page.evaluate(JS_PAD_BOX)
    at = lambda x, y: (box["x"] + x * box["w"] / PAD, box["y"] + y * box["h"] / PAD)  # noqa: E731
    for points in strokes:
        page.mouse.move(*at(*points[0]))
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(*at(x, y))
        page.mouse.up()


def test_pad_defaults_and_drawing_never_touches_an_example(page, explorer):
    page.evaluate(JS_SET, ["example", 0])
    assert page.evaluate("document.querySelector('[data-pad]').offsetParent") is None  # hidden
    figure = page.evaluate("""() => { const r = document.querySelector('.bp-explorer canvas:not([data-pad])')
      .getBoundingClientRect(); return [r.x + 60, r.y + 150]; }""")
    page.mouse.move(*figure)       # a click and a drag on the example image
    page.mouse.down()
    page.mouse.move(figure[0] + 40, figure[1] + 30)
    page.mouse.up()
    state = page.evaluate(JS_STATE)
    assert state["example"] == 0 and state["strokes"] == []
    page.evaluate(JS_SET, ["network", 0])
    page.evaluate(JS_SET, ["example", -1])   # "your drawing" switches to the pad's network
    state = page.evaluate(JS_STATE)
    assert state["network"] == explorer.data["pad_network"] and state["label"] == -1
    assert page.evaluate("getComputedStyle(document.querySelector('[data-pad]')).touchAction") == "none"


def test_no_nudges_until_the_reader_says_the_digit(page):
    page.evaluate(JS_SET, ["example", -1])
    page.evaluate(JS_CLICK, "clear")
    draw(page, drawing(7))
    page.evaluate(JS_SET, ["step", 3])
    page.evaluate(JS_SET, ["drawn_label", -1])
    assert page.evaluate(f"{HOOK}.lines()")["connections"] == {}
    assert "Say which digit" in page.evaluate("document.querySelector('.bp-message').textContent")
    page.evaluate(JS_SET, ["drawn_label", 7])
    assert sorted(page.evaluate(f"{HOOK}.lines()")["connections"]) == ["1", "2", "3"]
    page.evaluate(JS_SET, ["drawn_label", -1])
    page.evaluate(JS_SET, ["step", 0])


def test_pre_drawn_digits_go_on_the_pad_by_button(page, explorer):
    page.evaluate(JS_SET, ["example", -1])
    for sample in explorer.data["samples"][:3]:
        page.evaluate(JS_CLICK, "sample")
        state = page.evaluate(JS_STATE)
        assert state["strokes"] == sample["strokes"]
        assert np.max(np.abs(np.array(state["drawn"]) - mnist_image(sample["strokes"]))) < 1e-6


@pytest.mark.parametrize("network, example, step, average", [
    (0, 2, 3, False), (1, 0, 2, False), (0, 1, 3, True), (1, 3, 1, True)])
def test_the_browser_draws_the_nudges_python_computes(page, explorer, network, example, step, average):
    for name, value in (("network", network), ("example", example), ("step", step), ("average", average)):
        page.evaluate(JS_SET, [name, value])
        setattr(explorer, name, value)
    drawn, expected = page.evaluate(f"{HOOK}.lines()"), explorer.drawn_nudges()
    assert sorted(int(l) for l in drawn["connections"]) == sorted(expected["connections"])
    for l, (j, k, nudges) in expected["connections"].items():
        browser = drawn["connections"][str(l)]
        np.testing.assert_array_equal(np.array(browser["pairs"]), np.c_[j, k])
        np.testing.assert_allclose(browser["nudges"], nudges, rtol=1e-6, atol=1e-12)
        assert browser["limit"] == pytest.approx(expected["scale"][l], rel=1e-6)
    for l, values in expected["arrows"].items():
        np.testing.assert_allclose(drawn["arrows"][str(l)]["values"], values, rtol=1e-6, atol=1e-9)
        assert drawn["arrows"][str(l)]["limit"] == pytest.approx(expected["arrow_scale"][l], rel=1e-6)
    page.evaluate(JS_SET, ["average", False])
    explorer.average = False


def test_digits_drawn_with_the_mouse_are_prepared_as_in_python_and_read(page):
    page.evaluate(JS_SET, ["example", -1])
    read, gaps = {}, []
    for speed in SPEEDS:
        for place in PLACES:
            for digit in DIGITS:
                page.evaluate(JS_CLICK, "clear")
                draw(page, drawing(digit, place, speed))
                state = page.evaluate(JS_STATE)
                gaps.append(np.max(np.abs(np.array(state["drawn"]) - mnist_image(state["strokes"]))))
                read.setdefault((place, speed), []).append((digit, state["guess"]))
    right = sum(d == g for pairs in read.values() for d, g in pairs)
    total = sum(len(pairs) for pairs in read.values())
    print(f"\npad in Chromium, digits drawn with the mouse: {right}/{total} read right; "
          f"browser vs Python preprocessing: largest gap {max(gaps):.1e}")
    for (place, speed), pairs in read.items():
        print(f"  {place:6} {speed}: {sum(d == g for d, g in pairs)}/10  "
              + " ".join(f"{d}" if d == g else f"{d}->{g}" for d, g in pairs))
    assert max(gaps) < 1e-6
    assert right >= 0.8 * total   # a sanity floor; the figure itself is printed
    assert page.problems == []


def test_the_key_names_only_what_is_drawn(page):
    key = "() => [...document.querySelectorAll('.bp-explorer .bp-caption')].pop().textContent"
    page.evaluate(JS_SET, ["example", 1])
    page.evaluate(JS_SET, ["step", 0])
    words = page.evaluate(key)
    assert "Arrows: wishes" in words and "Lines: weight nudges" not in words and "Faint lines" in words
    page.evaluate(JS_SET, ["step", 3])
    words = page.evaluate(key)
    assert "the 200 strongest from the pixels" in words and "Faint lines" not in words
    page.evaluate(JS_SET, ["example", -1])
    page.evaluate(JS_SET, ["drawn_label", -1])   # nothing said: no nudges, no ring
    words = page.evaluate(key)
    assert "Arrows" not in words and "Blue ring" not in words and "Lines: weight" not in words
    page.evaluate(JS_SET, ["step", 0])
