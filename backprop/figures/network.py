"""Drawings of the whole network: the chapter-1 notation sketch and the network itself.

Same conventions as :mod:`backprop.figures.lesson` (plain values in, artists out; blue
"up", red "down", darker grey a more active neuron). The network drawing is also
the still figure of the whole-network explorer.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgba

from .lesson import DOWN, SIGNED, UP, axes_or_current, signed_colors, symmetric_limit

WISH_BAR = 0.2  # longest wish bar beside a neuron, in units of the layer spacing
NETWORK_KEY = ("Shade: activation. Bars: wishes (blue up, red down; each layer\n"
               "scaled to its largest). Lines: weights (blue positive, red negative)")


# ----- chapter 1: the notation --------------------------------------------------------
def draw_notation(sizes=(784, 16, 16, 10), ax=None, layer: int = 2, j: int = 1, k: int = 2,
                  shown: int = 4):
    """The network as a labelled sketch: layer numbers and the names w, b, z, a.

    Every layer is drawn with ``shown`` circles (the rest stand behind the dots);
    layer 0 is the pixels. The connection from neuron ``k`` of layer ``layer - 1``
    to neuron ``j`` of ``layer`` is drawn bold and named :math:`w^{(l)}_{jk}`, and
    neuron ``j`` carries the names of its bias, weighted input and activation.
    Returns a dict: ``neurons`` (one scatter per layer), ``weight`` (the bold line),
    ``names`` (the texts naming w, b, z and a), ``layers`` (the layer titles).
    """
    ax = axes_or_current(ax)
    ys = [np.linspace(1.5, -1.5, shown) for _ in sizes]
    art = {"neurons": [], "layers": [], "names": {}}
    for l in range(1, len(sizes)):
        for y0 in ys[l - 1]:
            ax.add_collection(LineCollection([[(l - 1, y0), (l, y1)] for y1 in ys[l]],
                                             colors="0.8", linewidths=0.6, zorder=1))
    roles = ["input: the pixels"] + ["hidden"] * (len(sizes) - 2) + ["output: one per digit"]
    for l, (n, role) in enumerate(zip(sizes, roles)):
        art["neurons"].append(ax.scatter(np.full(shown, l), ys[l], s=260, c="white",
                                         edgecolors="black", marker="s" if l == 0 else "o",
                                         zorder=3))
        ax.text(l, -1.85, "⋮", ha="center", va="top")
        art["layers"].append(ax.text(l, 2.0, f"layer {l}\n{n} neurons\n{role}",
                                     ha="center", va="bottom"))
    start, end = (layer - 1, ys[layer - 1][k]), (layer, ys[layer][j])
    (art["weight"],) = ax.plot(*zip(start, end), color="black", lw=2.5, zorder=2)
    ax.scatter(*end, s=260, c="0.6", edgecolors="black", zorder=4)
    mid = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    names = {
        "w": (mid, rf"$w^{{({layer})}}_{{jk}}$: weight from $k$ to $j$", (0.95, -3.6)),
        "a_prev": (start, rf"$a^{{({layer - 1})}}_k$: activation of neuron $k$", (-0.45, -2.9)),
        "b": (end, rf"$b^{{({layer})}}_j$: bias of neuron $j$", (2.15, -2.9)),
        "z": (end, rf"$z^{{({layer})}}_j = \sum_k w^{{({layer})}}_{{jk}}\, a^{{({layer - 1})}}_k"
                   rf" + b^{{({layer})}}_j$", (2.15, -3.6)),
        "a": (end, rf"$a^{{({layer})}}_j = \sigma(z^{{({layer})}}_j)$", (2.15, -4.3)),
    }
    for key, (target, text, where) in names.items():
        arrow = {"arrowstyle": "->", "color": "0.35"} if key in ("w", "a_prev", "b") else None
        art["names"][key] = ax.annotate(text, xy=target, xytext=where, arrowprops=arrow,
                                        va="center", zorder=5)
    ax.set(xlim=(-0.5, len(sizes) - 0.5), ylim=(-4.7, 3.4))
    ax.set_axis_off()
    return art


# ----- chapter 4: the network and its backward steps -----------------------------------
def neuron_positions(sizes) -> list[np.ndarray]:
    """(x, y) of every drawn neuron: layer ``l`` at x = l, neurons one unit apart, centred."""
    return [np.c_[np.full(n, l), (n - 1) / 2 - np.arange(n)] for l, n in enumerate(sizes)]


def draw_network(sizes, activations, weights, ax=None, wishes=None, wish_scale=None,
                 current: int | None = None, title: str | None = None):
    """The network: neurons shaded by activation, connections coloured by weight.

    The input layer is drawn as its 28x28 image. ``wishes`` (optional, one array
    or None per layer) become small bars beside the neurons, blue up, red down,
    each layer scaled by ``wish_scale[l]`` (default: its largest wish).
    ``current`` (default: the output layer) is the layer being visited: it is
    shaded and the connections to the layer after it stand out. Without a
    ``title`` the axes are titled with the colour key :data:`NETWORK_KEY`.
    Returns a dict of artists: ``image``, ``neurons`` (one per non-input layer),
    ``connections``, ``wishes`` (bar containers; the input's is None), ``highlight``.
    """
    ax = axes_or_current(ax)
    where = neuron_positions(sizes)
    top = max(sizes[1:]) / 2 + 0.5
    xlim, ylim = (-0.6, len(sizes) - 0.45), (-top - 3, top + 2)
    extent = _image_extent(ax, xlim, ylim)
    image = ax.imshow(np.reshape(activations[0], (28, 28)), cmap="gray_r", vmin=0, vmax=1,
                      extent=extent, aspect="auto", zorder=2)
    art = {"image": image, "neurons": [], "connections": [], "wishes": [None]}
    for layer, w in enumerate(weights[1:], start=1):
        start, end = where[layer], where[layer + 1]
        segments = [(start[k], end[j]) for j in range(w.shape[0]) for k in range(w.shape[1])]
        strength = np.abs(w).ravel() / symmetric_limit(w)
        lines = LineCollection(segments, cmap=SIGNED, norm=Normalize(-1, 1), zorder=1,
                               linewidths=0.3 + 1.5 * strength)
        lines.set_array(w.ravel() / symmetric_limit(w))
        art["connections"].append(ax.add_collection(lines))
    ax.plot([0.45, 0.75], [0, 0], color="0.5", lw=6, alpha=0.4, solid_capstyle="butt")
    ax.text(0, -0.5 + extent[2], f"{sizes[0]} pixels\n({sizes[0] * sizes[1]} weights\n"
            "to layer 1,\nnot drawn)",
            ha="center", va="top")
    for layer in range(1, len(sizes)):
        xy = where[layer]
        art["neurons"].append(ax.scatter(xy[:, 0], xy[:, 1], c=activations[layer], cmap="Greys",
                                         vmin=0, vmax=1, s=70, edgecolors="k", zorder=3))
        missing = wishes is None or wishes[layer] is None
        values = np.zeros(sizes[layer]) if missing else wishes[layer]
        scale = (wish_scale[layer] if wish_scale is not None else symmetric_limit(values))
        art["wishes"].append(ax.barh(xy[:, 1], WISH_BAR * np.asarray(values) / scale,
                                     left=layer + 0.32, height=0.6, color=signed_colors(values),
                                     zorder=4))
        ax.text(layer, top, f"layer {layer}", ha="center", va="bottom")
    ax.text(0, top, "layer 0\n(input)", ha="center", va="bottom")
    art["highlight"] = ax.add_patch(plt.Rectangle((0, 0), 0.95, 1, color="#fee08b", alpha=0.5,
                                                  zorder=0, transform=ax.get_xaxis_transform()))
    show_network_step(art, len(sizes) - 1 if current is None else current)
    ax.set(xlim=xlim, ylim=ylim, xticks=[], yticks=[])
    ax.set_title(title or NETWORK_KEY, fontsize="medium")
    ax.set_frame_on(False)
    return art


def show_network_step(art: dict, current: int) -> None:
    """Shade layer ``current`` of a :func:`draw_network` drawing; bring out its outgoing lines."""
    art["highlight"].set_x(current - 0.5)
    for layer, lines in enumerate(art["connections"], start=1):
        lines.set_alpha(0.9 if layer == current else 0.15)


# ----- the whole-network explorer's still: nudges walked back --------------------------
#: Widest line (points) of each layer's connections, drawn for the layer's largest nudge.
NUDGE_WIDEST = {1: 1.25, 2: 2.5, 3: 2.5}


def _image_extent(ax, xlim, ylim, half: float = 0.42) -> tuple:
    """Where the input image goes, at x = 0: ``half`` wide either side, and as tall in
    data units as it must be to look square on axes spanning ``xlim`` by ``ylim``."""
    box = ax.get_position()
    squash = ((ylim[1] - ylim[0]) / (box.height * ax.figure.get_figheight())
              / ((xlim[1] - xlim[0]) / (box.width * ax.figure.get_figwidth())))
    return (-half, half, -half * squash, half * squash)


def _pixel_centres(extent, side: int = 28) -> np.ndarray:
    """(x, y) of each of the side x side pixels drawn in ``extent`` (row by row)."""
    left, right, bottom, top = extent
    k = np.arange(side * side)
    return np.c_[left + (k % side + 0.5) * (right - left) / side,
                 top - (k // side + 0.5) * (top - bottom) / side]


def nudge_key(arrows: bool, lines: bool, pixel_lines: bool, ring: bool, shaded: bool = True,
              faint: bool = False) -> str:
    """The colour key of :func:`draw_network_nudges`, naming only what is drawn."""
    unshaded = "Layers 1-3 unshaded: an average has no single activation. Layer 0: the mean image."
    key = ["Shade: activation." if shaded else unshaded]
    if ring:
        key.append("Blue ring: the right answer.")
    if arrows:
        key.append("Bars: wishes (blue up, red down).")
    if lines:
        key.append("\nLines: weight nudges (blue grow, red shrink; width = size)"
                   + (", the 200 strongest from the pixels." if pixel_lines else "."))
    if faint:
        key.append("Faint lines: the connections between the circles (none from the pixels).")
    return " ".join(key).replace(" \n", "\n")


def draw_network_nudges(sizes, activations, connections: dict, arrows: dict, scale: dict, ax=None,
                arrow_scale: dict | None = None, title: str | None = None,
                ring: int | None = None, shaded: bool = True) -> dict:
    """The whole network with the nudges one example (or the average) asks for.

    Parameters
    ----------
    sizes, activations : the layer sizes and each layer's activations (layer 0 the
        784 pixels, drawn as the 28 x 28 image).
    connections : layer l -> ``(j, k, nudge)`` arrays, the weight nudges of the
        connections k -> j drawn into layer l (a layer left out shows its wiring faintly).
        Each line is blue for a positive nudge, red for a negative one, and
        ``0.3 + NUDGE_WIDEST[l] * |nudge| / scale[l]`` points wide.
    arrows : layer l -> wishes, drawn as bars beside its neurons, scaled by
        ``arrow_scale[l]`` (default: the layer's largest): as long as the wish is
        large, blue for up, red for down.
    ring : an output circled in blue (the right answer), or None.
    shaded : False leaves the neurons of layers 1-3 unshaded and the outputs' values
        out (an average over many images has no activations of its own).

    Returns a dict of artists: ``image``, ``neurons``, ``connections`` (layer -> lines),
    ``wishes`` (layer -> bars), ``key`` (the text naming what is drawn).
    """
    ax = axes_or_current(ax)
    where = neuron_positions(sizes)
    top = max(sizes[1:]) / 2 + 0.5
    xlim, ylim = (-0.6, len(sizes) - 0.2), (-top - 1.5, top + 1.2)
    extent = _image_extent(ax, xlim, ylim)
    art = {"image": ax.imshow(np.reshape(activations[0], (28, 28)), cmap="gray_r", vmin=0, vmax=1,
                              extent=extent, aspect="auto", zorder=2),
           "neurons": [], "connections": {}, "wishes": {}}
    pixels = _pixel_centres(extent)
    for layer in range(1, len(sizes)):
        start = pixels if layer == 1 else where[layer - 1]
        end = where[layer]
        if layer in connections:
            j, k, nudge = (np.asarray(a) for a in connections[layer])
            size = np.abs(nudge) / scale[layer]
            colours = np.array([to_rgba(UP if v >= 0 else DOWN, 0.25 + 0.75 * min(s, 1.0))
                                for v, s in zip(nudge, size)]).reshape(-1, 4)
            lines = LineCollection([(start[a], end[b]) for a, b in zip(k, j)], colors=colours,
                                   linewidths=0.3 + NUDGE_WIDEST[layer] * size, zorder=1)
            art["connections"][layer] = ax.add_collection(lines)
        elif layer > 1:
            ax.add_collection(LineCollection([(s, e) for e in end for s in start], colors="0.92",
                                             linewidths=0.4, zorder=0))
    for layer in range(1, len(sizes)):
        xy = where[layer]
        edges = ["k"] * sizes[layer]
        widths = [1.0] * sizes[layer]
        if layer == len(sizes) - 1 and ring is not None:
            edges[ring], widths[ring] = UP, 3.0
        shade = activations[layer] if shaded else np.zeros(sizes[layer])
        art["neurons"].append(ax.scatter(xy[:, 0], xy[:, 1], c=shade, cmap="Greys",
                                         vmin=0, vmax=1, s=70, edgecolors=edges,
                                         linewidths=widths, zorder=3))
        if layer in arrows:
            values = np.asarray(arrows[layer])
            limit = arrow_scale[layer] if arrow_scale else symmetric_limit(values)
            art["wishes"][layer] = ax.barh(xy[:, 1], WISH_BAR * np.abs(values) / limit, left=layer + 0.2,
                                           height=0.6, color=signed_colors(values), zorder=4)
        ax.text(layer, top, "layer 3: outputs" if layer == len(sizes) - 1 else f"layer {layer}",
                ha="center", va="bottom")
    out = where[-1]
    for d, (x, y) in enumerate(out):
        ax.text(x + 0.5, y, f"{d}  {activations[-1][d]:.2f}" if shaded else str(d), va="center",
                fontsize="small")
    ax.text(0, top, "layer 0: pixels", ha="center", va="bottom")
    key = nudge_key(bool(arrows), bool(connections), 1 in connections, ring is not None, shaded,
                    faint=any(l not in connections for l in range(2, len(sizes))))
    art["key"] = ax.text(0.0, -0.02, key,
                         transform=ax.transAxes, va="top", fontsize="small", wrap=True)
    ax.set(xlim=xlim, ylim=ylim, xticks=[], yticks=[])
    ax.set_title(title or "", fontsize="medium")
    ax.set_frame_on(False)
    return art

