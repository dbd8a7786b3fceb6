"""The glossary page: one sentence per term, in alphabetical order, each linking to a
section that exists (the anchors are the ones MyST derives from the chapters' headings)."""
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from myst_parser.mdit_to_docutils.base import default_slugify

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "glossary.md"
LINK = re.compile(r"\]\((chapters/[\w.]+\.ipynb)#([\w-]+)\)")


def entries() -> list[tuple[str, str]]:
    """(term, definition) pairs of the page's definition list."""
    text = GLOSSARY.read_text()
    found = re.findall(r"^(\S[^\n]*)\n((?::[^\n]*\n)(?:  [^\n]*\n)*)", text, re.M)
    return [(term, " ".join(line.strip(": ").strip() for line in body.splitlines()))
            for term, body in found]


def anchors(notebook: Path) -> set[str]:
    """Slugs of the headings (levels 1-3) of a chapter's markdown cells."""
    slugs = set()
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            for title in re.findall(r"^#{1,3} (.+)$", cell.source, re.M):
                slugs.add(default_slugify(re.sub(r"[*`]", "", title)))
    return slugs


def test_the_glossary_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [e["file"] for part in toc["parts"] for e in part["chapters"]]
    assert "glossary" in files


def test_terms_are_in_alphabetical_order_and_each_has_one_sentence():
    pairs = entries()
    assert len(pairs) >= 40
    terms = [term.lower() for term, _ in pairs]
    assert terms == sorted(terms)
    for term, definition in pairs:
        sentence = re.sub(r"\(\[chapter \d\]\([^)]*\)\)", "", definition).strip()
        assert sentence.endswith(".") and ". " not in sentence.rstrip("."), term


@pytest.mark.parametrize("term,definition", entries(), ids=lambda v: v[:30])
def test_every_term_links_to_an_existing_section(term, definition):
    links = LINK.findall(definition)
    assert len(links) == 1, term
    path, anchor = links[0]
    assert anchor in anchors(ROOT / path), f"{term}: no heading '#{anchor}' in {path}"
