"""Open every page of the built book in headless Chromium and list what is broken.

Serves the site (default ``_build/html``) on 127.0.0.1 and fails (exit code 1) on:

- any request to an address other than 127.0.0.1 (blocked before it leaves),
- a local file that does not load, an image that does not load,
- a JavaScript error or console error not in ``KNOWN_HARMLESS`` (book/check_page.py),
- an equation left as raw LaTeX, math that MathJax did not typeset, or a MathJax
  error in a formula,
- an internal link to a missing page or anchor,
- an explorer that is not live, a control that changes nothing drawn, or a browser
  forward/backward pass that differs from the package's (book/check_explorers.py).

It prints each page's size and the explorers' redraw times, what a throttled phone
downloads for it (the server sends text gzip-compressed, as static hosts do) and when
its first explorer is drawn, and saves a full-page screenshot of every page under ``_build/screenshots/``.
Needs Debian's ``chromium`` (apt) and the ``playwright`` Python package; it never
downloads a browser. Usage::

    python book/check_book.py [SITE] [--screenshots DIR] [--pages intro.html ...] [--phone-loads 3]
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import sys
import threading
import time
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent))  # book/ is a folder of scripts
from check_explorers import mnist_test_images  # noqa: E402
from check_figures import configured_hosts  # noqa: E402
from check_page import (LOCAL_HOST, PHONE_LOADS, LinkChecker, Problem, check_page,  # noqa: E402
                        is_local, load_table)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

#: Folders of the built site that hold assets, not pages.
ASSET_FOLDERS = {"_static", "_sources", "_images", "_sphinx_design_static"}

#: A page that only sends the reader elsewhere (Jupyter Book's index.html).
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.I)


#: Files a static host (GitHub Pages, Netlify, Read the Docs) sends gzip-compressed.
COMPRESSED_SUFFIXES = {".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".xml"}
#: gzip's usual level (hosts use 6 or so; fonts and images are compressed already).
GZIP_LEVEL = 6


class QuietHandler(SimpleHTTPRequestHandler):
    """Static file handler that, like a static host, sends text gzip-compressed to a
    browser that accepts it, and does not log every request to stderr."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if (path.suffix not in COMPRESSED_SUFFIXES or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()  # as it is (also a folder's redirect, a 404)
        body = gzip.compress(path.read_bytes(), GZIP_LEVEL, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib name
        pass


class QuietServer(ThreadingHTTPServer):
    """A server that says nothing when the browser drops a connection it no longer needs."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free port of 127.0.0.1; yield its base URL."""
    server = QuietServer((LOCAL_HOST, 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def find_pages(site: Path) -> list[str]:
    """Every HTML page of the site, relative to it, skipping asset folders."""
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html")
                  if not ASSET_FOLDERS & set(path.relative_to(site).parts[:-1]))


def check_site(site: Path, pages: list[str] | None = None,
               screenshots: Path | None = None, phone_loads: int = PHONE_LOADS) -> list[Problem]:
    """Check ``pages`` (default: all) of the site in ``site``; return every problem.
    Each page is loaded ``phone_loads`` times on the throttled phone (the median is printed)."""
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
        loads: dict[str, dict] = {}
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
                                   outside, allowed, loads, phone_loads)
            print(f"checked {name} in {time.perf_counter() - start:.1f} s", flush=True)
        browser.close()
    if loads:
        print(load_table(loads))
        print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end "
              f"of the check: other work on the computer lengthens the times)")
    print(f"links to other sites ({len(outside)}): " + ", ".join(sorted(outside)))
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: print the problems, return 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=Path("_build/html"))
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="folder for screenshots (default: SITE/../screenshots)")
    parser.add_argument("--pages", nargs="+", help="pages to check (default: all)")
    parser.add_argument("--phone-loads", type=int, default=PHONE_LOADS,
                        help=f"loads per page on the throttled phone (default {PHONE_LOADS})")
    args = parser.parse_args(argv)
    if args.phone_loads < 1:
        parser.error(f"--phone-loads must be 1 or more; got {args.phone_loads}")
    screenshots = args.screenshots or args.site.parent / "screenshots"
    start = time.perf_counter()
    try:
        problems = check_site(args.site, args.pages, screenshots, args.phone_loads)
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
