// common.js: helpers every explorer's front-end module shares.
//
// The Python side puts this file in front of each explorer's own module, so the
// two make one plain ES module (no bundler, no imports). It only draws and
// handles controls: every number comes from Python through the model's traits.
// Colour rule of the whole book: blue = up is wanted (or more), red = down (or less).

// ----- colours, following the page's light or dark theme ----------------------------
// The book's theme sets data-theme="dark" or "light" on <html>. Every colour below is
// read at each redraw (useTheme(), called by clear()), so a theme switch redraws in the
// other palette. Text colours keep at least 4.5:1 contrast on their paper (the book's
// browser check measures it); LINE colours are for strokes and fills only.
const PALETTES = {
  light: { paper: "#ffffff", ink: "#222222", muted: "#444444", faint: "#666666", line: "#888888",
           shade: "#f1f1f1", up: "#2166ac", down: "#b2182b", a: "#5e3c99", b: "#a6520f" },
  dark: { paper: "#121212", ink: "#e6e6e6", muted: "#c8c8c8", faint: "#a0a0a0", line: "#777777",
          shade: "#262626", up: "#6baed6", down: "#f4a582", a: "#b2abd2", b: "#f1a340" },
};
let THEME = PALETTES.light;
let UP = THEME.up, DOWN = THEME.down, INK = THEME.ink, FAINT = THEME.line, PAPER = THEME.paper;
const FONT = "13px system-ui, sans-serif";

// The book's dark mode, or JupyterLab's dark theme.
function darkPage() {
  return typeof document !== "undefined" && (document.documentElement.dataset.theme === "dark" ||
    (document.body !== null && document.body.dataset.jpThemeLight === "false"));
}

// Switch the colour variables to the page's current theme (light unless it says dark).
function useTheme() {
  THEME = darkPage() ? PALETTES.dark : PALETTES.light;
  ({ up: UP, down: DOWN, ink: INK, line: FAINT, paper: PAPER } = THEME);
}

// A colour by its role ("ink", "muted", "faint", "up", "down", "a", "b", ...) in the
// current theme; older literal greys map to their role; any other CSS colour is kept.
const GREYS = { "#222": "ink", "#111": "ink", "#444": "muted", "#555": "muted", "#777": "faint",
                "#888": "faint", "#2166ac": "up", "#b2182b": "down" };
function themed(colour) {
  const role = THEME[colour] ? colour : GREYS[colour];
  return role ? THEME[role] : colour;
}

// An array packed by backprop.explorers.base.pack: {shape, values: DataView of float32}.
function unpack(packed) {
  const view = packed.values;
  // Copy into a fresh buffer: a DataView may start at an offset that is not 4-aligned.
  const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return { shape: packed.shape, values: new Float32Array(bytes) };
}

// Row `i` of a 2-d (or deeper) unpacked array, as a Float32Array view.
function row(array, i) {
  const width = array.values.length / array.shape[0];
  return array.values.subarray(i * width, (i + 1) * width);
}

// Set a control trait: redraws here at once; Python hears of it when a kernel is there.
function setTrait(model, name, value) {
  model.set(name, value);
  try { model.save_changes(); } catch (error) { /* no kernel (static page): nothing to tell */ }
}

// Redraw when any of these traits change, timing each redraw after the first (the
// control changes) into window.__explorerDrawMs for the book's check. The same redraw
// runs when the page's theme or the explorer's layout (wide or stacked) changes.
// Returns the timed redraw, for changes that are not traits (e.g. a drawing).
function redrawOn(model, names, el, draw) {
  const timed = () => {
    const start = performance.now();
    draw();
    const ms = performance.now() - start;
    el.dataset.draws = String(Number(el.dataset.draws || 0) + 1);
    if (el.dataset.draws === "1") el.dataset.firstDrawMs = ms.toFixed(1);
    else (window.__explorerDrawMs = window.__explorerDrawMs || []).push(ms);
  };
  for (const name of names) model.on(`change:${name}`, timed);
  el.bpRedraw = timed;
  if (typeof MutationObserver !== "undefined") {  // the book's (or JupyterLab's) light/dark switch
    new MutationObserver(timed).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    if (document.body) new MutationObserver(timed).observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light"] });
  }
  timed();
  return timed;
}

// ----- controls -------------------------------------------------------------------
// Every control carries data-control="<trait>" so the book's browser check finds it.
// Controls are at least 24 px tall (finger-sized targets, WCAG 2.2 target size).

