"""Measure what the issues ask for and print it (nothing here is asserted).

Run from the repository root with MNIST available:

    BACKPROP_DATA_DIR=../shared/data/mnist python benchmarks/benchmark.py [--quick]

Prints seconds per epoch over the 60,000 training images (median of several
epochs) for the vectorised pass and the one-example-at-a-time teaching loop,
the test accuracy of the training recipes the book uses, and widget redraw times.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import os

import numpy as np
from threadpoolctl import threadpool_info

import backprop as bp


def epoch_seconds(X, y, batch_size: int, dtype, per_example: bool, epochs: int) -> float:
    """Median seconds per epoch of plain mini-batch SGD (accuracy scoring not included)."""
    net = bp.Network(seed=0, dtype=dtype)
    history = bp.train(net, X, y, epochs=epochs, learning_rate=3.0, batch_size=batch_size,
                       progress=False, per_example=per_example)
    return statistics.median(history.epoch_seconds)


def speed_table(X, y, quick: bool) -> None:
    print("\n== Seconds per epoch (60,000 images, median) ==")
    print(f"{'gradient':<13}{'dtype':<9}{'batch 10':>10}{'batch 100':>11}")
    results = {}
    for per_example in (False, True):
        for dtype in (np.float64, np.float32):
            epochs = 1 if (per_example and quick) else (3 if per_example else 5)
            row = [epoch_seconds(X, y, b, dtype, per_example, epochs) for b in (10, 100)]
            results[per_example, np.dtype(dtype).name] = row
            name = "per-example" if per_example else "vectorised"
            print(f"{name:<13}{np.dtype(dtype).name:<9}{row[0]:>10.3f}{row[1]:>11.3f}")
    for dtype in ("float64", "float32"):
        ratio = results[True, dtype][0] / results[False, dtype][0]
        print(f"batch 10, {dtype}: vectorised is {ratio:.1f}x faster than the per-example loop")


def recipe_table() -> None:
    try:
        from backprop import recipes
    except ImportError:
        print("\n(no training recipes yet: backprop.recipes is missing)")
        return
    print("\n== Test accuracy of the book's recipes (784-16-16-10, 10,000 test images) ==")
    for name in recipes.RECIPES:
        started = time.perf_counter()
        net, history = recipes.train_digit_recogniser(name, progress=False)
        seconds = time.perf_counter() - started
        print(f"{name:<10} test accuracy {history.test_accuracy[-1]:.4f}  "
              f"training {sum(history.epoch_seconds):.1f} s ({seconds:.1f} s with scoring)  "
              f"{recipes.RECIPES[name]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--skip", nargs="*", default=[], choices=["speed", "recipes", "widgets"])
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    kernels = [f"{i['internal_api']} {i.get('architecture', '?')}" for i in threadpool_info()
               if i.get("user_api") == "blas"]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    print(f"BLAS: {', '.join(kernels) or 'unknown'}"
          + (f" (forced by OPENBLAS_CORETYPE={forced})" if forced else ""))
    (X, y), _ = bp.load_mnist(progress=False)
    if "speed" not in args.skip:
        speed_table(X, y, args.quick)
    if "recipes" not in args.skip:
        recipe_table()
    if "widgets" not in args.skip:
        try:
            from benchmarks.widget_latency import widget_table
        except ImportError:
            print("\n(no widget latency benchmark yet)")
        else:
            widget_table()


if __name__ == "__main__":
    main()
