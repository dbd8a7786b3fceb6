"""Open every page of the built book in headless Chromium and list what is broken.

Serves the site (default ``_build/html``) on 127.0.0.1 and fails (exit code 1) on:

- any request to an address other than 127.0.0.1 (blocked before it leaves),
- a local file that does not load, an image that does not load,
- a JavaScript error or console error not in ``KNOWN_HARMLESS``,
- an equation left as raw LaTeX, or math that MathJax did not typeset,
- an internal link to a missing page or anchor,
- an explorer that is not live, a control that changes nothing drawn, or a browser
  forward/backward pass that differs from the package's (book/check_explorers.py).

It prints each page's size and the explorers' redraw times, and saves a full-page screenshot of every page under ``_build/screenshots/``.
Needs Debian's ``chromium`` (apt) and the ``playwright`` Python package; it never
downloads a browser. Usage::

    python book/check_book.py [SITE] [--screenshots DIR] [--pages intro.html ...]
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urldefrag, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))  # book/ is a folder of scripts
from check_explorers import check_explorers, mnist_test_images  # noqa: E402
from check_figures import configured_hosts, external_link_problems, figure_problems  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOST = "127.0.0.1"

#: Console messages every page of a Jupyter Book 1.x site logs, and why they are harmless.
KNOWN_HARMLESS = {
    "Identifier 'THEBE_JS_URL' has already been declared":
        "sphinx-thebe defines this constant in a script the page includes twice; "
        "the second copy fails, the first one already did the job (and thebe is off).",
    "Got invalid theme mode":
        "the theme reads the light/dark choice from the browser's storage, which is "
        "empty in a fresh browser, and falls back to the default mode.",
}

#: Folders of the built site that hold assets, not pages.
ASSET_FOLDERS = {"_static", "_sources", "_images", "_sphinx_design_static"}

#: How to tell raw LaTeX that MathJax should have turned into math.
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$")
PAGE_TIMEOUT_MS = 60_000
#: A page that only sends the reader elsewhere (Jupyter Book's index.html).
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.I)

# JavaScript run inside each page once it has loaded.
# The waits give up after 30 s (an evaluate() call has no timeout of its own).
JS_LOAD_ALL_IMAGES = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  const loaded = Promise.all(images.filter(img => !img.complete).map(img =>
    new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  await Promise.race([loaded, new Promise(done => setTimeout(done, 30000))]);
  return images.filter(img => img.naturalWidth === 0).map(img => img.currentSrc || img.src);
}"""
JS_WAIT_FOR_MATHJAX = """async () => {
  const promise = window.MathJax && MathJax.startup && MathJax.startup.promise;
  if (promise) { await Promise.race([promise, new Promise(done => setTimeout(done, 30000))]); }
  return Boolean(promise);
}"""
JS_MATH_STATE = """() => {
  const math = [...document.querySelectorAll('.math')];
  const untyped = math.filter(el => !el.querySelector('mjx-container'));
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) { texts.push(node.textContent); }
  }
  return {count: math.length, untyped: untyped.map(el => el.textContent.slice(0, 60)),
          text: texts.join(' ')};
}"""
# Figures a chapter's cells drew (a chapter page without any lost its figures, e.g. to
# a build made with MPLBACKEND=Agg).
JS_CELL_FIGURES = "() => document.querySelectorAll('.cell_output img').length"
JS_LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
# Bytes the page itself brought (HTML with the explorers' saved state, its images)
# and what it shares with every page (theme, fonts, MathJax).
JS_SIZES = """() => {
  const own = {html: performance.getEntriesByType('navigation')[0].decodedBodySize, images: 0, shared: 0};
  for (const r of performance.getEntriesByType('resource')) {
    if (r.name.includes('/_images/')) own.images += r.decodedBodySize; else own.shared += r.decodedBodySize;
  }
  return own;
}"""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one page."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


