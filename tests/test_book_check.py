"""The browser check of the built book catches broken pages and passes clean ones.

Runs book/check_book.py on the small pages in tests/fixtures/book/. Needs Debian's
chromium and the playwright package (CI installs both through .ci/book).
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "book" / "check_book.py"
FIXTURES = ROOT / "tests" / "fixtures" / "book"
CHROMIUM = Path("/usr/bin/chromium")

pytest.importorskip("playwright", reason="the book check needs the playwright package "
                    "(pip install playwright; CI installs it in .ci/book)")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"the book check needs "
                                f"Debian's chromium at {CHROMIUM} (apt-get install chromium)")

PAGES = ["clean.html", "missing_image.html", "outside_request.html", "raw_latex.html",
         "broken_link.html", "script_error.html", "frozen_widget.html"]


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
    problems = check_book.check_site(FIXTURES, PAGES, screenshots)
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
    # clean.html links to https://example.org/ and passes: only requests count.
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


def test_script_error_fails(problems_by_page):
    problems = problems_by_page["script_error.html"]
    assert "page error" in kinds(problems)
    assert any("drawTheWidget" in problem.detail for problem in problems)


def test_known_harmless_messages_are_only_the_listed_ones(check_book):
    assert check_book.is_harmless("Got invalid theme mode: . Resetting to auto.")
    assert check_book.is_harmless("Identifier 'THEBE_JS_URL' has already been declared")
    assert not check_book.is_harmless("ReferenceError: drawTheWidget is not defined")


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
