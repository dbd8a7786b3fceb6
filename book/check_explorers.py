"""The explorers part of the book's browser check (used by book/check_book.py).

On a page with explorers it

- waits until the runtime has rendered them, and fails on one that is not live
  (a widget view with no running explorer is a frozen figure);
- moves every visible control of every explorer and fails unless the drawing
  changes (canvas pixels or SVG);
- for the whole-network explorer, runs the browser's forward and backward pass
  (``mirror.js``) on 20 MNIST test images and on a digit drawn with the mouse,
  and fails unless it equals the package's numbers to 1e-5, and the drawing's
  28 x 28 image (``drawing.js``) equals ``drawing.mnist_image`` of its strokes to 1e-6;
- fails if an explorer's smallest text is shown below ``SMALLEST_ON_SCREEN`` pixels
  (its canvas shrunk too far), on the check's wide window and on a phone's;
- fails on a figure with no role or accessible name, a visible slider without
  ``aria-valuetext``, or no live region to announce results;
- fails on labels that overlap, a label cut by a canvas's edge (on a phone the figure
  is stacked panels), and canvas text under 4.5:1 contrast, in light and dark mode;
- on a phone (390 px): fails on an explorer wider than the screen, a control under
  24 px tall, or a part other than the drawing pad (``data-pad``) that stops touch
  scrolling (``touch-action: none``);
- reports the redraw times the modules measured (``performance.now()``).
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np

TOLERANCE = 1e-5
MIRROR_IMAGES = 20
SMALLEST_ON_SCREEN = 9.95   # pixels: 10, less a rounding of the canvas's shown width
PHONE = {"width": 390, "height": 844}
SMALLEST_CONTROL = 23.5     # pixels: the height of a finger-sized target (24), less rounding
LOWEST_CONTRAST = 4.5
STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)

JS_WAIT_LIVE = """async () => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  for (let t = 0; t < 150 && views.length && !document.documentElement.dataset.explorers; t++) {
    await new Promise(done => setTimeout(done, 100));
  }
  return {views: views.length, live: document.querySelectorAll('.bp-explorer[data-live]').length,
          failed: [...document.querySelectorAll('.bp-explorer-failed')].map(e => e.textContent)};
}"""
# The controls of explorer i that a reader can see and use.
JS_CONTROLS = """(i) => [...document.querySelectorAll('.bp-explorer[data-live]')[i]
    .querySelectorAll('[data-control]')]
  .map((c, n) => ({n, name: c.dataset.control, usable: c.offsetParent !== null && !c.disabled}))"""
JS_PICTURE = """(i) => {
  const el = document.querySelectorAll('.bp-explorer[data-live]')[i];
  return [...el.querySelectorAll('canvas')].map(c => c.toDataURL()).join('|') +
         [...el.querySelectorAll('svg')].map(s => s.outerHTML).join('|');
}"""
# Move one control as a reader would: next option, next slider stop, a click.
JS_MOVE = """([i, n]) => {
  const c = document.querySelectorAll('.bp-explorer[data-live]')[i].querySelectorAll('[data-control]')[n];
  if (c.tagName === 'SELECT') {
    c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
    c.dispatchEvent(new Event('change'));
  } else if (c.type === 'range') {
    const v = Number(c.value), step = Number(c.step) || 1;
    c.value = v + step <= Number(c.max) ? v + step : c.min;
    c.dispatchEvent(new Event('input'));
  } else { c.click(); }
}"""
# The smallest text of each live explorer's canvases, in pixels as shown on screen.
JS_TEXT_SIZES = """() => [...document.querySelectorAll('.bp-explorer[data-live] canvas[data-width]')]
  .filter(c => c.offsetParent !== null).map(c => c.getBoundingClientRect().width / Number(c.dataset.width) * Number(c.dataset.smallestText))"""
# What each live explorer's figure shows a reader: its accessible name, its sliders'
# aria-valuetext, and for every label its text helper drew (common.js records them):
# overlaps with another label, a label cut by the edge of a canvas (on a phone the
# figure is stacked panels; a label must sit wholly inside or wholly outside each),
# and its contrast against the pixels around it (the commonest colour in its box).
JS_FIGURES = """() => {
  const rgb = (colour) => {
    const c = new OffscreenCanvas(1, 1).getContext('2d');
    c.fillStyle = colour; c.fillRect(0, 0, 1, 1);
    return [...c.getImageData(0, 0, 1, 1).data.slice(0, 3)];
  };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                       return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const inside = (l, p) => l.x >= p.x - 0.5 && l.y >= p.y - 0.5 && l.x + l.w <= p.x + p.w + 0.5 && l.y + l.h <= p.y + p.h + 0.5;
  const apart = (l, p) => l.x >= p.x + p.w - 0.5 || l.x + l.w <= p.x + 0.5 || l.y >= p.y + p.h - 0.5 || l.y + l.h <= p.y + 0.5;
  return [...document.querySelectorAll('.bp-explorer[data-live]')].map((el, i) => {
    const holder = el.querySelector('.bp-figure'), pad = holder && holder.bpPad;
    const out = {i, name: holder ? holder.getAttribute('aria-label') || '' : '', role: holder ? holder.getAttribute('role') : null,
                 live: Boolean(el.querySelector('[aria-live], [role=status]')),
                 sliders: [...el.querySelectorAll('input[type=range]')].filter(s => s.offsetParent !== null)
                   .map(s => ({control: s.dataset.control, text: s.getAttribute('aria-valuetext') || ''})),
                 overlaps: [], cut: [], faint: [], lowest: Infinity, labels: 0,
                 layout: holder ? holder.dataset.layout : null, wider: el.scrollWidth > el.clientWidth + 1};
    if (!pad) return out;
    const labels = pad.labels, parts = pad.parts;
    out.labels = labels.length;
    for (let a = 0; a < labels.length; a++) for (let b = a + 1; b < labels.length; b++) {
      const p = labels[a], q = labels[b];
      const dx = Math.min(p.x + p.w, q.x + q.w) - Math.max(p.x, q.x), dy = Math.min(p.y + p.h, q.y + q.h) - Math.max(p.y, q.y);
      if (dx > 1 && dy > 1) out.overlaps.push(`"${p.words}" and "${q.words}"`);
    }
    for (const l of labels) {
      const home = parts.find(p => inside(l, p.box));
      if (!home || parts.some(p => !inside(l, p.box) && !apart(l, p.box))) { out.cut.push(`"${l.words}"`); continue; }
      const scale = home.paper.width / home.box.w;
      const x = Math.max(0, Math.floor((l.x - home.box.x) * scale)), y = Math.max(0, Math.floor((l.y - home.box.y) * scale));
      const w = Math.max(1, Math.min(home.paper.width - x, Math.ceil(l.w * scale))), h = Math.max(1, Math.min(home.paper.height - y, Math.ceil(l.h * scale)));
      const data = home.paper.getContext('2d').getImageData(x, y, w, h).data, counts = new Map();
      for (let k = 0; k < data.length; k += 4) { const key = (data[k] << 16) | (data[k + 1] << 8) | data[k + 2]; counts.set(key, (counts.get(key) || 0) + 1); }
      const key = [...counts.entries()].sort((m, n) => n[1] - m[1])[0][0];
      const ratio = contrast(rgb(l.colour), [key >> 16, (key >> 8) & 255, key & 255]);
      out.lowest = Math.min(out.lowest, ratio);
      if (ratio < 4.5) out.faint.push(`"${l.words}" ${ratio.toFixed(2)}:1`);
    }
    return out;
  });
}"""
# On a phone: each explorer's right edge, its controls under 24 px, and the parts that
# stop touch scrolling although they are not the drawing pad.
JS_PHONE = """() => [...document.querySelectorAll('.bp-explorer[data-live]')].map((el, i) => ({i,
  right: Math.max(...[el, ...el.querySelectorAll('*')].filter(e => e.offsetParent !== null)
    .map(e => e.getBoundingClientRect().right)), screen: document.documentElement.clientWidth,
  small: [...el.querySelectorAll('[data-control]')].filter(c => c.offsetParent !== null)
    .map(c => ({name: c.dataset.control, h: c.getBoundingClientRect().height})).filter(c => c.h < %s),
  stuck: [...el.querySelectorAll('*')].filter(e => getComputedStyle(e).touchAction === 'none'
    && !e.closest('[data-pad]')).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))}))""" % SMALLEST_CONTROL
JS_THEME = """(mode) => new Promise(done => { document.documentElement.dataset.theme = mode;
  requestAnimationFrame(() => requestAnimationFrame(done)); })"""
JS_HOOKS = """() => [...document.querySelectorAll('.bp-explorer[data-live]')]
  .map((el, i) => el.backprop ? {i, id: el.dataset.modelId} : null).filter(Boolean)"""
JS_MIRROR = """([i, images, labels, n]) => {
  const hook = document.querySelectorAll('.bp-explorer[data-live]')[i].backprop;
  return images.map((x, e) => Object.fromEntries(
    Object.entries(hook.nudgesFor(x, labels[e], n)).map(([k, v]) => [k, Array.from(v)])));
}"""
JS_USE_PAD = """(i) => {
  const el = document.querySelectorAll('.bp-explorer[data-live]')[i];
  for (const [name, value] of [['example', '-1'], ['drawn_label', '7']]) {
    const pick = el.querySelector(`select[data-control=${name}]`);
    pick.value = value;
    pick.dispatchEvent(new Event('change'));
  }
  el.querySelector('[data-pad]').scrollIntoView({block: 'center'});
}"""
JS_DRAWN = """(i) => {
  const el = document.querySelectorAll('.bp-explorer[data-live]')[i], hook = el.backprop;
  const box = el.querySelector('[data-pad]').getBoundingClientRect();
  const fields = Object.fromEntries(Object.entries(hook.fields()).map(([k, v]) => [k, Array.from(v)]));
  return {drawn: hook.drawn(), strokes: hook.strokes(), label: hook.label(), network: hook.network(),
          fields, box: {x: box.x, y: box.y, w: box.width, h: box.height}};
}"""

# Put each pre-drawn digit on the pad (its button) and read the network's guess.
JS_SAMPLES = """(i) => {
  const el = document.querySelectorAll('.bp-explorer[data-live]')[i], hook = el.backprop;
  const press = el.querySelector('[data-control=sample]'), read = [];
  for (let n = 0; n < hook.samples; n++) {
    const digit = Number(press.textContent.trim().slice(-1));
    press.click();
    const a3 = Array.from(hook.fields().a3);
    read.push([digit, a3.indexOf(Math.max(...a3))]);
  }
  return read;
}"""


def saved_networks(html: str) -> dict:
    """model id -> the networks a whole-network explorer carries, rebuilt in float64."""
    from backprop import Network
    from backprop.explorers import unpack

    match = STATE.search(html)
    if not match:
        return {}
    found = {}
    for model_id, saved in json.loads(match.group(1))["state"].items():
        state = saved["state"]
        if "function nudgesFor" not in state.get("_esm", ""):
            continue
        for buffer in saved.get("buffers", []):
            place = state
            for key in buffer["path"][:-1]:
                place = place[key]
            place[buffer["path"][-1]] = base64.b64decode(buffer["data"])
        nets = []
        for packed in state["data"]["nets"]:
            net = Network(seed=0)
            net.weights = [unpack(packed[f"W{l}"]).astype(np.float64) for l in (1, 2, 3)]
            net.biases = [unpack(packed[f"b{l}"]).astype(np.float64) for l in (1, 2, 3)]
            nets.append(net)
        found[model_id] = nets
    return found


def mirror_gap(net, images, labels, browser: list[dict]) -> float:
    """Largest difference between the browser's fields and the package's."""
    from backprop.explorers.whole_network import example_nudges

    expected = example_nudges(net, np.asarray(images), np.asarray(labels))
    return max(float(np.max(np.abs(np.asarray([b[name] for b in browser]) - values)))
               for name, values in expected.items())


def draw_a_digit(page, box: dict) -> None:
    """Draw a seven with the mouse on the explorer's drawing pad."""
    x, y, w, h = box["x"], box["y"], box["w"], box["h"]
    stroke = [(0.25, 0.25), (0.75, 0.25), (0.45, 0.8)]
    page.mouse.move(x + w * stroke[0][0], y + h * stroke[0][1])
    page.mouse.down()
    for fx, fy in stroke[1:]:
        page.mouse.move(x + w * fx, y + h * fy, steps=12)
    page.mouse.up()


