// whole_network.js: draws the whole 784-16-16-10 network for one image.
//
// Python (whole_network.py) sends the weights and, for every example image, each
// layer's activations a{l}, wishes wish{l} (-dC/da) and pushes push{l} (-dC/dz).
// This module lights the neurons, draws the nudge arrows and the connections, and
// lets the reader draw a digit: for the drawing, nudgesFor() from mirror.js
// computes the same fields in the browser.

// Sized for the book's text column (about 700 px), so no text shrinks below 12 px.
const W = 720, H = 560;
const IMAGE = { x: 10, y: 64, w: 196, h: 196 };           // layer 0: the 28 x 28 pixels
const PIXEL_WISHES = { x: 38, y: 320, w: 140, h: 140 };   // their wishes, at the last step
const COLUMNS = [null, 340, 475, 610];                    // x of layers 1, 2, 3
const TOP = 70, BOTTOM = 500;
const TOP_PIXEL_LINES = 200;  // strongest pixel -> layer-1 connections drawn

// Where neuron j of layer l sits, and how big it is drawn.
function neuronAt(l, j, count) {
  const y = count === 1 ? (TOP + BOTTOM) / 2 : TOP + (j * (BOTTOM - TOP)) / (count - 1);
  return { x: COLUMNS[l], y, r: count > 12 ? 10 : 14 };
}

function pixelCentre(k) {
  const side = IMAGE.w / 28;
  return { x: IMAGE.x + (k % 28 + 0.5) * side, y: IMAGE.y + (Math.floor(k / 28) + 0.5) * side };
}

// An up (blue) or down (red) arrow beside a neuron, as long as its value (on the layer's scale).
function arrow(ctx, x, y, value, limit, longest) {
  const length = limit > 0 ? (Math.abs(value) / limit) * longest : 0;
  if (length < 1) return;
  const direction = value >= 0 ? -1 : 1;   // canvas y grows downwards
  ctx.strokeStyle = ctx.fillStyle = value >= 0 ? UP : DOWN;
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x, y + direction * length);
  ctx.stroke();
  const head = Math.min(5, length);  // short arrows get small heads
  ctx.beginPath();
  ctx.moveTo(x - head, y + direction * (length - head));
  ctx.lineTo(x + head, y + direction * (length - head));
  ctx.lineTo(x, y + direction * (length + 2));
  ctx.fill();
}

