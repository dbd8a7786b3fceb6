"""The browser's forward and backward pass (mirror.js) equals the package's.

Runs mirror.js in Node.js (the same file the whole-network explorer ships) on real
MNIST images through the lesson's network and compares every field with
``whole_network.example_nudges``, which is built on ``Network`` and the lesson's
backward walk. The book's browser check repeats this in Chromium.
"""
import json
import shutil
import subprocess

import numpy as np
import pytest

from backprop import Network, train
from backprop.explorers.base import HERE
from backprop.explorers.whole_network import example_nudges

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js (apt-get install nodejs)")

RUN = """
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const net = {W: input.W.map(w => Float32Array.from(w)), b: input.b.map(b => Float32Array.from(b))};
const out = input.images.map((x, e) => Object.fromEntries(
  Object.entries(nudgesFor(net, x, input.labels[e])).map(([k, v]) => [k, Array.from(v)])));
process.stdout.write(JSON.stringify(out));
"""


def browser_fields(net: Network, images, labels) -> list[dict]:
    """What mirror.js computes for these images, run in Node.js on float32 weights."""
    script = (HERE / "mirror.js").read_text() + RUN
    payload = {"W": [w.astype(np.float32).ravel().tolist() for w in net.weights],
               "b": [b.astype(np.float32).tolist() for b in net.biases],
               "images": np.asarray(images).tolist(), "labels": [int(d) for d in labels]}
    done = subprocess.run([NODE, "-e", script], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def as_float32_network(net: Network) -> Network:
    """The network the page carries: weights rounded to float32, computed in float64."""
    copy = net.copy()
    copy.weights = [w.astype(np.float32).astype(np.float64) for w in net.weights]
    copy.biases = [b.astype(np.float32).astype(np.float64) for b in net.biases]
    return copy


@pytest.fixture(scope="module")
def trained(mnist):
    (X, y), _ = mnist
    net = Network(seed=3)
    train(net, X[:5000], y[:5000], epochs=1, learning_rate=3.0, progress=False, seed=0)
    return net


@pytest.mark.parametrize("which", ["untrained", "trained"])
def test_mirror_equals_the_package_on_20_mnist_images(mnist, trained, which):
    _, (X_test, y_test) = mnist
    net = as_float32_network(trained if which == "trained" else Network(seed=4))
    images, labels = X_test[:20], y_test[:20]
    expected = example_nudges(net, images, labels)
    got = browser_fields(net, images, labels)
    for name, values in expected.items():
        assert np.max(np.abs(np.array([g[name] for g in got]) - values)) < 1e-5, name


def test_mirror_on_a_blank_and_a_saturated_drawing(trained):
    net = as_float32_network(trained)
    images = np.stack([np.zeros(784), np.ones(784)])
    expected = example_nudges(net, images, np.array([0, 9]))
    got = browser_fields(net, images, [0, 9])
    for name, values in expected.items():
        assert np.max(np.abs(np.array([g[name] for g in got]) - values)) < 1e-5, name
    # a blank image asks nothing of the first layer's weights: every pixel is 0
    assert not np.any(np.array(got[0]["a0"]))
