"""book/offline_assets.py: what each built page loads (lighter pages, E-18 to E-20)."""
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
pytest.importorskip("sphinx")
import offline_assets  # noqa: E402
from sphinx.builders.html._assets import _JavaScript  # noqa: E402

MATHJAX = "js/mathjax/tex-mml-chtml.js"
STILL = ('<div class="cell tag_remove-input tag_explorer-still docutils container">'
         '<img src="../_images/still.png" alt="the whole network"/></div>')
FIGURE = '<div class="cell docutils container"><img src="../_images/fig.png" alt="a figure"/></div>'


def fake_app(pages_with_maths):
    math = SimpleNamespace(data={"has_equations": {name: True for name in pages_with_maths}})
    return SimpleNamespace(env=SimpleNamespace(get_domain=lambda name: math),
                           config=SimpleNamespace(mathjax_path=MATHJAX))


def page_scripts(runtime=True):
    scripts = [_JavaScript("_static/doctools.js"),
               _JavaScript(None, body="window.MathJax = {}"),
               _JavaScript(f"_static/{MATHJAX}", defer="defer")]
    if runtime:
        scripts.append(_JavaScript(f"_static/{offline_assets.RUNTIME}", defer="defer"))
    return scripts


def test_only_the_still_figures_are_lazy():
    html = offline_assets.lazy_stills(STILL + FIGURE)
    assert html.count('loading="lazy"') == 1
    assert '<img loading="lazy" src="../_images/still.png"' in html and FIGURE in html


def test_a_page_without_maths_loses_mathjax_and_one_with_maths_keeps_it():
    for name, kept in (("glossary", False), ("chapters/02", True)):
        context = {"script_files": page_scripts(runtime=False), "body": FIGURE}
        offline_assets.lighter_page(fake_app({"chapters/02"}), name, "page.html", context, None)
        names = [str(js.filename) for js in context["script_files"]]
        assert (f"_static/{MATHJAX}" in names) == kept
        assert any(str(js.attributes.get("body", "")).startswith("window.MathJax")
                   for js in context["script_files"]) == kept


def test_explorer_pages_run_the_runtime_first_and_hide_stills_early():
    context = {"script_files": page_scripts(), "body": STILL + FIGURE +
               '<details><summary aria-label="Toggle hidden content">Show code cell source</summary>'}
    offline_assets.lighter_page(fake_app({"chapters/01"}), "chapters/01", "page.html", context, None)
    ordered = sorted(context["script_files"], key=lambda js: js.priority)  # as Sphinx sorts them
    runtime = [n for n, js in enumerate(ordered) if str(js.filename).endswith(offline_assets.RUNTIME)]
    mathjax = [n for n, js in enumerate(ordered) if str(js.filename).endswith(MATHJAX)]
    assert runtime and mathjax and runtime[0] < mathjax[0]
    assert ordered[runtime[0]].attributes["defer"] == "defer"
    assert any("bp-explorers-js" in str(js.attributes.get("body", "")) for js in ordered)
    assert 'loading="lazy"' in context["body"]
    assert "<summary>Show code cell source</summary>" in context["body"]


def test_the_book_css_hides_stills_only_where_explorers_run():
    css = (ROOT / "book" / "static" / "book.css").read_text()
    assert "html.bp-explorers-js .tag_explorer-still { display: none; }" in css
    assert "@media print" in css


def test_the_template_drops_the_icon_script():
    macros = (ROOT / "book" / "templates" / "static" / "webpack-macros.html").read_text()
    assert "fontawesome.js" not in macros.replace("no fontawesome.js", "")
    assert "bootstrap.js" in macros and "pydata-sphinx-theme.js" in macros
