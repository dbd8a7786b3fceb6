// stepper.js: chapter 4, one example's wishes walked back from the outputs to the pixels.
//
// Python (stepper.py) sends per example and layer l the activations a{l}, the summed
// wishes wish{l} (-dC/da), for l >= 1 the pushes push{l} (f'(z) x wishes) and minus
// backprop's error term minus_delta{l}, the largest gap between those two, and one
// scale per layer. This module draws one column per layer (pixels on the left,
// outputs on the right) and reveals them from the right, one per step.

const TW = 980, TH = 430;
const COL_X = [20, 270, 500, 730], COL_W = 220;
const WISHES_Y = 80, CHECK_Y = 270, PANEL_H = 140;
// On a phone the four columns stack, pixels first.
const STEPPER_PANELS = [[0, 245], [245, 230], [475, 230], [705, 275]].map(([x, w]) => ({ x, y: 0, w, h: TH }));

function render({ model, el }) {
  const data = model.get("data"), limits = data.limits, depth = data.sizes.length - 1;
  const packed = {};
  for (const [name, value] of Object.entries(data)) if (value && value.shape) packed[name] = unpack(value);

  const message = captionAndMessage(el, model);
  const bar = controlRow(el);
  choice(bar, model, "example", "image", data.labels.map((d, i) => [i, `image ${i}: a ${d}`]));
  slider(bar, model, "step", "steps back", 0, depth, (s) => `${s}: ${data.step_names[s]}`);
  const pad = canvas(el, TW, TH, { panels: STEPPER_PANELS });
  const notes = document.createElement("p");  // what the reached layer did, and the key
  notes.className = "bp-caption";
  notes.style.cssText = "font:" + FONT + ";margin:4px 0";
  el.append(notes, message);

  // Layer 0: the image, and at the last step what the pixels are asked to do.
  function drawPixels(ctx, i, reached) {
    const side = 150, x = COL_X[0] + 20;
    text(ctx, `layer 0: image ${i}, a ${data.labels[i]}`, COL_X[0], 40, { bold: true });
    heatmap(ctx, row(packed.a0, i), 28, 28, { x, y: WISHES_Y - 10, w: side, h: side }, inkRGB);
    text(ctx, "wishes for the pixels", COL_X[0], CHECK_Y - 16, { bold: true });
    if (reached) {
      heatmap(ctx, row(packed.wish0, i), 28, 28, { x, y: CHECK_Y, w: side, h: side },
              (v) => signedRGB(v, limits.wish0));
    } else {
      text(ctx, "not reached yet", x + side / 2, CHECK_Y + side / 2, { align: "center", colour: "faint" });
    }
  }

  // Layer l >= 1: its summed wishes, then the check f'(z) x wishes = -delta (bars vs dots).
  function drawLayer(ctx, l, i, reached) {
    const x = COL_X[l], n = data.sizes[l];
    text(ctx, l === depth ? `layer ${l}: outputs` : `layer ${l}`, x, 40, { bold: true });
    text(ctx, "wishes (-dC/da)", x, WISHES_Y - 16, { size: 12 });
    text(ctx, "push = f'(z) \u00d7 wish; dots: \u2212\u03b4", x, CHECK_Y - 16, { size: 12 });
    if (!reached) {
      for (const y of [WISHES_Y, CHECK_Y]) text(ctx, "not reached yet", x + COL_W / 2, y + PANEL_H / 2, { align: "center", colour: "faint" });
      return;
    }
    bars(ctx, row(packed[`wish${l}`], i), { x, y: WISHES_Y, w: COL_W, h: PANEL_H }, limits[`wish${l}`],
         { labels: n <= 10 ? [...Array(n).keys()].map(String) : null });
    const box = { x, y: CHECK_Y, w: COL_W, h: PANEL_H }, limit = limits[`check${l}`];
    bars(ctx, row(packed[`push${l}`], i), box, limit);
    const dots = row(packed[`minus_delta${l}`], i);
    for (let j = 0; j < n; j++) {
      dot(ctx, x + (j + 0.5) * COL_W / n, box.y + box.h / 2 - (dots[j] / limit) * box.h / 2, INK, 3.5);
    }
  }

  let drawn = {};
  function draw() {
    const i = model.get("example"), step = model.get("step"), reachedFrom = depth - step;
    const ctx = pad.ctx;
    clear(pad);
    // The layer this step reached, lightly shaded; arrows show the walk's direction.
    ctx.fillStyle = THEME.shade;
    ctx.fillRect(COL_X[reachedFrom] - 10, 24, COL_W + 20, TH - 30);
    for (let l = 1; l <= depth; l++) text(ctx, "\u2190", COL_X[l] - 22, 40, { colour: "faint", size: 18 });
    drawPixels(ctx, i, reachedFrom === 0);
    drawn = { example: i, reachedFrom };
    for (let l = 1; l <= depth; l++) drawLayer(ctx, l, i, l >= reachedFrom);
    const said = note(reachedFrom, row(packed.gaps, i));
    notes.textContent = said + " Blue: wished up, red: wished down. Each layer keeps one scale for every image.";
    message.textContent = "";
    const a3 = row(packed.a3, i), guess = a3.indexOf(Math.max(...a3));
    const largestWish = (l) => { const w = row(packed[`wish${l}`], i); let k = 0;
      for (let j = 1; j < w.length; j++) if (Math.abs(w[j]) > Math.abs(w[k])) k = j; return [k, w[k]]; };
    const reached = [...Array(depth + 1).keys()].filter((l) => l >= reachedFrom && l > 0).reverse()
      .map((l) => { const [k, v] = largestWish(l); return `layer ${l}, largest wish ${short(v)} at neuron ${k}`; });
    describe(pad, `Stepper, image ${i} (a ${data.labels[i]}), network's guess ${guess}, ` +
      `${model.get("step")} steps back: ${data.step_names[model.get("step")]}. Reached: ${reached.join("; ")}` +
      `${reachedFrom === 0 ? "; and the pixels" : ""}. ${said}`);
  }

  // What the reached layer did, in words, with the check's largest gap (from Python).
  function note(l, gaps) {
    if (l === 0) return "Layer 0: the wishes reach the pixels. Pixels are data, not parameters, so the walk stops here.";
    const what = l === depth ? "Output layer: each neuron's wish is 2 x (target - activation)."
      : `Layer ${l}: each neuron adds up layer ${l + 1}'s pushes, weighted by its connections.`;
    const gap = gaps[l - 1] === 0 ? "0 (they agree exactly)" : gaps[l - 1].toExponential(1);
    return `${what} Largest gap between bars and dots: ${gap}.`;
  }

  redrawOn(model, ["example", "step"], el, draw);
  // For the browser tests: each reached layer's wishes as drawn ({layer: [...]}).
  el.backprop = { drawn: () => Object.fromEntries([...Array(depth + 1).keys()]
    .filter((l) => l >= drawn.reachedFrom).map((l) => [l, Array.from(row(packed[`wish${l}`], drawn.example))])) };
  return () => {};
}

export default { render };
