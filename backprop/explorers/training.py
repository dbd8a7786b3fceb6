"""Chapter 7's explorer: the digit network learning, trained in the reader's browser.

Press play and the 784-16-16-10 sigmoid network trains by mini-batch SGD on 3,000
MNIST training images; the figure shows the cost of every step and its running
average, the accuracy on 1,000 held-out test images, the last step's weight changes
and the weights of the first layer's 16 neurons as 28 x 28 images.

The steps are taken in the browser (``trainer.js``, which follows
:func:`backprop.training.sgd` line by line in float64), so nothing waits for a
kernel. They are the package's own: the data file holds the starting parameters of
``Network(seed)`` for each seed and the shuffled order of each epoch as ``sgd``
draws it (``np.random.default_rng(seed).permutation``), so the browser's run equals
``sgd(Network(seed), ...)`` with the same settings (for the first
``EPOCHS_SHIPPED`` epochs; later epochs reuse those orders in turn). Every setting
change starts again from the untrained network.

The images and parameters travel as one gzip file (``training_explorer.bin``, made by
``python -m backprop.explorers.training`` from MNIST). In Jupyter and in a
standalone page the widget carries its bytes; the book copies it next to its pages
and the browser fetches it when the explorer first comes into view.
"""
from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np
import traitlets

from ..network import Network
from ..training import accuracy, sgd
from .base import HERE, Explorer, front_end

N_TRAIN, N_TEST = 3000, 1000
SIZES = (784, 16, 16, 10)
SEEDS = (0, 1, 2)
#: Shuffled orders shipped per seed (the epochs the browser takes exactly as sgd does).
EPOCHS_SHIPPED = 5
#: The learning rates offered, with the words the menu shows.
RATES = {0.3: "0.3", 1.0: "1", 3.0: "3", 10.0: "10", 100.0: "100: too large"}
BATCH_SIZES = {1: "1: one image", 10: "10", 100: "100"}
#: Test accuracy is measured after every EVAL_EVERY training images.
EVAL_EVERY = 1000
#: The running average of the cost is over the last RUNNING steps.
RUNNING = 50
DATA_NAME = "training_explorer.bin"
DATA_FILE = HERE / DATA_NAME
#: Where a book page finds the data file (the book copies it into _static/).
BOOK_URL = "../_static/" + DATA_NAME


def epoch_orders(n: int, seed: int, epochs: int) -> np.ndarray:
    """The shuffled order of each epoch, as :func:`backprop.sgd` draws it for ``seed``."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(epochs)])


def data_layout() -> list[tuple[str, str, tuple]]:
    """What the data file holds, in order: ``(name, dtype, shape)`` (widest items first,
    so that every array starts at a multiple of its item size)."""
    layout = []
    for s in SEEDS:
        for l, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
            layout += [(f"W{l}_{s}", "<f8", (n_out, n_in)), (f"b{l}_{s}", "<f8", (n_out,))]
    layout += [(f"orders_{s}", "<u2", (EPOCHS_SHIPPED, N_TRAIN)) for s in SEEDS]
    return layout + [("train_images", "|u1", (N_TRAIN, 784)), ("train_labels", "|u1", (N_TRAIN,)),
                     ("test_images", "|u1", (N_TEST, 784)), ("test_labels", "|u1", (N_TEST,))]


def data_file_bytes(mnist) -> bytes:
    """The data file, from ``load_mnist()``'s ``((X, y), (X_test, y_test))``: the first
    N_TRAIN training and N_TEST test images as bytes, the starting parameters and
    the orders. The same bytes every time (gzip without a time stamp)."""
    (X, y), (X_test, y_test) = mnist
    arrays = {"train_images": np.rint(np.asarray(X[:N_TRAIN]) * 255), "train_labels": y[:N_TRAIN],
              "test_images": np.rint(np.asarray(X_test[:N_TEST]) * 255), "test_labels": y_test[:N_TEST]}
    for s in SEEDS:
        net = Network(SIZES, seed=s)
        for l, (w, b) in enumerate(zip(net.weights, net.biases), start=1):
            arrays[f"W{l}_{s}"], arrays[f"b{l}_{s}"] = w, b
        arrays[f"orders_{s}"] = epoch_orders(N_TRAIN, s, EPOCHS_SHIPPED)
    raw = b"".join(np.ascontiguousarray(arrays[name], dtype=dtype).reshape(shape).tobytes()
                   for name, dtype, shape in data_layout())
    return gzip.compress(raw, compresslevel=9, mtime=0)


def read_data(path: str | Path = DATA_FILE) -> dict[str, np.ndarray]:
    """The arrays of the data file, by name (see :func:`data_layout`)."""
    raw, arrays, start = gzip.decompress(Path(path).read_bytes()), {}, 0
    for name, dtype, shape in data_layout():
        count = math.prod(shape) * np.dtype(dtype).itemsize
        arrays[name] = np.frombuffer(raw[start:start + count], dtype=dtype).reshape(shape)
        start += count
    return arrays


def starting_network(seed: int, arrays: dict) -> Network:
    """``Network(seed=seed)`` as the data file holds it (equal to it, float64)."""
    net = Network(SIZES, seed=seed)
    net.weights = [arrays[f"W{l}_{seed}"].copy() for l in (1, 2, 3)]
    net.biases = [arrays[f"b{l}_{seed}"].copy() for l in (1, 2, 3)]
    return net


def checked_setting(name: str, value, allowed) -> float | int:
    """A control value, if it is one the explorer offers; otherwise one clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or value not in allowed:
        raise traitlets.TraitError(f"{name} must be one of {', '.join(str(v) for v in allowed)}; "
                                   f"got {value!r}")
    return value


