"""The one-page part of the book's browser check (used by book/check_book.py).

:func:`check_page` opens one page of the served site in the browser and lists its
problems: failed local requests and images, JavaScript and console errors not in
``KNOWN_HARMLESS``, raw LaTeX or untypeset math, broken local links and anchors,
serious or critical accessibility violations found by axe-core (WCAG 2.1 A/AA and
best practice, on the wide window and on a 390 px phone), and what
book/check_explorers.py and book/check_figures.py find. It prints the page's size,
its explorers' redraw times, the axe-core counts, and, under a throttled phone
profile (fast 4G, CPU 4 times slower, no cache), the bytes transferred and the time
until the first explorer is drawn (printed, never asserted). "Transferred" means bytes
on the wire from the check's server, which sends text gzip-compressed as static hosts
do (book/check_book.py); the uncompressed size is printed beside it.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from check_explorers import check_explorers
from check_figures import external_link_problems, figure_problems

LOCAL_HOST = "127.0.0.1"

#: axe-core, copied from node_modules by book/vendor.py; injected into each checked page.
AXE = Path(__file__).resolve().parent / "check_vendor" / "axe.min.js"
#: axe-core impacts that fail the check (moderate and minor ones are printed only).
FAILING_IMPACTS = ("serious", "critical")
PHONE_VIEWPORT = {"width": 390, "height": 844}
#: A phone on a fast 4G network: 9 Mbit/s down, 60 ms round trip, CPU 4 times slower.
PHONE_NETWORK = {"offline": False, "latency": 60, "downloadThroughput": 9e6 / 8,
                 "uploadThroughput": 1.5e6 / 8}
PHONE_CPU_SLOWDOWN = 4
#: Loads per page on that phone; the check prints the median (timings on a busy
#: computer vary by a second or more from one load to the next).
PHONE_LOADS = 3

#: Console messages known to be harmless, and why (none: the book's causes were removed,
#: book/unique_scripts.py and _config.yml's html_context).
KNOWN_HARMLESS: dict[str, str] = {}

#: How to tell raw LaTeX that MathJax should have turned into math.
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$")
PAGE_TIMEOUT_MS = 60_000

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
# The same for the images a reader can see by scrolling (not the stills an explorer hides).
JS_LOAD_SHOWN_IMAGES = JS_LOAD_ALL_IMAGES.replace(
    "const images = [...document.images];",
    "const images = [...document.images].filter(img => img.getClientRects().length);")
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
  const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
    .map(el => el.getAttribute('data-mjx-error') || el.textContent.slice(0, 60));
  return {count: math.length, untyped: untyped.map(el => el.textContent.slice(0, 60)),
          errors, text: texts.join(' ')};
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


JS_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.length, first: v.nodes[0] ? v.nodes[0].target.join(' ') : ''}));
}"""
# Every response the page received so far: its URL, bytes on the wire (headers and the
# body as sent, compressed or not) and the body's size once decompressed.
JS_TRANSFERRED = """() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .map(r => ({url: r.name, bytes: r.transferSize || r.encodedBodySize || 0, raw: r.decodedBodySize || 0}))"""
JS_FIRST_EXPLORER = """async () => {
  for (let t = 0; t < 600 && !performance.getEntriesByName('bp-first-explorer').length
       && document.querySelector('script[type="application/vnd.jupyter.widget-view+json"]'); t++) {
    await new Promise(done => setTimeout(done, 50));
  }
  const mark = performance.getEntriesByName('bp-first-explorer')[0];
  return mark ? mark.startTime : null;
}"""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one page."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


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
    if state["errors"]:
        problems.append(Problem(name, "MathJax error",
                                f"{len(state['errors'])} formulas, first {state['errors'][0]!r}"))
    return problems


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the open page (its default rules: WCAG A/AA, best practice)."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(content=AXE.read_text())
    return page.evaluate(JS_AXE)


def check_accessibility(page, window: str) -> list[tuple[str, str]]:
    """Serious or critical axe-core violations as problems; print every count."""
    if not AXE.is_file():
        return [("accessibility not checked", f"{AXE} missing (npm ci, then python book/vendor.py)")]
    found = axe_violations(page)
    bad = [v for v in found if v["impact"] in FAILING_IMPACTS]
    counts = ", ".join(f"{v['id']} ({v['impact']}) {v['nodes']}" for v in found) or "none"
    print(f"    axe-core, {window}: {sum(v['nodes'] for v in bad)} serious/critical; {counts}", flush=True)
    return [("accessibility", f"{window}: {v['id']} ({v['impact']}, {v['nodes']} elements, "
                              f"first {v['first']}): {v['help']}") for v in bad]


def extra_page(context):
    """Another tab for the same page, quietly blocking outside requests (the first
    opening of the page already reported them)."""
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if is_local(route.request.url)
               else route.abort("blockedbyclient"))
    return page


def check_accessibility_on_a_phone(context, url: str) -> list[tuple[str, str]]:
    """The same page at 390 px: axe-core again (the theme's phone layout differs)."""
    phone = extra_page(context)
    try:
        phone.set_viewport_size(PHONE_VIEWPORT)
        phone.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
        phone.evaluate("""async () => { for (let t = 0; t < 100 && document.querySelector(
          'script[type="application/vnd.jupyter.widget-view+json"]') && !document.documentElement.dataset.explorers; t++)
          await new Promise(done => setTimeout(done, 100)); }""")
        return check_accessibility(phone, "390 px phone")
    finally:
        phone.close()


