// trainer.js: the lesson's training loop (backprop.training.sgd), in the browser.
//
// The training explorer trains the 784-16-16-10 sigmoid network with the quadratic
// cost in the reader's browser, so each function below follows the Python code it
// names, line by line, in float64. Python sends the starting parameters
// (Network(seed)) and the shuffled order of every epoch (numpy's
// rng.permutation, as sgd draws it), so the browser takes the same steps as
// backprop.sgd for the same seed; tests/test_training_explorer_mirror.py runs both
// and compares the parameters. Weights are row-major: W[l] holds rows j (neurons of
// layer l + 1) of columns k (neurons of layer l).

// backprop.activations.sigmoid: 1 / (1 + exp(-z)), the same line as in mirror.js
// (this explorer does not load mirror.js).
function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}

// A network the browser can train: float64 copies of the weights and biases, and
// room for one example's activations and error terms (no allocation per step).
function trainable(sizes, W, b) {
  return {
    sizes,
    W: W.map((w) => Float64Array.from(w)),
    b: b.map((v) => Float64Array.from(v)),
    a: sizes.map((n) => new Float64Array(n)),
    delta: sizes.slice(1).map((n) => new Float64Array(n)),
  };
}

// Gradient-shaped zeros: dC/dW and dC/db for every layer.
function zeroGradient(net) {
  return { W: net.W.map((w) => new Float64Array(w.length)), b: net.b.map((v) => new Float64Array(v.length)) };
}

// Network.forward_unchecked for one image: z = W a + b, a' = sigmoid(z), layer by
// layer. `pixels` lists the image's non-zero pixels: a pixel of 0 adds exactly
// nothing to z (and nothing to dC/dW), so leaving it out changes no number.
function forwardOne(net, x, pixels) {
  const a = net.a;
  a[0] = x;
  for (let l = 0; l < net.W.length; l++) {
    const W = net.W[l], b = net.b[l], from = a[l], to = a[l + 1], cols = from.length;
    for (let j = 0; j < to.length; j++) {
      let z = 0;
      const row = j * cols;
      if (l === 0) for (const k of pixels) z += W[row + k] * from[k];
      else for (let k = 0; k < cols; k++) z += W[row + k] * from[k];
      to[j] = sigmoid(z + b[j]);
    }
  }
  return a[a.length - 1];
}

// Network.cost_and_gradient for the images `batch` (indices): the averaged cost of
// the batch and, added into `grad`, its gradient. For each example: the output
// error delta = 2 (a - t) f'(z) (costs.quadratic_output_error, with the sigmoid's
// slope f'(z) = a (1 - a)), scaled by 1/n because the cost is an average over n
// (Network.backward's `scale`); then delta = (W^T delta) f'(z) going back; dC/dW
// gains delta a_prev and dC/db gains delta.
function costAndGradient(net, data, batch, grad) {
  const n = batch.length, scale = 1.0 / n, L = net.W.length;
  for (let l = 0; l < L; l++) { grad.W[l].fill(0); grad.b[l].fill(0); }
  let cost = 0;
  for (const e of batch) {
    const x = data.image(e), pixels = data.pixels[e], label = data.labels[e];
    const out = forwardOne(net, x, pixels);
    let delta = net.delta[L - 1], exampleCost = 0;
    for (let j = 0; j < out.length; j++) {
      const t = j === label ? 1 : 0, a = out[j];
      exampleCost += (a - t) ** 2;                    // costs.quadratic_cost_per_example
      delta[j] = 2.0 * (a - t) * (a * (1 - a)) * scale;
    }
    cost += exampleCost;
    for (let l = L - 1; l >= 0; l--) {
      const W = net.W[l], prev = net.a[l], cols = prev.length, gW = grad.W[l], gb = grad.b[l];
      for (let j = 0; j < delta.length; j++) {
        const d = delta[j], row = j * cols;
        gb[j] += d;
        if (l === 0) for (const k of pixels) gW[row + k] += d * prev[k];
        else for (let k = 0; k < cols; k++) gW[row + k] += d * prev[k];
      }
      if (l === 0) break;
      const back = net.delta[l - 1];                  // walk the error terms back
      for (let k = 0; k < cols; k++) {
        let sum = 0;
        for (let j = 0; j < delta.length; j++) sum += delta[j] * W[j * cols + k];
        back[k] = sum * (prev[k] * (1 - prev[k]));
      }
      delta = back;
    }
  }
  return cost / n;
}

// training.sgd_step: every parameter moves downhill, p -= learning_rate * dC/dp.
function sgdStep(net, grad, learningRate) {
  for (let l = 0; l < net.W.length; l++) {
    const w = net.W[l], gw = grad.W[l], b = net.b[l], gb = grad.b[l];
    for (let i = 0; i < w.length; i++) w[i] -= learningRate * gw[i];
    for (let j = 0; j < b.length; j++) b[j] -= learningRate * gb[j];
  }
}

// The examples as the trainer reads them: `images` uint8 (n x 784, row-major) made
// into pixels / 255 (mnist.loader.as_pixels), the digits, and each image's non-zero
// pixels.
function examples(images, labels, size = 784) {
  const n = labels.length, x = new Float64Array(images.length), pixels = [];
  for (let i = 0; i < images.length; i++) x[i] = images[i] / 255;
  for (let e = 0; e < n; e++) {
    const on = [];
    for (let k = 0; k < size; k++) if (images[e * size + k] !== 0) on.push(k);
    pixels.push(Int32Array.from(on));
  }
  return { n, labels, pixels, image: (e) => x.subarray(e * size, (e + 1) * size) };
}

// One run of training.sgd: the network, and where it is in the shuffled order.
// `orders[e]` is epoch e's order (training.shuffled_batches: rng.permutation(n));
// epochs beyond the orders given reuse them in turn.
function newRun(sizes, W, b, orders) {
  const net = trainable(sizes, W, b);
  return { net, grad: zeroGradient(net), orders, epoch: 0, start: 0, step: 0, seen: 0 };
}

// The next mini-batch (training.shuffled_batches: order[start:start + batch_size];
// the epoch's last batch is smaller when batch_size does not divide n), then one
// step of sgd's inner loop: cost and gradient, and a step downhill. Returns the cost.
function trainStep(run, data, learningRate, batchSize) {
  const order = run.orders[run.epoch % run.orders.length];
  const batch = order.subarray(run.start, Math.min(run.start + batchSize, data.n));
  const cost = costAndGradient(run.net, data, batch, run.grad);
  sgdStep(run.net, run.grad, learningRate);
  run.start += batch.length;
  if (run.start >= data.n) { run.epoch += 1; run.start = 0; }
  run.step += 1;
  run.seen += batch.length;
  return cost;
}

// training.accuracy: the fraction of examples whose most active output (the first
// one, on a tie, like np.argmax) is the right digit.
function accuracyOf(net, data) {
  let right = 0;
  for (let e = 0; e < data.n; e++) {
    const out = forwardOne(net, data.image(e), data.pixels[e]);
    let guess = 0;
    for (let j = 1; j < out.length; j++) if (out[j] > out[guess]) guess = j;
    if (guess === data.labels[e]) right += 1;
  }
  return right / data.n;
}
