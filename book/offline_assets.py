"""Sphinx extension: let the built book serve its own JavaScript when it can.

By default the pages load MathJax, require.js and the Jupyter widget manager from
CDNs. ``book/vendor.py`` copies those files from ``node_modules/`` into
``book/vendor/``. When every one of them is there, this extension

- adds ``book/vendor/`` to ``html_static_path``, so its files land in ``_static/``
  of the HTML output (Sphinx resolves a script's relative path from ``_static/``),
- points ``mathjax_path`` at the local MathJax,
- points myst-nb's widget scripts (``nb_ipywidgets_js``) at the local require.js
  and widget manager, and tells the widget manager where its fonts are,

so the pages make no request outside the site. When any of them is missing (a build
without npm), the book uses the CDNs as usual. Either way it adds a one-call MathJax 2
compatibility shim that the widget manager needs (see ``MATHJAX2_QUEUE_SHIM``).

Loaded from ``_config.yml`` (``sphinx: local_extensions: offline_assets: book``).
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Folder, relative to the book's root, that book/vendor.py fills.
VENDOR_DIR = Path("book") / "vendor"

#: Each vendored script, relative to VENDOR_DIR and to the output's _static/ folder.
MATHJAX = "js/mathjax/tex-mml-chtml.js"
REQUIREJS = "js/requirejs/require.js"
WIDGET_MANAGER = "js/html-manager/embed-amd.js"


#: ipywidgets' static widget manager typesets widget labels with the MathJax 2 call
#: ``MathJax.Hub.Queue``; the book loads MathJax 3, where that call throws a TypeError.
#: This inline script gives MathJax 3 that one call (run before the widgets render).
#: Known upstream: jupyter-widgets/ipywidgets issue 3849.
MATHJAX2_QUEUE_SHIM = """window.addEventListener('load', function () {
  var mj = window.MathJax;
  if (mj && mj.startup && !mj.Hub) {
    mj.Hub = {Queue: function (call) {
      return mj.startup.promise.then(function () { return mj.typesetPromise([call[2]]); });
    }};
  }
});"""

#: Where the widget manager finds its icon fonts: next to the vendored embed-amd.js.
#: The modules bundled in it (html-manager, base, controls, output) look for them
#: beside their require.js module address, by default a folder named after the npm
#: package beside the page; these paths move those addresses into the vendored folder.
#: (A global ``require`` object defined before require.js loads is its configuration.)
WIDGET_ASSETS_PATH = f"""(function () {{
  var root = document.documentElement.dataset.content_root || './';
  var dist = new URL(root + '_static/{WIDGET_MANAGER.rsplit('/', 1)[0]}', document.baseURI).href;
  window.__jupyter_widgets_assets_path__ = dist + '/';
  window.require = {{paths: {{'@jupyter-widgets/html-manager/dist': dist,
                              '@jupyter-widgets': dist}}}};
}})();"""


def missing_assets(vendor_dir: Path) -> list[str]:
    """Return the vendored scripts that are not in ``vendor_dir`` (empty if all are)."""
    return [name for name in (MATHJAX, REQUIREJS, WIDGET_MANAGER)
            if not (vendor_dir / name).is_file()]


def use_local_assets(app: Sphinx, config: Config) -> None:
    """Point the book at the vendored scripts if all of them exist."""
    vendor_dir = Path(app.confdir) / VENDOR_DIR
    missing = missing_assets(vendor_dir)
    if missing:
        logger.info("offline_assets: %s not found; pages load MathJax and the "
                    "widget scripts from CDNs (run book/vendor.py for an offline book)",
                    ", ".join(missing))
        # An empty file name makes Sphinx write an inline <script> with this body.
        config.nb_ipywidgets_js = {"": {"body": MATHJAX2_QUEUE_SHIM},
                                   **config.nb_ipywidgets_js}
        return
    # Added here, after Jupyter Book read _config.yml: it gives every .js file in the
    # static folders it knows about a <script> tag, which would load each MathJax
    # component on every page.
    config.html_static_path = [*config.html_static_path, VENDOR_DIR.as_posix()]
    config.mathjax_path = MATHJAX
    # embed-amd.js bundles the standard ipywidgets models, so it needs no CDN.
    config.nb_ipywidgets_js = {
        "": {"body": MATHJAX2_QUEUE_SHIM + "\n" + WIDGET_ASSETS_PATH},
        REQUIREJS: {},
        WIDGET_MANAGER: {},
    }
    logger.info("offline_assets: serving MathJax and the widget scripts from %s",
                VENDOR_DIR.as_posix())


def setup(app: Sphinx) -> dict:
    """Register the configuration hook."""
    # After myst-nb has registered nb_ipywidgets_js (config-inited runs once all
    # extensions are set up), before the builder reads any of these values.
    app.connect("config-inited", use_local_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