def phone_load(context, url: str) -> dict:
    """Open ``url`` as a throttled phone would (no cache): bytes and first-explorer time."""
    page = extra_page(context)
    try:
        page.set_viewport_size(PHONE_VIEWPORT)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", PHONE_NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
        page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
        first = page.evaluate(JS_FIRST_EXPLORER)
        page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
        load = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
        responses = page.evaluate(JS_TRANSFERRED)
        page.evaluate(JS_LOAD_SHOWN_IMAGES)  # what a reader who scrolls to the end adds
        every = page.evaluate(JS_TRANSFERRED)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    finally:
        page.close()
    return {"bytes": sum(r["bytes"] for r in responses), "requests": len(responses),
            "raw": sum(r["raw"] for r in responses), "all_images": sum(r["bytes"] for r in every),
            "first_explorer_ms": first, "load_ms": load}


def check_page(context, base_url: str, name: str, links: LinkChecker,
               screenshot: Path | None, site: Path, test_images=None,
               outside: set | None = None, allowed: set = frozenset(),
               loads: dict | None = None, phone_loads: int = PHONE_LOADS) -> list[Problem]:
    """Open one page and return its problems (printing its size and redraw times);
    the median of its ``phone_loads`` throttled phone loads (:func:`phone_load`) goes into
    ``loads`` under its name."""
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
        for kind, detail in (check_accessibility(page, "1280 px window")
                             + check_accessibility_on_a_phone(context, page.url)):
            record(kind, detail)
        load = median_load([phone_load(context, page.url) for _ in range(phone_loads)])
        report_phone_load(name, load)
        if loads is not None:
            loads[name] = load
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    except Exception as error:  # a page that hangs or crashes is a problem, not a crash
        record("could not check page", f"{type(error).__name__}: {error}")
    finally:
        page.close()
    return problems


def median_load(loads: list[dict]) -> dict:
    """The load with the median first-explorer time (or load time, on a page without
    explorers), with every load's first-explorer times under "first_explorer_all"."""
    def key(load: dict) -> float:
        first = load["first_explorer_ms"]
        return load["load_ms"] if first is None else first
    ordered = sorted(loads, key=key)
    times = [load["first_explorer_ms"] for load in ordered if load["first_explorer_ms"] is not None]
    return dict(ordered[len(ordered) // 2], first_explorer_all=times)


#: The aims of the book's pages on that phone (issue: lighter pages), printed, never asserted.
AIM_BYTES = 1.5e6
AIM_FIRST_EXPLORER_MS = 2500


def missed_aims(load: dict) -> list[str]:
    """The aims a phone load misses, in words (empty when it meets both)."""
    first = load["first_explorer_ms"]
    missed = [f"{load['bytes'] / 1e6:.2f} MB > {AIM_BYTES / 1e6} MB"] if load["bytes"] > AIM_BYTES else []
    if first is not None and first > AIM_FIRST_EXPLORER_MS:
        missed.append(f"first explorer {first / 1e3:.1f} s > {AIM_FIRST_EXPLORER_MS / 1e3} s")
    return missed


def report_phone_load(name: str, load: dict) -> None:
    """Print what a throttled phone downloads for the page and when its first explorer shows."""
    first = load["first_explorer_ms"]
    missed = missed_aims(load)
    print(f"  {name} on a phone (fast 4G, CPU / {PHONE_CPU_SLOWDOWN}, no cache): "
          f"{load['bytes'] / 1e6:.2f} MB transferred, text gzip-compressed as a static host "
          f"sends it ({load['raw'] / 1e6:.2f} MB uncompressed; {load['all_images'] / 1e6:.2f} MB "
          f"once every image a reader can scroll to is shown), {load['requests']} requests, "
          f"load {load['load_ms'] / 1e3:.1f} s, first explorer "
          f"{'n/a' if first is None else f'{first / 1e3:.1f} s'}{spread(load)}; aims ≤ {AIM_BYTES / 1e6} MB, "
          f"≤ {AIM_FIRST_EXPLORER_MS / 1e3} s: {'MISSED, ' + '; '.join(missed) if missed else 'met'}",
          flush=True)


def spread(load: dict) -> str:
    """" (median of 3 loads: 1.9 to 2.6 s)", or "" for a single load or no explorer."""
    times = load.get("first_explorer_all") or []
    return (f" (median of {len(times)} loads: {min(times) / 1e3:.1f} to {max(times) / 1e3:.1f} s)"
            if len(times) > 1 else "")


def load_table(loads: dict) -> str:
    """Every checked page's phone load as a table: transferred, uncompressed, first explorer."""
    lines = ["page weights on the throttled phone, at load (transferred = gzip-compressed text "
             "as a static host sends it; images are fetched as they come near the screen):",
             f"  {'page':46} {'transferred':>11} {'uncompressed':>12} {'every image':>11} "
             f"{'first explorer':>14}  aims"]
    for name, load in loads.items():
        first = load["first_explorer_ms"]
        lines.append(f"  {name:46} {load['bytes'] / 1e6:8.2f} MB {load['raw'] / 1e6:9.2f} MB "
                     f"{load['all_images'] / 1e6:8.2f} MB "
                     f"{'n/a' if first is None else f'{first / 1e3:.1f} s':>14}  "
                     f"{'missed' if missed_aims(load) else 'met'}")
    return "\n".join(lines)


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
