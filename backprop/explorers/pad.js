// pad.js: the whole-network explorer's drawing pad.
//
// A square of its own (only there does a touch draw instead of scrolling), with its
// controls beside it: "you drew a", "clear drawing" and pre-drawn digits (a way in
// for the keyboard). The reader's strokes are kept as polylines in pad units, shown
// as smooth lines with a round pen, and inked segment by segment into a PAD x PAD
// grid (drawing.js), from which MNIST's recipe makes the 28 x 28 the network reads.

const PAD_ON_SCREEN = 200;    // the pad's side, in CSS pixels

// The pad's square and the box for its controls, in `el`; shown in pad mode only.
function padPanel(el) {
  const panel = document.createElement("div");
  panel.className = "bp-pad";
  panel.style.cssText = "display:flex;flex-wrap:wrap;gap:8px 18px;align-items:flex-start;" +
    "margin:0 0 8px 0;font:" + FONT;
  const paper = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  paper.width = paper.height = Math.round(PAD_ON_SCREEN * ratio);
  paper.style.cssText = `width:${PAD_ON_SCREEN}px;height:${PAD_ON_SCREEN}px;touch-action:none;` +
    "cursor:crosshair;flex:none";
  paper.dataset.pad = "true";
  paper.setAttribute("role", "img");
  paper.setAttribute("aria-label", "drawing pad: draw a digit with the mouse or a finger, " +
    "or put a pre-drawn digit on it with the button beside it");
  const tools = document.createElement("div");
  tools.style.cssText = "display:flex;flex-direction:column;gap:8px;max-width:420px";
  const note = document.createElement("div");
  note.textContent = "Draw a digit in the square, then say which digit it is: that is the " +
    "right answer the network is judged by. The network reads it as MNIST's digits " +
    "were prepared: cropped to the ink, scaled to fit 20 × 20 pixels and centred " +
    "(layer 0 below shows what it reads).";
  tools.appendChild(note);
  panel.append(paper, tools);
  el.appendChild(panel);
  return { panel, paper, tools };
}

// The strokes as the reader sees them: smooth lines with the round pen.
function drawStrokes(paper, strokes) {
  const ctx = paper.getContext("2d"), scale = paper.width / PAD;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, PAD, PAD);
  ctx.strokeStyle = UP;
  ctx.lineWidth = (2 / scale) * (window.devicePixelRatio || 1);
  ctx.strokeRect(0, 0, PAD, PAD);
  ctx.strokeStyle = INK;
  ctx.lineWidth = PEN;
  ctx.lineCap = ctx.lineJoin = "round";
  for (const points of strokes) {
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (const [x, y] of points.slice(1)) ctx.lineTo(x, y);
    if (points.length === 1) ctx.lineTo(points[0][0] + 0.01, points[0][1]);  // a dot
    ctx.stroke();
  }
}

// The pad with its controls and pointer handling. `changed()` is called when the
// drawing changes (at most once per frame while the pen moves). Returns
// {strokes, drawn(), show(visible)}: drawn() is the 784 pixels the network reads.
function drawingPad(el, model, data, changed) {
  const { panel, paper, tools } = padPanel(el);
  const strokes = [];                          // the reader's strokes, in pad units
  const inked = new Float64Array(PAD * PAD);   // ... inked with the pen as they come
  let drawn = new Float64Array(SIDE * SIDE);   // what the network reads
  const prepared = () => { drawn = centred(fitInBox(inked)); changed(); };

  choice(tools, model, "drawn_label", "you drew a",
         [[-1, "not said"], ...[...Array(10).keys()].map((d) => [d, String(d)])]);
  const buttons = document.createElement("div");
  buttons.style.cssText = "display:flex;flex-wrap:wrap;gap:8px";
  tools.appendChild(buttons);
  button(buttons, "clear", "clear drawing", () => {
    strokes.length = 0;
    inked.fill(0);
    prepared();
  });
  let next = 0;
  const sample = button(buttons, "sample", `pre-drawn digit: ${data.samples[0].name}`, () => {
    strokes.length = 0;
    for (const points of data.samples[next].strokes) strokes.push(points.map(([x, y]) => [x, y]));
    next = (next + 1) % data.samples.length;
    sample.textContent = `pre-drawn digit: ${data.samples[next].name}`;
    inked.set(ink(strokes));
    prepared();
  });

  const toPad = (event) => {
    const rect = paper.getBoundingClientRect();
    return [((event.clientX - rect.left) * PAD) / rect.width, ((event.clientY - rect.top) * PAD) / rect.height];
  };
  let drawing = false, pending = false;
  const preparedSoon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; prepared(); });
  };
  paper.addEventListener("pointerdown", (event) => {
    if (model.get("example") !== -1) return;
    drawing = true;
    paper.setPointerCapture(event.pointerId);
    const p = toPad(event);
    strokes.push([p]);
    inkSegment(inked, p, p);
    preparedSoon();
  });
  paper.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    const points = strokes[strokes.length - 1];
    for (const move of moves.length ? moves : [event]) {
      const p = toPad(move);
      inkSegment(inked, points[points.length - 1], p);
      points.push(p);
    }
    preparedSoon();
  });
  const lift = () => { if (drawing) { drawing = false; prepared(); } };
  paper.addEventListener("pointerup", lift);
  paper.addEventListener("pointercancel", lift);
  // Choosing "your drawing" hands the drawing to the pad's network.
  model.on("change:example", () => {
    if (model.get("example") === -1 && model.get("network") !== data.pad_network) {
      setTrait(model, "network", data.pad_network);
    }
  });
  return {
    strokes,
    drawn: () => drawn,
    show(visible) {
      panel.style.display = visible ? "" : "none";
      if (visible) drawStrokes(paper, strokes);
    },
  };
}