class QuietHandler(SimpleHTTPRequestHandler):
    """Static file handler that does not log every request to stderr."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib name
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free port of 127.0.0.1; yield its base URL."""
    server = ThreadingHTTPServer((LOCAL_HOST, 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def is_local(url: str) -> bool:
    """True for addresses on 127.0.0.1 and for in-page data (data:, blob:, about:)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == LOCAL_HOST


def is_harmless(message: str) -> bool:
    """True if a console message is one of the known harmless ones."""
    return any(known in message for known in KNOWN_HARMLESS)


def site_path(url: str) -> str:
    """A local URL as a path on the site ("/chapters/x.html#y"); other URLs unchanged."""
    parts = urlsplit(url)
    if parts.hostname != LOCAL_HOST:
        return url
    return parts.path + (f"?{parts.query}" if parts.query else "") \
        + (f"#{parts.fragment}" if parts.fragment else "")


def find_pages(site: Path) -> list[str]:
    """Every HTML page of the site, relative to it, skipping asset folders."""
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html")
                  if not ASSET_FOLDERS & set(path.relative_to(site).parts[:-1]))


class LinkChecker:
    """Checks local links, fetching each target page once."""

    def __init__(self) -> None:
        self.pages: dict[str, str | None] = {}

    def fetch(self, url: str) -> str | None:
        """The page's text, or None if the server does not have it."""
        if url not in self.pages:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    self.pages[url] = response.read().decode("utf-8", "replace")
            except (urllib.error.URLError, OSError):
                self.pages[url] = None
        return self.pages[url]

    def problem(self, link: str) -> str | None:
        """Why a local link is broken, or None if it works."""
        target, anchor = urldefrag(link)
        text = self.fetch(target)
        if text is None:
            return f"{site_path(link)} (no such file)"
        if anchor and not re.search(rf'\b(id|name)="{re.escape(anchor)}"', text):
            return f"{site_path(link)} (no anchor #{anchor})"
        return None


def check_math(name: str, page, has_mathjax: bool) -> list[Problem]:
    """Raw LaTeX in the text and equations MathJax did not typeset."""
    state = page.evaluate(JS_MATH_STATE)
    raw = [match.group(0) for match in RAW_MATH.finditer(state["text"])]
    problems = [Problem(name, "raw LaTeX", f"{len(raw)} places, first {raw[0][:60]!r}")] \
        if raw else []
    if state["count"] and not has_mathjax:
        problems.append(Problem(name, "math not typeset",
                                f"{state['count']} equations and MathJax did not load"))
    elif state["untyped"]:
        problems.append(Problem(name, "math not typeset",
                                f"{len(state['untyped'])} equations, first {state['untyped'][0]!r}"))
    return problems


def check_page(context, base_url: str, name: str, links: LinkChecker,
               screenshot: Path | None, site: Path, test_images=None,
               outside: set | None = None, allowed: set = frozenset()) -> list[Problem]:
    """Open one page and return its problems (printing its size and redraw times)."""
    problems: list[Problem] = []
    page = context.new_page()

    def record(kind: str, detail: str) -> None:
        problems.append(Problem(name, kind, detail))

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource") \
                and not is_harmless(message.text):
            record("console error", message.text)

    failed: set[str] = set()

    def on_response(response) -> None:
        if is_local(response.url) and response.status >= 400:
            failed.add(response.url)
            record("failed request", f"{response.status} {site_path(response.url)}")

    def on_request_failed(request) -> None:
        if is_local(request.url) and request.url not in failed:
            record("failed request", f"{request.failure} {site_path(request.url)}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: None if is_harmless(str(error))
            else record("page error", str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("websocket", lambda socket: is_local(socket.url)
            or record("outside request", f"websocket {socket.url}"))
    try:
        page.goto(urljoin(base_url, name), wait_until="load", timeout=PAGE_TIMEOUT_MS)
        for src in page.evaluate(JS_LOAD_ALL_IMAGES):
            record("image did not load", site_path(src))
        if name.startswith("chapters/") and not page.evaluate(JS_CELL_FIGURES):
            record("no figures", "no cell drew a figure (was the book built with MPLBACKEND=Agg?)")
        found, stats = check_explorers(page, site / name, test_images)
        found += figure_problems(page, site / name)
        found += external_link_problems(page.evaluate(JS_LINKS), outside if outside is not None
                                        else set(), allowed)
        for kind, detail in found:
            record(kind, detail)
        has_mathjax = page.evaluate(JS_WAIT_FOR_MATHJAX)
        problems += check_math(name, page, has_mathjax)
        for link in sorted(set(page.evaluate(JS_LINKS))):
            if is_local(link) and urlsplit(link).scheme.startswith("http"):
                broken = links.problem(link)
                if broken:
                    record("broken link", broken)
        page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
        report(name, page.evaluate(JS_SIZES), stats)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    except Exception as error:  # a page that hangs or crashes is a problem, not a crash
        record("could not check page", f"{type(error).__name__}: {error}")
    finally:
        page.close()
    return problems


def report(name: str, sizes: dict, stats: dict) -> None:
    """Print a page's size and, if it has explorers, their redraw times."""
    line = (f"  {name}: {(sizes['html'] + sizes['images']) / 1e6:.2f} MB of its own "
            f"(HTML {sizes['html'] / 1e6:.2f}, images {sizes['images'] / 1e6:.2f}), "
            f"{sizes['shared'] / 1e6:.2f} MB shared with other pages")
    times = sorted(stats["redraw_ms"])
    if times:
        line += (f"; {stats['explorers']} explorers, {len(times)} redraws: median "
                 f"{times[len(times) // 2]:.1f} ms, max {times[-1]:.1f} ms")
    print(line, flush=True)


def check_site(site: Path, pages: list[str] | None = None,
               screenshots: Path | None = None) -> list[Problem]:
    """Check ``pages`` (default: all) of the site in ``site``; return every problem."""
    from playwright.sync_api import sync_playwright

    pages = pages or (find_pages(site) if site.is_dir() else [])
    if not pages:
        raise ValueError(f"no HTML pages in {site} (build the book first)")
    missing = [name for name in pages if not (site / name).is_file()]
    if missing:
        raise ValueError(f"not in {site}: {', '.join(missing)}")
    problems: list[Problem] = []
    current = {"page": ""}

    def block_outside(route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            problems.append(Problem(current["page"], "outside request", route.request.url))
            route.abort("blockedbyclient")

    with serve(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      service_workers="block")
        context.route("**/*", block_outside)
        links = LinkChecker()
        test_images = mnist_test_images()
        outside: set[str] = set()
        allowed = configured_hosts(site.parent.parent / "_config.yml")
        for name in pages:
            current["page"] = name
            start = time.perf_counter()
            redirect = REDIRECT.search((site / name).read_text(errors="replace"))
            if redirect:  # opening it would only open its target
                broken = links.problem(urljoin(urljoin(base_url, name), redirect.group(1)))
                problems += [Problem(name, "broken redirect", broken)] if broken else []
                continue
            shot = screenshots / (Path(name).with_suffix(".png").as_posix()
                                  .replace("/", "__")) if screenshots else None
            problems += check_page(context, base_url, name, links, shot, site, test_images,
                                   outside, allowed)
            print(f"checked {name} in {time.perf_counter() - start:.1f} s", flush=True)
        browser.close()
    print(f"links to other sites ({len(outside)}): " + ", ".join(sorted(outside)))
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: print the problems, return 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=Path("_build/html"))
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="folder for screenshots (default: SITE/../screenshots)")
    parser.add_argument("--pages", nargs="+", help="pages to check (default: all)")
    args = parser.parse_args(argv)
    screenshots = args.screenshots or args.site.parent / "screenshots"
    start = time.perf_counter()
    try:
        problems = check_site(args.site, args.pages, screenshots)
    except (ValueError, ImportError) as error:
        print(f"check_book: {error}", file=sys.stderr)
        return 1
    checked = len(args.pages or find_pages(args.site))
    seconds = time.perf_counter() - start
    for problem in problems:
        print(f"PROBLEM {problem}")
    verdict = f"{len(problems)} problems" if problems else "no problems"
    print(f"check_book: {checked} pages checked in {seconds:.1f} s, {verdict}; "
          f"screenshots in {screenshots}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
