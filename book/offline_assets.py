"""Sphinx extension: the book serves its own JavaScript, and explorers need no widget manager.

By default the pages load MathJax from a CDN. ``book/vendor.py`` copies it from
``node_modules/`` into ``book/vendor/``; when it is there, this extension adds
``book/vendor/`` to ``html_static_path`` (its files land in ``_static/``) and points
``mathjax_path`` at the local copy, so the pages make no request outside the site.

Explorers: a page whose notebook saved widget state gets one script,
``_static/explorer_runtime.js`` (``backprop/explorers/runtime.js``, a few dozen lines),
which renders the saved explorers with no kernel. It replaces ipywidgets' 3.6 MB
widget manager and require.js, which the explorers do not need; pages without an
explorer load nothing of it (myst-nb adds these scripts only where there is state).

Loaded from ``_config.yml`` (``sphinx: local_extensions: offline_assets: book``).
"""

from __future__ import annotations

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


def missing_assets(vendor_dir: Path) -> list[str]:
    """Return the vendored scripts that are not in ``vendor_dir`` (empty if all are)."""
    return [name for name in (MATHJAX,) if not (vendor_dir / name).is_file()]


def use_local_assets(app: Sphinx, config: Config) -> None:
    """Give explorer pages the runtime; point the book at the vendored MathJax if it exists."""
    # myst-nb adds these scripts to the pages whose notebook saved widget state, only.
    config.nb_ipywidgets_js = {RUNTIME: {"defer": "defer"}}
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


def copy_runtime(app: Sphinx, exception: Exception | None) -> None:
    """Put the explorers' runtime into the built site's _static/ folder."""
    if exception is None and app.builder.format == "html":
        from backprop.explorers.page import RUNTIME as RUNTIME_SOURCE

        target = Path(app.outdir) / "_static" / RUNTIME
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RUNTIME_SOURCE, target)


def setup(app: Sphinx) -> dict:
    """Register the configuration hook."""
    # After myst-nb has registered nb_ipywidgets_js (config-inited runs once all
    # extensions are set up), before the builder reads any of these values.
    app.connect("config-inited", use_local_assets)
    app.connect("build-finished", copy_runtime)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
