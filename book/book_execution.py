"""Sphinx extension: how the book's chapters are executed, and when a build has failed.

Loaded from ``_config.yml`` (``sphinx: local_extensions: book_execution: book``), so it
applies to every ``jupyter-book build``, whoever starts it. It does four things:

- **A failed execution is never reused.** Sphinx re-reads only the pages whose source
  changed, so after a failed build a re-run would keep the failed pages (with their
  tracebacks) and call itself successful. Every page whose last execution failed is
  read, and so executed, again.
- **A build holding a failed page fails.** Each such page, and each written page that
  shows a traceback, is reported as a warning, which ``-W`` turns into a failed build.
- **The kernel knows it runs for the book**: ``BACKPROP_BOOK_BUILD=1`` is set before
  any kernel starts (kernels inherit the environment). Cells drawing a figure that only
  the book needs, such as an explorer's still figure, read it.
- **Kernel traffic is encrypted** (CurveZMQ keys provisioned by the kernel manager), so
  no kernel warns "Kernel is running over TCP without encryption".
"""
from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The environment variable a kernel reads to know it runs for the book.
BOOK_BUILD_VARIABLE = "BACKPROP_BOOK_BUILD"
#: How an error output (a traceback) appears in a page myst-nb wrote.
TRACEBACK_MARK = 'class="output traceback'


def failed_pages(env) -> list[str]:
    """The pages whose last execution, as this build environment remembers it, failed."""
    from myst_nb.sphinx_ import NbMetadataCollector

    return sorted(docname for docname, data in NbMetadataCollector.get_doc_data(env).items()
                  if docname in env.found_docs
                  and (data.get("exec_data") or {}).get("succeeded") is False)


def read_failed_pages_again(app: Sphinx, env, added, changed, removed) -> list[str]:
    """``env-get-outdated``: execute every page whose last execution failed again."""
    failed = failed_pages(env)
    if failed:
        logger.info(f"[book_execution] executing again (failed last time): {', '.join(failed)}")
    return failed


def report_failed_pages(app: Sphinx, env) -> None:
    """``env-check-consistency``: a page whose execution failed is a warning (-W: an error)."""
    for docname in failed_pages(env):
        logger.warning(f"{docname}: executing this page failed; the page shows the error "
                       f"(traceback in reports/{docname}.err.log)", location=docname)


def report_tracebacks(app: Sphinx, error: Exception | None) -> None:
    """``build-finished``: a written page that shows a traceback is a warning."""
    if error is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in sorted(outdir.rglob("*.html")):
        if page.relative_to(outdir).parts[0].startswith("_"):
            continue  # _static, _sources, ...: assets, not pages
        if TRACEBACK_MARK in page.read_text(encoding="utf8", errors="replace"):
            logger.warning(f"{page.relative_to(outdir)} shows a traceback (an error output)")


def encrypt_kernel_traffic() -> None:
    """Kernels started from now on get CurveZMQ keys from their manager and encrypt traffic.

    myst-nb starts its kernels through nbclient without a way to pass jupyter_client
    settings, so the default of ``KernelManager.transport_encryption`` is changed
    instead: ``"auto"`` provisions keys for a kernel whose kernelspec declares
    ``supported_encryption: curve`` (ipykernel's does) and leaves other kernels as they
    were. Without CurveZMQ in pyzmq nothing changes.
    """
    import zmq
    from jupyter_client.manager import KernelManager

    if zmq.has("curve") and "transport_encryption" in KernelManager.class_traits():
        KernelManager.class_traits()["transport_encryption"].default_value = "auto"


def setup(app: Sphinx) -> dict:
    os.environ[BOOK_BUILD_VARIABLE] = "1"
    encrypt_kernel_traffic()
    app.connect("env-get-outdated", read_failed_pages_again)
    app.connect("env-check-consistency", report_failed_pages)
    app.connect("build-finished", report_tracebacks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
