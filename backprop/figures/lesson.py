"""Drawings for chapters 1-4: digits, outputs, nudges, sensitivities, wishes.

Every function takes plain values (arrays, numbers) and an optional matplotlib
Axes, draws one idea, and returns the artists it made, so a widget can later
change their data instead of drawing again. Colours: blue means "up" (a
positive nudge or weight), red "down"; darker grey means a more active neuron.
The whole network and the notation sketch are in :mod:`backprop.figures.network`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.legend_handler import HandlerTuple
from matplotlib.patches import Patch

UP, DOWN = "#2166ac", "#b2182b"
SIGNED = "RdBu"


def axes_or_current(ax):
    """``ax``, or the current matplotlib Axes when ``ax`` is None."""
    return plt.gca() if ax is None else ax


def signed_colors(values) -> list[str]:
    """Blue for values >= 0, red for negative ones."""
    return [UP if v >= 0 else DOWN for v in np.ravel(values)]


def symmetric_limit(values, floor: float = 1e-12) -> float:
    """The largest absolute value (at least ``floor``), for axes centred on zero.

    ``values`` may be an array or a list of arrays of different shapes.
    """
    if isinstance(values, (list, tuple)):
        values = np.concatenate([np.ravel(v) for v in values])
    return max(float(np.max(np.abs(values))), floor)


def draw_digit(pixels, ax=None, title: str | None = None, cmap: str = "gray_r", limit=None):
    """Show 784 values as a 28x28 image (ink dark). A signed ``cmap`` is centred on 0."""
    ax = axes_or_current(ax)
    image = np.reshape(pixels, (28, 28))
    if cmap == SIGNED:
        limit = symmetric_limit(image) if limit is None else limit
        artist = ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
    else:
        artist = ax.imshow(image, cmap=cmap, vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return artist


def draw_activation_functions(ax=None, z_range: float = 6.0, top: float = 2.0):
    """The two squashing functions on one scale: sigmoid (the lesson's) and ReLU.

    Both are drawn unscaled. The sigmoid stays below its ceiling of 1 (dotted);
    ReLU has no ceiling, so it leaves the axes at ``top`` and an arrow says that
    it keeps rising. Returns the two lines (sigmoid, ReLU).
    """
    from ..activations import relu, sigmoid
    ax = axes_or_current(ax)
    z = np.linspace(-z_range, z_range, 241)
    lines = ax.plot(z, sigmoid(z), label="sigmoid", color="black", lw=2)
    lines += ax.plot(z, relu(z), "--", color="0.45", lw=2, label="ReLU")
    ax.axhline(1, color="black", lw=0.8, ls=":")
    ax.text(-z_range, 1.04, "sigmoid's ceiling: 1", va="bottom")
    ax.annotate("ReLU keeps rising:\nno ceiling", xy=(top, top), xytext=(top + 0.4, top - 0.75),
                arrowprops={"arrowstyle": "->", "color": "0.3"}, va="center")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set(xlabel="weighted input z", ylabel="activation", title="Sigmoid and ReLU",
           xlim=(-z_range, z_range), ylim=(-0.15, top))
    ax.legend(loc="upper left")
    return lines


def draw_outputs(output, label: int, ax=None, title: str | None = None):
    """The ten output activations as bars, with the desired output drawn as outlines."""
    ax = axes_or_current(ax)
    digits = np.arange(len(output))
    target = (digits == label).astype(float)
    ax.bar(digits, target, color="none", edgecolor="0.3", linestyle="--", label="desired")
    bars = ax.bar(digits, output, color="0.55", width=0.6, label="network's output")
    ax.set(xticks=digits, ylim=(0, 1.05), xlabel="output neuron (digit)", ylabel="activation")
    ax.set_title(title or f"Outputs for an image of a {label}")
    ax.legend(loc="upper right")
    return bars


def draw_signed_bars(nudges, ax=None, title: str = "Desired nudges", limit: float | None = None,
                xlabel: str = "output neuron (digit)", ylabel: str = "nudge"):
    """Signed bars, one per neuron: blue wishes it up, red wishes it down."""
    ax = axes_or_current(ax)
    positions = np.arange(len(nudges))
    bars = ax.bar(positions, nudges, color=signed_colors(nudges))
    limit = 1.1 * symmetric_limit(nudges) if limit is None else limit
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(ylim=(-limit, limit), xlabel=xlabel, ylabel=ylabel, title=title)
    ax.set_xticks(positions[::1 if len(nudges) <= 10 else 3])
    return bars


def set_bars(bars, heights) -> None:
    """Give existing bars new heights and matching up/down colours."""
    for bar, height, color in zip(bars, heights, signed_colors(heights)):
        bar.set_height(height)
        bar.set_color(color)


# ----- chapter 2: sensitivities -----------------------------------------------------
def weights_mosaic(rows, columns: int = 4, side: int = 28):
    """Tile each row of a first-layer array (n, 784) into a grid of 28x28 images.

    Tiles are separated by a one-pixel gap of NaN (drawn blank).
    """
    rows = np.asarray(rows, dtype=np.float64)
    n_rows = -(-rows.shape[0] // columns)
    mosaic = np.full((n_rows * (side + 1) - 1, columns * (side + 1) - 1), np.nan)
    for j, row in enumerate(rows):
        top, left = (j // columns) * (side + 1), (j % columns) * (side + 1)
        mosaic[top:top + side, left:left + side] = row.reshape(side, side)
    return mosaic


def mosaic_position(neuron: int, pixel: int, columns: int = 4, side: int = 28) -> tuple[int, int]:
    """(row, column) in :func:`weights_mosaic` of the weight from ``pixel`` to ``neuron``."""
    return ((neuron // columns) * (side + 1) + pixel // side,
            (neuron % columns) * (side + 1) + pixel % side)


def draw_sensitivity_heatmap(values, layer: int, ax=None, colorbar: bool = True):
    """``|dC/dw|`` of one layer's weights; the first layer as one 28x28 image per neuron."""
    ax = axes_or_current(ax)
    values = np.abs(np.asarray(values, dtype=np.float64))
    first = values.shape[1] == 784
    shown = weights_mosaic(values) if first else values
    image = ax.imshow(shown, cmap="magma", vmin=0, vmax=symmetric_limit(values),
                      interpolation="nearest")
    if first:
        ax.set(xticks=[], yticks=[],
               xlabel="16 neurons, each with the |dC/dw|\nof its 28x28 incoming weights")
    else:
        ax.set(xlabel=f"from neuron k of layer {layer - 1}", ylabel=f"to neuron j of layer {layer}",
               xticks=range(0, values.shape[1], 3), yticks=range(0, values.shape[0], 3))
    ax.set_title(f"|dC/dw|, layer {layer}")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return image


def draw_wiggle_curve(wiggles, measured, slope: float, wiggle: float, ax=None,
                      name: str = "parameter", color: str = "black"):
    """Measured cost change against wiggle size, beside the straight-line prediction.

    The prediction is the parameter's sensitivity (its component of the gradient) times the
    wiggle.

    Returns ``(curve, tangent, point)``; ``point`` marks the current ``wiggle``.
    """
    ax = axes_or_current(ax)
    wiggles = np.asarray(wiggles, dtype=np.float64)
    (curve,) = ax.plot(wiggles, measured, color=color, lw=2, label=f"{name}: measured")
    (tangent,) = ax.plot(wiggles, slope * wiggles, "--", color=color, lw=1,
                         label=f"{name}: sensitivity x wiggle (prediction)")
    (point,) = ax.plot([wiggle], [np.interp(wiggle, wiggles, measured)], "o", color=color)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set(xlabel="wiggle added to the parameter", ylabel="change in cost",
           title="Wiggle a parameter, watch the cost")
    ax.legend(loc="best")
    return curve, tangent, point


def draw_change_bars(names, measured, predicted, ax=None, limit: float | None = None):
    """Pairs of bars: the measured change in cost and the gradient's prediction, per parameter."""
    ax = axes_or_current(ax)
    x = np.arange(len(names))
    got = ax.bar(x - 0.2, measured, width=0.4, color="0.35", label="measured")
    guess = ax.bar(x + 0.2, predicted, width=0.4, color="0.75", hatch="//",
                   label="sensitivity x wiggle (prediction)")
    limit = 1.2 * symmetric_limit(np.r_[measured, predicted]) if limit is None else limit
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(xticks=x, xticklabels=names, ylim=(-limit, limit), ylabel="change in cost",
           title="Same wiggle, different effects")
    ax.legend(loc="best")
    return got, guess


# ----- chapter 3: one example's wishes ------------------------------------------------
def draw_avenues(avenues, ax_params=None, ax_previous=None, limits=(None, None)):
    """The three avenues for one neuron: bias and weight nudges, its parts of the previous wishes.

    ``avenues`` is a :class:`~backprop.lesson.Avenues`. Returns the two bar containers
    (bias first, then one bar per weight; one bar per previous neuron).
    """
    if ax_params is None or ax_previous is None:
        _, (ax_params, ax_previous) = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
    heights = np.r_[avenues.bias, avenues.weights]
    params = draw_signed_bars(heights, ax_params, "Avenues 1, 2: bias, weights",
                         limits[0], xlabel="bias (b), then weight from neuron k",
                         ylabel="nudge")
    ax_params.set_xticks([0, *range(1, len(heights), 3)],
                         ["b", *[str(k) for k in range(0, len(heights) - 1, 3)]])
    previous = draw_signed_bars(avenues.wish_parts, ax_previous,
                           "Avenue 3: previous neurons", limits[1],
                           xlabel="neuron k of the previous layer", ylabel="part of k's wish")
    return params, previous


def draw_signed_heatmap(table, ax=None, title: str = "", limit: float | None = None,
                        row: int | None = None, colorbar: bool = True):
    """A table (n_out, n_in), such as a layer's weight nudges, in blue (positive: strengthen)
    and red (negative: weaken), one row outlined."""
    ax = axes_or_current(ax)
    limit = symmetric_limit(table) if limit is None else limit
    image = ax.imshow(table, cmap=SIGNED, vmin=-limit, vmax=limit, interpolation="nearest",
                      aspect="auto")
    frame = plt.Rectangle((-0.5, (row or 0) - 0.5), table.shape[1], 1, fill=False,
                          edgecolor="k", lw=2, visible=row is not None)
    ax.add_patch(frame)
    ax.set(title=title, xlabel="from neuron k (previous layer)", ylabel="to output neuron j",
           yticks=range(table.shape[0]), xticks=range(0, table.shape[1], 3))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return image, frame


def draw_row_factors(hebbian, pushes, ax=None, limit: float | None = None):
    """Per output neuron, the factor that Hebb's update (the neuron's own activation) and the
    weight nudges (its push) multiply the previous activations by."""
    ax = axes_or_current(ax)
    x = np.arange(len(hebbian))
    hebb = ax.bar(x - 0.2, hebbian, width=0.4, color="0.6")
    back = ax.bar(x + 0.2, pushes, width=0.4, color=signed_colors(pushes))
    limit = 1.1 * symmetric_limit(np.r_[hebbian, pushes]) if limit is None else limit
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(xticks=x, ylim=(-limit, limit), xlabel="output neuron j",
           ylabel="row factor", title="Each row = factor x previous activations")
    up_and_down = (Patch(color=UP), Patch(color=DOWN))        # one swatch of each sign
    ax.legend([hebb, up_and_down],
              ["Hebbian: own activation", "weight nudges: push (blue up, red down)"],
              handler_map={tuple: HandlerTuple(ndivide=None)}, loc="lower left")
    return hebb, back


# ----- chapter 4: the backward steps ------------------------------------------------
def draw_wish_check(pushes, minus_delta, ax=None, layer: int = 0, limit=None,
                    label: str = "push = f'(z) x wish", legend: bool = True):
    """Bars: each neuron's push (-dC/dz, found from its wish); dots: minus backprop's error term (equal)."""
    ax = axes_or_current(ax)
    x = np.arange(len(pushes))
    bars = ax.bar(x, pushes, color=signed_colors(pushes), label=label)
    (dots,) = ax.plot(x, minus_delta, "ko", ms=4, label="-delta (net.errors)")
    limit = 1.15 * symmetric_limit(np.r_[pushes, minus_delta]) if limit is None else limit
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(x[::1 if len(x) <= 10 else 3])
    ax.set(ylim=(-limit, limit), xlabel=f"neuron of layer {layer}", ylabel="push on z",
           title=f"Layer {layer}: pushes = -delta")
    if legend:
        ax.legend(loc="lower left")
    return bars, dots
