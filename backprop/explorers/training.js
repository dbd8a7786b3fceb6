// training.js: chapter 7, the digit network learning in the reader's browser.
//
// Python (training.py) sends the settings offered and the data file (or where to
// fetch it): MNIST images as bytes, each seed's starting parameters and each epoch's
// shuffled order. trainer.js takes the steps, exactly as backprop.sgd does; this
// module runs them in small time slices (never more than SLICE_MS of training per
// frame, so the page stays responsive) and draws as it goes: the cost of every step
// and its running average, the test accuracy, the first layer's 16 neurons' weights
// as 28 x 28 images, and the last step's weight changes on the network's wiring.

const TW = 720, TH = 545;
const COST_BOX = { x: 52, y: 40, w: 280, h: 140 };
const ACCURACY_BOX = { x: 420, y: 40, w: 280, h: 140 };
const WEIGHTS_AT = { x: 12, y: 262, size: 58, gap: 6 };   // 4 x 4 images of 28 x 28 weights
const WIRING = { columns: [400, 520, 640], top: 268, bottom: 530 };
// On a phone the four parts stack: the two plots, the weight images, the wiring.
const TRAINING_PANELS = [{ x: 0, y: 0, w: 360, h: 235 }, { x: 360, y: 0, w: 360, h: 235 },
                         { x: 0, y: 235, w: 300, h: TH - 235 }, { x: 330, y: 235, w: 390, h: TH - 235 }];
const SLICE_MS = 12;        // training time per animation frame
const DRAW_EVERY_MS = 40;   // redraw while playing at about 25 frames per second
const BLUE_RGB = [33, 102, 172], RED_RGB = [178, 24, 43];  // signedRGB's (common.js) ends
const SPEAK_EVERY_MS = 4000;  // the live region's words while playing, at most this often

// The data file's arrays by name: gunzip, then cut the bytes as the layout says.
async function unpackDataFile(bytes, layout) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const raw = await new Response(stream).arrayBuffer();
  const kinds = { "<f8": Float64Array, "<u2": Uint16Array, "|u1": Uint8Array };
  const arrays = {};
  let start = 0;
  for (const [name, dtype, shape] of layout) {
    const Kind = kinds[dtype], count = shape.reduce((a, b) => a * b, 1);
    arrays[name] = new Kind(raw.slice(start, start + count * Kind.BYTES_PER_ELEMENT));
    start += count * Kind.BYTES_PER_ELEMENT;
  }
  return arrays;
}

// The file's bytes: carried by the widget (Jupyter, a standalone page) or fetched
// from beside the page (the book), the first time the explorer is used or seen.
async function loadData(data) {
  let bytes;
  if (data.bundle) {
    const view = data.bundle;
    bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  } else {
    const answer = await fetch(new URL(data.url, document.baseURI));
    if (!answer.ok) throw new Error(`could not load the images (${answer.status})`);
    bytes = await answer.arrayBuffer();
  }
  const arrays = await unpackDataFile(bytes, data.layout);
  return {
    arrays,
    train: examples(arrays.train_images, arrays.train_labels),
    test: examples(arrays.test_images, arrays.test_labels),
  };
}

const thousands = (n) => n.toLocaleString("en-US");
const percent = (a) => `${(100 * a).toFixed(1)}%`;