def check_mirror(page, index: int, nets: list, test_images) -> list[tuple[str, str]]:
    """The browser's forward/backward pass equals the package's on MNIST and a drawing."""
    problems = []
    images, labels = test_images
    for n, net in enumerate(nets):
        browser = page.evaluate(JS_MIRROR, [index, images.tolist(), labels.tolist(), n])
        gap = mirror_gap(net, images, labels, browser)
        print(f"    mirror, network {n}, {len(labels)} MNIST images: largest gap {gap:.1e}")
        if not gap <= TOLERANCE:
            problems.append(("mirror differs", f"network {n}: largest gap {gap:.2e} on MNIST"))
    page.evaluate(JS_USE_PAD, index)
    draw_a_digit(page, page.evaluate(JS_DRAWN, index)["box"])
    after = page.evaluate(JS_DRAWN, index)
    drawn = np.asarray(after["drawn"])
    if drawn.sum() == 0:
        return problems + [("drawing pad", "drawing with the mouse left the pad empty")]
    gap = mirror_gap(nets[after["network"]], drawn[None, :], [after["label"]], [after["fields"]])
    print(f"    mirror, drawn digit ({int((drawn > 0).sum())} inked pixels): largest gap {gap:.1e}")
    if not gap <= TOLERANCE:
        problems.append(("mirror differs", f"drawn digit: largest gap {gap:.2e}"))
    from backprop.explorers.drawing import mnist_image   # MNIST's recipe, as drawing.js does it
    gap = float(np.max(np.abs(mnist_image(after["strokes"]) - drawn)))
    print(f"    pad preprocessing, the same strokes in Python: largest gap {gap:.1e}")
    if not gap <= 1e-6:
        problems.append(("pad differs", f"the drawing's 28x28 image: largest gap {gap:.2e}"))
    read = page.evaluate(JS_SAMPLES, index)
    print(f"    pad, pre-drawn digits read by the pad's network: {sum(d == g for d, g in read)}"
          f"/{len(read)} ({', '.join(f'{d}->{g}' for d, g in read)})")
    return problems


