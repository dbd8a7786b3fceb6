"""Sphinx extension: the book serves its own JavaScript, and explorers need no widget manager.

By default the pages load MathJax from a CDN. ``book/vendor.py`` copies it from
``node_modules/`` into ``book/vendor/``; when it is there, this extension adds
``book/vendor/`` to ``html_static_path`` (its files land in ``_static/``) and points
``mathjax_path`` at the local copy, so the pages make no request outside the site.

Explorers: a page whose notebook saved widget state gets one script,
``_static/explorer_runtime.js`` (``backprop/explorers/runtime.js``, about 120 lines),
which renders the saved explorers with no kernel. It replaces ipywidgets' 3.6 MB
widget manager and require.js, which the explorers do not need; pages without an
explorer load nothing of it (myst-nb adds these scripts only where there is state).

Lighter pages (items E-18 to E-20 of the explorers' review):

- ``book/templates/`` (put first in ``templates_path``) drops the theme's 1.49 MB
  ``fontawesome.js``; the theme's CSS draws the same icons from its web font;
- a page whose own text has no maths gets no MathJax (Sphinx gives it to every page
  whose table of contents reaches one with maths, e.g. the intro);
- on explorer pages the runtime comes before every other deferred script, so the
  explorers do not wait for MathJax; a line in <head> marks the page so that
  ``book/static/book.css`` hides the still figures before they load (they are
  ``loading="lazy"``, so a hidden one is never downloaded).

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

#: The vendored MathJax entry point, relative to VENDOR_DIR and to the output's _static/.
MATHJAX = "js/mathjax/tex-mml-chtml.js"
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
#: Priority of the runtime among the page's scripts (Sphinx's default is 500, MathJax's too).
RUNTIME_PRIORITY = 200


def missing_assets(vendor_dir: Path) -> list[str]:
    """Return the vendored scripts that are not in ``vendor_dir`` (empty if all are)."""
    return [name for name in (MATHJAX,) if not (vendor_dir / name).is_file()]


def use_local_assets(app: Sphinx, config: Config) -> None:
    """Give explorer pages the runtime; point the book at the vendored MathJax if it exists."""
    # myst-nb adds these scripts to the pages whose notebook saved widget state, only.
    config.nb_ipywidgets_js = {RUNTIME: {"defer": "defer"}}
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
    logger.info("offline_assets: serving MathJax from %s", VENDOR_DIR.as_posix())


def lazy_stills(body: str) -> str:
    """The page's HTML with every image of an explorer-still cell marked loading="lazy"."""
    cells = re.split(r'(?=<div class="cell[ "])', body)
    return "".join(re.sub(r"<img (?!loading=)", '<img loading="lazy" ', cell)
                   if re.match(r'<div class="cell[^"]*\btag_explorer-still\b', cell) else cell
                   for cell in cells)


def lighter_page(app: Sphinx, pagename: str, templatename: str, context: dict,
                 doctree) -> None:
    """Per page: MathJax only with maths, the runtime first, lazy stills, named summaries."""
    from sphinx.builders.html._assets import _JavaScript

    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    math = app.env.get_domain("math")
    if not math.data["has_equations"].get(pagename, False):
        mathjax = str(app.config.mathjax_path)
        scripts[:] = [js for js in scripts if not (
            str(js.filename).endswith(mathjax) or str(js.attributes.get("body", "")).startswith("window.MathJax"))]
    for position, js in enumerate(scripts):
        if str(js.filename).endswith(RUNTIME):
            scripts[position] = _JavaScript(js.filename, priority=RUNTIME_PRIORITY, **js.attributes)
            scripts.append(_JavaScript(None, priority=RUNTIME_PRIORITY - 1, body=MARK_EXPLORER_PAGE))
            if "body" in context:
                context["body"] = lazy_stills(context["body"])
            break
    if "body" in context:
        context["body"] = context["body"].replace('<summary aria-label="Toggle hidden content">',
                                                  "<summary>")


def copy_runtime(app: Sphinx, exception: Exception | None) -> None:
    """Put the explorers' runtime into the built site's _static/ folder, and the
    training explorer's images, which its pages fetch from there."""
    if exception is None and app.builder.format == "html":
        from backprop.explorers.page import RUNTIME as RUNTIME_SOURCE
        from backprop.explorers.training import DATA_FILE

        target = Path(app.outdir) / "_static" / RUNTIME
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RUNTIME_SOURCE, target)
        shutil.copyfile(DATA_FILE, target.parent / DATA_FILE.name)


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