function render({ model, el }) {
  const data = model.get("data");
  const sizes = data.sizes, n = data.n_train;
  let loaded = null, loading = null, run = null, frame = null, playing = false, measureDue = false;
  let costs = [], running = [], evaluated = [], scores = [], lastRate = null, spokenAt = 0;
  const stats = { trainMs: 0, images: 0, wallStart: 0, wallImages: 0, longestMs: 0, slices: 0 };

  // ----- controls --------------------------------------------------------------
  const message = captionAndMessage(el, model);
  const bar = controlRow(el);
  const play = button(bar, "play", "play", () => (playing ? pause() : start()));
  button(bar, "one_step", "one step", async () => {
    pause();
    if (await ready()) { if (oneStep()) evaluate(); update(); }
  });
  button(bar, "reset", "reset", () => { reset(); update(); });
  choice(bar, model, "learning_rate", "learning rate", data.rates);
  choice(bar, model, "batch_size", "batch size", data.batch_sizes);
  choice(bar, model, "seed", "seed", data.seeds.map((s) => [s, String(s)]));
  const status = document.createElement("div");  // the numbers now, in words
  status.style.cssText = "font:14px system-ui, sans-serif;margin:2px 0;font-variant-numeric:tabular-nums";
  el.appendChild(status);
  const figure = canvas(el, TW, TH, { panels: TRAINING_PANELS });
  el.appendChild(message);

  // ----- the run ---------------------------------------------------------------
  async function ready() {
    if (loaded) return true;
    message.textContent = `Loading ${thousands(n)} training and ${thousands(data.n_test)} test images\u2026`;
    loading = loading || loadData(data);
    try {
      loaded = await loading;
    } catch (error) {
      message.textContent = `The images could not be loaded: ${error.message}`;
      return false;
    }
    message.textContent = "";
    if (!run) reset();
    return true;
  }

  // Back to the untrained network of this seed: Network(seed), step 0.
  function reset() {
    costs = []; running = []; evaluated = []; scores = []; lastRate = null; measureDue = false;
    if (!loaded) { update(); return; }
    const s = model.get("seed"), a = loaded.arrays;
    run = newRun(sizes, [1, 2, 3].map((l) => a[`W${l}_${s}`]), [1, 2, 3].map((l) => a[`b${l}_${s}`]),
                 [...Array(a[`orders_${s}`].length / n).keys()].map((e) => a[`orders_${s}`].subarray(e * n, (e + 1) * n)));
    evaluate();
  }

  function evaluate() {
    evaluated.push(run.step);
    scores.push(accuracyOf(run.net, loaded.test));
  }

  // One step of sgd, keeping the cost, its running average and the weight changes.
  function oneStep() {
    const rate = model.get("learning_rate"), before = Math.floor(run.seen / data.eval_every);
    const cost = trainStep(run, loaded.train, rate, model.get("batch_size"));
    costs.push(cost);
    let sum = 0, count = 0;
    for (let i = costs.length - 1; i >= 0 && count < data.running; i--, count++) sum += costs[i];
    running.push(sum / count);
    lastRate = rate;  // the last step changed each weight by -rate * run.grad (sgd_step)
    return Math.floor(run.seen / data.eval_every) > before;  // time to measure the accuracy
  }

  // One animation frame while playing does one kind of work, so that no frame blocks
  // the page for long: measure the test accuracy when it is due, else redraw when
  // DRAW_EVERY_MS have passed since the last drawing, else train for SLICE_MS.
  let drawnAt = 0;
  function slice() {
    const begin = performance.now();
    let images = 0;
    if (measureDue) {
      evaluate();
      measureDue = false;
    } else if (begin - drawnAt >= DRAW_EVERY_MS) {
      update();
      drawnAt = performance.now();
    } else {
      while (!measureDue && performance.now() - begin < SLICE_MS) {
        const seen = run.seen;
        measureDue = oneStep();
        images += run.seen - seen;
      }
      stats.trainMs += performance.now() - begin;
    }
    const end = performance.now();
    stats.images += images;
    stats.wallImages += images;
    stats.longestMs = Math.max(stats.longestMs, end - begin);
    stats.slices += 1;
    if (playing) frame = requestAnimationFrame(slice);
  }

  async function start() {
    playing = true;
    play.textContent = "pause";
    if (!(await ready()) || !playing) return pause();
    stats.wallStart = performance.now();
    stats.wallImages = 0;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(slice);
  }

  function pause() {
    playing = false;
    play.textContent = "play";
    cancelAnimationFrame(frame);
    if (measureDue) { evaluate(); measureDue = false; }
    if (run) update();
  }

  // ----- the picture -----------------------------------------------------------
  // A plot frame for steps 0..xEnd and y in 0..yTop, three ticks on each axis
  // (`yWords` writes a y value); returns the mapping from data to canvas.
  function axes(ctx, box, xEnd, yTop, yWords, yName) {
    const map = { x: (v) => box.x + (v / xEnd) * box.w, y: (v) => box.y + box.h - (v / yTop) * box.h };
    ctx.strokeStyle = FAINT;
    ctx.lineWidth = 1;
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    for (const f of [0, 0.5, 1]) {
      text(ctx, thousands(f * xEnd), map.x(f * xEnd), box.y + box.h + 10, { align: "center", size: 11, colour: "muted" });
      text(ctx, yWords(f * yTop), box.x - 4, map.y(f * yTop), { align: "right", size: 11, colour: "muted" });
    }
    text(ctx, "step", box.x + box.w / 2, box.y + box.h + 26, { align: "center", size: 12 });
    text(ctx, yName, box.x, box.y - 10, { size: 12 });
    return map;
  }

  // The steps the plots span: 100, 200, 400, ... (doubling as the run grows).
  const plotEnd = () => 100 * 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(costs.length, 1) / 100)));

  function costPlot(ctx) {
    let top = 1;
    for (const c of running) top = Math.max(top, c);
    top = Math.ceil(top * 2) / 2;
    const map = axes(ctx, COST_BOX, plotEnd(), top, (v) => v.toFixed(2), "cost of each step's batch");
    const every = Math.max(1, Math.ceil(costs.length / 700));  // at most ~700 points drawn
    const xs = [], ys = [], avg = [];
    for (let i = 0; i < costs.length; i += every) { xs.push(i + 1); ys.push(Math.min(costs[i], top)); avg.push(running[i]); }
    polyline(ctx, xs, ys, xs.length, map, themed("faint"), { width: 0.7 });
    polyline(ctx, xs, avg, xs.length, map, INK, { width: 2 });
    text(ctx, `thin: each step; thick: average of the last ${data.running}`, COST_BOX.x, COST_BOX.y + COST_BOX.h + 44, { size: 11, colour: "muted" });
    return map;
  }

  function accuracyPlot(ctx, xEnd) {
    const map = axes(ctx, ACCURACY_BOX, xEnd, 1, (v) => `${Math.round(100 * v)}%`,
      `test accuracy (${thousands(data.n_test)} images not trained on)`);
    // purple ("a"), not blue: blue and red mean up and down in this book
    polyline(ctx, evaluated, scores, evaluated.length, map, themed("a"), { width: 2 });
    for (let i = 0; i < evaluated.length; i++) if (evaluated.length < 60 || i === evaluated.length - 1) dot(ctx, map.x(evaluated[i]), map.y(scores[i]), themed("a"), 3);
    text(ctx, `measured every ${thousands(data.eval_every)} training images`, ACCURACY_BOX.x, ACCURACY_BOX.y + ACCURACY_BOX.h + 44, { size: 11, colour: "muted" });
  }

  // The 16 first-layer neurons: each one's 784 weights as a 28 x 28 image, blue
  // positive, red negative (one colour scale for all 16).
  const tiles = new OffscreenCanvas(28, 28 * 16), tileImage = new ImageData(28, 28 * 16);
  function weightImages(ctx, W) {
    const limit = largest([W]);
    // signedRGB's colours, worked out here: it asks the page for its theme at every
    // call, far too slow for 12,544 pixels at 25 frames per second.
    const zero = darkPage() ? 18 : 255, pixels = tileImage.data;
    for (let i = 0; i < 16 * 784; i++) {
      const t = Math.max(-1, Math.min(1, W[i] / limit)), size = Math.abs(t);
      const end = t >= 0 ? BLUE_RGB : RED_RGB;
      for (let c = 0; c < 3; c++) pixels[4 * i + c] = Math.round(zero + (end[c] - zero) * size);
      pixels[4 * i + 3] = 255;
    }
    tiles.getContext("2d").putImageData(tileImage, 0, 0);
    ctx.imageSmoothingEnabled = false;
    text(ctx, "layer 1: weights from the pixels", WEIGHTS_AT.x, WEIGHTS_AT.y - 16, { bold: true, size: 12 });
    for (let j = 0; j < 16; j++) {
      const { x, y, size, gap } = WEIGHTS_AT;
      const box = { x: x + (j % 4) * (size + gap), y: y + Math.floor(j / 4) * (size + gap), w: size, h: size };
      ctx.drawImage(tiles, 0, 28 * j, 28, 28, box.x, box.y, box.w, box.h);
      ctx.strokeStyle = FAINT;
      ctx.lineWidth = 0.5;
      ctx.strokeRect(box.x, box.y, box.w, box.h);
    }
  }

  // The wiring from layer 1 to the outputs: each connection drawn by the last step's
  // change of its weight, blue = grew, red = shrank, width = size (each layer scaled
  // to its largest change); faint before the first step.
  function wiring(ctx) {
    const { columns, top, bottom } = WIRING;
    const at = (l, j) => ({ x: columns[l - 1], y: top + ((j + 0.5) * (bottom - top)) / sizes[l] });
    text(ctx, "last step's weight changes", columns[0] - 20, WEIGHTS_AT.y - 16, { bold: true, size: 12 });
    for (const l of [2, 3]) {
      const rows = sizes[l], cols = sizes[l - 1];
      const change = run && lastRate !== null ? run.grad.W[l - 1].map((g) => -lastRate * g) : null;
      const limit = change ? largest([change]) : 1;
      for (let j = 0; j < rows; j++) for (let k = 0; k < cols; k++) {
        const v = change ? change[j * cols + k] : 0, a = at(l - 1, k), b = at(l, j);
        ctx.strokeStyle = !change ? FAINT : v >= 0 ? UP : DOWN;
        ctx.globalAlpha = change ? 0.2 + 0.8 * Math.abs(v) / limit : 0.2;
        ctx.lineWidth = change ? 0.3 + 3.5 * Math.abs(v) / limit : 0.5;
        ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
    for (const l of [1, 2, 3]) {
      for (let j = 0; j < sizes[l]; j++) {
        const { x, y } = at(l, j);
        ctx.beginPath(); ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.fillStyle = PAPER; ctx.fill(); ctx.strokeStyle = INK; ctx.lineWidth = 1; ctx.stroke();
      }
      text(ctx, ["layer 1", "layer 2", "outputs"][l - 1], columns[l - 1], top - 6, { align: "center", size: 11 });
    }
  }

  function words() {
    const rate = model.get("learning_rate"), batch = model.get("batch_size");
    const settings = `learning rate ${rate}, batch size ${batch}, seed ${model.get("seed")}`;
    if (!run) return `${settings}: not started (press play).`;
    const accuracy = scores[scores.length - 1], cost = running[running.length - 1];
    const epochs = run.seen / n;
    return `step ${thousands(run.step)}: test accuracy ${percent(accuracy)}` +
      (costs.length ? `, cost ${cost.toFixed(2)} (average of the last ${Math.min(costs.length, data.running)} steps)` : "") +
      ` \u2014 ${epochs.toFixed(1)} epochs, ${settings}.`;
  }

  function draw() {
    const ctx = figure.ctx;
    clear(figure);
    costPlot(ctx);
    accuracyPlot(ctx, plotEnd());
    text(ctx, `learning rate ${model.get("learning_rate")}, batch size ${model.get("batch_size")}, ` +
      `seed ${model.get("seed")}`, TW - 10, 11, { align: "right", size: 12, colour: "muted" });
    if (run) weightImages(ctx, run.net.W[0]);
    else text(ctx, "Loading the images\u2026 then press play.", WEIGHTS_AT.x, WEIGHTS_AT.y + 40, { colour: "muted" });
    wiring(ctx);
    status.textContent = words();
    // The figure's name follows every redraw; the live region speaks after a pause,
    // and while playing at most every few seconds.
    const now = performance.now();
    if (!playing || now - spokenAt > SPEAK_EVERY_MS) {
      spokenAt = now;
      describe(figure, `The digit network training in your browser. ${status.textContent}`);
    } else {
      figure.holder.setAttribute("aria-label", `The digit network training in your browser. ${status.textContent}`);
    }
  }

  const update = redrawOn(model, [], el, draw);
  for (const name of ["learning_rate", "batch_size", "seed"]) model.on(`change:${name}`, () => { reset(); update(); });
  // Load the images once the explorer comes into view (the book fetches them then).
  if (typeof IntersectionObserver !== "undefined") {
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { seen.disconnect(); ready().then(update); }
    });
    seen.observe(el);
  }

  // Hooks for the tests and the book's check.
  el.backprop = {
    ready,
    state: () => ({ step: run ? run.step : 0, seen: run ? run.seen : 0, playing,
                    accuracy: scores.length ? scores[scores.length - 1] : null,
                    cost: running.length ? running[running.length - 1] : null,
                    evaluated: [...evaluated], scores: [...scores], costs: [...costs],
                    words: status.textContent }),
    weights: () => (run ? run.net.W.map((w) => Array.from(w)).concat(run.net.b.map((b) => Array.from(b))) : null),
    speed: () => ({ imagesPerSecond: stats.images / (stats.trainMs / 1000),
                    wallImagesPerSecond: stats.wallImages / ((performance.now() - stats.wallStart) / 1000),
                    longestSliceMs: stats.longestMs, slices: stats.slices }),
  };
  return () => pause();
}

export default { render };
