"""book/offline_assets.py, book/vendor.py and book/icon_font.py: what each built page
loads (lighter pages, E-18 to E-20)."""
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
pytest.importorskip("sphinx")
import offline_assets  # noqa: E402
from sphinx.builders.html._assets import _JavaScript  # noqa: E402

MATHJAX = offline_assets.MATHJAX
SETTINGS = 'window.MathJax = {"options": {}}'
STILL = ('<div class="cell tag_remove-input tag_explorer-still docutils container">'
         '<img src="../_images/still.png" alt="the whole network"/></div>')
FIGURE = '<div class="cell docutils container"><img src="../_images/fig.png" alt="a figure"/></div>'


def fake_app(pages_with_maths):
    math = SimpleNamespace(data={"has_equations": {name: True for name in pages_with_maths}})
    return SimpleNamespace(env=SimpleNamespace(get_domain=lambda name: math),
                           config=SimpleNamespace(mathjax_path=MATHJAX))


def page_scripts(runtime=True):
    """A page's scripts as Sphinx and myst-nb list them (the runtime before the state)."""
    scripts = [_JavaScript("_static/doctools.js", priority=200),
               _JavaScript(None, body=SETTINGS),
               _JavaScript(f"_static/{MATHJAX}", defer="defer")]
    if runtime:
        scripts += [_JavaScript(f"_static/{offline_assets.RUNTIME}", priority=200, **{"async": "async"}),
                    _JavaScript("_static/copybutton.js"),
                    _JavaScript(None, type=offline_assets.WIDGET_STATE, body="{}"),
                    _JavaScript("_static/design-tabs.js")]
    return scripts


def page_context(runtime=True):
    return {"script_files": page_scripts(runtime), "body": STILL + FIGURE, "metatags": "",
            "pathto": lambda name, resource: f"../{name}"}


def test_every_image_is_lazy():
    html = offline_assets.lazy_images(STILL + FIGURE + '<img loading="eager" src="x.png"/>')
    assert html.count('loading="lazy"') == 2 and html.count("loading=") == 3
    assert '<img loading="lazy" src="../_images/still.png"' in html
    assert '<img loading="lazy" src="../_images/fig.png"' in html


def test_a_page_without_maths_loses_mathjax_and_one_with_maths_keeps_it():
    for name, kept in (("glossary", False), ("chapters/02", True)):
        context = {"script_files": page_scripts(runtime=False), "body": FIGURE}
        offline_assets.lighter_page(fake_app({"chapters/02"}), name, "page.html", context, None)
        names = [str(js.filename) for js in context["script_files"]]
        assert (f"_static/{MATHJAX}" in names) == kept
        assert any(str(js.attributes.get("body", "")).startswith("window.MathJax")
                   for js in context["script_files"]) == kept


def test_explorer_pages_run_the_runtime_async_right_after_the_state_and_hide_stills_early():
    context = page_context()
    context["body"] += '<details><summary aria-label="Toggle hidden content">Show code cell source</summary>'
    offline_assets.lighter_page(fake_app({"chapters/01"}), "chapters/01", "page.html", context, None)
    ordered = sorted(context["script_files"], key=lambda js: js.priority)  # as Sphinx sorts them
    names = [js.attributes.get("type") or str(js.filename) for js in ordered]
    runtime = names.index(f"_static/{offline_assets.RUNTIME}")
    assert names[runtime - 1] == offline_assets.WIDGET_STATE
    assert names.count(f"_static/{offline_assets.RUNTIME}") == 1
    assert ordered[runtime].attributes["async"] == "async"
    assert "defer" not in ordered[runtime].attributes
    assert any("bp-explorers-js" in str(js.attributes.get("body", "")) for js in ordered)
    assert 'loading="lazy"' in context["body"]
    assert "<summary>Show code cell source</summary>" in context["body"]
    # MathJax comes when the page is parsed: nothing preloads it before the explorers.
    assert "preload" not in context["metatags"]


def test_maths_pages_preload_the_mathjax_parts_and_make_display_maths_focusable():
    context = page_context(runtime=False)
    offline_assets.lighter_page(fake_app({"chapters/08"}), "chapters/08", "page.html", context, None)
    bodies = [str(js.attributes.get("body", "")) for js in context["script_files"]]
    settings = bodies.index(SETTINGS)
    assert bodies[settings + 1] == offline_assets.FOCUSABLE_DISPLAY_MATHS
    assert "tabIndex = 0" in bodies[settings + 1]
    for file in offline_assets.MATHJAX_FILES:
        assert f'<link rel="preload" as="script" href="../_static/js/mathjax/{file}" />' in context["metatags"]


