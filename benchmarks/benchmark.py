"""Measure what the issues ask for and print it (nothing here is asserted).

Run from the repository root with MNIST available:

    BACKPROP_DATA_DIR=../shared/data/mnist python -m benchmarks.benchmark [--quick]

Prints, in this order: the time and test accuracy of several seeds of each training
recipe the book uses, trained in parallel; which of 40 seeds of the best recipe diverge
at learning rates 8 and 10 (why its rate is 8); seconds per epoch of the package's
``train``, the one-example-at-a-time teaching loop, a PyTorch CPU loop and a JAX epoch
fused with ``lax.scan`` (the last two only if ``requirements-bench.txt`` is installed),
with their ratios; each chapter's execution time and peak memory; and the explorers'
redraw times. On a machine shared with other work, run it a few times.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info

import backprop as bp
from backprop import recipes


def seed_table(n_seeds: int, data: tuple, epochs: int | None = None) -> None:
    """Train ``n_seeds`` seeds of every recipe with ``recipes.train_seeds`` (at full
    length, or ``recipes.shortened`` to ``epochs``); print the wall time and the test
    accuracy's mean and spread."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    length = "full length" if epochs is None else f"shortened to {epochs} epochs"
    print(f"\n== {n_seeds} seeds of each recipe ({length}), in parallel on {cores} cores ==")
    lengths = {name: {} if epochs is None else recipes.shortened(name, epochs)
               for name in recipes.RECIPES}
    total = 0.0
    for name in recipes.RECIPES:
        started = time.perf_counter()
        runs = recipes.train_seeds(name, range(n_seeds), *data, **lengths[name])
        seconds = time.perf_counter() - started
        total += seconds
        accuracies = [bp.accuracy(net, *data[1]) for net, _ in runs]
        print(f"{name:<8} {seconds:6.1f} s   test accuracy {statistics.mean(accuracies):.2%} "
              f"+- {statistics.stdev(accuracies) if n_seeds > 1 else 0:.2%}   "
              f"{recipes.recipe_settings(name, **lengths[name])}")
    print(f"{'all':<8} {total:6.1f} s   (one train_seeds call per recipe)")
    runs = [dict(recipe=name, seed=seed, **lengths[name])
            for name in recipes.RECIPES for seed in range(n_seeds)]
    started = time.perf_counter()
    recipes.train_runs(runs, *data)
    print(f"{'all':<8} {time.perf_counter() - started:6.1f} s   "
          "(every run in one train_runs call)")


def rate_table(data: tuple, rates=(8.0, 10.0), n_seeds: int = 40, epochs: int = 10) -> None:
    """Train the best recipe (shortened) at several starting learning rates, ``n_seeds``
    seeds each, and print which seeds diverged: the evidence for the recipe's rate."""
    print(f"\n== Best recipe, shortened to {epochs} epochs: seeds that diverge, of {n_seeds} ==")
    for rate in rates:
        changes = recipes.shortened("best", epochs, learning_rate=rate)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bp.DivergenceWarning)
            runs = recipes.train_seeds("best", range(n_seeds), *data, **changes)
        diverged = [seed for seed, (_, history) in enumerate(runs) if history.diverged]
        accuracies = [history.test_accuracy[-1] for _, history in runs if not history.diverged]
        print(f"rate {rate:g}: {len(diverged)} diverged {diverged}; the others' test accuracy "
              f"{statistics.mean(accuracies):.2%} +- {statistics.stdev(accuracies):.2%}")


def blas_kernels() -> str:
    kernels = [f"{i['internal_api']} {i.get('version', '')} {i.get('architecture', '?')}"
               for i in threadpool_info() if i.get("user_api") == "blas"]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return (", ".join(kernels) or "unknown") + (
        f" (forced by OPENBLAS_CORETYPE={forced})" if forced else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and epochs")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["speed", "seeds", "rates", "chapters", "explorers"])
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="only these chapters, e.g. 06 07 (default: all)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per recipe")
    parser.add_argument("--seed-epochs", type=int, default=None,
                        help="train the seeds this many epochs, the rate shrinking as far as "
                             "in the full recipe (default: the recipes' full lengths)")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"BLAS: {blas_kernels()}")
    (X, y), test = bp.load_mnist(dtype=np.float32, progress=False)
    # The seeds train in forked processes, so they come before the speed table: that
    # loads JAX, whose threads make a later fork unsafe.
    if "seeds" not in args.skip:
        seed_table(args.seeds, ((X, y), test), 2 if args.quick else args.seed_epochs)
    if "rates" not in args.skip:
        rate_table(((X, y), test), n_seeds=8 if args.quick else 40)
    if "speed" not in args.skip:
        from benchmarks.speed import speed_table
        speed_table(X, y, rounds=1 if args.quick else 3, epochs=2 if args.quick else 3)
    if "chapters" not in args.skip:
        from benchmarks.chapter_times import chapter_table
        chapter_table(args.chapters)
    if "explorers" not in args.skip:
        from benchmarks.explorer_latency import main as explorer_table
        print("\nExplorers: build time, data size, trait change, browser redraw")
        explorer_table()


if __name__ == "__main__":
    main()
