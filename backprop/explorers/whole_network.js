// whole_network.js: draws the whole 784-16-16-10 network for one image, with a pad.
//
// Python (whole_network.py) sends the weights and, for every example image, each
// layer's activations a{l}, wishes wish{l} (-dC/da) and pushes push{l} (-dC/dz).
// This module lights the neurons, draws the wishes as arrows and the weight nudges
// as lines, and lets the reader draw a digit on a pad: drawing.js prepares the drawing
// as MNIST's digits were prepared, and nudgesFor() from mirror.js computes the same
// fields for it in the browser.

// Sized for the book's text column (about 700 px), so no text shrinks below 12 px.
const W = 720, H = 560;
const IMAGE = { x: 10, y: 64, w: 196, h: 196 };           // layer 0: the 28 x 28 pixels
const PIXEL_WISHES = { x: 38, y: 320, w: 140, h: 140 };   // their wishes, at the last step
const COLUMNS = [null, 340, 475, 610];                    // x of layers 1, 2, 3
const TOP = 70, BOTTOM = 500;
const TOP_PIXEL_LINES = 200;  // strongest pixel -> layer-1 connections drawn
// Phone layout (common.js canvas()): on a narrow screen the figure stacks as two parts,
// layer 0 with layer 1, then layers 1 to 3 with the outputs' values. The title and the
// key are text above and below the figure, so they wrap at any width.
const NETWORK_PANELS = [{ x: 0, y: 24, w: 390, h: H - 50 }, { x: 300, y: 24, w: 420, h: H - 50 }];

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

// The largest |nudge(j, k)| of these pairs: the size a layer's widest line stands for.
function largestNudge(nudge, pairs) {
  let limit = 1e-12;
  for (const [j, k] of pairs) limit = Math.max(limit, Math.abs(nudge(j, k)));
  return limit;
}

