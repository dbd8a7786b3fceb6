"""Chapter 7: the spread of training results over seeds, summarised and drawn.

A recipe trained with several seeds gives several results; these helpers line the
runs up (:func:`accuracy_curves`), summarise them as mean and standard deviation
(:func:`spread`) and draw them: mean curves with a band of one standard deviation
(:func:`draw_accuracy_bands`) and each seed's final accuracy
(:func:`draw_final_accuracies`). Recipes get neutral colours: blue and red are kept
for up and down everywhere in the book.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import matplotlib.pyplot as plt
import numpy as np

RECIPE_COLORS = ("black", "tab:purple", "tab:green", "tab:brown", "tab:gray")


class Spread(NamedTuple):
    """Mean and standard deviation (over seeds) of one quantity, with its extremes."""

    mean: float
    std: float
    low: float
    high: float
    runs: int


def spread(values: Sequence[float]) -> Spread:
    """Mean, sample standard deviation (``ddof=1``), lowest and highest of ``values``."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < 2:
        raise ValueError(f"a spread needs at least two runs; got {values.size}")
    return Spread(float(values.mean()), float(values.std(ddof=1)), float(values.min()),
                  float(values.max()), int(values.size))


def accuracy_curves(histories: Sequence, which: str = "test_accuracy") -> np.ndarray:
    """One row per run, one column per epoch; epochs a run did not reach are NaN.

    ``which`` names a per-epoch list of :class:`~backprop.training.History`
    (``"test_accuracy"`` or ``"train_accuracy"``). A run that stopped early (it
    diverged) leaves the rest of its row NaN.
    """
    rows = [list(getattr(h, which)) for h in histories]
    if not rows:
        raise ValueError("no runs given")
    curves = np.full((len(rows), max(len(r) for r in rows)), np.nan)
    for i, row in enumerate(rows):
        curves[i, :len(row)] = row
    return curves


def _limits(values: np.ndarray, margin: float = 0.1) -> tuple[float, float]:
    """Axis limits that show every finite value, with a margin of ``margin`` x range."""
    finite = values[np.isfinite(values)]
    low, high = float(finite.min()), float(finite.max())
    pad = margin * max(high - low, 1e-9)
    return low - pad, high + pad


def draw_accuracy_bands(curves: dict, ax=None, percent: bool = True, colors=None,
                        first_epoch: int = 1, legend: bool = True) -> list:
    """Accuracy after each epoch: every seed thin, the mean thick, a band of ±1 std.

    ``curves`` maps a label to an array (seeds x epochs), e.g. from
    :func:`accuracy_curves`. Epochs from ``first_epoch`` on are drawn, and the
    y-limits include every drawn epoch of every seed, so no run is cut off.
    Returns the artists made.
    """
    if ax is None:
        ax = plt.subplots(figsize=(7, 4), layout="constrained")[1]
    colors = colors or RECIPE_COLORS
    scale = 100.0 if percent else 1.0
    artists, shown = [], []
    for (label, runs), color in zip(curves.items(), colors):
        runs = scale * np.asarray(runs, dtype=np.float64)[:, first_epoch - 1:]
        epochs = np.arange(first_epoch, first_epoch + runs.shape[1])
        artists += ax.plot(epochs, runs.T, color=color, lw=0.6, alpha=0.35)
        mean = np.nanmean(runs, axis=0)
        std = np.nanstd(runs, axis=0, ddof=1) if runs.shape[0] > 1 else np.zeros_like(mean)
        artists.append(ax.fill_between(epochs, mean - std, mean + std, color=color,
                                       alpha=0.18, lw=0))
        artists += ax.plot(epochs, mean, color=color, lw=2,
                           label=f"{label} (mean ± 1 std)")
        shown += [runs.ravel(), mean - std, mean + std]
    ax.set(xlabel="epoch", ylabel="accuracy (%)" if percent else "accuracy",
           ylim=_limits(np.concatenate(shown)))
    if legend:
        ax.legend(fontsize=10)
    return artists


def draw_final_accuracies(finals: dict, ax=None, percent: bool = True, colors=None,
                          pair_seeds: bool = False) -> list:
    """Each seed's final accuracy as a dot, per recipe, with the mean ± 1 std beside it.

    The bar of one standard deviation is cut at 100%, which no accuracy can pass,
    and the label of a cut bar says so.

    ``finals`` maps a label to one accuracy per seed. With ``pair_seeds`` (the
    recipes were trained with the same seeds, in the same order) thin lines join
    the dots of the same seed. Returns the artists made.
    """
    if ax is None:
        ax = plt.subplots(figsize=(7, 4), layout="constrained")[1]
    colors = colors or RECIPE_COLORS
    scale = 100.0 if percent else 1.0
    values = [scale * np.asarray(v, dtype=np.float64) for v in finals.values()]
    artists = []
    if pair_seeds:
        if len({v.size for v in values}) != 1:
            raise ValueError("pair_seeds needs the same number of seeds for every recipe")
        artists += ax.plot(np.arange(len(values)), np.vstack(values), color="0.6", lw=0.8)
    for x, (label, v, color) in enumerate(zip(finals, values, colors)):
        s = spread(v)
        artists.append(ax.scatter(np.full(v.size, x), v, color=color, s=30, zorder=3))
        above = min(s.std, scale - s.mean)        # the bar stops at 100%
        artists.append(ax.errorbar(x + 0.18, s.mean, yerr=[[s.std], [above]], fmt="D",
                                   color=color, capsize=4, ms=6))
        label = f"{s.mean:.1f} ± {s.std:.1f}"
        if above < s.std:                         # say so where the bar is cut
            label += f"\n(bar cut at {scale:g}{'%' if percent else ''})"
        artists.append(ax.annotate(label, (x + 0.26, s.mean),
                                   va="center", fontsize=10, color=color, zorder=4,
                                   bbox=dict(boxstyle="round,pad=0.15", fc="white",
                                             ec="none")))
    ax.set(xticks=range(len(values)), xticklabels=list(finals), xlim=(-0.5, len(values) - 0.1),
           xlabel="dots: one run per seed; diamond and bar: their mean ± 1 standard deviation",
           ylabel="final test accuracy (%)" if percent else "final test accuracy",
           ylim=_limits(np.concatenate(values), margin=0.15))
    return artists