// Connection nudges of one layer as lines: colour = sign, width = size (own scale).
function connections(ctx, from, to, nudge, pairs, widest) {
  let limit = 1e-12;
  for (const [j, k] of pairs) limit = Math.max(limit, Math.abs(nudge(j, k)));
  for (const [j, k] of pairs) {
    const v = nudge(j, k), a = from(k), b = to(j);
    ctx.strokeStyle = v >= 0 ? UP : DOWN;
    ctx.globalAlpha = 0.25 + 0.75 * Math.abs(v) / limit;
    ctx.lineWidth = 0.3 + widest * Math.abs(v) / limit;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
}

function allPairs(rows, cols) {
  const pairs = [];
  for (let j = 0; j < rows; j++) for (let k = 0; k < cols; k++) pairs.push([j, k]);
  return pairs;
}

// The `count` pairs (j, k) with the largest |nudge(j, k)| among rows x cols (zeros left out).
function strongestPairs(nudge, rows, cols, count) {
  const sizes = new Float32Array(rows * cols);
  for (let j = 0; j < rows; j++) for (let k = 0; k < cols; k++) sizes[j * cols + k] = Math.abs(nudge(j, k));
  const sorted = sizes.slice().sort();
  const threshold = Math.max(sorted[Math.max(0, sorted.length - count)], 1e-30);
  const pairs = [];
  for (let n = 0; n < sizes.length && pairs.length < count; n++) {
    if (sizes[n] >= threshold) pairs.push([Math.floor(n / cols), n % cols]);
  }
  return pairs;
}

// The fields of one example (or of the drawing) as plain arrays, by name.
function exampleFields(net, i) {
  const fields = {};
  for (const name of ["a0", "a1", "a2", "a3", "wish0", "wish1", "wish2", "wish3",
                      "push1", "push2", "push3"]) fields[name] = row(net[name], i);
  return fields;
}

function render({ model, el }) {
  const data = model.get("data");
  const nets = data.nets.map((packed) => {
    const net = {};
    for (const [name, value] of Object.entries(packed)) net[name] = unpack(value);
    net.W = [1, 2, 3].map((l) => net[`W${l}`].values);
    net.b = [1, 2, 3].map((l) => net[`b${l}`].values);
    return net;
  });
  const sizes = [784, nets[0].b[0].length, nets[0].b[1].length, nets[0].b[2].length];
  const drawn = new Float64Array(784);
  let update = () => {};

  // ----- controls --------------------------------------------------------------
  const message = captionAndMessage(el, model);
  const bar = controlRow(el);
  if (nets.length > 1) choice(bar, model, "network", "network", data.names.map((n, i) => [i, n]));
  const examples = data.labels.map((d, i) => [i, `image ${i}: a ${d}`]);
  if (data.pad) examples.push([-1, "your drawing"]);
  choice(bar, model, "example", "image", examples);
  const label = choice(bar, model, "drawn_label", "you drew a",
                       [...Array(10).keys()].map((d) => [d, String(d)]));
  const clearButton = button(bar, "clear", "clear drawing", () => {
    drawn.fill(0);
    if (model.get("example") !== -1) setTrait(model, "example", -1);
    else update();
  });
  if (data.max_step > 0) {
    slider(bar, model, "step", "walk back", 0, data.max_step, (s) => `${s}: ${data.step_names[s]}`);
  }
  if (data.average_count) {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.control = "average";
    box.checked = model.get("average");
    box.addEventListener("change", () => setTrait(model, "average", box.checked));
    model.on("change:average", () => { box.checked = model.get("average"); });
    labelled(bar, `average over ${data.average_count} images`, box);
  }
  const pad = canvas(el, W, H);
  el.appendChild(message);

  // ----- drawing a digit -------------------------------------------------------
  function paint(event) {
    const rect = pad.paper.getBoundingClientRect();
    const x = ((event.clientX - rect.left) * W) / rect.width;
    const y = ((event.clientY - rect.top) * H) / rect.height;
    const col = Math.floor(((x - IMAGE.x) / IMAGE.w) * 28);
    const line = Math.floor(((y - IMAGE.y) / IMAGE.h) * 28);
    if (col < 0 || col > 27 || line < 0 || line > 27) return;
    // A soft brush about two pixels wide, like the pen strokes of MNIST.
    for (const [dr, dc, ink] of [[0, 0, 1], [0, 1, 0.6], [1, 0, 0.6], [0, -1, 0.6],
                                 [-1, 0, 0.6], [1, 1, 0.3], [-1, -1, 0.3], [1, -1, 0.3], [-1, 1, 0.3]]) {
      const r = line + dr, c = col + dc;
      if (r >= 0 && r < 28 && c >= 0 && c < 28) drawn[r * 28 + c] = Math.min(1, drawn[r * 28 + c] + ink);
    }
    if (model.get("example") !== -1) setTrait(model, "example", -1);
    else update();
  }
  let drawing = false;
  pad.paper.addEventListener("pointerdown", (event) => {
    if (!data.pad) return;
    drawing = true;
    pad.paper.setPointerCapture(event.pointerId);
    paint(event);
  });
  pad.paper.addEventListener("pointermove", (event) => { if (drawing) paint(event); });
  pad.paper.addEventListener("pointerup", () => { drawing = false; });
  pad.paper.style.touchAction = "none";

  // ----- the picture -----------------------------------------------------------
  // An example's fields come from Python; the drawing's from the mirror (cheap: ~13,000
  // multiplications), recomputed at every redraw so they always match the pad.
  function currentFields(net) {
    const i = model.get("example");
    return i >= 0 ? exampleFields(net, i) : nudgesFor(net, drawn, model.get("drawn_label"));
  }

  function draw() {
    const net = nets[model.get("network")], i = model.get("example");
    const step = data.max_step > 0 ? model.get("step") : -1;
    const average = Boolean(data.average_count && model.get("average"));
    const f = currentFields(net);
    const digit = i >= 0 ? data.labels[i] : model.get("drawn_label");
    const ctx = pad.ctx;
    clear(pad);
    label.parentElement.style.display = clearButton.style.display = data.pad && i < 0 ? "" : "none";
    const empty = i < 0 && !drawn.some((v) => v > 0);
    message.textContent = empty ? "Draw a digit in the square on the left: hold the mouse " +
      "button (or your finger) down and move." : "";

    // Layer 0: the image (or the drawing pad), then the names of the layers.
    heatmap(ctx, f.a0, 28, 28, IMAGE, inkRGB);
    if (i < 0) { ctx.strokeStyle = UP; ctx.lineWidth = 2; ctx.strokeRect(IMAGE.x, IMAGE.y, IMAGE.w, IMAGE.h); }
    text(ctx, i < 0 ? "layer 0: draw here" : "layer 0: 784 pixels", IMAGE.x, 46, { bold: true });
    if (i < 0) text(ctx, "(you drew a " + digit + ": change it above)", IMAGE.x, IMAGE.y + IMAGE.h + 14, { size: 12, colour: "#444" });
    ["layer 1", "layer 2", "layer 3: outputs"].forEach((name, l) =>
      text(ctx, name, COLUMNS[l + 1], 46, { align: "center", bold: true }));
    const guess = f.a3.indexOf(Math.max(...f.a3));
    text(ctx, `${data.names[model.get("network")]} network, ` +
      (average ? `nudges averaged over ${data.average_count} images` :
        `${i >= 0 ? `image ${i}` : "your drawing"}: a ${digit}; the network's guess: ${guess}`),
      10, 16, { size: 14 });

    // The nudges on the connections, as far as the walk back has come.
    const pushes = [null, f.push1, f.push2, f.push3];
    const acts = [f.a0, f.a1, f.a2, f.a3];
    for (let l = 3; l >= 1; l--) {
      const reached = step >= 4 - l;
      const rows = sizes[l], cols = sizes[l - 1];
      const nudge = average ? (j, k) => net[`weights${l}`].values[j * cols + k]
                            : (j, k) => pushes[l][j] * acts[l - 1][k];
      const from = l === 1 ? pixelCentre : (k) => neuronAt(l - 1, k, cols);
      const to = (j) => neuronAt(l, j, rows);
      if (reached) {
        const pairs = l === 1 ? strongestPairs(nudge, rows, cols, TOP_PIXEL_LINES) : allPairs(rows, cols);
        connections(ctx, from, to, nudge, pairs, l === 1 ? 2.5 : 5);
      } else if (l > 1) {  // not reached yet: the wiring only, faint
        ctx.strokeStyle = "rgba(0,0,0,0.07)";
        ctx.lineWidth = 1;
        ctx.beginPath();
        for (const [j, k] of allPairs(rows, cols)) { ctx.moveTo(from(k).x, from(k).y); ctx.lineTo(to(j).x, to(j).y); }
        ctx.stroke();
      }
    }

    // The neurons, lit by their activation, with their wishes as arrows.
    const wishes = [f.wish0, f.wish1, f.wish2, f.wish3];
    for (let l = 1; l <= 3; l++) {
      const count = sizes[l];
      const shownWishes = average ? net[`biases${l}`].values : (l === 3 ? f.wish3 : wishes[l]);
      const wishesShown = l === 3 ? step >= 0 : step >= 4 - l;
      const limit = largest([shownWishes]);
      for (let j = 0; j < count; j++) {
        const { x, y, r } = neuronAt(l, j, count);
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.fillStyle = average ? "white" : css(inkRGB(acts[l][j]));
        ctx.fill();
        ctx.strokeStyle = l === 3 && j === digit && !average ? UP : INK;
        ctx.lineWidth = l === 3 && j === digit && !average ? 3 : 1;
        ctx.stroke();
        if (wishesShown) arrow(ctx, x + r + 8, y, shownWishes[j], limit, l === 3 ? 24 : 13);
      }
    }
    for (let j = 0; j < sizes[3]; j++) {
      const { x, y } = neuronAt(3, j, sizes[3]);
      text(ctx, String(j), x + 38, y, { bold: j === guess && !average });
      if (!average) text(ctx, f.a3[j].toFixed(2), x + 52, y, { colour: "#555", size: 12 });
    }

    // At the last step: what the pixels are asked to do (pixels are data: they stay).
    if (step >= 3 && !average) {
      heatmap(ctx, f.wish0, 28, 28, PIXEL_WISHES, (v) => signedRGB(v, largest([f.wish0])));
      text(ctx, "wishes for the pixels", PIXEL_WISHES.x, PIXEL_WISHES.y - 12, { size: 12 });
    }
    text(ctx, `Shade: activation. Arrows: ${average ? "bias nudges" : "wishes"} (blue up, red down).`, 10, H - 34,
      { size: 12, colour: "#444" });
    text(ctx, "Lines: weight nudges, blue = grow, red = shrink, width = size (each layer " +
      "scaled to its largest).", 10, H - 16, { size: 12, colour: "#444" });
  }

  update = redrawOn(model, ["network", "example", "step", "average", "drawn_label"], el, draw);
  // Hooks for the book's browser check: the mirror and what is drawn.
  el.backprop = {
    nudgesFor: (x, labelOf, n = 0) => nudgesFor(nets[n], x, labelOf),
    drawn: () => Array.from(drawn),
    fields: () => currentFields(nets[model.get("network")]),
    label: () => model.get("drawn_label"),
    network: () => model.get("network"),
    imageBox: IMAGE,
    width: W,
  };
  return () => { drawing = false; };
}

export default { render };
