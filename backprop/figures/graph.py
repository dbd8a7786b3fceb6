"""Chapter 8: the computational graph of a chain of neurons, traced and drawn.

:func:`chain_graph` runs a one-neuron-per-layer chain through the
:mod:`backprop.autodiff` engine and returns its graph: every node with its forward
value and the gradient the engine's ``backward()`` left in it, and every edge with
its local derivative (how much the child moves per unit of the parent).
:func:`draw_graph` draws that graph; :func:`backward_order` records the order in
which ``backward()`` visits named tensors.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .. import autodiff as ad

UP_COLOR, DOWN_COLOR = "tab:blue", "tab:red"   # the book's key: blue = up is wanted, red = down


class GraphNode(NamedTuple):
    """One quantity of the graph: its name, forward value, dC/d(node) and drawing position."""

    name: str
    value: float
    grad: float
    position: tuple[float, float]


class GraphEdge(NamedTuple):
    """An arrow ``parent -> child`` labelled with the local derivative d(child)/d(parent)."""

    parent: str
    child: str
    derivative: float


def _scalar(array) -> float:
    """The single number held by a one-entry array."""
    return float(np.asarray(array).reshape(-1)[0])


def chain_tensors(weights: Sequence[float], biases: Sequence[float], x: float,
                  y: float) -> dict:
    """Forward pass of a chain of one-neuron sigmoid layers, written with engine tensors.

    Layer ``l`` computes ``z_l = w_l a_(l-1) + b_l`` and ``a_l = sigmoid(z_l)``, with
    ``a_0 = x``; the cost is ``C = (a_L - y)**2``. Returns the named tensors
    ``a0, w1, b1, z1, a1, ..., C`` in order of computation (no ``backward()`` yet).
    """
    if len(weights) != len(biases) or not len(weights):
        raise ValueError(f"need as many weights as biases (at least one); got "
                         f"{len(weights)} and {len(biases)}")
    named = {"a0": ad.Tensor(x)}
    for layer, (w_value, b_value) in enumerate(zip(weights, biases), start=1):
        w, b = ad.Tensor(w_value), ad.Tensor(b_value)
        z = w * named[f"a{layer - 1}"] + b
        named.update({f"w{layer}": w, f"b{layer}": b, f"z{layer}": z, f"a{layer}": z.sigmoid()})
    named["C"] = (named[f"a{len(weights)}"] - y) ** 2
    return named


def chain_graph(weights: Sequence[float], biases: Sequence[float], x: float,
                y: float) -> tuple[list[GraphNode], list[GraphEdge]]:
    """The graph of ``C = (a_L - y)**2`` for a chain of one-neuron sigmoid layers.

    Values and gradients come from the autodiff engine (:func:`chain_tensors`,
    then ``backward()``); the edges carry the local derivatives of the chain rule:
    ``dz/dw = a_prev``, ``dz/db = 1``, ``dz/da_prev = w``, ``da/dz = a (1 - a)``
    and ``dC/da_L = 2 (a_L - y)``.

    Returns
    -------
    nodes, edges : the nodes in order of computation and the edges between them.
    """
    named = chain_tensors(weights, biases, x, y)
    value = {name: _scalar(t.value) for name, t in named.items()}
    edges = []
    for layer, w in enumerate(weights, start=1):
        a = value[f"a{layer}"]
        edges += [GraphEdge(f"w{layer}", f"z{layer}", value[f"a{layer - 1}"]),
                  GraphEdge(f"b{layer}", f"z{layer}", 1.0),
                  GraphEdge(f"a{layer - 1}", f"z{layer}", float(w)),
                  GraphEdge(f"z{layer}", f"a{layer}", a * (1.0 - a))]
    last = len(weights)
    edges.append(GraphEdge(f"a{last}", "C", 2.0 * (value[f"a{last}"] - y)))
    named["C"].backward()
    nodes = [GraphNode(name, value[name], _scalar(t.grad), _position(name, last))
             for name, t in named.items()]
    return nodes, edges


def _position(name: str, layers: int) -> tuple[float, float]:
    """Main line a0 z1 a1 ... C left to right; each layer's w up and b down to the left of z."""
    if name == "C":
        return (2.0 * layers + 1.0, 0.0)
    kind, layer = name[0], int(name[1:])
    column = 2.0 * layer if kind == "a" else 2.0 * layer - 1.0
    offsets = {"a": (0.0, 0.0), "z": (0.0, 0.0), "w": (-0.7, 1.3), "b": (-0.7, -1.3)}
    dx, dy = offsets[kind]
    return (column + dx, dy)


