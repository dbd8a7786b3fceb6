"""Sphinx extension: the book serves its own JavaScript, and explorers need no widget manager.

By default the pages load MathJax from a CDN. ``book/vendor.py`` copies it from
``node_modules/`` into ``book/vendor/``; when it is there, this extension adds
``book/vendor/`` to ``html_static_path`` (its files land in ``_static/``) and points
``mathjax_path`` at the local copy, so the pages make no request outside the site.
The local copy loads only the parts of MathJax the book uses (``MATHJAX_PARTS``: TeX
input with its AMS package, HTML-CSS output, the hidden MathML screen readers read;
no context menu), about 0.76 MB instead of the 1.17 MB combined file, and the fonts
a page needs; the page names those parts in <head> so they download at once.

Explorers: a page whose notebook saved widget state gets one script,
``_static/explorer_runtime.js`` (``backprop/explorers/runtime.js``, about 150 lines),
which renders the saved explorers with no kernel. It replaces ipywidgets' 3.6 MB
widget manager and require.js, which the explorers do not need; pages without an
explorer load nothing of it (myst-nb adds these scripts only where there is state).

Lighter pages (items E-18 to E-20 of the explorers' review):

- ``book/templates/`` (put first in ``templates_path``) drops the theme's 1.49 MB
  ``fontawesome.js``; the theme's CSS draws the same icons from its web font, which
  book/icon_font.py cuts from 157 kB down to the few icons the site shows;
- a page whose own text has no maths gets no MathJax (Sphinx gives it to every page
  whose table of contents reaches one with maths, e.g. the intro);
- every image is ``loading="lazy"``: the first screen does not wait for figures far
  below it (the browser check prints the weight with and without them);
- on explorer pages the runtime loads ``async`` right after the saved widget state, so
  it decodes the explorers' data while the page still arrives and draws them as soon
  as the page is parsed, waiting for no other script; a line in <head> marks the page so that
  ``book/static/book.css`` hides the still figures before they load (so a hidden one
  is never downloaded).

Accessibility: the summary of a hidden code cell keeps its visible words as its name
(myst-nb's ``aria-label="Toggle hidden content"`` differs from what it shows).

Loaded from ``_config.yml`` (``sphinx: local_extensions: offline_assets: book``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Folder, relative to the book's root, that book/vendor.py fills.
VENDOR_DIR = Path("book") / "vendor"

#: The vendored MathJax entry point (the loader), relative to VENDOR_DIR and to _static/.
MATHJAX = "js/mathjax/startup.js"
#: The MathJax components it loads: all the book's formulas need (checked by
#: book/check_page.py, which fails on any MathJax error). autoload (which brings
#: require) fetches a rarer TeX package (e.g. \cancel) the first time a formula uses
#: it; an unknown command is an error, not red text (no "noundefined"). The output
#: loads its font data itself, after itself: named here too, the font data could run
#: first and fail ("reading 'chtml'").
MATHJAX_PARTS = ["input/tex-base", "[tex]/ams", "[tex]/autoload", "output/chtml",
                 "a11y/assistive-mml"]
#: The files those components are, with require and the font data, relative to the
#: entry point's folder (preloaded on pages without explorers).
MATHJAX_FILES = ["core.js", "input/tex-base.js", "input/tex/extensions/ams.js",
                 "input/tex/extensions/require.js", "input/tex/extensions/autoload.js",
                 "output/chtml.js", "output/chtml/fonts/tex.js", "a11y/assistive-mml.js"]
#: MathJax settings for those components (merged into the book's mathjax3_config).
MATHJAX_CONFIG = {"loader": {"load": MATHJAX_PARTS},
                  "tex": {"packages": {"[+]": ["ams", "autoload"]}}}
#: The explorers' runtime (``backprop/explorers/runtime.js``) lands in _static/ under this name.
RUNTIME = "explorer_runtime.js"
#: The book's own templates and static files (CSS), relative to the book's root.
TEMPLATES_DIR = Path("book") / "templates"
STATIC_DIR = Path("book") / "static"
#: Runs in <head> on explorer pages: hide the stills at once (book.css); show them again
#: if no explorer has started after 10 s (the runtime did not load).
MARK_EXPLORER_PAGE = ('document.documentElement.classList.add("bp-explorers-js");'
                      'setTimeout(function () { if (!document.documentElement.dataset.explorers) '
                      'document.documentElement.classList.remove("bp-explorers-js"); }, 10000);')
#: Priority of the line that marks an explorer page (before Sphinx's own scripts, 200).
MARK_PRIORITY = 199
#: The saved widget state's script type (myst-nb puts it in <head>).
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def missing_assets(vendor_dir: Path) -> list[str]:
    """Return the vendored scripts that are not in ``vendor_dir`` (empty if all are)."""
    folder = Path(MATHJAX).parent
    return [name for name in (MATHJAX, *(f"{folder}/{file}" for file in MATHJAX_FILES))
            if not (vendor_dir / name).is_file()]


def use_local_assets(app: Sphinx, config: Config) -> None:
    """Give explorer pages the runtime; point the book at the vendored MathJax if it exists."""
    # myst-nb adds these scripts to the pages whose notebook saved widget state, only.
    config.nb_ipywidgets_js = {RUNTIME: {"async": "async"}}
    # The book's templates first (they replace the theme's), its CSS beside the theme's.
    config.templates_path = [TEMPLATES_DIR.as_posix(), *config.templates_path]
    config.html_static_path = [*config.html_static_path, STATIC_DIR.as_posix()]
    vendor_dir = Path(app.confdir) / VENDOR_DIR
    missing = missing_assets(vendor_dir)
    if missing:
        logger.info("offline_assets: %s not found; pages load MathJax from a CDN "
                    "(run book/vendor.py for an offline book)", ", ".join(missing))
        return
    # Added here, after Jupyter Book read _config.yml: it gives every .js file in the
    # static folders it knows about a <script> tag, which would load each MathJax
    # component on every page.
    config.html_static_path = [*config.html_static_path, VENDOR_DIR.as_posix()]
    config.mathjax_path = MATHJAX
    config.mathjax3_config = merged(config.mathjax3_config or {}, MATHJAX_CONFIG)
    logger.info("offline_assets: serving MathJax from %s", VENDOR_DIR.as_posix())


def lazy_images(body: str) -> str:
    """The page's HTML with every image marked loading="lazy": the browser fetches one
    when it comes near the screen, so a page's first screen does not wait for figures
    far below it, and a still figure hidden by its running explorer is never fetched."""
    return re.sub(r"<img (?!loading=)", '<img loading="lazy" ', body)


def merged(base: dict, extra: dict) -> dict:
    """``base`` updated with ``extra``, nested dictionaries merged key by key."""
    result = dict(base)
    for key, value in extra.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(
            result.get(key), dict) else value
    return result


#: On a page with maths, after MathJax's settings: display formulas become focusable, so
#: that one wider than a phone's screen can be scrolled with the keyboard (MathJax's
#: context menu, left out, used to do it for every formula).
FOCUSABLE_DISPLAY_MATHS = (
    "window.MathJax.startup = {pageReady: () => MathJax.startup.defaultPageReady().then(() => {"
    "for (const box of document.querySelectorAll('mjx-container[display=\"true\"]')) box.tabIndex = 0;"
    "})};")


def mathjax_preloads(app: Sphinx, context: dict) -> str:
    """<link rel="preload"> lines for the vendored MathJax's parts, or "" with a CDN."""
    if str(app.config.mathjax_path) != MATHJAX or "pathto" not in context:
        return ""
    folder = Path(MATHJAX).parent
    return "".join(f'\n<link rel="preload" as="script" '
                   f'href="{context["pathto"](f"_static/{folder}/{file}", 1)}" />'
                   for file in MATHJAX_FILES)


