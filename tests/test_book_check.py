"""The browser check of the built book catches broken pages and passes clean ones.

Runs book/check_book.py on the small pages in tests/fixtures/book/. Needs Debian's
chromium and the playwright package (CI installs both through .ci/book).
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "book" / "check_book.py"
FIXTURES = ROOT / "tests" / "fixtures" / "book"
CHROMIUM = Path("/usr/bin/chromium")

AXE = ROOT / "book" / "check_vendor" / "axe.min.js"

pytest.importorskip("playwright", reason="the book check needs the playwright package "
                    "(pip install playwright; CI installs it with .ci/browser)")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"the book check needs "
                       f"Debian's chromium at {CHROMIUM} (apt-get install chromium)"),
    pytest.mark.skipif(not AXE.exists(), reason="the book check needs axe-core: "
                       "npm ci, then python book/vendor.py (CI does it in .ci/browser)"),
]

PAGES = ["clean.html", "missing_image.html", "outside_request.html", "raw_latex.html",
         "broken_link.html", "script_error.html", "frozen_widget.html",
         "chapters/no_figures.html", "chapters/small_figure.html", "unexpected_link.html",
         "inaccessible.html"]


def load_check_book():
    """Import book/check_book.py (book/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("check_book", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def check_book():
    return load_check_book()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def problems_by_page(check_book, screenshots):
    """Check every fixture page in one browser session; group the problems by page."""
    problems = check_book.check_site(FIXTURES, PAGES, screenshots, phone_loads=1)
    grouped = {page: [] for page in PAGES}
    for problem in problems:
        grouped[problem.page].append(problem)
    return grouped


def kinds(problems):
    return {problem.kind for problem in problems}


def test_clean_page_passes(problems_by_page):
    assert problems_by_page["clean.html"] == []


def test_clean_page_gets_a_screenshot(problems_by_page, screenshots):
    shot = screenshots / "clean.png"
    assert shot.is_file() and shot.stat().st_size > 1000


def test_missing_image_fails(problems_by_page):
    problems = problems_by_page["missing_image.html"]
    assert "image did not load" in kinds(problems)
    assert any("no_such_figure.png" in problem.detail for problem in problems)


def test_request_to_outside_address_fails_and_is_blocked(problems_by_page):
    problems = problems_by_page["outside_request.html"]
    outside = [p for p in problems if p.kind == "outside request"]
    assert [p.detail for p in outside] == ["https://cdn.example.invalid/npm/some-library.js"]


def test_link_to_another_site_is_not_a_request(problems_by_page):
    # clean.html links to creativecommons.org and passes: only requests count.
    assert "outside request" not in kinds(problems_by_page["clean.html"])


def test_raw_latex_fails(problems_by_page):
    problems = problems_by_page["raw_latex.html"]
    assert kinds(problems) == {"raw LaTeX"}
    assert "$$" in problems[0].detail


def test_broken_page_link_and_anchor_fail(problems_by_page):
    details = [p.detail for p in problems_by_page["broken_link.html"] if p.kind == "broken link"]
    assert any("no_such_page.html" in detail and "no such file" in detail for detail in details)
    assert any("#no-such-section" in detail and "no anchor" in detail for detail in details)


def test_frozen_widget_fails(problems_by_page):
    assert kinds(problems_by_page["frozen_widget.html"]) == {"frozen widget"}


def test_serious_accessibility_violation_fails_at_both_sizes(problems_by_page):
    problems = problems_by_page["inaccessible.html"]
    assert kinds(problems) == {"accessibility"}
    assert [p.detail.split(":")[0] for p in problems] == ["1280 px window", "390 px phone"]
    assert all("button-name (critical" in p.detail for p in problems)


def test_chapter_page_without_figures_fails(problems_by_page):
    assert kinds(problems_by_page["chapters/no_figures.html"]) == {"no figures"}


def test_figure_without_alt_text_or_with_tiny_text_fails(problems_by_page):
    problems = problems_by_page["chapters/small_figure.html"]
    assert kinds(problems) == {"no alt text", "text too small"}
    small = [p.detail for p in problems if p.kind == "text too small"]
    assert len(small) == 1 and "300 px" in small[0]  # the 600 px copy is readable


def test_link_to_an_unconfigured_site_fails(problems_by_page):
    problems = problems_by_page["unexpected_link.html"]
    assert [(p.kind, p.detail) for p in problems] == [
        ("unexpected external link", "https://github.com/your-account/backprop-nudge")]


def test_configured_repository_is_an_expected_link(tmp_path):
    import check_figures

    (tmp_path / "_config.yml").write_text("repository:\n  url: https://git.example.edu/c/b\n"
                                         "launch_buttons:\n  binderhub_url: ''\n")
    assert check_figures.configured_hosts(tmp_path / "_config.yml") == {"git.example.edu"}
    links = ["https://git.example.edu/c/b", "https://other.example/x", "http://127.0.0.1:8/a"]
    seen = set()
    problems = check_figures.external_link_problems(links, seen, {"git.example.edu"})
    assert problems == [("unexpected external link", "https://other.example/x")]
    assert seen == set(links[:2])


def test_script_error_fails(problems_by_page):
    problems = problems_by_page["script_error.html"]
    assert "page error" in kinds(problems)
    assert any("drawTheWidget" in problem.detail for problem in problems)


# ----- explorers: generated pages (the runtime and modules come from the package) -----
DEAD_MODULE = """
export default { render({ model, el }) {
  const bar = controlRow(el);
  slider(bar, model, "step", "step", 0, 3);
  const pad = canvas(el, 200, 100);
  redrawOn(model, [], el, () => { clear(pad); text(pad.ctx, "always the same", 10, 50); describe(pad, "the same"); });
} };
"""

# A live explorer whose figure has no accessible name, and whose labels overlap.
NAMELESS_MODULE = """
export default { render({ model, el }) {
  const pad = canvas(el, 200, 100);
  redrawOn(model, [], el, () => { clear(pad); text(pad.ctx, "one label", 10, 50); text(pad.ctx, "another", 20, 52); });
} };
"""

# A canvas squeezed to a third of its drawing width, against common.js's rule.
SQUEEZED_MODULE = """
export default { render({ model, el }) {
  const pad = canvas(el, 900, 100);
  pad.paper.style.minWidth = "0";
  pad.paper.style.width = "300px";
  text(pad.ctx, "tiny words", 10, 50, { size: SMALLEST_TEXT });
  describe(pad, "tiny words");
} };
"""


def small_network_explorer(**kwargs):
    """A whole-network explorer on an untrained network and four made-up images."""
    import numpy as np
    from backprop import Network
    from backprop.explorers import NetworkExplorer

    images = np.random.default_rng(0).uniform(0, 1, (4, 784))
    return NetworkExplorer({"untrained": Network(seed=1)}, images, [0, 1, 2, 3], **kwargs)


@pytest.fixture(scope="module")
def explorer_problems(check_book, tmp_path_factory):
    """Pages with a live explorer, one whose control draws nothing new, one that fails."""
    if not os.environ.get("BACKPROP_DATA_DIR"):
        pytest.skip("the mirror check needs MNIST: set BACKPROP_DATA_DIR")
    import traitlets
    from backprop.explorers import Explorer, save_html
    from backprop.explorers.base import front_end

    class Dead(Explorer):
        _esm = front_end() + DEAD_MODULE
        step = traitlets.Int(0).tag(sync=True)

    class Broken(Explorer):
        _esm = "export default { render() { throw new Error('cannot draw'); } };"

    class Squeezed(Explorer):
        _esm = front_end() + SQUEEZED_MODULE

    class Nameless(Explorer):
        _esm = front_end() + NAMELESS_MODULE

    site = tmp_path_factory.mktemp("explorer_pages")
    for name, explorer in (("live", small_network_explorer()), ("dead", Dead()),
                           ("broken", Broken()), ("squeezed", Squeezed()), ("nameless", Nameless())):
        save_html([explorer], site / f"{name}.html")
    pages = ["live.html", "dead.html", "broken.html", "squeezed.html", "nameless.html"]
    grouped = {page: [] for page in pages}
    for problem in check_book.check_site(site, pages, tmp_path_factory.mktemp("shots"),
                                         phone_loads=1):
        grouped[problem.page].append(problem)
    return grouped


def test_live_explorer_passes_every_control_and_the_mirror(explorer_problems):
    assert explorer_problems["live.html"] == []


def test_control_that_changes_nothing_fails(explorer_problems):
    problems = explorer_problems["dead.html"]
    assert kinds(problems) == {"dead control"}
    assert "'step'" in problems[0].detail


def test_explorer_that_cannot_start_fails(explorer_problems):
    problems = explorer_problems["broken.html"]
    assert "explorer failed" in kinds(problems)
    assert any("cannot draw" in problem.detail for problem in problems)


def test_explorer_without_a_name_or_with_overlapping_labels_fails(explorer_problems):
    problems = explorer_problems["nameless.html"]
    assert kinds(problems) == {"no text alternative", "no live region", "overlapping labels",
                               "accessibility"}  # axe-core: role-img-alt, an image with no name
    assert any('"one label" and "another"' in p.detail for p in problems)


def test_explorer_text_shown_too_small_fails_on_wide_and_phone_windows(explorer_problems):
    problems = explorer_problems["squeezed.html"]
    assert kinds(problems) == {"text too small"}
    details = sorted(problem.detail for problem in problems)
    assert len(details) == 2 and "3.7 px" in details[0] and "390 px wide window" in details[0]
    assert details[1].startswith("wide window")


def test_mirror_gap_sees_a_wrong_browser_number(check_book):
    import numpy as np
    import check_explorers
    from backprop import Network
    from backprop.explorers.whole_network import example_nudges

    net, images = Network(seed=2), np.random.default_rng(1).uniform(0, 1, (2, 784))
    fields = example_nudges(net, images, np.array([3, 4]))
    browser = [{name: values[e].tolist() for name, values in fields.items()} for e in range(2)]
    assert check_explorers.mirror_gap(net, images, [3, 4], browser) < 1e-12
    browser[1]["push1"][5] += 1e-4
    assert check_explorers.mirror_gap(net, images, [3, 4], browser) > 1e-5


def test_known_harmless_messages_are_only_the_listed_ones(check_book):
    import check_page

    # The book's pages no longer log these (book/unique_scripts.py, _config.yml's
    # html_context), so the check no longer excuses them.
    assert not check_page.is_harmless("Got invalid theme mode: . Resetting to auto.")
    assert not check_page.is_harmless("Identifier 'THEBE_JS_URL' has already been declared")
    assert not check_page.is_harmless("ReferenceError: drawTheWidget is not defined")


# ----- page weights: what the check's server sends and how loads are judged -----
def test_server_sends_text_gzip_compressed_like_a_static_host(check_book):
    import gzip
    import urllib.request

    page, image = FIXTURES / "clean.html", FIXTURES / "chapters" / "wide_figure.png"
    with check_book.serve(FIXTURES) as base:
        def fetch(path, encoding=None):
            request = urllib.request.Request(base + path, headers={"Accept-Encoding": encoding}
                                             if encoding else {})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.headers, response.read()

        headers, body = fetch("clean.html", "gzip, deflate, br")
        assert headers["Content-Encoding"] == "gzip" and int(headers["Content-Length"]) == len(body)
        assert gzip.decompress(body) == page.read_bytes() and len(body) < page.stat().st_size
        headers, body = fetch("clean.html")  # a client that does not ask for gzip
        assert headers["Content-Encoding"] is None and body == page.read_bytes()
        headers, body = fetch("chapters/wide_figure.png", "gzip")  # compressed already
        assert headers["Content-Encoding"] is None and body == image.read_bytes()


def test_loads_are_judged_against_both_aims(check_book):
    import check_page

    load = {"bytes": 1.2e6, "raw": 2.9e6, "all_images": 1.6e6, "requests": 30,
            "first_explorer_ms": 2100.0, "load_ms": 3000.0}
    assert check_page.missed_aims(load) == []
    heavy = dict(load, bytes=1.6e6, first_explorer_ms=2600.0)
    assert check_page.missed_aims(heavy) == ["1.60 MB > 1.5 MB", "first explorer 2.6 s > 2.5 s"]
    assert check_page.missed_aims(dict(load, first_explorer_ms=None)) == []
    table = check_page.load_table({"a.html": load, "b.html": heavy})
    assert "gzip-compressed" in table
    rows = table.splitlines()[2:]
    assert rows[0].split()[1:] == ["1.20", "MB", "2.90", "MB", "1.60", "MB", "2.1", "s", "met"]
    assert rows[1].split()[-1] == "missed"
    # Of several loads the median counts, and the spread is printed.
    middle = check_page.median_load([heavy, load, dict(load, first_explorer_ms=2300.0)])
    assert middle["first_explorer_ms"] == 2300.0 and middle["first_explorer_all"] == [2100, 2300, 2600]
    assert check_page.spread(middle) == " (median of 3 loads: 2.1 to 2.6 s)"
    no_explorer = dict(load, first_explorer_ms=None)
    assert check_page.median_load([dict(no_explorer, load_ms=t) for t in (3, 1, 2)])["load_ms"] == 2
    assert check_page.spread(check_page.median_load([no_explorer])) == ""
    # "every image" counts what a reader can scroll to, not the stills explorers hide.
    assert "getClientRects" in check_page.JS_LOAD_SHOWN_IMAGES
    assert "getClientRects" not in check_page.JS_LOAD_ALL_IMAGES


@pytest.fixture
def browser_page():
    """A blank page of its own browser, closed after the test (one Playwright at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"], headless=True)
        yield browser.new_page()
        browser.close()


def test_a_mathjax_error_in_a_formula_fails(check_book, browser_page):
    import check_page

    typeset = '<span class="math"><mjx-container>x</mjx-container></span>'
    browser_page.set_content(f"<p>{typeset}</p>")
    assert check_page.check_math("ok.html", browser_page, True) == []
    browser_page.set_content(f'<p>{typeset}<span class="math"><mjx-container><mjx-merror '
                             'data-mjx-error="Undefined control sequence \\foo">\\foo'
                             '</mjx-merror></mjx-container></span></p>')
    problems = check_page.check_math("bad.html", browser_page, True)
    assert [p.kind for p in problems] == ["MathJax error"]
    assert "Undefined control sequence" in problems[0].detail


def run_command(*args):
    return subprocess.run([sys.executable, str(SCRIPT), str(FIXTURES), *args],
                          capture_output=True, text=True, timeout=300)


def test_command_exits_nonzero_and_lists_problems(tmp_path):
    result = run_command("--pages", "missing_image.html", "outside_request.html",
                         "--screenshots", str(tmp_path))
    assert result.returncode == 1
    assert "missing_image.html: image did not load" in result.stdout
    assert "outside_request.html: outside request" in result.stdout


def test_command_exits_zero_on_clean_page(tmp_path):
    result = run_command("--pages", "clean.html", "--screenshots", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout
