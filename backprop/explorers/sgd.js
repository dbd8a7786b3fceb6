// sgd.js: chapter 6, gradient descent and mini-batch SGD walking down a cost surface.
//
// Python (sgd.py) computed every walk for every learning rate of the grid, batch size
// and seed, as [x, y, cost] per step (NaN after a walk blew up), the cost surface as
// shade bands and the axis ranges. This module picks the walk the controls name, cuts
// it to `steps`, and draws it; the play button walks `steps` up to the end.

const GW = 900, GH = 470;
const SURFACE = { x: 70, y: 66, w: 300, h: 320 };
const COSTS = { x: 545, y: 66, w: 320, h: 320 };
const TICK_MS = 90;  // one step per tick while playing
// On a phone the surface and the cost plot stack.
const SGD_PANELS = [{ x: 5, y: 0, w: 390, h: GH }, { x: 480, y: 0, w: 390, h: GH }];

// Which walk is which (not up / down): gradient descent in ink, SGD in orange. On the
// surface (always light) they are dark; on the cost plot they follow the page's theme.
const ON_SURFACE = { gd: "#111111", sgd: "#a6520f" };
const walkColours = () => ({ gd: INK, sgd: THEME.b });

// The cost surface's shade: darker green where the cost is lower (shade 0 = lowest),
// light enough that both walks and their labels stay readable on it.
const green = (v) => [Math.round(120 + 127 * v), Math.round(190 + 62 * v), Math.round(115 + 130 * v)];

// The surface as a small image, painted once per problem.
function surfaceImage(problem) {
  const shade = unpack(problem.shade), n = shade.shape[0];
  const flipped = new Float32Array(n * n);  // row 0 of the grid is the lowest y: draw it last
  for (let i = 0; i < n; i++) flipped.set(row(shade, n - 1 - i), i * n);
  return gridImage(flipped, n, n, green);
}

// A colour key under the surface: "lower cost" (dark) to "higher cost" (light).
function surfaceKey(ctx, box) {
  const key = { x: box.x + 80, y: box.y + box.h + 40, w: box.w - 170, h: 10 };
  const steps = 20;
  for (let k = 0; k < steps; k++) {
    ctx.fillStyle = css(green(k / (steps - 1)));
    ctx.fillRect(key.x + (k * key.w) / steps, key.y, key.w / steps + 0.5, key.h);
  }
  ctx.strokeStyle = FAINT;
  ctx.lineWidth = 0.5;
  ctx.strokeRect(key.x, key.y, key.w, key.h);
  text(ctx, "lower cost", key.x - 6, key.y + 5, { align: "right", size: 11, colour: "muted" });
  text(ctx, "higher cost", key.x + key.w + 6, key.y + 5, { size: 11, colour: "muted" });
}

// Rows [x, y, cost] of one walk, as a Float32Array view (no copy).
function walkRows(problem, kind, rate, b, seed, steps) {
  const width = steps * 3;
  if (kind === "gd") return problem.gdValues.subarray(rate * width, (rate + 1) * width);
  const start = ((rate * 3 + b) * problem.seeds + seed) * width;
  return problem.sgdValues.subarray(start, start + width);
}

function render({ model, el }) {
  const data = model.get("data"), maxSteps = data.max_steps, length = maxSteps + 1;
  const problems = {};
  for (const p of data.problems) {
    problems[p.name] = { ...p, image: surfaceImage(p), rates: unpack(p.rates).values,
                         gdValues: unpack(p.gd).values, sgdValues: unpack(p.sgd).values, seeds: data.seeds };
  }
  const xs = new Float64Array(length), ys = new Float64Array(length);  // reused at every redraw
  let timer = null;

  const message = captionAndMessage(el, model);
  const bar = controlRow(el);
  if (data.problems.length > 1) choice(bar, model, "problem", "cost", data.problems.map((p) => [p.name, p.name]));
  choice(bar, model, "batch_size", "batch size", data.batch_sizes.map((b) => [b, b ? String(b) : "all"]));
  const rateSlider = slider(bar, model, "rate", "learning rate", 0, 1, (r) => short(problems[model.get("problem")].rates[r]));
  const seedSlider = slider(bar, model, "seed", "seed", 0, data.seeds - 1);
  slider(bar, model, "steps", "steps", 1, maxSteps);
  const play = button(bar, "play", "play", () => (timer ? stop() : start()));
  const pad = canvas(el, GW, GH, { panels: SGD_PANELS });
  el.appendChild(message);

  // Play: one step at once (from step 1 again if at the end), then one per tick.
  function start() {
    const advance = () => {
      const next = model.get("steps") + 1;
      if (next > maxSteps) stop(); else setTrait(model, "steps", next);
    };
    play.textContent = "pause";
    timer = setInterval(advance, TICK_MS);
    if (model.get("steps") >= maxSteps) setTrait(model, "steps", 1); else advance();
  }
  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "play";
  }

  // One walk on both panels; returns the step it blew up at (or -1).
  function drawWalk(ctx, p, rows, steps, batch, diverged, which, surface, costs) {
    const colour = walkColours()[which];
    let count = 0;
    for (let i = 0; i <= steps && Number.isFinite(rows[3 * i + 2]); i++, count++) {
      xs[i] = rows[3 * i];
      ys[i] = rows[3 * i + 1];
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(SURFACE.x, SURFACE.y, SURFACE.w, SURFACE.h);
    ctx.clip();
    polyline(ctx, xs, ys, count, surface, ON_SURFACE[which], { width: 2 });
    dot(ctx, surface.x(xs[count - 1]), surface.y(ys[count - 1]), ON_SURFACE[which], 4.5);
    ctx.restore();
    // Cost against examples processed (from the first step: log axis).
    for (let i = 1; i < count; i++) { xs[i - 1] = batch * i; ys[i - 1] = rows[3 * i + 2]; }
    ctx.save();
    ctx.beginPath();
    ctx.rect(COSTS.x, COSTS.y, COSTS.w, COSTS.h);
    ctx.clip();
    polyline(ctx, xs, ys, count - 1, costs, colour, { width: 2 });
    if (count > 1) dot(ctx, costs.x(xs[count - 2]), costs.y(ys[count - 2]), colour, 4);
    ctx.restore();
    drawn[which] = rows.subarray(0, 3 * count);
    return diverged > 0 && diverged <= steps ? diverged : -1;
  }

  let drawn = {};
  function draw() {
    const p = problems[model.get("problem")], steps = model.get("steps"), seed = model.get("seed");
    const batchChoice = model.get("batch_size"), b = data.batch_sizes.indexOf(batchChoice);
    const rate = Math.min(model.get("rate"), p.rates.length - 1), n = p.n_examples;
    rateSlider.max = p.rates.length - 1;  // this problem's grid (set max before value)
    rateSlider.value = rate;
    readout(rateSlider, short(p.rates[rate]));  // this problem's rate
    // With all examples in every step there is nothing random: the seed cannot matter.
    seedSlider.disabled = !batchChoice || batchChoice >= n;
    seedSlider.title = seedSlider.disabled ? "every step uses all examples: no randomness, so no seed" : "";
    const ctx = pad.ctx;
    clear(pad);
    const { gd: GD_COLOUR, sgd: SGD_COLOUR } = walkColours();
    const [x0, x1, y0, y1] = p.extent;
    drawImageIn(ctx, p.image, SURFACE, true);
    const surface = plotAxes(ctx, SURFACE, [x0, x1], [y0, y1], { xName: p.axes[0], yName: p.axes[1] });
    const costs = plotAxes(ctx, COSTS, [1, 2 * maxSteps * n], p.cost_limits,
                           { xName: "examples processed (log scale)", yName: "cost of all the examples", logX: true, logY: p.log_cost });
    const start = walkRows(p, "gd", rate, 0, 0, length);
    dot(ctx, surface.x(start[0]), surface.y(start[1]), "white", 5);
    text(ctx, "start", surface.x(start[0]) + 8, surface.y(start[1]), { size: 12, colour: "#000000" });  // on the light surface
    surfaceKey(ctx, SURFACE);
    const sgdBatch = batchChoice && batchChoice < n ? batchChoice : n;
    const gdStop = drawWalk(ctx, p, walkRows(p, "gd", rate, 0, 0, length), steps, n,
                            p.gd_diverged[rate], "gd", surface, costs);
    if (sgdBatch === n) drawn.sgd = drawn.gd;
    const sgdStop = sgdBatch === n ? gdStop
      : drawWalk(ctx, p, walkRows(p, "sgd", rate, b, seed, length), steps, sgdBatch,
                 p.sgd_diverged[rate][b][seed], "sgd", surface, costs);

    const sgdName = sgdBatch === n ? "SGD with all examples (= gradient descent)" : `SGD, batch ${sgdBatch}`;
    text(ctx, `rate ${short(p.rates[rate])}, ${steps} steps, seed ${seed}`, SURFACE.x, 20, { bold: true });
    text(ctx, "\u2014 full-batch gradient descent", COSTS.x - 40, 14, { colour: GD_COLOUR, size: 12 });
    text(ctx, `\u2014 ${sgdName}`, COSTS.x - 40, 30, { colour: SGD_COLOUR, size: 12, bold: true });
    const notes = [];
    if (gdStop > 0) notes.push(`Gradient descent diverged at step ${gdStop}`);
    if (sgdStop > 0 && sgdBatch !== n) notes.push(`SGD diverged at step ${sgdStop}`);
    // The cost plot ends where a walk flew out: say so inside it.
    notes.forEach((line, k) => text(ctx, `${line}: its costs end there`, COSTS.x + 8,
      COSTS.y + COSTS.h - 14 - 16 * k, { colour: "down", size: 11 }));
    if (notes.length) {
      const words = notes.join("; ") + ": the learning rate is too large. Try a smaller one.";
      const lines = [...notes, "The learning rate is too large: try a smaller one."];
      ctx.fillStyle = "rgba(255,255,255,0.95)";  // a light note box on the light surface
      ctx.fillRect(SURFACE.x + 4, SURFACE.y + SURFACE.h - 8 - 18 * lines.length, SURFACE.w - 8, 18 * lines.length + 4);
      lines.forEach((line, k) => text(ctx, line, SURFACE.x + 10, SURFACE.y + SURFACE.h - 15 - 18 * (lines.length - 1 - k),
                                       { colour: PALETTES.light.down, bold: true, size: 12 }));
      message.textContent = words;
    } else {
      message.textContent = resetNote;
    }
    const last = (walk) => walk.length >= 3 ? short(walk[walk.length - 1]) : "none";
    const batchWords = sgdBatch === n ? "all examples (plain gradient descent)" : `batches of ${sgdBatch}`;
    describe(pad, `SGD explorer, ${model.get("problem")}: learning rate ${short(p.rates[rate])}, ${batchWords}, ` +
      `seed ${seed}, ${steps} steps. Cost after the walk: gradient descent ${last(drawn.gd)}` +
      (sgdBatch === n ? "" : `, SGD ${last(drawn.sgd)}`) + ". " + (notes.length ? message.textContent
        : "Neither walk diverged.") + (batchChoice === 0 || sgdBatch === n ? " The seed changes nothing with all examples in each step." : ""));
  }

  // A new problem starts at its usual learning rate (Python does the same when told).
  // ... and says so, with the range of this problem's rates, until another control moves.
  let resetNote = "", resetting = false;
  model.on("change:problem", () => {
    const p = problems[model.get("problem")];
    resetting = true;
    setTrait(model, "rate", p.usual);
    resetting = false;
    resetNote = `Learning rate reset to ${short(p.rates[p.usual])}, this cost's usual value ` +
      `(its slider runs from ${short(p.rates[0])} to ${short(p.rates[p.rates.length - 1])}).`;
  });
  for (const name of ["batch_size", "rate", "seed", "steps"]) {
    model.on(`change:${name}`, () => { if (!resetting) resetNote = ""; });
  }
  redrawOn(model, ["problem", "batch_size", "rate", "seed", "steps"], el, draw);
  // For the browser tests: both walks as drawn, [x, y, cost] per point, and the message.
  el.backprop = { drawn: () => ({ gd: Array.from(drawn.gd), sgd: Array.from(drawn.sgd),
                                  message: message.textContent }) };
  return () => stop();
}

export default { render };