function controlRow(el) {
  const bar = document.createElement("div");
  bar.className = "bp-controls";
  bar.style.cssText = "display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;" +
    "font:" + FONT + ";margin:4px 0 8px 0";
  el.appendChild(bar);
  return bar;
}

function labelled(bar, text, input) {
  const label = document.createElement("label");
  label.style.cssText = "display:flex;gap:6px;align-items:center;min-height:24px;max-width:100%;min-width:0";
  input.style.minHeight = "24px";
  input.style.minWidth = "0";
  input.style.maxWidth = "100%";
  if (input.type === "checkbox") Object.assign(input.style, { width: "24px", height: "24px", margin: "0" });
  label.append(text, input);
  bar.appendChild(label);
  return input;
}

// Show `words` as a slider's readout, and give assistive technology the same words
// (aria-valuetext) instead of the slider's raw position.
function readout(input, words) {
  input.setAttribute("aria-valuetext", words);
  if (input.bpReadout) input.bpReadout.textContent = words;
}

// A slider over whole numbers; `show(value)` gives the readout text.
function slider(bar, model, name, text, min, max, show = String) {
  const input = document.createElement("input");
  Object.assign(input, { type: "range", min, max, step: 1, value: model.get(name) });
  input.dataset.control = name;
  input.style.cssText = "width:150px;height:24px;margin:0";
  input.bpReadout = document.createElement("span");
  input.bpReadout.style.cssText = "min-width:4em;font-variant-numeric:tabular-nums";
  const sync = () => { input.value = model.get(name); readout(input, show(model.get(name))); };
  input.addEventListener("input", () => setTrait(model, name, Number(input.value)));
  // JupyterLab would take arrow keys for itself; keep them for the slider.
  input.addEventListener("keydown", (event) => event.stopPropagation());
  model.on(`change:${name}`, sync);
  labelled(bar, text, input).after(input.bpReadout);
  sync();
  return input;
}

// A drop-down list; `options` is a list of [value, text] pairs.
function choice(bar, model, name, text, options) {
  const select = document.createElement("select");
  select.dataset.control = name;
  for (const [value, words] of options) {
    const option = document.createElement("option");
    option.value = String(value);
    option.textContent = words;
    select.appendChild(option);
  }
  const parse = typeof options[0][0] === "number" ? Number : String;
  select.value = String(model.get(name));
  select.addEventListener("change", () => setTrait(model, name, parse(select.value)));
  model.on(`change:${name}`, () => { select.value = String(model.get(name)); });
  return labelled(bar, text, select);
}

// A button that runs `act` (e.g. play/pause).
function button(bar, name, text, act) {
  const press = document.createElement("button");
  press.type = "button";
  press.textContent = text;
  press.dataset.control = name;
  press.style.cssText = "font:" + FONT + ";padding:2px 10px;min-height:24px";
  press.addEventListener("click", act);
  bar.appendChild(press);
  return press;
}

// ----- the canvas -----------------------------------------------------------------

// The smallest text any explorer draws, in drawing pixels. A canvas shrinks with a
// narrow window, but never below MIN_SCALE of its size, so that text stays at
// least 10 pixels high on screen.
const SMALLEST_TEXT = 11;
const MIN_SCALE = 10 / SMALLEST_TEXT;

// One <canvas> showing the part `box` ({x, y, w, h}, drawing coordinates) of a drawing,
// sharp on high-resolution screens, shown at most box.w CSS pixels wide.
function part(box, smallest = SMALLEST_TEXT) {
  const paper = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  paper.width = Math.round(box.w * ratio);
  paper.height = Math.round(box.h * ratio);
  paper.style.cssText = `width:100%;max-width:${box.w}px;height:auto;display:block`;
  paper.dataset.width = box.w;                 // for the book's check of text sizes
  paper.dataset.smallestText = smallest;
  paper.setAttribute("aria-hidden", "true");   // the figure's name is on its holder
  const ctx = paper.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, -box.x * ratio, -box.y * ratio);
  ctx.font = FONT;
  return { paper, ctx, box };
}

// A context that draws on several contexts at once: every call and every property
// set goes to all of them (each shows its own part of the same drawing).
function everyContext(contexts) {
  if (contexts.length === 1) return contexts[0];
  return new Proxy(contexts[0], {
    get(first, key) {
      const value = first[key];
      if (typeof value !== "function") return value;
      return (...args) => { let result; for (const c of contexts) result = c[key](...args); return result; };
    },
    set(first, key, value) { for (const c of contexts) c[key] = value; return true; },
  });
}

