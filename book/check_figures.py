"""Readability checks of the book's figures and links (used by book/check_book.py).

- Every figure a cell drew needs real alt text (words, not a file name).
- Its smallest text must show at 10 px or more on the page. The page only knows the
  figure's size, so the check estimates it: a PNG of ``n`` pixels at ``dpi`` is a
  figure ``n / dpi`` inches wide; shown ``w`` px wide, one point of text is
  ``w / (n / dpi * 72)`` px; the book's drawings use no font below
  :data:`SMALLEST_FONT_PT` (``tests/test_plots.py`` holds them to it).
- Every link to another site is listed; one to a host not in
  :data:`EXTERNAL_HOSTS` (links put there on purpose) is a problem, so a placeholder
  repository or a launch button nobody configured cannot slip into the book.
"""
from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import urlsplit

#: The smallest font size (points) the book's figures use.
SMALLEST_FONT_PT = 10.5
#: The smallest readable text on the page, in CSS pixels.
SMALLEST_TEXT_PX = 10.0
#: Other sites the book links to on purpose (licences, credits, tools it names).
EXTERNAL_HOSTS = {
    "creativecommons.org", "opensource.org", "yann.lecun.com", "jupyterbook.org",
    "www.sphinx-doc.org", "pydata-sphinx-theme.readthedocs.io", "anywidget.dev",
    "ebp.jupyterbook.org", "sphinx-book-theme.readthedocs.io", "www.3blue1brown.com",
    "neuralnetworksanddeeplearning.com",
}
#: _config.yml settings whose address an instructor fills in to get the buttons.
CONFIGURED_URLS = (("repository", "url"), ("launch_buttons", "binderhub_url"),
                   ("launch_buttons", "jupyterhub_url"))

JS_FIGURES = """() => [...document.querySelectorAll('.cell_output img')].map(img => ({
  src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
  natural: img.naturalWidth, shown: img.getBoundingClientRect().width}))"""


def png_dpi(path: Path) -> float | None:
    """The dots per inch a PNG file records (its pHYs chunk), or None."""
    data = path.read_bytes()[:4096]
    at = data.find(b"pHYs")
    if at < 0:
        return None
    per_x, _, unit = struct.unpack(">IIB", data[at + 4:at + 13])
    return per_x * 0.0254 if unit == 1 else None


def is_real_alt(alt: str) -> bool:
    """Alt text that describes something: words, not empty, not a file name."""
    alt = alt.strip()
    return len(alt.split()) >= 2 and not alt.lower().endswith((".png", ".svg", ".jpg"))


def figure_problems(page, page_file: Path) -> list[tuple[str, str]]:
    """Figures without real alt text, or whose smallest text shows below 10 px."""
    problems = []
    for figure in page.evaluate(JS_FIGURES):
        name = figure["src"].rsplit("/", 1)[-1]
        if not is_real_alt(figure["alt"]):
            problems.append(("no alt text", f"{name} (alt={figure['alt']!r})"))
        source = (page_file.parent / figure["src"]).resolve()
        dpi = png_dpi(source) if source.suffix == ".png" and source.is_file() else None
        if dpi and figure["natural"] and figure["shown"]:
            px_per_pt = figure["shown"] / (figure["natural"] / dpi * 72)
            if SMALLEST_FONT_PT * px_per_pt < SMALLEST_TEXT_PX:
                problems.append(("text too small", f"{name}: {SMALLEST_FONT_PT:g} pt shows as "
                                 f"{SMALLEST_FONT_PT * px_per_pt:.1f} px ({dpi:.0f} dpi, "
                                 f"{figure['natural'] / dpi:.1f} in shown {figure['shown']:.0f} px)"))
    return problems


def configured_hosts(config: Path) -> set[str]:
    """Hosts of the repository and launch addresses set in the book's _config.yml."""
    import yaml

    settings = yaml.safe_load(config.read_text()) if config.is_file() else {}
    hosts = set()
    for section, key in CONFIGURED_URLS:
        url = ((settings or {}).get(section) or {}).get(key) or ""
        if urlsplit(url).hostname:
            hosts.add(urlsplit(url).hostname)
    return hosts


def external_link_problems(links: list[str], seen: set[str],
                           allowed: set[str] = frozenset()) -> list[tuple[str, str]]:
    """Links to other sites: each is added to ``seen``; hosts neither listed nor configured
    (``allowed``) are problems."""
    problems = []
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or parts.hostname in (None, "127.0.0.1"):
            continue
        seen.add(link)
        if parts.hostname not in EXTERNAL_HOSTS | set(allowed):
            problems.append(("unexpected external link", link))
    return problems
