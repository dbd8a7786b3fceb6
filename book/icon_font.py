"""The theme's icon font cut down to the icons the book shows (used by book/offline_assets.py).

pydata-sphinx-theme draws its icons (search, menu, light/dark, download, ...) from
Font Awesome's solid font, 157 kB, which every page downloads for about twenty icons.
After a build, :func:`subset_icon_font` writes a copy holding only the glyphs the site
uses (about 5 kB) and adds an ``@font-face`` rule for it to ``_static/book.css``; the
later rule wins, so pages fetch the small font instead of the big one.

Which glyphs: every ``fa-<name>`` icon named in the site's pages or scripts (the
stylesheet maps names to code points, ``.fa-bars:before{content:"\\f0c9"}``), and
every code point the stylesheet writes outside those name rules (its own icons, e.g.
the admonitions'). The browser check would see any other: the page would then fetch
the whole font as well. Needs fontTools
(matplotlib's dependency); without it the pages keep the whole font.
"""
from __future__ import annotations

import re
from pathlib import Path

#: The theme's files, relative to the built site's _static/.
THEME_CSS = Path("styles") / "pydata-sphinx-theme.css"
SOLID_FONT = Path("vendor") / "fontawesome" / "webfonts" / "fa-solid-900.ttf"
#: The cut-down font, relative to _static/ (beside book.css, which names it).
SUBSET_FONT = "book-icons.woff"
FONT_FACE = ('\n/* The icons the book shows, cut from the theme\'s Font Awesome font '
             '(book/icon_font.py). */\n@font-face { font-display: block; font-family: '
             '"Font Awesome 6 Free"; font-style: normal; font-weight: 900; '
             f'src: url({SUBSET_FONT}) format("woff"); }}\n')

RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
#: A one-character string written as an escape, as icons are ("\f0c9").
ESCAPED = re.compile(r'"\\([0-9a-fA-F]{2,6})"')
#: ... or written as the character itself, from Unicode's private use area.
LITERAL = re.compile('"([\ue000-\uf8ff])"')
ICON_SELECTOR = re.compile(r"\.fa-([a-z0-9-]+):+before")
ICON_NAME = re.compile(r"\bfa-([a-z0-9]+(?:-[a-z0-9]+)*)")


def code_points(css: str, used_names: set[str]) -> set[int]:
    """The code points the stylesheet gives the ``used_names`` icons, and every code
    point written in its other rules (e.g. ``--pst-icon-bell: "\\f0f3"``, escaped or not)."""
    points: set[int] = set()
    for selectors, body in RULE.findall(css):
        escaped = {int(code, 16) for code in ESCAPED.findall(body)} | {
            ord(char) for char in LITERAL.findall(body)}
        names = [ICON_SELECTOR.fullmatch(part.strip()) for part in selectors.split(",")]
        if not all(names) or any(match.group(1) in used_names for match in names):
            points |= escaped
    return points


def used_icon_names(site: Path) -> set[str]:
    """Every ``fa-<name>`` written in the site's pages and its own scripts."""
    files = [*site.rglob("*.html"), *(site / "_static").rglob("*.js")]
    return {name for path in files if path.is_file()
            for name in ICON_NAME.findall(path.read_text(errors="replace"))}


def subset_icon_font(site: Path) -> str:
    """Write the cut-down icon font into ``site``'s _static/ and name it in book.css;
    return what was done, in words (or why nothing was)."""
    static = site / "_static"
    css, font, book_css = static / THEME_CSS, static / SOLID_FONT, static / "book.css"
    if not (css.is_file() and font.is_file() and book_css.is_file()):
        return "icon font kept whole: the theme's stylesheet or font is not where expected"
    try:
        from fontTools import subset
    except ImportError:
        return "icon font kept whole: fontTools is not installed"
    points = code_points(css.read_text(), used_icon_names(site))
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.notdef_outline = True
    tool = subset.Subsetter(options)
    tool.populate(unicodes=sorted(points))
    face = subset.load_font(str(font), options)
    tool.subset(face)
    target = static / SUBSET_FONT
    subset.save_font(face, str(target), options)
    text = book_css.read_text()
    if SUBSET_FONT not in text:
        book_css.write_text(text + FONT_FACE)
    return (f"icon font: {len(points)} glyphs, {target.stat().st_size / 1e3:.1f} kB "
            f"instead of {(font.with_suffix('.woff2')).stat().st_size / 1e3:.0f} kB")