// A drawing `width` x `height` (drawing coordinates stay width x height whatever the
// screen). Wide enough, it is one canvas that shrinks with the window down to
// MIN_SCALE. Narrower (a phone), and given `panels` (boxes of the drawing that
// together hold everything it shows), it becomes one canvas per panel, stacked, so
// nothing needs sideways scrolling and text stays at least 10 px. When the layout
// changes the explorer redraws (redrawOn registers its redraw). `smallestText` is the
// smallest text the explorer draws (a larger one allows wider panels).
//
// The holder has role="img" and an accessible name: call describe(pad, sentence)
// at each redraw. Every text() drawn is recorded in pad.labels with its box, for
// the book's check of overlapping, cut or faint labels.
function canvas(el, width, height, { panels = null, smallestText = SMALLEST_TEXT } = {}) {
  const holder = document.createElement("div");
  holder.className = "bp-figure";
  holder.setAttribute("role", "img");
  holder.setAttribute("aria-roledescription", "explorer figure");
  el.appendChild(holder);
  const whole = { x: 0, y: 0, w: width, h: height };
  const pad = { width, height, panels, labels: [], holder, stacked: false, parts: [] };
  function layout() {
    const room = holder.clientWidth || el.clientWidth || width;
    const stacked = Boolean(panels) && room < (width * 10) / smallestText;
    if (pad.parts.length && stacked === pad.stacked) return false;
    pad.stacked = stacked;
    pad.parts = (stacked ? panels : [whole]).map((box) => part(box, smallestText));
    holder.replaceChildren(...pad.parts.map((p) => p.paper));
    if (stacked) for (const p of pad.parts) p.paper.style.marginBottom = "6px";
    else pad.parts[0].paper.style.minWidth = `${Math.ceil((width * 10) / smallestText)}px`;
    pad.ctx = everyContext(pad.parts.map((p) => p.ctx));
    pad.paper = pad.parts[0].paper;
    holder.dataset.layout = stacked ? "stacked" : "wide";
    return true;
  }
  layout();
  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver(() => { if (layout() && el.bpRedraw) el.bpRedraw(); }).observe(holder);
  }
  // The drawing coordinates under a pointer event: on the canvas it is over, or else
  // on the first one (the drawing pad's, in the whole-network explorer).
  pad.toDrawing = (event) => {
    const over = (p) => {
      const r = p.paper.getBoundingClientRect();
      return event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
    };
    const p = pad.parts.find(over) || pad.parts[0], rect = p.paper.getBoundingClientRect();
    return { x: p.box.x + ((event.clientX - rect.left) * p.box.w) / rect.width,
             y: p.box.y + ((event.clientY - rect.top) * p.box.h) / rect.height };
  };
  holder.bpPad = pad;  // for the book's browser check
  return pad;
}

// Start a redraw: the page's theme, an empty paper, no labels recorded yet.
function clear(pad) {
  useTheme();
  pad.labels.length = 0;
  LABELS.set(pad.ctx, pad.labels);
  pad.ctx.clearRect(0, 0, pad.width, pad.height);
  pad.ctx.fillStyle = PAPER;
  pad.ctx.fillRect(0, 0, pad.width, pad.height);
  pad.holder.dataset.paper = PAPER;
}

const LABELS = new WeakMap();  // context -> the labels drawn on it since clear()

// Text at (x, y), vertically centred; `colour` is a role ("ink", "muted", ...) or a CSS
// colour. Records its box {x, y, w, h}, words, colour and size for the book's check.
function text(ctx, words, x, y, { align = "left", colour = INK, size = 13, bold = false } = {}) {
  ctx.font = `${bold ? "600 " : ""}${size}px system-ui, sans-serif`;
  ctx.fillStyle = themed(colour);
  ctx.textAlign = align;
  ctx.textBaseline = "middle";
  ctx.fillText(words, x, y);
  const labels = LABELS.get(ctx);
  if (labels && words !== "") {
    const w = ctx.measureText(words).width;
    const left = align === "center" ? x - w / 2 : align === "right" ? x - w : x;
    labels.push({ words: String(words), x: left, y: y - size / 2, w, h: size, size, colour: ctx.fillStyle });
  }
}

