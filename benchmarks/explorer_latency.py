"""How fast the explorers respond, and how much data each one puts into a page.

Builds every explorer as the chapters do (real MNIST, a briefly trained network),
then for each one prints

- Python: seconds to build it, the packed data size, and the time to set a control
  trait from Python (all a live kernel does when a learner moves a control: the
  redraw itself happens in the browser);
- the browser (headless Chromium on a standalone page, the same module Jupyter and
  the book run): the redraw time after every move of every control, median and max,
  measured by the module with ``performance.now()``.

Figures are printed, never asserted. Needs BACKPROP_DATA_DIR (or a cached MNIST),
Debian's chromium and the playwright package::

    BACKPROP_DATA_DIR=/path/to/mnist python -m benchmarks.explorer_latency
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import backprop as bp
from backprop import explorers

MOVES = 20  # moves of each control
CHROMIUM = Path("/usr/bin/chromium")
JS_CONTROLS = """() => [...document.querySelectorAll('.bp-explorer [data-control]')]
  .map((c, n) => ({n, name: c.dataset.control, usable: c.offsetParent !== null && !c.disabled,
                   play: c.tagName === 'BUTTON'}))"""
JS_MOVE = """(n) => {
  const c = document.querySelectorAll('.bp-explorer [data-control]')[n];
  if (c.tagName === 'SELECT') { c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
                                c.dispatchEvent(new Event('change')); }
  else if (c.type === 'range') { const v = Number(c.value) + 1;
    c.value = v <= Number(c.max) ? v : c.min; c.dispatchEvent(new Event('input')); }
  else { c.click(); }
  const times = window.__explorerDrawMs || [];
  window.__explorerDrawMs = [];
  return times;
}"""


def chapter_explorers() -> dict:
    """name -> (a builder of) each explorer, on the data the chapters use."""
    (X, y), (X_test, y_test) = bp.load_mnist(progress=False)
    untrained, trained = bp.Network(seed=0), bp.Network(seed=0)
    bp.train(trained, X[:10000], y[:10000], epochs=3, learning_rate=3.0, seed=0, progress=False)
    nets = {"untrained": untrained, "trained": trained}
    return {
        "whole network (ch4)": lambda: explorers.NetworkExplorer(
            nets, X[:8], y[:8], max_step=3, average_over=(X[:500], y[:500])),
        "sensitivities (ch2)": lambda: explorers.SensitivityExplorer(trained, X[:500], y[:500]),
        "nudges vs Hebb (ch3)": lambda: explorers.NudgeExplorer(untrained, X[:8], y[:8]),
        "backward stepper (ch4)": lambda: explorers.StepperExplorer(untrained, X[:8], y[:8]),
        "SGD walks (ch6)": lambda: explorers.SGDExplorer(
            explorers.sgd_problems(trained, X[:1000], y[:1000])),
        "training (ch7)": lambda: explorers.TrainingExplorer(embed=True),
    }


def training_speed(page, folder: Path, seconds: float = 10.0) -> None:
    """The training explorer playing at its first settings (batch size 10): images per
    second, the longest slice of work on the main thread, when the test accuracy first
    reached 80%, and the sizes of its data file and of a book page that fetches it."""
    from backprop.explorers.training import DATA_FILE

    book_page = explorers.save_html([explorers.TrainingExplorer(embed=False)], folder / "book.html")
    path = explorers.save_html([explorers.TrainingExplorer(embed=True)], folder / "training.html")
    page.goto(path.as_uri())
    page.wait_for_function("document.documentElement.dataset.explorers !== undefined")
    hooks = "document.querySelector('.bp-explorer').backprop"
    page.evaluate(f"() => {hooks}.ready()")
    page.evaluate("""() => { window.__long = []; new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__long.push(e.duration); })
      .observe({ type: 'longtask' }); }""")
    page.click("[data-control=play]")
    start, reached = time.perf_counter(), None
    while time.perf_counter() - start < seconds:
        page.wait_for_timeout(250)
        state = page.evaluate(f"() => {hooks}.state()")
        if reached is None and (state["accuracy"] or 0) >= 0.8:
            reached = (time.perf_counter() - start, state["step"])
    speed = page.evaluate(f"() => {hooks}.speed()")
    page.click("[data-control=play]")
    long_tasks = page.evaluate("() => window.__long")
    print(f"training (ch7), batch 10, {seconds:.0f} s of play: "
          f"{speed['imagesPerSecond']:,.0f} images/s of training time, "
          f"{speed['wallImagesPerSecond']:,.0f} images/s of wall time (goal >= 2,000); "
          f"longest slice {speed['longestSliceMs']:.1f} ms, {len(long_tasks)} tasks over 50 ms "
          f"(longest {max(long_tasks, default=0):.0f} ms; goal <= 50); "
          + (f"80% test accuracy after {reached[0]:.1f} s, step {reached[1]:,}" if reached
             else "80% not reached"))
    print(f"training (ch7) data file {DATA_FILE.stat().st_size / 1e6:.2f} MB (goal <= 2 MB); "
          f"a book page with the explorer alone {book_page.stat().st_size / 1e3:.0f} KB")


def python_side(build) -> tuple[object, float, float]:
    """The explorer, seconds to build it, and the median seconds of one trait change."""
    start = time.perf_counter()
    explorer = build()
    built = time.perf_counter() - start
    name = next(n for n in ("example", "a", "seed") if explorer.has_trait(n))
    values = [0, 1] * 25  # a real change every time (the first two choices of the control)
    start = time.perf_counter()
    for value in values:
        setattr(explorer, name, value)
    return explorer, built, (time.perf_counter() - start) / len(values)


def browser_side(page, path: Path) -> dict:
    """Redraw times (ms) per control after MOVES moves each."""
    page.goto(path.as_uri())
    page.wait_for_function("document.documentElement.dataset.explorers !== undefined")
    times: dict[str, list[float]] = {}
    for control in page.evaluate(JS_CONTROLS):
        if not control["usable"] or control["play"]:
            continue
        for _ in range(MOVES):
            times.setdefault(control["name"], []).extend(page.evaluate(JS_MOVE, control["n"]))
            page.wait_for_timeout(5)
    return times


def main() -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("skipped: the browser side needs the playwright package "
              "(pip install -r requirements-bench.txt) and Debian's chromium")
        return
    if not CHROMIUM.exists():
        print(f"skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
        return

    folder = Path(tempfile.mkdtemp(prefix="explorer_latency_"))
    print(f"{'explorer':24} {'build s':>8} {'data KB':>8} {'trait ms':>9}   browser redraw, ms")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        every = []
        for name, build in chapter_explorers().items():
            explorer, built, trait = python_side(build)
            path = explorers.save_html([explorer], folder / "page.html", name)
            times = browser_side(page, path)
            every += [t for ts in times.values() for t in ts]
            per_control = ", ".join(f"{c} {statistics.median(ts):.1f}/{max(ts):.1f}"
                                    for c, ts in times.items() if ts)
            print(f"{name:24} {built:8.2f} {explorer.data_bytes() / 1e3:8.0f} "
                  f"{trait * 1e3:9.3f}   median/max per control: {per_control}")
        training_speed(page, folder)
        browser.close()
    print(f"all controls: {len(every)} redraws, median {statistics.median(every):.1f} ms, "
          f"max {max(every):.1f} ms (goal: median <= 16, max <= 50)")


if __name__ == "__main__":
    main()
