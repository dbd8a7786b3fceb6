// mirror.js: the lesson's network, forward and backward, for a digit drawn in the browser.
//
// The one place where the browser computes: with no kernel, a drawn digit's
// outputs and nudges cannot come from Python. Each function follows the Python
// code it names, line by line, on the same weights (float32, as the explorer
// sends them); tests/test_explorer_mirror.py and the book's browser check compare
// the two on real MNIST images and on a drawn digit. Weights are row-major:
// W[l] holds rows j (neurons of layer l) of columns k (neurons of layer l - 1).

// backprop.activations.sigmoid: 1 / (1 + exp(-z)). For a very negative z, exp(-z)
// is Infinity and 1 / Infinity is exactly 0, as in Python.
function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}

// One layer of Network._forward: z = W a + b, then a' = sigmoid(z).
function layerForward(W, b, a) {
  const rows = b.length, cols = a.length;
  const z = new Float64Array(rows), out = new Float64Array(rows);
  for (let j = 0; j < rows; j++) {
    let sum = b[j];
    for (let k = 0; k < cols; k++) sum += W[j * cols + k] * a[k];
    z[j] = sum;
    out[j] = sigmoid(sum);
  }
  return { z, out };
}

// Network._forward for one example: keep every weighted input z and activation.
function forward(net, x) {
  const zs = [], activations = [Float64Array.from(x)];
  for (let l = 0; l < net.W.length; l++) {
    const { z, out } = layerForward(net.W[l], net.b[l], activations[activations.length - 1]);
    zs.push(z);
    activations.push(out);
  }
  return { zs, activations };
}

// Network._backward for one example and the quadratic cost: error terms dC/dz,
// delta = 2 (a - y) f'(z) at the output, then delta = (W^T delta) * f'(z) going back,
// with the sigmoid's slope f'(z) = a (1 - a).
function backward(net, fwd, label) {
  const L = net.W.length;
  const out = fwd.activations[L];
  let delta = out.map((a, j) => 2 * (a - (j === label ? 1 : 0)) * a * (1 - a));
  const deltas = [delta];
  for (let l = L - 1; l >= 1; l--) {
    const W = net.W[l], a = fwd.activations[l], cols = a.length;
    const next = new Float64Array(cols);
    for (let k = 0; k < cols; k++) {
      let sum = 0;
      for (let j = 0; j < delta.length; j++) sum += W[j * cols + k] * delta[j];
      next[k] = sum * a[k] * (1 - a[k]);
    }
    delta = next;
    deltas.unshift(delta);
  }
  return deltas;
}

// backprop.lesson.wishes_from_pushes: each previous neuron k gets sum_j W[j, k] * push[j].
function wishesFromPushes(W, push, cols) {
  const wish = new Float64Array(cols);
  for (let j = 0; j < push.length; j++) {
    for (let k = 0; k < cols; k++) wish[k] += push[j] * W[j * cols + k];
  }
  return wish;
}

// The fields of whole_network.example_nudges for one drawn digit: per layer l the
// activations a{l}, the wishes wish{l} = -dC/da and, for l >= 1, push{l} = -dC/dz.
function nudgesFor(net, x, label) {
  const fwd = forward(net, x);
  const deltas = backward(net, fwd, label);
  const L = net.W.length, fields = {};
  for (let l = 0; l <= L; l++) fields[`a${l}`] = fwd.activations[l];
  for (let l = 1; l <= L; l++) fields[`push${l}`] = deltas[l - 1].map((d) => -d);
  fields[`wish${L}`] = fwd.activations[L].map((a, j) => 2 * ((j === label ? 1 : 0) - a));
  for (let l = L - 1; l >= 0; l--) {
    fields[`wish${l}`] = wishesFromPushes(net.W[l], fields[`push${l + 1}`], fwd.activations[l].length);
  }
  return fields;
}
