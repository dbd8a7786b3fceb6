// common.js: helpers every explorer's front-end module shares.
//
// The Python side puts this file in front of each explorer's own module, so the
// two make one plain ES module (no bundler, no imports). It only draws and
// handles controls: every number comes from Python through the model's traits.
// Colour rule of the whole book: blue = up / more, red = down / less.

const UP = "#2166ac";
const DOWN = "#b2182b";
const INK = "#222";
const FAINT = "#888";
const FONT = "13px system-ui, sans-serif";

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
// control changes) into window.__explorerDrawMs for the book's check.
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
  timed();
  return timed;
}

// ----- controls -------------------------------------------------------------------
// Every control carries data-control="<trait>" so the book's browser check finds it.

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
  label.style.cssText = "display:flex;gap:6px;align-items:center";
  label.append(text, input);
  bar.appendChild(label);
  return input;
}

// A slider over whole numbers; `show(value)` gives the readout text.
function slider(bar, model, name, text, min, max, show = String) {
  const input = document.createElement("input");
  Object.assign(input, { type: "range", min, max, step: 1, value: model.get(name) });
  input.dataset.control = name;
  input.style.width = "150px";
  const readout = document.createElement("span");
  readout.style.cssText = "min-width:4em;font-variant-numeric:tabular-nums";
  const sync = () => { readout.textContent = show(model.get(name)); input.value = model.get(name); };
  input.addEventListener("input", () => setTrait(model, name, Number(input.value)));
  // JupyterLab would take arrow keys for itself; keep them for the slider.
  input.addEventListener("keydown", (event) => event.stopPropagation());
  model.on(`change:${name}`, sync);
  sync();
  labelled(bar, text, input).after(readout);
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
  press.style.cssText = "font:" + FONT + ";padding:2px 10px";
  press.addEventListener("click", act);
  bar.appendChild(press);
  return press;
}

// ----- the canvas -----------------------------------------------------------------

// The smallest text any explorer draws, in drawing pixels. A canvas shrinks with a
// narrow window, but never below MIN_SCALE of its size, so that text stays at
// least 10 pixels high on screen; a narrower window scrolls the drawing sideways.
const SMALLEST_TEXT = 11;
const MIN_SCALE = 10 / SMALLEST_TEXT;

// A canvas `width` x `height` CSS pixels, sharp on high-resolution screens,
// shrinking with the window down to MIN_SCALE (drawing coordinates stay width x height).
function canvas(el, width, height) {
  const paper = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  paper.width = Math.round(width * ratio);
  paper.height = Math.round(height * ratio);
  paper.style.cssText = `width:100%;max-width:${width}px;` +
    `min-width:${Math.ceil(width * MIN_SCALE)}px;height:auto;display:block`;
  paper.dataset.width = width;                 // for the book's check of text sizes
  paper.dataset.smallestText = SMALLEST_TEXT;
  const ctx = paper.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.font = FONT;
  const scroller = document.createElement("div");  // sideways, on a narrow screen
  scroller.style.cssText = "overflow-x:auto";
  scroller.appendChild(paper);
  el.appendChild(scroller);
  return { paper, ctx, width, height };
}

function clear(pad) {
  pad.ctx.clearRect(0, 0, pad.width, pad.height);
  pad.ctx.fillStyle = "white";
  pad.ctx.fillRect(0, 0, pad.width, pad.height);
}

function text(ctx, words, x, y, { align = "left", colour = INK, size = 13, bold = false } = {}) {
  ctx.font = `${bold ? "600 " : ""}${size}px system-ui, sans-serif`;
  ctx.fillStyle = colour;
  ctx.textAlign = align;
  ctx.textBaseline = "middle";
  ctx.fillText(words, x, y);
}

// Colours as [r, g, b]: blue for positive values, red for negative, white at zero.
function signedRGB(value, limit) {
  const t = Math.max(-1, Math.min(1, limit > 0 ? value / limit : 0));
  const end = t >= 0 ? [33, 102, 172] : [178, 24, 43];
  return end.map((c) => Math.round(255 + (c - 255) * Math.abs(t)));
}

// Grey level for an activation between 0 (white) and 1 (black ink).
function inkRGB(value) {
  const level = Math.round(255 * (1 - Math.max(0, Math.min(1, value))));
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
function bars(ctx, values, box, limit, { labels = null, outline = -1 } = {}) {
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
    ctx.fillStyle = values[i] >= 0 ? UP : DOWN;
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

// A caption above the figure (from the `caption` trait), and a message line below it.
function captionAndMessage(el, model) {
  const caption = document.createElement("div");
  caption.style.cssText = "font:" + FONT + ";color:#444;margin:2px 0";
  caption.textContent = model.get("caption") || "";
  el.appendChild(caption);
  const message = document.createElement("div");
  message.className = "bp-message";
  message.setAttribute("role", "status");
  message.style.cssText = "font:" + FONT + ";color:" + DOWN + ";min-height:1.2em";
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
    text(ctx, logX ? power(v) : short(v), map.x(v), box.y + box.h + 10, { align: "center", size: 11, colour: "#444" });
  }
  for (const v of ticks(b0, b1, logY)) {
    text(ctx, logY ? power(v) : short(v), box.x - 4, map.y(v), { align: "right", size: 11, colour: "#444" });
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
  ctx.strokeStyle = "white";
  ctx.lineWidth = 1.5;
  ctx.stroke();
}