def _grad_offset(name: str) -> tuple[float, float]:
    """Where a node's gradient is written: above it, or below for z and b (clear of arrows)."""
    return {"z": (0.22, -0.5), "b": (0.0, -0.5)}.get(name[0], (0.0, 0.5))


def _label(name: str) -> str:
    """``z2`` -> ``$z^{(2)}$``; ``C`` stays ``$C$``."""
    return "$C$" if name == "C" else f"${name[0]}^{{({name[1:]})}}$"


def draw_graph(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], ax=None,
               show_grads: bool = True, fontsize: int = 10) -> list:
    """Draw a computational graph: values in the nodes, local derivatives on the edges.

    Each edge's local derivative, a plain signed number, is written in grey just
    above its arrow (on the upper side of a slanted one). With ``show_grads`` each
    node also shows minus the cost's derivative with respect to it, in the book's
    words its wish (an activation), push (a weighted input) or nudge (a weight or
    bias), in the book's colour key: blue where up is wanted (positive), red where
    down is wanted (negative). Returns the artists made.
    """
    if ax is None:
        ax = plt.subplots(figsize=(8, 3.6), layout="constrained")[1]
    where = {n.name: n.position for n in nodes}
    artists = []
    for edge in edges:
        (x0, y0), (x1, y1) = where[edge.parent], where[edge.child]
        artists.append(ax.annotate("", (x1, y1), (x0, y0), arrowprops=dict(
            arrowstyle="-|>", color="0.45", lw=1.2, shrinkA=16, shrinkB=16)))
        # the label sits beside the arrow's middle, moved off the line along its normal
        length = np.hypot(x1 - x0, y1 - y0)
        normal = np.array([-(y1 - y0), x1 - x0]) / length
        if normal[1] < 0:
            normal = -normal                      # the side that points up
        gap = 0.3 if y0 == y1 else 0.24
        label_x, label_y = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + gap * normal
        artists.append(ax.text(label_x, label_y, f"{edge.derivative:.3g}", ha="center",
                               va="center", fontsize=fontsize, color="0.4"))
    for node in nodes:
        x, y = node.position
        artists.append(ax.text(x, y, f"{_label(node.name)}\n{node.value:.3f}", ha="center",
                               va="center", fontsize=fontsize,
                               bbox=dict(boxstyle="round,pad=0.3", fc="0.95", ec="0.3")))
        if show_grads:
            wanted = -node.grad
            color = UP_COLOR if wanted > 0 else DOWN_COLOR if wanted < 0 else "0.4"
            dx, dy = _grad_offset(node.name)
            artists.append(ax.text(x + dx, y + dy, f"{wanted:+.3g}",
                                   ha="center", va="center", fontsize=fontsize,
                                   color=color, fontweight="bold"))
    xs = [n.position[0] for n in nodes]
    ax.set(xlim=(min(xs) - 0.45, max(xs) + 0.45), ylim=(-1.95, 1.95))
    ax.axis("off")
    return artists


def backward_order(output: ad.Tensor, named: dict) -> list[str]:
    """Names of the ``named`` tensors in the order ``output.backward()`` passes them back.

    Each named tensor's ``pass_back`` is wrapped to note its name, then restored.
    """
    order, originals = [], {}
    for name, tensor in named.items():
        originals[name] = tensor.pass_back

        def noted(name=name, original=tensor.pass_back):
            order.append(name)
            original()
        tensor.pass_back = noted
    try:
        output.backward()
    finally:
        for name, tensor in named.items():
            tensor.pass_back = originals[name]
    return order