def training_run(learning_rate: float = 3.0, batch_size: int = 10, seed: int = 0,
                 steps: int = 1200, arrays: dict | None = None) -> dict:
    """What the explorer shows after ``steps`` steps, computed here with :func:`sgd`.

    Returns ``costs`` (per step), ``running`` (their running average over the last
    RUNNING steps), ``evaluated`` (the steps after which the test accuracy was
    measured, every EVAL_EVERY images, with step 0), ``accuracy`` (there) and
    ``net`` (the network after the last step).
    """
    checked_setting("learning_rate", learning_rate, RATES)
    checked_setting("batch_size", batch_size, BATCH_SIZES)
    checked_setting("seed", seed, SEEDS)
    epochs = math.ceil(steps * batch_size / N_TRAIN)
    if not 1 <= steps or epochs > EPOCHS_SHIPPED:
        raise ValueError(f"steps must be 1 to {EPOCHS_SHIPPED * N_TRAIN // batch_size} at batch "
                         f"size {batch_size}; got {steps}")
    arrays = read_data() if arrays is None else arrays
    X, y = arrays["train_images"] / 255, arrays["train_labels"]
    test = (arrays["test_images"] / 255, arrays["test_labels"])
    net, evaluated, scores, kept = starting_network(seed, arrays), [0], [], {}
    scores.append(accuracy(net, *test))

    def record(step, cost, net):
        if step <= steps and (step * batch_size) % EVAL_EVERY == 0:
            evaluated.append(step)
            scores.append(accuracy(net, *test))
        if step == steps:
            kept["net"] = net.copy()

    history = sgd(net, X, y, epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                  seed=seed, callback=record)
    costs = np.array(history.step_costs[:steps])
    running = np.array([costs[max(0, i + 1 - RUNNING):i + 1].mean() for i in range(steps)])
    return {"costs": costs, "running": running, "evaluated": np.array(evaluated),
            "accuracy": np.array(scores), "net": kept["net"]}


