"""Property-based tests of what the explorers and their saved pages are given.

An explorer given any images, labels or network parameters either shows finite numbers
or raises one ValueError naming the argument; a page given any title or caption keeps
them as text (the title escaped, the caption read back unchanged from the page's data)
and no text can add a script. Runs are bounded.
"""
from __future__ import annotations

import html
import json
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backprop as bp
from backprop.explorers import page
from backprop.explorers.stepper import StepperExplorer

BOUNDED = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NET = bp.Network(seed=0)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)
STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)


@BOUNDED
@given(pixels=hnp.arrays(np.float64, (2, 784), elements=st.one_of(st.floats(0, 1), ANY_FLOAT)),
       labels=st.lists(st.integers(-3, 12), min_size=1, max_size=3))
def test_any_images_and_labels_give_finite_numbers_or_one_error_naming_them(pixels, labels):
    try:
        explorer = StepperExplorer(NET, pixels, labels)
    except ValueError as err:
        assert str(err).startswith(("images", "labels"))
        finite = np.all(np.isfinite(pixels))
        right_labels = len(labels) == 2 and all(0 <= d <= 9 for d in labels)
        assert not (finite and right_labels)  # refused only when something is wrong
        return
    assert np.all(np.isfinite(pixels)) and all(0 <= d <= 9 for d in labels)
    shown = explorer.shown()
    assert all(np.all(np.isfinite(v)) for v in shown.values() if isinstance(v, np.ndarray))


@BOUNDED
@given(value=ANY_FLOAT, layer=st.integers(0, 2), where=st.integers(0, 15))
def test_any_single_parameter_is_drawn_only_when_finite(value, layer, where):
    net = NET.copy()
    net.weights[layer].flat[where] = value
    try:
        StepperExplorer(net, np.full((1, 784), 0.5), [3])
    except ValueError as err:
        assert not np.isfinite(value) and str(err).startswith("net's weights or biases")
    else:
        assert np.isfinite(value)


@settings(max_examples=40, deadline=None)
@given(title=st.text(max_size=40), caption=st.text(max_size=40))
def test_any_title_and_caption_stay_text_on_the_page(title, caption):
    explorer = StepperExplorer(NET, np.full((1, 784), 0.5), [3])
    explorer.caption = caption
    text = page.standalone_html([explorer], title=title)
    assert text.count("</script>") == 3 and "<!--" not in text
    shown = re.search(r"<title>(.*?)</title>", text, re.S).group(1)
    assert html.unescape(shown) == title and "<" not in shown
    models = json.loads(STATE.search(text).group(1))["state"]
    assert caption in [m["state"]["caption"] for m in models.values()]