def test_mathjax_settings_name_only_vendored_parts():
    merged = offline_assets.merged({"options": {"processHtmlClass": "math"}, "tex": {"x": 1}},
                                   offline_assets.MATHJAX_CONFIG)
    assert merged["options"] == {"processHtmlClass": "math"} and merged["tex"]["x"] == 1
    assert merged["loader"]["load"] == offline_assets.MATHJAX_PARTS
    assert "noundefined" not in str(merged)  # an unknown command is an error the check sees
    # The output loads its font data after itself; named here, it could run first.
    assert not any("fonts" in part for part in offline_assets.MATHJAX_PARTS)
    # Every part the loader fetches is a file the vendored copy holds, and vendor.py keeps it.
    import vendor

    package = ROOT / "node_modules" / "mathjax" / "es5"
    if not package.is_dir():
        pytest.skip("npm ci has not been run")
    for file in offline_assets.MATHJAX_FILES:
        assert (package / file).is_file(), file
    kept = set(os.listdir(package)) - vendor.skip_other_mathjax_builds(str(package), os.listdir(package))
    assert {"startup.js", "core.js"} <= kept and "tex-mml-chtml.js" not in kept


def test_the_book_css_hides_stills_only_where_explorers_run():
    css = (ROOT / "book" / "static" / "book.css").read_text()
    assert "html.bp-explorers-js .tag_explorer-still { display: none; }" in css
    assert "@media print" in css


def test_the_template_drops_the_icon_script():
    macros = (ROOT / "book" / "templates" / "static" / "webpack-macros.html").read_text()
    assert "fontawesome.js" not in macros.replace("no fontawesome.js", "")
    assert "bootstrap.js" in macros and "pydata-sphinx-theme.js" in macros


# ----- the icon font (book/icon_font.py) -----
CSS = (".fa-bars:before,.fa-navicon:before{content:\"\\f0c9\"}"
       ".fa-moon:before{content:\"\\f186\"}"
       ".admonition>.admonition-title:after{content:\"\\f05a\";font:var(--fa-font-solid)}"
       "html{--pst-icon-admonition-warning:\"\\f071\";--pst-icon-bell:\"\uf0f3\"}")


def test_icon_code_points_are_the_used_names_and_the_themes_own():
    import icon_font

    assert icon_font.code_points(CSS, {"navicon"}) == {0xF0C9, 0xF05A, 0xF071, 0xF0F3}
    assert icon_font.code_points(CSS, {"moon", "solid"}) == {0xF186, 0xF05A, 0xF071, 0xF0F3}
    assert icon_font.code_points(CSS, set()) == {0xF05A, 0xF071, 0xF0F3}


def test_icon_font_keeps_only_the_icons_the_site_shows(tmp_path):
    import icon_font

    ttLib = pytest.importorskip("fontTools.ttLib")
    theme = pytest.importorskip("pydata_sphinx_theme")
    font = (Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
            / icon_font.SOLID_FONT)
    if not font.is_file():
        pytest.skip(f"no {font.name} in this pydata-sphinx-theme")
    static = tmp_path / "_static"
    (static / icon_font.SOLID_FONT).parent.mkdir(parents=True)
    (static / icon_font.SOLID_FONT).write_bytes(font.read_bytes())
    (static / icon_font.SOLID_FONT).with_suffix(".woff2").write_bytes(b"whole font")
    (static / icon_font.THEME_CSS).parent.mkdir(parents=True)
    (static / icon_font.THEME_CSS).write_text(CSS)
    (static / "book.css").write_text("/* the book */\n")
    (tmp_path / "page.html").write_text('<i class="fa-solid fa-bars"></i>')

    print(icon_font.subset_icon_font(tmp_path))
    cut = ttLib.TTFont(str(static / icon_font.SUBSET_FONT))
    assert cut.flavor == "woff"
    assert set(cut.getBestCmap()) == {0xF0C9, 0xF05A, 0xF071, 0xF0F3}  # bars, the theme's own; no moon
    assert (static / icon_font.SUBSET_FONT).stat().st_size < font.stat().st_size / 10
    css = (static / "book.css").read_text()
    assert css.count(f"url({icon_font.SUBSET_FONT})") == 1 and '"Font Awesome 6 Free"' in css
    icon_font.subset_icon_font(tmp_path)  # a second run names the font once
    assert (static / "book.css").read_text() == css