def move_controls(page, index: int) -> list[tuple[str, str]]:
    """Move each usable control; a control that changes nothing drawn is a problem."""
    problems = []
    for control in page.evaluate(JS_CONTROLS, index):
        if not control["usable"]:
            continue
        changed = False
        for _ in range(3):  # some moves may land on an identical picture (e.g. same digit)
            before = page.evaluate(JS_PICTURE, index)
            page.evaluate(JS_MOVE, [index, control["n"]])
            page.wait_for_timeout(400 if control["name"] == "play" else 30)
            if page.evaluate(JS_PICTURE, index) != before:
                changed = True
                break
        if control["name"] == "play":
            page.evaluate(JS_MOVE, [index, control["n"]])  # pause again
        if not changed:
            problems.append(("dead control", f"explorer {index + 1}: moving "
                                             f"{control['name']!r} changed nothing drawn"))
    return problems


def check_text_sizes(page, window: str) -> list[tuple[str, str]]:
    """A problem for every canvas whose smallest text is shown too small."""
    return [("text too small", f"{window}: an explorer's smallest text is {size:.1f} px "
                               f"on screen (at least 10)")
            for size in page.evaluate(JS_TEXT_SIZES) if size < SMALLEST_ON_SCREEN]


def check_figures(page, window: str) -> list[tuple[str, str]]:
    """Names, slider values, live regions, and overlapping, cut or faint labels."""
    problems = []
    for figure in page.evaluate(JS_FIGURES):
        where = f"{window}: explorer {figure['i'] + 1}"
        if figure["role"] != "img" or not figure["name"].strip():
            problems.append(("no text alternative", f"{where}: its figure has no role or no accessible name"))
        if not figure["live"]:
            problems.append(("no live region", f"{where}: nothing announces a change"))
        for bare in (s["control"] for s in figure["sliders"] if not s["text"].strip()):
            problems.append(("slider without value text", f"{where}: {bare!r} has no aria-valuetext"))
        for kind, found in (("overlapping labels", figure["overlaps"]), ("cut label", figure["cut"]),
                            ("faint label", figure["faint"])):
            if found:
                problems.append((kind, f"{where}: " + "; ".join(found[:5])
                                 + (f" and {len(found) - 5} more" if len(found) > 5 else "")))
    return problems