def lighter_page(app: Sphinx, pagename: str, templatename: str, context: dict,
                 doctree) -> None:
    """Per page: MathJax only with maths, the runtime early, lazy images, named summaries."""
    from sphinx.builders.html._assets import _JavaScript

    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    math = app.env.get_domain("math")
    mathjax = str(app.config.mathjax_path)
    if not math.data["has_equations"].get(pagename, False):
        scripts[:] = [js for js in scripts if not (
            str(js.filename).endswith(mathjax) or str(js.attributes.get("body", "")).startswith("window.MathJax"))]
    runtime = next((js for js in scripts if str(js.filename).endswith(RUNTIME)), None)
    state = next((js for js in scripts if js.attributes.get("type") == WIDGET_STATE), None)
    settings = next((js for js in scripts if str(js.attributes.get("body", "")).startswith(
        "window.MathJax = ")), None)
    if settings is not None and str(app.config.mathjax_path) == MATHJAX:
        scripts.insert(scripts.index(settings) + 1, _JavaScript(
            None, priority=settings.priority, body=FOCUSABLE_DISPLAY_MATHS))
        if runtime is None:  # on explorer pages MathJax waits: the explorers come first
            context["metatags"] = context.get("metatags", "") + mathjax_preloads(app, context)
    if runtime is not None:
        # Right after the saved state (Sphinx sorts scripts by priority, keeping the
        # order of equal ones), so that the state is there when the runtime runs.
        scripts.remove(runtime)
        attributes = {k: v for k, v in runtime.attributes.items() if k != "defer"}
        attributes["async"] = "async"
        place = scripts.index(state) + 1 if state is not None else len(scripts)
        priority = state.priority if state is not None else runtime.priority
        scripts.insert(place, _JavaScript(runtime.filename, priority=priority, **attributes))
        scripts.append(_JavaScript(None, priority=MARK_PRIORITY, body=MARK_EXPLORER_PAGE))
    if "body" in context:
        context["body"] = lazy_images(context["body"]).replace(
            '<summary aria-label="Toggle hidden content">', "<summary>")


def copy_runtime(app: Sphinx, exception: Exception | None) -> None:
    """Put the explorers' runtime into the built site's _static/ folder, and the
    training explorer's images, which its pages fetch from there; cut the icon font
    down to the icons the site shows (book/icon_font.py)."""
    if exception is None and app.builder.format == "html":
        from backprop.explorers.page import RUNTIME as RUNTIME_SOURCE
        from backprop.explorers.training import DATA_FILE

        target = Path(app.outdir) / "_static" / RUNTIME
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RUNTIME_SOURCE, target)
        shutil.copyfile(DATA_FILE, target.parent / DATA_FILE.name)
        from icon_font import subset_icon_font  # book/ is on the path of local extensions

        logger.info("offline_assets: %s", subset_icon_font(Path(app.outdir)))


def setup(app: Sphinx) -> dict:
    """Register the configuration hook."""
    # After myst-nb has registered nb_ipywidgets_js (config-inited runs once all
    # extensions are set up), before the builder reads any of these values.
    app.connect("config-inited", use_local_assets)
    # After MathJax (500) and myst-nb have added this page's scripts.
    app.connect("html-page-context", lighter_page, priority=900)
    app.connect("builder-inited", lambda app: app.add_css_file("book.css"))
    app.connect("build-finished", copy_runtime)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
