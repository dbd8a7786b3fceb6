"""One word per quantity: the words the glossary retires stay out of what a reader sees.

Scanned: the chapters' markdown, ``glossary.md``, ``intro.md``, the string literals of
the explorers (their ``.js`` modules and their Python classes, which name the steps
and legends) and the string literals of the exercise checkers (their messages and
hints). The glossary's section "Retired words" lists the words and what to say
instead; ``RULES`` below says where each word may still stand.
"""
import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "glossary.md"

#: For each retired word: where it is still allowed. ``phrases`` are removed from a
#: sentence before the word is looked for; ``context`` (if given) allows the word in a
#: unit of reading that also names the quantity meant; ``never`` forbids it in a
#: sentence that contains that pattern, whatever the context.
RULES = {
    # "error" alone names only backprop's error term delta ("output error" and "the
    # error of a layer" are the four equations' names for it); a few fixed phrases of
    # numerics and statistics stay.
    "error": {
        "word": re.compile(r"\berrors?\b", re.I),
        "phrases": re.compile(r"\berrors?[\s-]+terms?\b|\berrors? of (?:a|the|each|every|this)"
                              r" layer\b|\b(?:output|relative|squared|rounding|standard)"
                              r"\s+errors?\b|\berror-prone\b|\berror messages?\b", re.I),
        "context": None,
        "never": None,
    },
    # "slope" is the sigmoid's (or ReLU's) slope f'(z) and a straight line's slope m;
    # a derivative measured by wiggling is a "measured sensitivity". The text around it
    # (a chapter's cell, one string of the package) must say which slope is meant, and
    # the sentence itself must not be about measuring.
    "slope": {
        "word": re.compile(r"\bslopes?\b", re.I),
        "phrases": re.compile(r"\bslope factors?\b", re.I),   # chapter 4: the sigmoid's share
        "context": re.compile(r"sigmoid|\\sigma|σ|ReLU|\bthe S\b|f'\(z\)|\\prime"
                              r"|activation function|\blines?\b|`m`|\bm\b", re.I),
        "never": re.compile(r"measur|wiggl|finite|numerical", re.I),
    },
    # a neuron's output is its "activation", in the Hebbian sections too (chapters 3-4)
    "activity": {
        "word": re.compile(r"\bactivit(?:y|ies)\b", re.I),
        "phrases": re.compile(r"(?!)"),   # no fixed phrase keeps it
        "context": None,
        "never": None,
    },
}

SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\n- |\n\d+\. ")
# not words a reader reads as prose: code spans, link targets, ${...} in JS templates
CODE_SPAN = re.compile(r"`[^`\n]*`|\]\([^)\s]*\)|\$\{[^}]*\}")


def offences(text: str) -> list[str]:
    """Every sentence of ``text`` that uses a retired word outside its allowed places.

    ``text`` is one unit of reading: a markdown cell, a page, or one string literal.
    """
    found = []
    for sentence in SENTENCE_END.split(text):
        plain = CODE_SPAN.sub(" ", sentence)
        for name, rule in RULES.items():
            if not rule["word"].search(rule["phrases"].sub(" ", plain)):
                continue
            allowed = rule["context"] and rule["context"].search(text)
            if not allowed or (rule["never"] and rule["never"].search(sentence)):
                found.append(f"{name!r} in: {' '.join(sentence.split())[:160]}")
    return found


def markdown_sources() -> list[tuple[str, str]]:
    """(where, text) for every markdown cell of the chapters, the glossary and the intro."""
    texts = []
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown":
                texts.append((f"{path.name} cell {cell.get('id', i)}", cell.source))
    glossary = GLOSSARY.read_text().split("\n## Retired words")[0]  # that section names them
    for name, page in [("glossary.md", glossary), ("intro.md", (ROOT / "intro.md").read_text())]:
        texts += [(name, paragraph) for paragraph in page.split("\n\n")]  # an entry each
    return texts


def js_strings(source: str) -> list[str]:
    """The string literals of a JavaScript module (quotes and template literals), no comments."""
    strings, i, n = [], 0, len(source)
    while i < n:
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif source[i] in "'\"`":
            quote, j, chars = source[i], i + 1, []
            while j < n and source[j] != quote:
                if source[j] == "\\":
                    j += 1
                chars.append(source[j])
                j += 1
            strings.append("".join(chars))
            i = j + 1
        else:
            i += 1
    return strings


def python_strings(source: str) -> list[str]:
    """The string literals of a Python module that are not docstrings (messages, labels)."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def package_strings() -> list[tuple[str, str]]:
    """(where, text) for the explorers' and the exercise checkers' string literals.

    Only strings with a space in them are words a reader sees; single tokens such as
    the data keys ``"slope1"`` are names in the code.
    """
    texts = []
    package = ROOT / "backprop"
    for path in sorted((package / "explorers").glob("*.js")):
        texts += [(path.name, s) for s in js_strings(path.read_text())]
    checkers = sorted((package / "exercises").glob("*.py")) if (package / "exercises").is_dir() \
        else sorted(package.glob("*exercises*.py")) + sorted(package.glob("*checks*.py"))
    for path in sorted((package / "explorers").glob("*.py")) + checkers:
        texts += [(path.name, s) for s in python_strings(path.read_text())]
    return [(where, text) for where, text in texts if " " in text.strip()]


def test_the_glossary_names_exactly_the_retired_words_the_test_enforces():
    section = GLOSSARY.read_text().split("\n## Retired words")
    assert len(section) == 2, "glossary.md needs a section '## Retired words'"
    named = re.findall(r"^- \*\*(\w+)\*\*", section[1], re.M)
    assert sorted(named) == sorted(RULES)


@pytest.mark.parametrize("text,expected", [
    ("An output's error is its value minus its target.", ["error"]),
    ("The error term of the output, and the relative error of the check.", []),
    ("Backprop's `net.errors(x)` returns error terms.", []),
    ("The measured slopes agree with the wishes.", ["slope"]),
    ("The slope of the sigmoid is at most 1/4.", []),
    ("Its two parameters are the slope `m` and the intercept.", []),
    ("dashed: slope x wiggle", ["slope"]),
    ("A neuron on the flat end of the sigmoid. Its slope is small.", []),
    ("The cost of the sample. Its slope is small.", ["slope"]),
    ("The sigmoid. Minus the slopes that finite differences measure.", ["slope"]),
    ("The sigmoid's slope factor is 0.2.", []),
    ("This explorer could not start (${error}).", []),
    ("See [chapter 7](07.ipynb#an-output-error-without-the-slope).", []),
])
def test_the_rules_catch_the_slips_they_are_for(text, expected):
    assert [o.split("'")[1] for o in offences(text)] == expected


def test_the_scanners_find_strings_and_skip_comments_and_docstrings():
    js = 'const a = "one"; // "not this"\n/* "nor this" */ text(`two ${x}`, \'thr\\\'ee\');'
    assert js_strings(js) == ["one", "two ${x}", "thr'ee"]
    py = '"""Module docstring."""\ndef f():\n    """Doc."""\n    return f"hint {1}" + "msg"\n'
    assert sorted(python_strings(py)) == ["hint ", "msg"]


def test_prose_uses_no_retired_word():
    found = [f"{where}: {o}" for where, text in markdown_sources() for o in offences(text)]
    assert found == []


def test_explorers_and_exercise_messages_use_no_retired_word():
    found = [f"{where}: {o}" for where, text in package_strings() for o in offences(text)]
    assert found == []
