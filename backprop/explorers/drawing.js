// drawing.js: a digit drawn on the pad, made into the 28 x 28 image the network reads.
//
// The browser's copy of backprop/explorers/drawing.py: each function follows the
// Python function of the same name line by line (tests/test_pad.py runs both on the
// same strokes and compares them to 1e-6). MNIST's recipe: draw the strokes with a
// round pen, crop to the ink and scale it to fit 20 x 20 keeping its proportions
// (each new pixel the average of the ink it covers), then move it by whole pixels
// so that its centre of mass lands on pixel (14, 14) of a 28 x 28 image.
// Grids are Float64Arrays, row-major; strokes are arrays of [x, y] pad points.

const PAD = 280, PEN = 22, BOX = 20, SIDE = 28, CENTRE = 14;

// Draw the pen from p to q into grid (PAD x PAD), keeping the darker ink where strokes
// cross: a pixel whose centre is d from the segment gets PEN / 2 + 0.5 - d, clipped to [0, 1].
function inkSegment(grid, p, q) {
  const radius = PEN / 2;
  const [px, py] = p, [qx, qy] = q;
  const vx = qx - px, vy = qy - py;
  const length2 = vx * vx + vy * vy;
  const top = Math.max(0, Math.floor(Math.min(py, qy) - radius - 1));
  const bottom = Math.min(PAD - 1, Math.ceil(Math.max(py, qy) + radius + 1));
  const left = Math.max(0, Math.floor(Math.min(px, qx) - radius - 1));
  const right = Math.min(PAD - 1, Math.ceil(Math.max(px, qx) + radius + 1));
  for (let r = top; r <= bottom; r++) {
    const y = r + 0.5;
    for (let c = left; c <= right; c++) {
      const x = c + 0.5;
      const t = length2 > 0 ? Math.min(1, Math.max(0, ((x - px) * vx + (y - py) * vy) / length2)) : 0;
      const dx = x - (px + t * vx), dy = y - (py + t * vy);
      const shade = Math.min(1, Math.max(0, radius + 0.5 - Math.sqrt(dx * dx + dy * dy)));
      if (shade > grid[r * PAD + c]) grid[r * PAD + c] = shade;
    }
  }
}

// The strokes drawn with the round pen: a PAD x PAD grid of ink in [0, 1].
// (The pad itself inks each new segment as it comes, which gives the same grid.)
function ink(strokes) {
  const grid = new Float64Array(PAD * PAD);
  for (const points of strokes) {
    inkSegment(grid, points[0], points[0]);
    for (let n = 1; n < points.length; n++) inkSegment(grid, points[n - 1], points[n]);
  }
  return grid;
}

// Row i averages the part of `count` cells that new cell i covers: [size][count].
function averagingWeights(count, size) {
  const span = count / size;
  const weights = [];
  for (let i = 0; i < size; i++) {
    const start = i * span, end = (i + 1) * span;
    const row = new Float64Array(count);
    for (let k = Math.floor(start); k < Math.min(count, Math.ceil(end)); k++) {
      row[k] = (Math.min(end, k + 1) - Math.max(start, k)) / span;
    }
    weights.push(row);
  }
  return weights;
}

// Crop the grid to its ink and scale it to fit BOX x BOX, keeping its proportions.
// Returns {rows, cols, values} (values row-major), or 0 x 0 for an empty grid.
function fitInBox(grid) {
  const inked = (r, c) => grid[r * PAD + c] > 0;
  let top = PAD, bottom = -1, left = PAD, right = -1;
  for (let r = 0; r < PAD; r++) {
    for (let c = 0; c < PAD; c++) {
      if (inked(r, c)) {
        top = Math.min(top, r); bottom = Math.max(bottom, r);
        left = Math.min(left, c); right = Math.max(right, c);
      }
    }
  }
  if (bottom < 0) return { rows: 0, cols: 0, values: new Float64Array(0) };
  const height = bottom - top + 1, width = right - left + 1;
  const scale = BOX / Math.max(height, width);
  const newHeight = Math.max(1, Math.floor(height * scale + 0.5));
  const newWidth = Math.max(1, Math.floor(width * scale + 0.5));
  const down = averagingWeights(height, newHeight), across = averagingWeights(width, newWidth);
  // averaging_weights(height) @ crop, then @ averaging_weights(width).T
  const tall = new Float64Array(newHeight * width);
  for (let i = 0; i < newHeight; i++) {
    for (let c = 0; c < width; c++) {
      let sum = 0;
      for (let k = 0; k < height; k++) sum += down[i][k] * grid[(top + k) * PAD + left + c];
      tall[i * width + c] = sum;
    }
  }
  const values = new Float64Array(newHeight * newWidth);
  for (let i = 0; i < newHeight; i++) {
    for (let j = 0; j < newWidth; j++) {
      let sum = 0;
      for (let c = 0; c < width; c++) sum += tall[i * width + c] * across[j][c];
      values[i * newWidth + j] = sum;
    }
  }
  return { rows: newHeight, cols: newWidth, values };
}

// value rounded to 6 decimals (halves up, as in Python).
function snapped(value) {
  return Math.floor(value * 1e6 + 0.5) / 1e6;
}

// `small` in a SIDE x SIDE image, moved by whole pixels so that its centre of mass lands
// on pixel (CENTRE, CENTRE); ink pushed past the edge is cut off.
function centred(small) {
  const image = new Float64Array(SIDE * SIDE);
  let total = 0, rowMoment = 0, colMoment = 0;
  for (let i = 0; i < small.rows; i++) {
    for (let j = 0; j < small.cols; j++) {
      const v = small.values[i * small.cols + j];
      total += v; rowMoment += i * v; colMoment += j * v;
    }
  }
  if (total <= 0) return image;
  const cy = rowMoment / total, cx = colMoment / total;
  // (rounded to 1e-6 first, so that the last bit of a sum, which Python may add up in
  // another order, cannot move a symmetric drawing by a whole pixel)
  const top = Math.floor(CENTRE - snapped(cy) + 0.5);
  const left = Math.floor(CENTRE - snapped(cx) + 0.5);
  for (let i = 0; i < small.rows; i++) {
    for (let j = 0; j < small.cols; j++) {
      if (top + i >= 0 && top + i < SIDE && left + j >= 0 && left + j < SIDE) {
        image[(top + i) * SIDE + left + j] = small.values[i * small.cols + j];
      }
    }
  }
  return image;
}

// The 784 pixels the network reads for a drawing: inked, fitted into 20 x 20, centred.
function mnistImage(strokes) {
  return centred(fitInBox(ink(strokes)));
}