// Connection nudges of one layer as lines: colour = sign, width = size (`limit` drawn widest).
function connections(ctx, from, to, nudge, pairs, widest, limit) {
  for (const [j, k] of pairs) {
    const v = nudge(j, k), a = from(k), b = to(j);
    ctx.strokeStyle = v >= 0 ? UP : DOWN;
    ctx.globalAlpha = 0.25 + 0.75 * Math.min(1, Math.abs(v) / limit);
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
  const meanImage = data.mean_image ? unpack(data.mean_image).values : null;  // average mode's layer 0
  let update = () => {};

  // ----- controls --------------------------------------------------------------
  const message = captionAndMessage(el, model);
  const bar = controlRow(el);
  if (nets.length > 1) choice(bar, model, "network", "network", data.names.map((n, i) => [i, n]));
  const examples = data.labels.map((d, i) => [i, `image ${i}: a ${d}`]);
  if (data.pad) examples.push([-1, "your drawing"]);
  choice(bar, model, "example", "image", examples);
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
  const pad = data.pad ? drawingPad(el, model, data, () => update()) : null;
  const heading = document.createElement("div");  // the title line: network, image, guess
  heading.style.cssText = "font:14px system-ui, sans-serif;margin:2px 0";
  el.appendChild(heading);
  const figure = canvas(el, W, H, { panels: NETWORK_PANELS, smallestText: 12 });
  const keyLine = document.createElement("div");  // the key: names only what is drawn
  keyLine.className = "bp-caption";
  keyLine.style.cssText = "font:12px system-ui, sans-serif;margin:2px 0";
  el.append(keyLine, message);

  // ----- the picture -----------------------------------------------------------
  // An example's fields come from Python; the drawing's from the mirror (cheap: ~13,000
  // multiplications), recomputed at every redraw so they always match the pad. Until
  // the reader says which digit they drew there is no right answer, so no nudges.
  function currentFields(net) {
    const i = model.get("example"), said = model.get("drawn_label");
    if (i >= 0) return exampleFields(net, i);
    if (said >= 0) return nudgesFor(net, pad.drawn(), said);
    const { activations } = forward(net, pad.drawn());
    return { a0: activations[0], a1: activations[1], a2: activations[2], a3: activations[3] };
  }

  // What the picture draws now, layer by layer (the same as NetworkExplorer.drawn_nudges):
  // connections[l] = {pairs, nudge, limit}; arrows[l] = {values, limit}.
  function drawnNudges(net, f) {
    const step = data.max_step > 0 ? model.get("step") : -1;
    const average = Boolean(data.average_count && model.get("average"));
    const hasNudges = f.push1 !== undefined;
    const pushes = [null, f.push1, f.push2, f.push3], acts = [f.a0, f.a1, f.a2, f.a3];
    const connections = {}, arrows = {};
    for (let l = 1; l <= 3; l++) {
      if (!(hasNudges || average) || step < 4 - l) continue;
      const rows = sizes[l], cols = sizes[l - 1];
      const own = hasNudges ? (j, k) => pushes[l][j] * acts[l - 1][k] : () => 0;
      const nudge = average ? (j, k) => net[`weights${l}`].values[j * cols + k] : own;
      const pick = (fn) => (l === 1 ? strongestPairs(fn, rows, cols, TOP_PIXEL_LINES) : allPairs(rows, cols));
      const pairs = pick(nudge);
      let limit = largestNudge(own, pick(own));
      if (average) limit = Math.max(limit, largestNudge(nudge, pairs));
      connections[l] = { pairs, nudge, limit };
    }
    for (let l = 1; l <= 3; l++) {
      if (!(hasNudges || average) || !((l === 3 && step >= 0) || step >= 4 - l)) continue;
      const own = hasNudges ? f[`wish${l}`] : [];
      const values = average ? net[`mean_wish${l}`].values : own;
      arrows[l] = { values, limit: largest([own, values]) };
    }
    return { connections, arrows, average, step, hasNudges };
  }

  function draw() {
    const net = nets[model.get("network")], i = model.get("example");
    const f = currentFields(net);
    const { connections: lines, arrows, average, step, hasNudges } = drawnNudges(net, f);
    const said = model.get("drawn_label");
    const digit = i >= 0 ? data.labels[i] : said;   // the right answer (-1: not said)
    const ctx = figure.ctx;
    clear(figure);
    if (pad) pad.show(i < 0);
    message.textContent = i >= 0 ? "" : !pad.strokes.length ? "Draw a digit in the square: hold the " +
      "mouse button (or your finger) down and move, or press the pre-drawn digit button."
      : said < 0 && data.max_step > 0 && !average ? "Say which digit you drew (\u201cyou drew a\u201d) " +
      "to see the nudges it asks for." : "";

    // Layer 0: the image, what the network reads of the drawing, or for the average the
    // mean of the images averaged over; the layers' names.
    heatmap(ctx, average ? meanImage : f.a0, 28, 28, IMAGE, inkRGB);
    text(ctx, average ? `layer 0: the ${data.average_count} images' mean` : i < 0 ?
      "layer 0: what the network reads" : "layer 0: 784 pixels", IMAGE.x, 46, { bold: true });
    ["layer 1", "layer 2", "layer 3: outputs"].forEach((name, l) =>
      text(ctx, name, COLUMNS[l + 1], 46, { align: "center", bold: true }));
    const guess = f.a3.indexOf(Math.max(...f.a3));
    const name = data.names[model.get("network")];
    const what = i >= 0 ? `image ${i}: a ${digit}` : said >= 0 ? `your drawing: a ${said}` : "your drawing";
    const scaleOf = i >= 0 ? `image ${i}` : hasNudges ? "your drawing" : "";
    heading.textContent = `${name} network, ` + (average ? `nudges averaged over ${data.average_count} ` +
      `images${scaleOf ? ` (on the scale of ${scaleOf}'s own)` : ""}`
      : `${what}; the network's guess: ${guess}`);

    // The nudges on the connections, as far as the walk back has come.
    const acts = [f.a0, f.a1, f.a2, f.a3];
    for (let l = 3; l >= 1; l--) {
      const rows = sizes[l], cols = sizes[l - 1];
      const from = l === 1 ? pixelCentre : (k) => neuronAt(l - 1, k, cols);
      const to = (j) => neuronAt(l, j, rows);
      if (lines[l]) {
        connections(ctx, from, to, lines[l].nudge, lines[l].pairs, l === 1 ? 2.5 : 5, lines[l].limit);
      } else if (l > 1) {  // not reached yet: the wiring only, faint
        ctx.strokeStyle = "rgba(128,128,128,0.15)";
        ctx.lineWidth = 1;
        ctx.beginPath();
        for (const [j, k] of allPairs(rows, cols)) { ctx.moveTo(from(k).x, from(k).y); ctx.lineTo(to(j).x, to(j).y); }
        ctx.stroke();
      }
    }

    // The neurons, lit by their activation (one image's: none for the average), and
    // the wishes as arrows.
    const ring = average ? -1 : digit;
    for (let l = 1; l <= 3; l++) {
      const count = sizes[l];
      for (let j = 0; j < count; j++) {
        const { x, y, r } = neuronAt(l, j, count);
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.fillStyle = average ? PAPER : css(inkRGB(acts[l][j]));
        ctx.fill();
        ctx.strokeStyle = l === 3 && j === ring ? UP : INK;
        ctx.lineWidth = l === 3 && j === ring ? 3 : 1;
        ctx.stroke();
        if (arrows[l]) arrow(ctx, x + r + 8, y, arrows[l].values[j], arrows[l].limit, l === 3 ? 24 : 13);
      }
    }
    for (let j = 0; j < sizes[3]; j++) {
      const { x, y } = neuronAt(3, j, sizes[3]);
      text(ctx, String(j), x + 38, y, { bold: j === guess && !average });
      if (!average) text(ctx, f.a3[j].toFixed(2), x + 52, y, { colour: "#555", size: 12 });
    }

    // At the last step: what the pixels are asked to do (pixels are data: they stay).
    if (step >= 3 && (hasNudges || average)) {
      const values = average ? net.mean_wish0.values : f.wish0;
      const limit = largest([hasNudges ? f.wish0 : [], values]);
      heatmap(ctx, values, 28, 28, PIXEL_WISHES, (v) => signedRGB(v, limit));
      text(ctx, average ? "averaged wishes for the pixels" : "wishes for the pixels",
           PIXEL_WISHES.x, PIXEL_WISHES.y - 12, { size: 12 });
    }
    // The key names only what is drawn.
    const key = [average ? "Layers 1-3 unshaded: an average has no single activation. Layer 0: the mean image." : "Shade: activation."];
    if (ring >= 0) key.push("Blue ring: the right answer.");
    if (Object.keys(arrows).length) key.push(`Arrows: ${average ? "averaged " : ""}wishes (blue up, red down).`);
    if (Object.keys(lines).length) {
      key.push(`Lines: ${average ? "averaged " : ""}weight nudges, blue = grow, red = shrink, width = size ` +
        `(${average ? "each layer on the scale of one image's own" : "each layer scaled to its largest"}` +
        `${lines[1] ? "; the 200 strongest from the pixels" : ""}).`);
    }
    if (!lines[2] || !lines[3]) key.push("Faint lines: the connections between the circles (none from the pixels).");
    keyLine.textContent = key.join(" ");
    // One sentence for screen readers (the figure's name, announced after a change).
    const order = [...f.a3.keys()].sort((a, b) => f.a3[b] - f.a3[a]);
    describe(figure, `${name} network, ${what}: guess ${guess} at ${f.a3[guess].toFixed(2)}, ` +
      `next best ${order[1]} at ${f.a3[order[1]].toFixed(2)}` +
      (average ? `; showing the nudges averaged over ${data.average_count} images` : "") +
      (step >= 0 && hasNudges ? `; walked back to step ${step}: ${data.step_names[step]}` : "") + ".");
  }

  update = redrawOn(model, ["network", "example", "step", "average", "drawn_label"], el, draw);
  el.bpRedraw = update;
  // Hooks for the book's browser check and the tests: the mirror, the pad, what is drawn.
  el.backprop = {
    nudgesFor: (x, labelOf, n = 0) => nudgesFor(nets[n], x, labelOf),
    mnistImage: (lines) => Array.from(mnistImage(lines)),
    drawn: () => Array.from(pad ? pad.drawn() : []),
    strokes: () => (pad ? pad.strokes : []).map((points) => points.map(([x, y]) => [x, y])),
    fields: () => currentFields(nets[model.get("network")]),
    lines: () => {
      const net = nets[model.get("network")];
      const { connections: lines, arrows } = drawnNudges(net, currentFields(net));
      const out = { connections: {}, arrows: {} };
      for (const [l, { pairs, nudge, limit }] of Object.entries(lines)) {
        out.connections[l] = { pairs, nudges: pairs.map(([j, k]) => nudge(j, k)), limit };
      }
      for (const [l, { values, limit }] of Object.entries(arrows)) out.arrows[l] = { values: Array.from(values), limit };
      return out;
    },
    label: () => model.get("drawn_label"),
    network: () => model.get("network"),
    padNetwork: data.pad_network,
    samples: data.pad ? data.samples.length : 0,
  };
  return () => {};
}

export default { render };
