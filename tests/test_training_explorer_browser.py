"""The training explorer in headless Chromium, as a reader of the static book meets it.

A standalone page (no kernel, no network) with the explorer: press play and the
test accuracy must pass 80% within 90 s; the browser's parameters after some steps
equal backprop.sgd's; every control changes what is shown; and the speed (images
per second at batch size 10, the longest slice of work on the main thread) is
PRINTED, with only a sanity floor asserted (the aims are 2,000 images/s and 50 ms).
Slow (Chromium): left out of ``pytest -m "not slow"``.
"""
import time

import numpy as np
import pytest

import backprop as bp
from backprop.explorers import TrainingExplorer, save_html
from backprop.explorers.training import DATA_FILE, read_data, starting_network
from explorer_pages import needs_browser, opened_page

pytestmark = [pytest.mark.slow, needs_browser]

HOOKS = "document.querySelector('.bp-explorer').backprop"
JS_STATE = f"() => {HOOKS}.state()"
JS_PRESS = "(name) => document.querySelector(`[data-control=\"${name}\"]`).click()"
JS_SET = """([name, value]) => {
  const c = document.querySelector(`[data-control="${name}"]`);
  c.value = String(value); c.dispatchEvent(new Event('change'));
}"""
# Long tasks (> 50 ms) the browser itself reports, besides the explorer's own timing.
JS_WATCH = """() => { window.__long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
    .observe({ type: 'longtask', buffered: false }); }"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "t.html"
    with opened_page([TrainingExplorer(embed=True)], path, timeout=30000) as tab:
        tab.evaluate(f"() => {HOOKS}.ready()")
        yield tab


def test_the_page_is_small_and_the_data_file_too():
    size = DATA_FILE.stat().st_size
    print(f"data file {DATA_FILE.name}: {size / 1e6:.2f} MB (aim: at most 2 MB)")
    assert size <= 2_000_000


def test_play_reaches_80_percent_test_accuracy_within_90_seconds(page):
    page.evaluate(JS_WATCH)
    page.evaluate(JS_PRESS, "play")
    started, state = time.monotonic(), page.evaluate(JS_STATE)
    while time.monotonic() - started < 90 and (state["accuracy"] or 0) < 0.8:
        page.wait_for_timeout(500)
        state = page.evaluate(JS_STATE)
    took = time.monotonic() - started
    speed = page.evaluate(f"() => {HOOKS}.speed()")
    page.evaluate(JS_PRESS, "play")  # pause
    longest_reported = max(page.evaluate("() => window.__long"), default=0)
    print(f"\ntest accuracy {state['accuracy']:.1%} at step {state['step']:,} after {took:.1f} s; "
          f"batch 10: {speed['imagesPerSecond']:,.0f} images/s while training, "
          f"{speed['wallImagesPerSecond']:,.0f} images/s of wall time (aim: 2,000); "
          f"longest slice {speed['longestSliceMs']:.1f} ms, longest task Chromium reported "
          f"{longest_reported:.0f} ms (aim: at most 50 ms)")
    assert state["accuracy"] >= 0.8, state["words"]
    assert speed["imagesPerSecond"] > 200  # a sanity floor, not the aim
    assert "test accuracy" in state["words"]
    assert page.problems == []


def test_the_browser_run_is_the_package_run(page):
    page.evaluate(JS_PRESS, "reset")
    for _ in range(30):
        page.evaluate(JS_PRESS, "one_step")
    page.wait_for_function(f"() => {HOOKS}.state().step === 30")
    state = page.evaluate(JS_STATE)
    got = page.evaluate(f"() => {HOOKS}.weights()")
    arrays = read_data()
    kept = {}
    history = bp.sgd(starting_network(0, arrays), arrays["train_images"] / 255,
                     arrays["train_labels"], learning_rate=3.0, batch_size=10, seed=0,
                     callback=lambda step, cost, net: kept.setdefault(step, net.copy()))
    assert np.allclose(state["costs"], history.step_costs[:30], rtol=1e-12)
    net = kept[30]
    for g, w in zip(got, net.weights + net.biases):
        assert np.max(np.abs(np.array(g) - w.ravel())) < 1e-12


def test_every_control_changes_what_is_shown(page):
    def shown():
        return page.evaluate(JS_STATE)["words"], page.evaluate(
            "() => document.querySelector('.bp-explorer canvas').toDataURL()")

    page.evaluate(JS_PRESS, "reset")
    before = shown()
    page.evaluate(JS_PRESS, "one_step")
    page.wait_for_function(f"() => {HOOKS}.state().step === 1")
    after = shown()
    assert after[0] != before[0] and after[1] != before[1]
    for name, value in (("learning_rate", 100), ("batch_size", 1), ("seed", 2)):
        before = shown()
        page.evaluate(JS_SET, [name, value])
        after = shown()
        assert after[0] != before[0], name
        assert page.evaluate(JS_STATE)["step"] == 0, f"{name} starts again"
    page.evaluate(JS_PRESS, "play")
    page.wait_for_function(f"() => {HOOKS}.state().step > 20")
    page.evaluate(JS_PRESS, "play")
    assert not page.evaluate(JS_STATE)["playing"]
    assert page.problems == []


def test_the_figure_and_the_live_region_say_the_numbers(page):
    page.evaluate(JS_SET, ["learning_rate", 3])
    page.evaluate(JS_PRESS, "one_step")
    page.wait_for_timeout(800)
    state = page.evaluate(JS_STATE)
    name = page.evaluate("() => document.querySelector('.bp-figure').getAttribute('aria-label')")
    live = page.evaluate("() => document.querySelector('.bp-live').textContent")
    assert f"test accuracy {100 * state['accuracy']:.1f}%" in name
    assert live == name and "step 1:" in live


def test_a_book_page_fetches_the_data_file_from_its_static_folder(page, tmp_path):
    """As in the built book: the page carries no images; they come from ../_static/."""
    import functools
    import http.server
    import threading

    (tmp_path / "chapters").mkdir()
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / DATA_FILE.name).write_bytes(DATA_FILE.read_bytes())
    page_file = save_html([TrainingExplorer(embed=False)], tmp_path / "chapters" / "07.html")
    assert page_file.stat().st_size < 200_000  # the images are not in the page
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tab = page.context.browser.new_page(viewport={"width": 1100, "height": 900})
        requests = []
        tab.on("request", lambda r: requests.append(r.url))
        tab.goto(f"http://127.0.0.1:{server.server_port}/chapters/07.html")
        tab.wait_for_function("document.documentElement.dataset.explorers === '1'", timeout=30000)
        tab.evaluate(JS_PRESS, "one_step")
        tab.wait_for_function(f"() => {HOOKS}.state().step === 1", timeout=30000)
        tab.close()
    finally:
        server.shutdown()
    assert f"http://127.0.0.1:{server.server_port}/_static/{DATA_FILE.name}" in requests
    assert all(url.startswith(f"http://127.0.0.1:{server.server_port}/") or url.startswith("blob:")
               for url in requests)


def test_the_books_own_check_finds_nothing_wrong(page, tmp_path):
    """book/check_explorers.py, as the book's build runs it on every page: dead controls,
    names and live regions, overlapping, cut or faint labels, dark mode, a phone."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book"))
    from check_explorers import check_explorers

    path = save_html([TrainingExplorer(embed=True)], tmp_path / "check.html")
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(path.as_uri())
    # No whole-network explorer on this page, so no MNIST images are needed for a mirror.
    problems, found = check_explorers(tab, path, test_images=())
    context.close()
    assert found["explorers"] == 1 and problems == []
