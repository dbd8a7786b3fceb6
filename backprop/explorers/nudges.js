// nudges.js: chapter 3, what one example wants from one neuron, and Hebb's rule.
//
// Python (nudges.py) sends per example and layer l the activations a{l}, wishes
// wish{l} (-dC/da), pushes push{l} (-dC/dz), slopes slope{l} (f'(z)), the weights
// W{l}, the desired output nudges, and the similarity and sign agreement of
// the example's weight nudges with Hebb's update. The avenues, the nudges and
// Hebb's update are products of two of those (a row factor times previous
// activations): this module multiplies them only to draw them, into buffers
// allocated once.

const NW = 980, NH = 550;
const IMG = { x: 20, y: 62, w: 150, h: 150 };
const OUT = { x: 220, y: 62, w: 220, h: 150 };
const AV12 = { x: 490, y: 62, w: 220, h: 150 };
const AV3 = { x: 760, y: 62, w: 200, h: 150 };
const BACK = { x: 20, y: 330, w: 180, h: 180 };
const HEBB = { x: 250, y: 330, w: 180, h: 180 };
const FACTORS = { x: 490, y: 330, w: 220, h: 180 };
const ORIGIN = { x: 760, y: 330, w: 200, h: 150 };
// On a phone the eight parts stack, the top row first, each column's part on its own.
const NUDGE_COLUMNS = [[0, 200], [200, 270], [470, 275], [745, 235]];  // [x, width]
const NUDGE_PANELS = [[20, 250], [286, 264]].flatMap(([y, h]) => NUDGE_COLUMNS.map(([x, w]) => ({ x, y, w, h })));

// Every field of one example as a plain object of Float32Array views (no copies).
function fieldsOf(packed, i) {
  const f = {};
  for (const name of ["a0", "a1", "a2", "a3", "wish1", "wish2", "wish3", "push1", "push2",
                      "push3", "slope1", "slope2", "slope3", "desired", "similarity", "agreement"]) {
    f[name] = row(packed[name], i);
  }
  return f;
}

// out[i] = factor * values[i], into a buffer allocated once.
function scaled(out, values, factor) {
  for (let i = 0; i < values.length; i++) out[i] = factor * values[i];
  return out.subarray(0, values.length);
}

// Either bars (small layers) or a signed 28 x 28 image (the pixels), in `box`.
function barsOrPixels(ctx, values, box, limit, outline = -1) {
  if (values.length === 784) {  // pixels: its own scale, or every neuron but one looks blank
    const side = Math.min(box.w, box.h), own = largest([values]);
    heatmap(ctx, values, 28, 28, { x: box.x, y: box.y, w: side, h: side }, (v) => signedRGB(v, own));
    text(ctx, "(own scale)", box.x + side - 60, box.y + side + 12, { size: 11, colour: "muted" });
  } else {
    bars(ctx, values, box, limit, { outline });
  }
}

// Rows x cols products (row factor x previous activations) drawn as a heatmap, or for the
// pixels only the chosen neuron's row, as a 28 x 28 image. Chosen row outlined.
function productMap(ctx, buffer, rowFactors, before, j, box, limit) {
  const rows = rowFactors.length, cols = before.length;
  if (cols === 784) {  // the pixels: only row j, on its own scale
    const values = scaled(buffer, before, rowFactors[j]), own = largest([values]);
    heatmap(ctx, values, 28, 28, box, (v) => signedRGB(v, own));
    return;
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) buffer[r * cols + c] = rowFactors[r] * before[c];
  heatmap(ctx, buffer.subarray(0, rows * cols), rows, cols, box, (v) => signedRGB(v, limit));
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.strokeRect(box.x - 2, box.y + (j * box.h) / rows, box.w + 4, box.h / rows);
}

