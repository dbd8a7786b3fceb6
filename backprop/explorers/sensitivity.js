// sensitivity.js: chapter 2, two parameters wiggled by the same amount.
//
// Python (sensitivity.py) measured the cost change of every offered parameter at
// every wiggle of the grid (`curves`), and sends each one's gradient component
// (`slopes`) and |dC/dw| of every layer (`heat`). This module only draws: the
// curves with their tangents (slope x wiggle), a dot at the current wiggle, bars
// of both changes, and A's layer as a heatmap with A marked. Colour here says which
// parameter (A purple, B orange), never up or down: a change of the cost is a plain
// signed number, not a wish.

const SW = 980, SH = 400;
const HEAT = { x: 20, y: 66, w: 250, h: 250 };
const CURVES = { x: 375, y: 66, w: 275, h: 250 };
const BARS = { x: 720, y: 66, w: 240, h: 250 };
// On a phone the three parts stack: heatmap, curves, bars.
const SENSITIVITY_PANELS = [{ x: 0, y: 0, w: 305, h: 362 }, { x: 305, y: 0, w: 370, h: SH },
                            { x: 680, y: 0, w: 300, h: SH }];

// Magma, as chapter 2's Fig. 6 draws sensitivities: dark for 0, brighter for more.
const MAGMA = [[0, 0, 4], [81, 18, 124], [183, 55, 121], [252, 137, 97], [252, 253, 191]];
function magmaRGB(t) {
  const s = Math.max(0, Math.min(1, t)) * (MAGMA.length - 1), i = Math.min(Math.floor(s), MAGMA.length - 2);
  return MAGMA[i].map((c, k) => Math.round(c + (MAGMA[i + 1][k] - c) * (s - i)));
}

// |dC/dw| of one layer as an image: rows x cols, or for the pixels a mosaic of tiles.
function layerImage(heat) {
  const [rows, cols] = heat.shape, values = heat.values;
  let limit = 1e-30;
  for (const v of values) limit = Math.max(limit, v);
  const shade = (v) => magmaRGB(Math.sqrt(v / limit));  // sqrt: small values stay visible
  if (cols !== 784) return { image: gridImage(values, rows, cols, shade), rows, cols, tiles: 0 };
  // The pixels' weights: one 28 x 28 tile per neuron, `tiles` tiles a row (4 x 4 for 16 neurons).
  const tiles = Math.ceil(Math.sqrt(rows));
  const wide = tiles * 29 - 1, high = Math.ceil(rows / tiles) * 29 - 1;
  const mosaic = new Float32Array(wide * high).fill(NaN);
  for (let j = 0; j < rows; j++) for (let k = 0; k < 784; k++) {
    const [r, c] = tileCell(j, k, tiles);
    mosaic[r * wide + c] = values[j * 784 + k];
  }
  const paint = (v) => (Number.isNaN(v) ? [136, 136, 136] : shade(v));  // grey gaps between tiles
  return { image: gridImage(mosaic, high, wide, paint), rows: high, cols: wide, tiles };
}

// Row and column of weight k -> j of layer 1 in the mosaic.
function tileCell(j, k, tiles) {
  return [Math.floor(j / tiles) * 29 + Math.floor(k / 28), (j % tiles) * 29 + (k % 28)];
}

// Outline A in its heatmap: the weight's cell, or the bias's whole neuron (row or tile).
function markA(ctx, layer, [j, k]) {
  const sx = HEAT.w / layer.cols, sy = HEAT.h / layer.rows;
  let r, c, h, w;
  if (layer.tiles) {
    [r, c] = tileCell(j, Math.max(k, 0), layer.tiles);
    [h, w] = k >= 0 ? [1, 1] : [28, 28];
  } else {
    [r, c, h, w] = k >= 0 ? [j, k, 1, 1] : [j, 0, 1, layer.cols];
  }
  const pad = k >= 0 ? 3 : 1;
  for (const [colour, width] of [["#000", 4], ["#fff", 2]]) {  // seen on dark and bright cells
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.strokeRect(HEAT.x + c * sx - pad, HEAT.y + r * sy - pad, w * sx + 2 * pad, h * sy + 2 * pad);
  }
}

