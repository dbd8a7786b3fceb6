"""Drawings for chapters 5-8 (and the still figures of chapter 6's explorer).

Every drawing takes plain values and an optional matplotlib Axes and returns the
artists it made.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .listing import code_beside_ideas  # noqa: F401  (the chapters call dp.code_beside_ideas)

GD_COLOR, SGD_COLOR = "black", "#e08214"  # which walk, never up or down (blue/red)


def _axes(ax, figsize=(6, 4)):
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


# ----- chapter 5 ---------------------------------------------------------------------
def draw_prediction_counts(predictions, ax=None, title: str = "", highlight: int | None = None):
    """Bars: how many examples the network calls each digit."""
    ax = _axes(ax)
    counts = np.bincount(np.asarray(predictions), minlength=10)
    colors = [SGD_COLOR if d == highlight else "0.6" for d in range(10)]
    bars = ax.bar(np.arange(10), counts, color=colors)
    ax.set(xticks=range(10), xlabel="digit the network answers", ylabel="number of test images",
           title=title)
    return bars


def draw_nudges_by_example(nudges, labels, digit: int, ax=None, title: str = ""):
    """Each example's nudge of one parameter, and their average.

    ``nudges`` holds one number per example; examples showing ``digit`` are
    drawn in orange, the others in grey.
    """
    ax = _axes(ax)
    nudges, labels = np.asarray(nudges), np.asarray(labels)
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, nudges.size)
    is_digit = labels == digit
    dots = [ax.scatter(nudges[mask], jitter[mask], s=12, alpha=0.7, color=color, label=text)
            for mask, color, text in [(is_digit, SGD_COLOR, f"images of a {digit}"),
                                      (~is_digit, "0.5", "other digits")]]
    mean = ax.axvline(nudges.mean(), color="black", lw=2, label="average nudge")
    zero = ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.set(yticks=[], xlabel="nudge (minus the example's partial derivative)",
           title=title)
    ax.legend(loc="upper center")
    return dots + [mean, zero]


# ----- chapter 6: descent on two parameters ---------------------------------------------
def draw_cost_surface(xs, ys, grid, ax=None, names=("parameter 1", "parameter 2"), title=""):
    """Filled contours of a cost over two parameters (log-spaced levels).

    The bands' edges are the contour lines; drawing them again as thin lines would
    more than triple the size of the picture in the page.
    """
    ax = _axes(ax)
    levels = np.geomspace(grid.min(), grid.max(), 25)
    filled = ax.contourf(xs, ys, grid, levels=levels, cmap="viridis")
    ax.set(xlabel=names[0], ylabel=names[1], title=title,
           xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]))
    return [filled]


def draw_path(trajectory, ax=None, color=SGD_COLOR, label="", line=None):
    """The points a walk downhill visited, joined in order (reuses ``line`` if given)."""
    if line is not None:
        line.set_data(trajectory.params[:, 0], trajectory.params[:, 1])
        return line
    return _axes(ax).plot(trajectory.params[:, 0], trajectory.params[:, 1], ".-", color=color,
                          lw=1.2, ms=4, label=label)[0]


def divergence_note(trajectory, name: str) -> str:
    """``"<name> diverged at step k"``, or an empty string if it did not.

    ``k`` is ``trajectory.diverged_at``, the step that blew up: the walk drawn
    is the start and the ``k - 1`` steps before it. Titles, insets and printed
    notes all give this one count.
    """
    if trajectory.diverged_at is None:
        return ""
    return f"{name} diverged at step {trajectory.diverged_at}"


def walk_summary(trajectory) -> str:
    """``"cost c after n steps"``, or ``"diverged at step k"`` for a walk that blew up."""
    if trajectory.diverged_at is not None:
        return divergence_note(trajectory, "").strip()
    return f"cost {trajectory.costs[-1]:.4g} after {len(trajectory.costs) - 1} steps"


def batch_name(trajectory, n_examples: int, short: bool = False) -> str:
    """``"full-batch gradient descent"`` for full batches, else ``"SGD, batch b"``."""
    b = trajectory.batch_size
    if b == n_examples:
        return "all examples" if short else "full-batch gradient descent"
    return f"batch {b}" if short else f"SGD, batch {b}"


def draw_cost_curve(trajectory, x: str = "examples", ax=None, color=SGD_COLOR, label="",
                    line=None):
    """Full cost after each step against examples processed or seconds spent.

    The starting point is left out so the x-axis can be logarithmic.
    """
    if x not in ("examples", "seconds"):
        raise ValueError(f"x must be 'examples' or 'seconds'; got {x!r}")
    xs = trajectory.examples if x == "examples" else trajectory.seconds * 1000.0
    if line is not None:
        line.set_data(xs[1:], trajectory.costs[1:])
        return line
    return _axes(ax).plot(xs[1:], trajectory.costs[1:], "-", color=color, lw=1.5, label=label)[0]


def draw_batch_sizes(problem, grid, xs, ys, trajectories, axes=None):
    """One cost surface per trajectory (same seed and steps): batch size side by side.

    The gradient-descent path (the last trajectory if it used every example, else
    none) is drawn faintly in every panel for comparison.
    """
    if axes is None:
        axes = plt.subplots(1, len(trajectories), figsize=(4 * len(trajectories), 4))[1]
    full = [t for t in trajectories if t.batch_size == problem.n_examples]
    artists = []
    for ax, tr in zip(np.ravel(axes), trajectories):
        title = f"{batch_name(tr, problem.n_examples, short=True)}\n{walk_summary(tr)}"
        artists += draw_cost_surface(xs, ys, grid, ax, problem.names)
        ax.set_title(title)
        if full and tr is not full[0]:
            artists.append(draw_path(full[0], ax, "white"))
            artists[-1].set_alpha(0.6)
        artists.append(draw_path(tr, ax, SGD_COLOR if tr.batch_size < problem.n_examples else GD_COLOR))
        if tr.diverged_at is not None:
            artists.append(ax.text(0.5, 0.5, walk_summary(tr).replace(" at ", "\nat "),
                                   transform=ax.transAxes, ha="center", va="center",
                                   color="white", backgroundcolor="black"))
    return artists


# ----- chapter 7 ---------------------------------------------------------------------
def draw_learning_curve(history, ax=None):
    """Training and test accuracy after each epoch."""
    ax = _axes(ax)
    epochs = np.arange(1, len(history.train_accuracy) + 1)
    lines = ax.plot(epochs, 100 * np.asarray(history.train_accuracy), color="0.55",
                    label="training images")
    if history.test_accuracy:
        lines += ax.plot(epochs, 100 * np.asarray(history.test_accuracy), color="black",
                         label="test images")
    ax.set(xlabel="epoch (one pass through the training images)", ylabel="accuracy (%)",
           title="learning curve")
    ax.legend()
    return lines


def draw_digits(images, captions, axes=None):
    """Show 28x28 images side by side, each with its caption."""
    images = np.asarray(images).reshape(-1, 28, 28)
    if axes is None:
        axes = plt.subplots(1, len(images), figsize=(1.6 * len(images), 2.1))[1]
    artists = []
    for ax, image, caption in zip(np.ravel(axes), images, captions):
        artists.append(ax.imshow(image, cmap="gray_r"))
        ax.set(xticks=[], yticks=[], title=caption)
    return artists


def draw_accuracy_vs_size(sizes, accuracies, ax=None):
    """Test accuracy against the number of labeled training examples (log scale)."""
    ax = _axes(ax)
    line, = ax.plot(sizes, 100 * np.asarray(accuracies), "o-", color="black")
    for n, a in zip(sizes, accuracies):
        ax.annotate(f"{100 * a:.1f}%", (n, 100 * a), textcoords="offset points", xytext=(0, 8),
                    ha="center")
    ax.set(xscale="log", xlabel="labeled training images", ylabel="test accuracy (%)",
           title="test accuracy against the number of labeled images")
    return [line]


# ----- chapter 8 ---------------------------------------------------------------------
def draw_line_fit(x, y, lines, ax=None, labels=None):
    """Points and one or more lines ``y = m x + c`` given as ``(m, c)`` pairs."""
    ax = _axes(ax)
    artists = [ax.scatter(x, y, s=8, alpha=0.4, color="grey", label="data")]
    grid = np.linspace(np.min(x), np.max(x), 2)
    shades = np.linspace(0.7, 0.0, len(lines)) if len(lines) > 1 else [0.0]
    for i, (m, c) in enumerate(lines):       # light to dark grey: earlier to later
        label = labels[i] if labels else f"y = {m:.2f} x + {c:.2f}"
        artists += ax.plot(grid, m * grid + c, lw=2, label=label, color=str(shades[i]))
    ax.set(xlabel="x", ylabel="y")
    ax.legend()
    return artists