function render({ model, el }) {
  const data = model.get("data"), limits = data.limits, sizes = data.sizes;
  const packed = {};
  for (const [name, value] of Object.entries(data)) if (value && value.shape) packed[name] = unpack(value);
  // Scratch buffers for the products drawn, big enough for any layer's whole table.
  const biggest = Math.max(...[1, 2, 3].map((l) => sizes[l] * sizes[l - 1]));
  const buffer = new Float32Array(biggest), second = new Float32Array(biggest);

  const message = captionAndMessage(el, model);
  const bar = controlRow(el);
  choice(bar, model, "example", "image", data.labels.map((d, i) => [i, `image ${i}: a ${d}`]));
  choice(bar, model, "layer", "layer", [[3, "3 (outputs)"], [2, "2 (hidden)"], [1, "1 (hidden, from pixels)"]]);
  const neuron = slider(bar, model, "neuron", "neuron", 0, sizes[model.get("layer")] - 1);
  const pad = canvas(el, NW, NH, { panels: NUDGE_PANELS });
  const summary = document.createElement("p");  // the whole-layer comparison, in words
  summary.className = "bp-caption";
  summary.style.cssText = "font:" + FONT + ";margin:4px 0";
  el.append(summary, message);

  let drawn = {};
  function draw() {
    const i = model.get("example"), l = model.get("layer"), label = data.labels[i];
    const j = Math.min(model.get("neuron"), sizes[l] - 1);
    neuron.max = sizes[l] - 1;  // this layer's neurons (set max before value)
    neuron.value = j;
    const f = fieldsOf(packed, i), W = packed[`W${l}`];
    const push = f[`push${l}`], before = f[`a${l - 1}`], p = push[j];
    drawn = { push: p, before, weightsRow: row(W, j), activation: f[`a${l}`][j], desired: f.desired };
    const ctx = pad.ctx;
    clear(pad);

    // Row 1: the image, the outputs' desired nudges, the three avenues.
    heatmap(ctx, f.a0, 28, 28, IMG, inkRGB);
    text(ctx, `image ${i}: a ${label}`, IMG.x, 40, { bold: true });
    bars(ctx, f.desired, OUT, 1.05, { labels: [...Array(10).keys()].map(String), outline: l === 3 ? j : -1 });
    for (let k = 0; k < 10; k++) dot(ctx, OUT.x + (k + 0.5) * OUT.w / 10, OUT.y + OUT.h / 2 - f.a3[k] * OUT.h / 2.1, "#777", 3.5);
    text(ctx, "Outputs' desired nudges", OUT.x, 40, { bold: true });
    for (const v of [1, 0, -1]) {  // the scale: a desired nudge runs from -1 to +1
      text(ctx, v > 0 ? "+1" : String(v), OUT.x - 4, OUT.y + OUT.h / 2 - (v * OUT.h) / 2.1, { align: "right", size: 11, colour: "muted" });
    }
    text(ctx, "bars: target - output; grey dots: outputs", OUT.x, OUT.y + OUT.h + 26, { size: 11, colour: "muted" });
    text(ctx, `Neuron ${j} of layer ${l}: 1, 2`, AV12.x, 40, { bold: true });
    // Avenue 1, the bias (its nudge is the push itself), as one bar on the layer's push scale;
    // avenue 2, the weights, beside it.
    bars(ctx, [p], { x: AV12.x, y: AV12.y, w: 26, h: AV12.h }, limits[`push${l}`], { labels: ["bias"] });
    barsOrPixels(ctx, scaled(buffer, before, p), { ...AV12, x: AV12.x + 40, w: AV12.w - 40 }, limits[`nudges${l}`]);
    text(ctx, `1. bias: ${short(p)}`, AV12.x, AV12.y + AV12.h + 26, { size: 11 });
    text(ctx, `2. weights: push x a(layer ${l - 1})`, AV12.x, AV12.y + AV12.h + 41, { size: 11 });
    text(ctx, `3. asks of layer ${l - 1}`, AV3.x, 40, { bold: true });
    barsOrPixels(ctx, scaled(second, row(W, j), p), AV3, limits[`back${l}`]);
    text(ctx, "3. push x neuron's weights", AV3.x, AV3.y + AV3.h + 26, { size: 11 });

    // Row 2: the weight nudges beside Hebb's update, their row factors, where the push comes from.
    text(ctx, "Weight nudges: -dC/dw", BACK.x, 306, { bold: true });
    productMap(ctx, buffer, push, before, j, BACK, limits[`nudges${l}`]);
    text(ctx, "Hebb: activation x activation", HEBB.x, 306, { bold: true });
    productMap(ctx, second, f[`a${l}`], before, j, HEBB, limits[`hebb${l}`]);
    const where = l > 1 ? [`rows: neurons of layer ${l};`, `columns: layer ${l - 1}`]
                        : [`row ${j} of each (weights into`, `neuron ${j}), as 28 x 28`];
    where.forEach((words, k) => text(ctx, words, BACK.x, BACK.y + BACK.h + 14 + 15 * k, { size: 11, colour: "muted" }));
    drawFactors(ctx, f[`a${l}`], push, j, limits[`push${l}`]);
    drawOrigin(ctx, f, l, j, p, packed, limits);
    const c = [3, 2, 1].indexOf(l);
    const comparison = `Whole layer ${l}, weight nudges vs Hebb: cosine similarity ${f.similarity[c].toFixed(3)}, ` +
      `same sign for ${(100 * f.agreement[c]).toFixed(0)}% of the weights.`;
    const why = l === 3
      ? "Output layer: Hebb's factor is the neuron's own activation, the nudges' its push: up for the right digit, down for the others."
      : "Hidden layer: the push is not the neuron's own activation; it comes back from the next layer through the forward weights.";
    summary.replaceChildren(Object.assign(document.createElement("b"), { textContent: comparison }), " " + why);
    message.textContent = "";
    const guess = f.a3.indexOf(Math.max(...f.a3));
    describe(pad, `Nudge explorer, image ${i} (a ${label}), network's guess ${guess}. Neuron ${j} of layer ${l}` +
      `${l === 3 ? ` (output ${j})` : ""}: activation ${short(f[`a${l}`][j])}, wish ${short(f[`wish${l}`][j])}, ` +
      `slope f'(z) ${short(f[`slope${l}`][j])}, push ${short(p)}. Avenue 1, its bias, is nudged by ${short(p)}; ` +
      `avenue 2, its weights, by the push times layer ${l - 1}'s activations; avenue 3 asks layer ${l - 1} ` +
      `for the push times its weights. ${comparison}`);
  }

  // Row factors of both: Hebb's (own activation, 0 to 1) over the nudges' (the push).
  function drawFactors(ctx, activation, push, j, pushLimit) {
    text(ctx, "Row factors: Hebb (activation)", FACTORS.x, 306, { bold: true });
    bars(ctx, activation, { x: FACTORS.x, y: FACTORS.y, w: FACTORS.w, h: 120 }, 1);
    text(ctx, "nudges (push = -dC/dz)", FACTORS.x, FACTORS.y + 80, { bold: true });
    bars(ctx, push, { x: FACTORS.x, y: FACTORS.y + 95, w: FACTORS.w, h: 90 }, pushLimit, { outline: j });
  }

  // Where neuron j's push comes from: its wish times the slope f'(z).
  function drawOrigin(ctx, f, l, j, push, packed, limits) {
    const wish = f[`wish${l}`][j], slope = f[`slope${l}`][j];
    text(ctx, `Neuron ${j}'s push: from where?`, ORIGIN.x, 306, { bold: true, size: 12 });
    const lines = [];
    if (l === 3) {
      lines.push(`wish = 2 x (target - output) = ${short(wish)}`);
    } else {
      const next = f[`push${l + 1}`], W = packed[`W${l + 1}`], cols = sizes[l];
      for (let m = 0; m < next.length; m++) second[m] = next[m] * W.values[m * cols + j];
      bars(ctx, second.subarray(0, next.length), { ...ORIGIN, h: 100 }, limits[`push${l + 1}`] * largest([W.values]));
      lines.push(`bars: layer ${l + 1} pushes x weights`, `their sum, the wish = ${short(wish)}`);
    }
    lines.push(`x slope f'(z) = ${short(slope)}`, `= push ${short(push)}`);
    lines.forEach((words, k) => text(ctx, words, ORIGIN.x, ORIGIN.y + (l === 3 ? 20 : 120) + 16 * k, { size: 12 }));
  }

  // Keep the neuron inside the chosen layer (Python does the same when it hears of it).
  model.on("change:layer", () => {
    const most = sizes[model.get("layer")] - 1;
    if (model.get("neuron") > most) setTrait(model, "neuron", most);
  });
  redrawOn(model, ["example", "layer", "neuron"], el, draw);
  // For the browser tests: the avenues and row j of Hebb's update, as just drawn.
  el.backprop = { drawn: () => ({
    desired: Array.from(drawn.desired), bias: drawn.push,
    weights: Array.from(drawn.before, (v) => drawn.push * v),
    wish_parts: Array.from(drawn.weightsRow, (v) => drawn.push * v),
    hebbian_row: Array.from(drawn.before, (v) => drawn.activation * v),
  }) };
  return () => {};
}

export default { render };
