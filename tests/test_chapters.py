"""The chapter notebooks follow the course's conventions (read as files, not executed).

nbval executes them; these tests pin what a reader of the HTML book relies on:
no stored outputs, every explorer live in the page and followed by a still figure
(hidden once the explorer runs, kept for readers without JavaScript), no old-style
widget, solutions collapsed, and the same shape for every chapter.
"""
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOC_FILES = [entry["file"] for part in yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]
             for entry in part["chapters"] if entry["file"].startswith("chapters/")]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
MAKES_EXPLORER = re.compile(r"\bexplorers\.[A-Z]\w*\(")
OLD_WIDGET = re.compile(r"\b(widgets|sgd_widget|ipywidgets)\b|\binteract(ive)?\(|frames_player")


def cells(path):
    return nbformat.read(path, as_version=4).cells


def tags(cell):
    return cell.metadata.get("tags", [])


def test_every_chapter_is_in_the_table_of_contents_and_exists():
    assert [f"chapters/{p.stem}" for p in CHAPTERS] == TOC_FILES
    assert len(CHAPTERS) == 9


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    for cell in cells(path):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_opens_with_goals_and_ends_with_summary_and_exercises(path):
    notebook = cells(path)
    number = int(path.stem[:2])
    assert notebook[0].source.startswith(f"# {number}. ")
    assert "After this chapter you will be able to" in notebook[0].source
    headings = [line for c in notebook if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert "## Summary" in headings and "## Exercises" in headings
    assert headings.index("## Summary") < headings.index("## Exercises")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_explorer_is_shown_live_and_followed_by_a_still_figure(path):
    notebook = cells(path)
    for i, cell in enumerate(notebook):
        if cell.cell_type != "code" or not MAKES_EXPLORER.search(cell.source):
            continue
        assert "remove-output" not in tags(cell), "an explorer is live in the book: show it"
        assert "full-width" in tags(cell), "explorers use the page's margin too: text stays legible"
        assert "hide-input" in tags(cell), "the constructor stays one click away on the web page"
        assert re.fullmatch(r"\w+", cell.source.splitlines()[-1].strip()), cell.source
        still = notebook[i + 1]
        assert still.cell_type == "code" and "explorer-still" in tags(still), still.source[:80]
        # drawn only for the book (BACKPROP_BOOK_BUILD=1): Jupyter shows the explorer once
        assert "remove-input" in tags(still) and "show_still(fig)" in still.source


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_chapter_uses_the_old_png_widgets_or_the_film_player(path):
    for cell in cells(path):
        if cell.cell_type == "code":
            assert not OLD_WIDGET.search(cell.source), cell.source[:120]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_two_to_four_exercises_with_checked_code_and_collapsed_solutions(path):
    notebook = cells(path)
    text = "\n".join(c.source for c in notebook if c.cell_type == "markdown")
    assert 2 <= len(set(re.findall(r"^### Exercise (\d)", text, re.M))) <= 4
    checks = [c for c in notebook if c.cell_type == "code" and "bp_ex.check_" in c.source]
    learner, solutions = checks[0::2], checks[1::2]
    assert solutions and len(learner) == len(solutions)
    for mine, solution in zip(learner, solutions):
        assert "hide-input" not in tags(mine)
        assert "hide-input" in tags(solution)
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True
        assert mine.source.splitlines()[-1] == solution.source.splitlines()[-1]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_prose_does_not_type_the_parameter_count(path):
    for cell in cells(path):
        if cell.cell_type == "markdown":
            assert not re.search(r"13[,.\s]?002", cell.source), cell.source[:200]
