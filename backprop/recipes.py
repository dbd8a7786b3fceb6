"""Chapter 7: the recipes that train the digit network on MNIST, kept in one place.

The book and the project's benchmark both train through
:func:`train_digit_recogniser`, so the accuracy the book reports and the one the
benchmark measures come from the same settings.
"""
from __future__ import annotations

import numpy as np

from .data import load_mnist
from .network import Network
from .training import History, accuracy, train
from .validation import as_inputs, as_labels, positive_int

RECIPES = {
    "lesson": dict(cost="quadratic", learning_rate=1.5, lr_decay=0.02, weight_decay=0.0,
                   epochs=60, batch_size=10, seed=0),
    "best": dict(cost="quadratic", learning_rate=10.0, lr_decay=0.05, weight_decay=5e-5,
                 epochs=100, batch_size=50, seed=0),
}
"""Settings for training the 784-16-16-10 sigmoid network on MNIST.

Both use the lesson's network and cost (sigmoid neurons, quadratic cost) and plain
mini-batch SGD whose learning rate decays as ``rate / (1 + lr_decay * epoch)``.
``"best"`` adds weight decay, a gentle pull of every weight towards zero that keeps
neurons away from the flat ends of the sigmoid. Measured on MNIST (seed 0, 2 cores):
``"lesson"`` about 95% in under 30 s, ``"best"`` about 96% in about 20 s.
"""


def recipe_settings(recipe: str = "lesson", **changes) -> dict:
    """The settings of a named recipe, with any ``changes`` applied."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {sorted(RECIPES)}")
    unknown = set(changes) - set(RECIPES[recipe])
    if unknown:
        raise ValueError(f"unknown recipe settings {sorted(unknown)}; known: {sorted(RECIPES[recipe])}")
    return {**RECIPES[recipe], **changes}


def train_digit_recogniser(recipe: str = "lesson", train_data: tuple | None = None,
                           test_data: tuple | None = None, progress: bool = False,
                           **changes) -> tuple[Network, History]:
    """Train a fresh 784-16-16-10 sigmoid network with a named recipe (float32, fast).

    ``train_data`` is ``(images, labels)``; by default the 60,000 MNIST training
    images, and then ``test_data`` defaults to the 10,000 test images, scored
    after every epoch. ``changes`` override single settings, e.g. ``epochs=5``.
    Returns the trained network and its :class:`~backprop.training.History`.
    """
    settings = recipe_settings(recipe, **changes)
    if train_data is None:
        train_data, mnist_test = load_mnist(dtype=np.float32, progress=progress)
        test_data = mnist_test if test_data is None else test_data
    net = Network((784, 16, 16, 10), "sigmoid", settings["cost"], seed=settings["seed"],
                  dtype=np.float32)
    history = train(net, *train_data, epochs=settings["epochs"],
                    learning_rate=settings["learning_rate"], batch_size=settings["batch_size"],
                    seed=settings["seed"], test_data=test_data, lr_decay=settings["lr_decay"],
                    weight_decay=settings["weight_decay"], progress=progress)
    return net, history


def accuracy_vs_training_size(X, labels, X_test, labels_test, sizes, recipe: str = "lesson",
                              steps: int = 10_000) -> np.ndarray:
    """Test accuracy after training on only the first ``n`` labeled examples, for each ``n``.

    Every run takes the same number of SGD steps (so small sets are seen many
    times over) and spreads its learning-rate decay over those steps the same way.
    """
    settings = recipe_settings(recipe)
    steps = positive_int(steps, "steps")
    results = []
    for n in sizes:
        n = positive_int(n, "training-set size")
        if n > len(X):
            raise ValueError(f"asked for {n} training examples; only {len(X)} available")
        epochs = max(1, round(steps * settings["batch_size"] / n))
        decay = settings["lr_decay"] * settings["epochs"] / epochs
        net, _ = train_digit_recogniser(recipe, (X[:n], labels[:n]), epochs=epochs, lr_decay=decay)
        results.append(accuracy(net, X_test, labels_test))
    return np.array(results)


def misclassified(net: Network, X, labels) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the examples the network gets wrong, and what it guessed for them."""
    X = as_inputs(X, net.sizes[0], net.dtype)
    labels = as_labels(labels, net.sizes[-1])
    guesses = net.predict(X)
    wrong = np.flatnonzero(guesses != labels)
    return wrong, guesses[wrong]
