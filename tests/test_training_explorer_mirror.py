"""The browser's training steps (trainer.js) equal the package's (backprop.sgd).

Runs trainer.js in Node.js (the same file the training explorer ships) from ``Network(seed)`` and the shuffled orders ``sgd`` draws for that
seed, takes 200 steps, and compares every parameter and every step's cost with
``backprop.sgd`` run on the same images. Both compute in float64, so they differ
only by the order of additions (about 1e-12 after 200 steps).
"""
import json
import shutil
import subprocess

import numpy as np
import pytest

import backprop as bp
from backprop.explorers.base import HERE
from backprop.explorers.training import epoch_orders, read_data, starting_network

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js (apt-get install nodejs)")

RUN = """
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const data = examples(Uint8Array.from(input.images), Uint8Array.from(input.labels));
const run = newRun(input.sizes, input.W, input.b, input.orders.map((o) => Uint32Array.from(o)));
const costs = [];
for (let s = 0; s < input.steps; s++) costs.push(trainStep(run, data, input.rate, input.batch));
process.stdout.write(JSON.stringify({costs, W: run.net.W.map((w) => Array.from(w)),
  b: run.net.b.map((v) => Array.from(v)), epoch: run.epoch, seen: run.seen,
  accuracy: accuracyOf(run.net, data)}));
"""


def browser_run(net, images, labels, orders, steps, rate, batch) -> dict:
    """trainer.js's run in Node.js: ``steps`` steps from ``net`` over uint8 ``images``."""
    script = (HERE / "trainer.js").read_text() + RUN
    payload = {"sizes": net.sizes, "W": [w.ravel().tolist() for w in net.weights],
               "b": [b.tolist() for b in net.biases], "images": images.ravel().tolist(),
               "labels": labels.tolist(), "orders": orders.tolist(), "steps": steps,
               "rate": rate, "batch": batch}
    done = subprocess.run([NODE, "-e", script], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def arrays():
    return read_data()


# 200 steps end an epoch in each case; 695 images in batches of 7 end each epoch
# with a smaller batch of 2, as training.shuffled_batches cuts them.
@pytest.mark.parametrize("seed, n, rate, batch, epochs", [(0, 500, 3.0, 10, 4), (1, 695, 1.0, 7, 2),
                                                          (2, 200, 3.0, 1, 1)])
def test_200_browser_steps_equal_the_package_sgd(arrays, seed, n, rate, batch, epochs):
    images, labels = arrays["train_images"][:n], arrays["train_labels"][:n]
    net = starting_network(seed, arrays)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, bp.Network(seed=seed).weights))
    got = browser_run(net, images, labels, epoch_orders(n, seed, epochs), 200, rate, batch)
    history = bp.sgd(net, images / 255, labels, epochs=epochs, learning_rate=rate,
                     batch_size=batch, seed=seed)
    # sgd ran whole epochs: compare when both have taken exactly 200 steps.
    assert len(history.step_costs) == 200, "choose n so that 200 steps end an epoch"
    gap = max(np.max(np.abs(np.array(g) - w.ravel())) for g, w in zip(got["W"] + got["b"],
                                                                net.weights + net.biases))
    print(f"seed {seed}, {n} images, rate {rate}, batch {batch}: largest parameter gap {gap:.2e}")
    assert gap < 1e-12
    assert np.allclose(got["costs"], history.step_costs, rtol=1e-10, atol=0)
    assert got["accuracy"] == pytest.approx(bp.accuracy(net, images / 255, labels), abs=0)
    # the run really moved: the parameters are far from where they started
    start = bp.Network(seed=seed)
    assert np.max(np.abs(net.weights[2] - start.weights[2])) > 0.05


def test_the_shipped_orders_are_the_ones_sgd_draws(arrays):
    n = len(arrays["train_labels"])
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        expected = [next(bp.training.shuffled_batches(n, n, rng)) for _ in range(2)]
        assert np.array_equal(arrays[f"orders_{seed}"][:2], expected)
