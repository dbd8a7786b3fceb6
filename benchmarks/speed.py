"""Seconds per training epoch: the package's ``train`` against other ways to train.

Every implementation trains the lesson's network (784-16-16-10, sigmoid,
quadratic cost, float32, learning rate 3) for whole epochs over the 60,000 MNIST
training images with one thread. The table is measured in several rounds, each
round running every implementation in turn, so that load from other programs
falls on all of them alike; each figure is the median over rounds of the median
epoch of a round.
"""
from __future__ import annotations

import statistics

import numpy as np

import backprop as bp
from benchmarks.reference_loops import jax_epoch_seconds, torch_epoch_seconds

IMPLEMENTATIONS = ("package train", "per-example loop", "PyTorch CPU loop", "JAX lax.scan epoch")


def package_epoch_seconds(X, labels, batch_size: int, epochs: int,
                          per_example: bool = False) -> float:
    """Median seconds per epoch of ``backprop.train`` (per-epoch scoring not included)."""
    net = bp.Network(seed=0, dtype=np.float32)
    history = bp.train(net, X, labels, epochs=epochs, learning_rate=3.0, batch_size=batch_size,
                       progress=False, per_example=per_example)
    return statistics.median(history.epoch_seconds)


def _one_round(X, labels, batch_size: int, epochs: int, skip: set) -> dict:
    """Seconds per epoch of every implementation once, in turn (None: not installed)."""
    runs = {
        "package train": lambda: package_epoch_seconds(X, labels, batch_size, epochs),
        # the teaching loop is slow: one epoch of it, over a tenth of the images
        "per-example loop": lambda: 10 * package_epoch_seconds(
            X[:len(X) // 10], labels[:len(X) // 10], batch_size, 1, per_example=True),
        "PyTorch CPU loop": lambda: torch_epoch_seconds(X, labels, batch_size, epochs),
        "JAX lax.scan epoch": lambda: jax_epoch_seconds(X, labels, batch_size, epochs),
    }
    return {name: (None if name in skip else run()) for name, run in runs.items()}


def speed_table(X, labels, batch_sizes=(10, 100), rounds: int = 3, epochs: int = 3) -> dict:
    """``{(implementation, batch_size): seconds per epoch}``, printed as a table with ratios."""
    skip, medians = set(), {}
    for batch_size in batch_sizes:
        samples = []
        for _ in range(rounds):
            samples.append(_one_round(X, labels, batch_size, epochs, skip))
            skip |= {name for name, s in samples[-1].items() if s is None}
        for name in IMPLEMENTATIONS:
            values = [s[name] for s in samples if s[name] is not None]
            medians[name, batch_size] = statistics.median(values) if values else None
    _print_table(medians, batch_sizes, rounds, epochs)
    return medians


def _print_table(medians: dict, batch_sizes, rounds: int, epochs: int) -> None:
    print(f"\n== Seconds per epoch (60,000 images, float32, one thread; median of {rounds} "
          f"rounds of {epochs} epochs) ==")
    print(f"{'implementation':<22}" + "".join(f"{f'batch {b}':>11}" for b in batch_sizes))
    for name in IMPLEMENTATIONS:
        cells = [medians[name, b] for b in batch_sizes]
        print(f"{name:<22}" + "".join(f"{c:>11.3f}" if c else f"{'skipped':>11}" for c in cells))
    print("\nratios (how many times faster the package's train is):")
    goals = {("PyTorch CPU loop", 10): 4, ("PyTorch CPU loop", 100): 3,
             ("per-example loop", 10): 8}
    for b in batch_sizes:
        package = medians["package train", b]
        for name in IMPLEMENTATIONS[1:]:
            other = medians[name, b]
            if other is None:
                continue
            goal = goals.get((name, b))
            note = f"  (goal >= {goal}x)" if goal else ""
            if name.startswith("JAX"):
                note = "  (goal >= 0.67x, within 1.5x)" if b == 100 else ""
            print(f"  batch {b:>3}: {other / package:5.2f}x vs {name}{note}")