class TrainingExplorer(Explorer):
    """The digit network learning in the browser: play, pause, one step, reset.

    Controls (synced traits): ``learning_rate`` (one of RATES), ``batch_size`` (one
    of BATCH_SIZES) and ``seed`` (one of SEEDS); any change starts again from the
    untrained network. ``embed``: carry the data file in the widget (Jupyter, a
    standalone page) rather than fetch it from BOOK_URL (the book); by default the
    book's build (``BACKPROP_BOOK_BUILD=1``) fetches and everything else embeds.
    """

    _esm = front_end("trainer.js", "training.js")
    learning_rate = traitlets.Float(3.0).tag(sync=True)
    batch_size = traitlets.Int(10).tag(sync=True)
    seed = traitlets.Int(0).tag(sync=True)

    def __init__(self, embed: bool | None = None, **kwargs) -> None:
        if embed is None:
            embed = os.environ.get("BACKPROP_BOOK_BUILD") != "1"
        if not isinstance(embed, bool):
            raise ValueError(f"embed must be True, False or None; got {embed!r}")
        kwargs.setdefault("caption", "Press play to train the network on 3,000 images in your "
                          "browser. Any change of setting starts again from the untrained network.")
        super().__init__(**kwargs)
        data = {"layout": [[name, dtype, list(shape)] for name, dtype, shape in data_layout()],
                "sizes": list(SIZES), "seeds": list(SEEDS), "n_train": N_TRAIN, "n_test": N_TEST,
                "rates": [[rate, words] for rate, words in RATES.items()],
                "batch_sizes": [[size, words] for size, words in BATCH_SIZES.items()],
                "eval_every": EVAL_EVERY, "running": RUNNING, "url": BOOK_URL,
                "file_bytes": DATA_FILE.stat().st_size}
        if embed:
            data["bundle"] = DATA_FILE.read_bytes()
        self.data = data

    @traitlets.validate("learning_rate")
    def _valid_rate(self, proposal):
        return float(checked_setting("learning_rate", proposal["value"], RATES))

    @traitlets.validate("batch_size")
    def _valid_batch(self, proposal):
        return int(checked_setting("batch_size", proposal["value"], BATCH_SIZES))

    @traitlets.validate("seed")
    def _valid_seed(self, proposal):
        return int(checked_setting("seed", proposal["value"], SEEDS))

    def shown(self) -> dict:
        """The settings the browser trains with now."""
        return {"learning_rate": self.learning_rate, "batch_size": self.batch_size,
                "seed": self.seed}

    def still(self, steps: int = 1200):
        """The run the browser takes with the current settings, drawn with matplotlib:
        cost and running average, test accuracy, and the first layer's weights.
        Returns ``(figure, run)`` (see :func:`training_run`)."""
        import matplotlib.pyplot as plt

        run = training_run(self.learning_rate, self.batch_size, self.seed, steps)
        fig = plt.figure(figsize=(9, 6.2), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.25])
        cost_ax, acc_ax = top.subplots(1, 2)
        cost_ax.plot(np.arange(1, steps + 1), run["costs"], color="#bbbbbb", lw=0.6, label="each step")
        cost_ax.plot(np.arange(1, steps + 1), run["running"], color="#222222", lw=1.8,
                     label=f"running average ({RUNNING} steps)")
        cost_ax.set(xlabel="step", ylabel="cost of the step's batch", ylim=(0, None))
        cost_ax.legend(frameon=False)
        acc_ax.plot(run["evaluated"], run["accuracy"], "o-", color="#5e3c99", ms=3)  # not up/down blue
        acc_ax.set(xlabel="step", ylabel=f"test accuracy ({N_TEST:,} images)", ylim=(0, 1))
        weights = run["net"].weights[0]
        limit = float(np.max(np.abs(weights)))
        for j, ax in enumerate(bottom.subplots(2, 8).ravel()):
            ax.imshow(weights[j].reshape(28, 28), cmap="RdBu", vmin=-limit, vmax=limit)
            ax.set(xticks=[], yticks=[], title=f"neuron {j}")
        bottom.suptitle("layer 1's weights from the 784 pixels (blue positive, red negative)")
        fig.suptitle(f"{steps:,} steps at learning rate {self.learning_rate:g}, batch size "
                     f"{self.batch_size}, seed {self.seed}: test accuracy {run['accuracy'][-1]:.1%}")
        return fig, run


if __name__ == "__main__":  # python -m backprop.explorers.training: make the data file
    from ..mnist import load_mnist

    DATA_FILE.write_bytes(data_file_bytes(load_mnist(progress=False)))
    print(f"wrote {DATA_FILE.name}: {DATA_FILE.stat().st_size:,} bytes")