// The accessible name of the figure: one sentence saying what it shows now. Screen
// readers hear it from the figure, and (after the reader stops moving a control for
// a moment) from a polite live region, so a change of result is announced.
function describe(pad, sentence) {
  pad.holder.setAttribute("aria-label", sentence);
  if (!pad.live) {
    pad.live = document.createElement("div");
    pad.live.className = "bp-live";
    pad.live.setAttribute("aria-live", "polite");
    pad.live.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;" +
      "clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap";
    pad.holder.after(pad.live);
  }
  clearTimeout(pad.speakLater);
  pad.speakLater = setTimeout(() => { pad.live.textContent = sentence; }, 600);
}

// Colours as [r, g, b]: blue for positive values, red for negative, paper at zero.
function signedRGB(value, limit) {
  const t = Math.max(-1, Math.min(1, limit > 0 ? value / limit : 0));
  const end = t >= 0 ? [33, 102, 172] : [178, 24, 43];
  const zero = darkPage() ? 18 : 255;
  return end.map((c) => Math.round(zero + (c - zero) * Math.abs(t)));
}

// Grey level for an activation between 0 (paper) and 1 (ink): black ink on white, or
// light ink on the dark page.
function inkRGB(value) {
  const v = Math.max(0, Math.min(1, value));
  const level = darkPage() ? Math.round(18 + 212 * v) : Math.round(255 * (1 - v));
  return [level, level, level];
}

const css = ([r, g, b]) => `rgb(${r},${g},${b})`;

// A grid of values (rows x cols, row-major) as coloured cells in `box`;
// `rgbOf(value)` gives each cell's [r, g, b].
function heatmap(ctx, values, rows, cols, box, rgbOf) {
  const image = new ImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = rgbOf(values[i]);
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 255;
  }
  const small = new OffscreenCanvas(cols, rows);
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, box.x, box.y, box.w, box.h);
  ctx.strokeStyle = FAINT;
  ctx.lineWidth = 0.5;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
}

// Vertical bars from a zero line, one per value, scaled so `limit` fills half the box.
// `colours` (one per bar) replaces the colour by sign (blue up, red down).
function bars(ctx, values, box, limit, { labels = null, outline = -1, colours = null } = {}) {
  const n = values.length;
  const zero = box.y + box.h / 2;
  const step = box.w / n;
  ctx.strokeStyle = FAINT;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(box.x, zero);
  ctx.lineTo(box.x + box.w, zero);
  ctx.stroke();
  for (let i = 0; i < n; i++) {
    const h = limit > 0 ? (values[i] / limit) * (box.h / 2) : 0;
    ctx.fillStyle = colours ? colours[i] : values[i] >= 0 ? UP : DOWN;
    ctx.fillRect(box.x + i * step + step * 0.15, zero - Math.max(h, 0), step * 0.7, Math.abs(h));
    if (i === outline) {
      ctx.strokeStyle = INK;
      ctx.lineWidth = 2;
      ctx.strokeRect(box.x + i * step + step * 0.1, box.y, step * 0.8, box.h);
    }
    if (labels) text(ctx, labels[i], box.x + (i + 0.5) * step, box.y + box.h + 10, { align: "center", size: 11 });
  }
}

// Largest absolute value of any of the arrays (at least `floor`), for a shared scale.
function largest(arrays, floor = 1e-12) {
  let most = floor;
  for (const values of arrays) for (const v of values) most = Math.max(most, Math.abs(v));
  return most;
}

// A short number for labels: 3 significant digits, exponent when tiny or huge.
function short(value) {
  const size = Math.abs(value);
  return size !== 0 && (size < 1e-3 || size >= 1e4) ? value.toExponential(2) : value.toPrecision(3);
}

// One number format for all the values of a panel, chosen from the largest of them:
// exponents for all when it is tiny or huge, otherwise the same decimals for all
// (three significant digits of the largest). Zero is written "0".
function formatFor(values) {
  const most = largest([values], 0);
  if (most !== 0 && (most < 1e-3 || most >= 1e4)) return (v) => (v === 0 ? "0" : v.toExponential(2));
  const decimals = most === 0 ? 0 : Math.max(0, 2 - Math.floor(Math.log10(most)));
  return (v) => (v === 0 ? "0" : v.toFixed(decimals));
}