def contrast_figures(page) -> str:
    """The lowest contrast of any explorer's canvas text on this page, as printed."""
    lowest = [f["lowest"] for f in page.evaluate(JS_FIGURES) if f["labels"]]
    return f"{min(lowest):.2f}:1" if lowest else "n/a"


def check_dark_mode(page) -> list[tuple[str, str]]:
    """Switch the page to the theme's dark mode and check the figures again."""
    page.evaluate(JS_THEME, "dark")
    try:
        problems = check_figures(page, "dark mode")
        print(f"    lowest canvas text contrast, dark mode: {contrast_figures(page)}")
        return problems
    finally:
        page.evaluate(JS_THEME, "light")


def check_phone_layout(page) -> list[tuple[str, str]]:
    """No sideways scrolling, finger-sized controls, touch scrolling except on the pad."""
    problems = []
    for found in page.evaluate(JS_PHONE):
        where = f"phone: explorer {found['i'] + 1}"
        if found["right"] > found["screen"] + 0.5:
            problems.append(("wider than a phone", f"{where} reaches {found['right']:.0f} px "
                                                   f"on a {found['screen']} px screen"))
        for control in found["small"]:
            problems.append(("small control", f"{where}: {control['name']!r} is "
                                              f"{control['h']:.0f} px tall (at least 24)"))
        if found["stuck"]:
            problems.append(("touch scrolling blocked", f"{where}: " + ", ".join(found["stuck"][:3])))
    return problems


