"""A book build never reuses a failed execution (book/book_execution.py, book/unique_scripts.py).

A tiny one-notebook book is built with the repository's own execution settings and
extensions. Its notebook fails while a data file is missing, as the chapters fail
without MNIST. Sphinx re-reads only changed sources, so without book_execution.py a
re-run after the data arrives said "build succeeded" and kept the failed page.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"
TRACEBACK_MARK = 'class="output traceback'

pytest.importorskip("jupyter_book")

CELL = """\
import os
from pathlib import Path
if not Path("data.txt").exists():
    raise FileNotFoundError("data.txt is missing")
print("read", Path("data.txt").read_text(), "for the book:", os.environ.get("BACKPROP_BOOK_BUILD"))
"""


def make_book(folder: Path) -> None:
    """A book of one notebook, built with the repository's execute section and extensions."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = {name: str(ROOT / "book") for name in ("book_execution", "unique_scripts")}
    assert set(extensions) <= set(config["sphinx"]["local_extensions"]), "the book uses both"
    (folder / "_config.yml").write_text(yaml.safe_dump({
        "title": "Tiny", "only_build_toc_files": True, "execute": config["execute"],
        "sphinx": {"local_extensions": extensions}}))
    # In a folder of its own, like the chapters: the kernel's working folder is not the build's.
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\n"
                                     "chapters:\n  - file: chapters/page\n")
    (folder / "intro.md").write_text("# Tiny\n")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# Page"), nbformat.v4.new_code_cell(CELL)]
    (folder / "chapters").mkdir()
    nbformat.write(notebook, folder / "chapters" / "page.ipynb")


def build(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", JUPYTER_BOOK, "build", ".", "-W", "-n",
                           "--keep-going"], cwd=folder, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_a_failed_page_is_executed_again_until_it_succeeds(tmp_path):
    make_book(tmp_path)
    page = tmp_path / "_build" / "html" / "chapters" / "page.html"

    first = build(tmp_path)
    assert first.returncode != 0
    assert TRACEBACK_MARK in page.read_text()

    # Nothing changed: the re-run executes the page again and fails again.
    again = build(tmp_path)
    assert again.returncode != 0, again.stdout[-2000:]
    assert "executing again (failed last time): chapters/page" in again.stdout

    (tmp_path / "chapters" / "data.txt").write_text("42")
    fixed = build(tmp_path)
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]
    html = page.read_text()
    assert TRACEBACK_MARK not in html
    assert "read 42 for the book: 1" in html  # executed for the book, BACKPROP_BOOK_BUILD=1

    # The kernel's traffic was encrypted: no warning about unencrypted TCP.
    for run in (first, again, fixed):
        assert "without encryption" not in run.stdout + run.stderr
    # sphinx-thebe's inline settings script appears once (twice, it raised a SyntaxError).
    assert html.count("const THEBE_JS_URL") == 1

    # A build with nothing to do stays successful.
    assert build(tmp_path).returncode == 0


def test_an_explorers_still_figure_is_shown_only_when_the_kernel_runs_for_the_book(
        monkeypatch, capsys):
    import matplotlib.pyplot as plt

    from backprop.explorers.base import show_still

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.get_fignums()))
    monkeypatch.delenv("BACKPROP_BOOK_BUILD", raising=False)
    fig = plt.figure()
    show_still(fig)  # in Jupyter: the live explorer is above, the still is not drawn
    assert shown == [] and not plt.fignum_exists(fig.number)
    assert "for the book only" in capsys.readouterr().out

    monkeypatch.setenv("BACKPROP_BOOK_BUILD", "1")
    fig = plt.figure()
    show_still(fig)
    assert shown == [[fig.number]] and capsys.readouterr().out == ""
    plt.close(fig)