// The explorers' few style rules, put into the page once: caption and message colours
// that follow the book's light or dark theme.
function addStyles() {
  if (document.getElementById("bp-explorer-styles")) return;
  const style = document.createElement("style");
  style.id = "bp-explorer-styles";
  style.textContent = `
.bp-caption { color: ${PALETTES.light.muted}; }
.bp-message { color: ${PALETTES.light.down}; }
html[data-theme="dark"] .bp-caption, body[data-jp-theme-light="false"] .bp-caption { color: ${PALETTES.dark.muted}; }
html[data-theme="dark"] .bp-message, body[data-jp-theme-light="false"] .bp-message { color: ${PALETTES.dark.down}; }`;
  document.head.appendChild(style);
}

// A caption above the figure (from the `caption` trait), and a message line below it.
function captionAndMessage(el, model) {
  addStyles();
  const caption = document.createElement("div");
  caption.className = "bp-caption";
  caption.style.cssText = "font:" + FONT + ";margin:2px 0";
  caption.textContent = model.get("caption") || "";
  el.appendChild(caption);
  const message = document.createElement("div");
  message.className = "bp-message";
  message.setAttribute("role", "status");
  message.style.cssText = "font:" + FONT + ";min-height:1.2em";
  return message;
}

// ----- helpers added for the chapter 2-6 explorers (sensitivity, nudges, stepper, sgd) -----

// A grid of values painted once into a small offscreen canvas (cols x rows pixels),
// to be drawn (scaled) with drawImageIn at every redraw without repainting it.
function gridImage(values, rows, cols, rgbOf) {
  const image = new ImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = rgbOf(values[i]);
    image.data.set([r, g, b, 255], 4 * i);
  }
  const small = new OffscreenCanvas(cols, rows);
  small.getContext("2d").putImageData(image, 0, 0);
  return small;
}

// Draw an image made by gridImage into `box`, sharp cells (no smoothing) unless asked.
function drawImageIn(ctx, image, box, smooth = false) {
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(image, box.x, box.y, box.w, box.h);
  ctx.strokeStyle = FAINT;
  ctx.lineWidth = 0.5;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
}

// A plot frame in `box` for x in [x0, x1] and y in [y0, y1] (log10 axes on request):
// draws the frame, a few tick labels and the axis names, and returns the mappings
// {x(value), y(value)} from data to canvas coordinates.
function plotAxes(ctx, box, [x0, x1], [y0, y1], { xName = "", yName = "", logX = false, logY = false } = {}) {
  const fx = logX ? Math.log10 : (v) => v, fy = logY ? Math.log10 : (v) => v;
  const [a0, a1, b0, b1] = [fx(x0), fx(x1), fy(y0), fy(y1)];
  const map = {
    x: (v) => box.x + ((fx(v) - a0) / (a1 - a0)) * box.w,
    y: (v) => box.y + box.h - ((fy(v) - b0) / (b1 - b0)) * box.h,
  };
  ctx.strokeStyle = FAINT;
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
  const ticks = (lo, hi, log) => log
    ? Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => 10 ** (Math.ceil(lo) + i))
    : [lo, (lo + hi) / 2, hi];
  // Powers of ten read best as 1, 10, 100, 1000, 1e4, ... (and 0.1, 0.01, 1e-3, ...).
  const power = (v) => (v >= 1e4 || v < 1e-2 ? `1e${Math.round(Math.log10(v))}` : String(+v.toPrecision(3)));
  for (const v of ticks(a0, a1, logX)) {
    text(ctx, logX ? power(v) : short(v), map.x(v), box.y + box.h + 10, { align: "center", size: 11, colour: "muted" });
  }
  for (const v of ticks(b0, b1, logY)) {
    text(ctx, logY ? power(v) : short(v), box.x - 4, map.y(v), { align: "right", size: 11, colour: "muted" });
  }
  text(ctx, xName, box.x + box.w / 2, box.y + box.h + 26, { align: "center", size: 12 });
  text(ctx, yName, box.x, box.y - 10, { size: 12 });
  return map;
}

// A polyline through (xs[i], ys[i]) for i in [0, count), skipping non-finite points.
function polyline(ctx, xs, ys, count, map, colour, { width = 2, dash = [] } = {}) {
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  let drawing = false;
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) { drawing = false; continue; }
    if (drawing) ctx.lineTo(map.x(xs[i]), map.y(ys[i]));
    else ctx.moveTo(map.x(xs[i]), map.y(ys[i]));
    drawing = true;
  }
  ctx.stroke();
  ctx.setLineDash([]);
}

// A filled dot of radius r at canvas point (x, y), outlined in white so it shows on lines.
function dot(ctx, x, y, colour, r = 5) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.strokeStyle = PAPER;
  ctx.lineWidth = 1.5;
  ctx.stroke();
}