def check_on_a_phone(page) -> list[tuple[str, str]]:
    """Open the same page in a phone-sized window: text, figures and layout still work."""
    phone = page.context.new_page()
    try:
        phone.set_viewport_size(PHONE)
        phone.goto(page.url)
        phone.evaluate(JS_WAIT_LIVE)
        window = f"{PHONE['width']} px wide window"
        return (check_text_sizes(phone, window) + check_figures(phone, window)
                + check_phone_layout(phone))
    finally:
        phone.close()


def check_explorers(page, site_file: Path, test_images) -> tuple[list, dict]:
    """All explorer checks on an open page: (kind, detail) problems and redraw times."""
    state = page.evaluate(JS_WAIT_LIVE)
    problems = [("explorer failed", text) for text in state["failed"]]
    if state["views"] > state["live"] + len(state["failed"]):
        problems.append(("frozen widget", f"{state['views'] - state['live']} of "
                                          f"{state['views']} widget views are not live explorers"))
    if state["live"]:
        problems += check_text_sizes(page, "wide window") + check_figures(page, "wide window")
        print(f"    lowest canvas text contrast, light mode: {contrast_figures(page)}")
        problems += check_dark_mode(page) + check_on_a_phone(page)
    for index in range(state["live"]):
        problems += move_controls(page, index)
    if state["live"]:  # the labels again, in the states the moves left behind
        problems += check_figures(page, "wide window, controls moved")
    hooks = page.evaluate(JS_HOOKS)
    networks = saved_networks(site_file.read_text(errors="replace")) if hooks else {}
    for hook in hooks:
        if test_images is None:
            problems.append(("mirror not checked", "MNIST not found (set BACKPROP_DATA_DIR)"))
        elif hook["id"] in networks:
            problems += check_mirror(page, hook["i"], networks[hook["id"]], test_images)
    return problems, {"explorers": state["live"],
                      "redraw_ms": page.evaluate("window.__explorerDrawMs || []")}


def mnist_test_images(count: int = MIRROR_IMAGES):
    """The first ``count`` MNIST test images and labels, or None if MNIST is not found."""
    try:
        from backprop import load_mnist
        _, (images, labels) = load_mnist(progress=False)
    except Exception:  # noqa: BLE001 - reported as a problem where a mirror needs it
        return None
    return images[:count], labels[:count]