function render({ model, el }) {
  const data = model.get("data");
  const wiggles = unpack(data.wiggles).values, slopes = unpack(data.slopes).values;
  const curves = unpack(data.curves);
  const layers = data.heat.map((packed) => layerImage(unpack(packed)));  // painted once
  const n = wiggles.length, range = wiggles[n - 1];
  const tangents = Array.from(slopes, (g) => [g * wiggles[0], g * range]);

  const message = captionAndMessage(el, model);
  const bar = controlRow(el);
  const options = (data.names || data.labels).map((words, i) => [i, words]);
  choice(bar, model, "a", "A", options);
  choice(bar, model, "b", "B", options);
  const signed = (v) => (v >= 0 ? "+" : "") + v.toFixed(3);
  slider(bar, model, "wiggle", "wiggle both by", 0, n - 1, (i) => signed(wiggles[i]));
  const pad = canvas(el, SW, SH, { panels: SENSITIVITY_PANELS });
  el.appendChild(message);

  let drawn = {};
  function draw() {
    const a = model.get("a"), b = model.get("b"), i = model.get("wiggle"), w = wiggles[i];
    const ctx = pad.ctx;
    clear(pad);
    const layer = data.layers[a], colourA = THEME.a, colourB = THEME.b;
    drawImageIn(ctx, layers[layer - 1].image, HEAT);
    markA(ctx, layers[layer - 1], data.cells[a]);
    text(ctx, `|dC/dw|, weights of layer ${layer}`, HEAT.x, 24, { bold: true });
    text(ctx, data.cells[a][1] >= 0 ? "A's cell outlined" : "A is a bias: its neuron's weights outlined",
         HEAT.x, 44, { size: 11, colour: "muted" });
    text(ctx, layer === 1 ? "one 28 x 28 tile per neuron;" : "row = neuron, column = input;",
         HEAT.x, HEAT.y + HEAT.h + 14, { size: 11, colour: "muted" });
    text(ctx, "brighter = more sensitive", HEAT.x, HEAT.y + HEAT.h + 29, { size: 11, colour: "muted" });

    // Curves: measured change (solid), the gradient's prediction (dashed), the dots.
    const rowA = row(curves, a), rowB = row(curves, b);
    const limit = 1.1 * largest([rowA, rowB, tangents[a], tangents[b]]);
    const map = plotAxes(ctx, CURVES, [wiggles[0], range], [-limit, limit],
                         { xName: "wiggle", yName: "change of the cost" });
    for (const [which, values, colour] of [[a, rowA, colourA], [b, rowB, colourB]]) {
      polyline(ctx, [wiggles[0], range], tangents[which], 2, map, colour, { width: 1.5, dash: [5, 4] });
      polyline(ctx, wiggles, values, n, map, colour);
      dot(ctx, map.x(w), map.y(values[i]), colour);
    }
    text(ctx, "A", CURVES.x + 8, CURVES.y + 12, { colour: "a", bold: true });
    text(ctx, "B", CURVES.x + 24, CURVES.y + 12, { colour: "b", bold: true });
    text(ctx, "solid: measured; dashed: dC/dp x wiggle", CURVES.x + 40, CURVES.y + 12, { size: 11, colour: "muted" });
    text(ctx, "Measured vs predicted", CURVES.x, 24, { bold: true });

    // Bars: both changes at this wiggle, and how many times more A moves the cost.
    const measured = [rowA[i], rowB[i]], predicted = [slopes[a] * w, slopes[b] * w];
    drawn = { wiggle: w, measured, predicted };
    // Bars on their own scale (the largest of the four), each with its value.
    const four = [measured[0], predicted[0], measured[1], predicted[1]];
    const barLimit = 1.25 * largest([four]), format = formatFor(four);  // one format for the panel
    bars(ctx, four, BARS, barLimit, { labels: ["A meas.", "A pred.", "B meas.", "B pred."],
                                      colours: [colourA, colourA, colourB, colourB] });
    four.forEach((v, k) => text(ctx, format(v), BARS.x + (k + 0.5) * BARS.w / 4,
      BARS.y + BARS.h / 2 - (v / barLimit) * BARS.h / 2 + (v >= 0 ? -9 : 9), { align: "center", size: 11 }));
    text(ctx, "Both changes of the cost", BARS.x, 24, { bold: true });
    text(ctx, "A's bars purple, B's orange; up = the cost rises", BARS.x, 44, { size: 11, colour: "muted" });
    const notes = ratioNotes(measured, predicted, slopes[a], slopes[b]);
    notes.forEach((line, k) => text(ctx, line, BARS.x, BARS.y + BARS.h + 34 + 16 * k, { size: 12 }));
    const slopeFormat = formatFor([slopes[a], slopes[b]]);
    text(ctx, `A = ${data.labels[a]}: dC/dp = ${slopeFormat(slopes[a])}`, CURVES.x, SH - 28, { colour: "a", size: 12 });
    text(ctx, `B = ${data.labels[b]}: dC/dp = ${slopeFormat(slopes[b])}`, CURVES.x, SH - 10, { colour: "b", size: 12 });
    message.textContent = a === b ? "A and B are the same parameter: choose a different B." : "";
    describe(pad, `Sensitivity explorer. A: ${options[a][1]}, dC/dp ${short(slopes[a])}. ` +
      `B: ${options[b][1]}, dC/dp ${short(slopes[b])}. Wiggling both by ${signed(w)} changes the cost ` +
      `by ${short(measured[0])} for A (dC/dp times wiggle predicts ${short(predicted[0])}) and by ` +
      `${short(measured[1])} for B (predicted ${short(predicted[1])}). ${notes.join(" ")}`);
  }

  redrawOn(model, ["a", "b", "wiggle"], el, draw);
  el.backprop = { drawn: () => drawn };  // for the browser tests: the numbers just drawn
  return () => {};
}

// The ratio of the two changes in words (or why there is none).
function ratioNotes(measured, predicted, slopeA, slopeB) {
  if (predicted[0] === 0 && predicted[1] === 0 && slopeA !== 0) return ["No wiggle, no change:", "move the wiggle slider."];
  if (slopeB === 0) return ["B does not move the cost at all", "(its dC/dp is exactly zero)."];
  if (measured[1] === 0) return ["B's measured change is zero here."];
  const ratio = measured[0] / measured[1];
  return [`A moves the cost ${short(Math.abs(ratio))} times as much as B`,
          ratio < 0 ? "(in the opposite direction);" : "(in the same direction);",
          `the gradient predicts ${short(Math.abs(slopeA / slopeB))} times.`];
}

export default { render };
