"""Chapter 2's explorer: wiggle two parameters by the same amount and compare.

The reader picks parameters A and B from a list ranked by sensitivity that
spans all three layers, and moves one wiggle slider. The figure shows the
measured change of the cost against the gradient's prediction (the curve, its
tangent and a dot at the current wiggle) for both, bars of the two changes and
their ratio, and ``|dC/dw|`` of A's layer with A marked.
"""
from __future__ import annotations

import numpy as np
import traitlets
from threadpoolctl import threadpool_limits

from .. import lesson
from ..network import Network
from .base import Explorer, checked_choice, front_end, pack, unpack
from .inputs import check_digit_network, check_whole_numbers, checked_examples

#: Ranks within each layer offered as choices: the most sensitive weight, a few
#: further down, and the most and a median sensitive bias.
WEIGHT_RANKS = (0, 4, 24, 99, 999, 9999)


def ranked_choices(gradient, weight_ranks=WEIGHT_RANKS) -> list[tuple[lesson.Param, float, int]]:
    """Parameters from every layer, most sensitive first, as ``(Param, dC/dp, overall rank)``."""
    ranking = lesson.sensitivity_ranking(gradient, None)
    chosen = []
    for layer in range(1, len(gradient.weights) + 1):
        weights = [r for r, (p, _) in enumerate(ranking) if p.layer == layer and p.kind == "weight"]
        biases = [r for r, (p, _) in enumerate(ranking) if p.layer == layer and p.kind == "bias"]
        chosen += [weights[i] for i in weight_ranks if i < len(weights)]
        chosen += [biases[0], biases[len(biases) // 2]]
    return [(*ranking[r], r) for r in sorted(set(chosen))]


class SensitivityExplorer(Explorer):
    """Two parameters wiggled by the same amount: measured cost change vs prediction.

    Parameters
    ----------
    net : the lesson's 784-16-16-10 network.
    X, labels : the examples whose average cost is measured (1 to 5,000 images).
    wiggle_range : the wiggle runs from ``-wiggle_range`` to ``+wiggle_range``.
    points : how many wiggles are measured. With the default 101, the slider
        steps by 1% of the range, which a reader cannot tell from continuous;
        every cost change shown was measured on the network, none interpolated.

    Controls (synced traits): ``a`` and ``b`` (positions in ``data["labels"]``,
    the ranked parameters) and ``wiggle`` (position in ``data["wiggles"]``).
    """

    _esm = front_end("sensitivity.js")
    a = traitlets.Int(0).tag(sync=True)
    b = traitlets.Int(0).tag(sync=True)
    wiggle = traitlets.Int(0).tag(sync=True)

    def __init__(self, net: Network, X, labels, wiggle_range: float = 0.5, points: int = 101,
                 **kwargs) -> None:
        check_digit_network(net, "sensitivity explorer")
        X, labels = checked_examples(net, X, labels, most=5000)
        if not (isinstance(wiggle_range, (int, float)) and 0 < wiggle_range <= 10):
            raise ValueError(f"wiggle_range must be a number above 0 and at most 10; "
                             f"got {wiggle_range!r}")
        check_whole_numbers(points=(points, 3, 401))
        gradient = net.gradient(X, labels)
        self.params = ranked_choices(gradient)
        wiggles = np.linspace(-wiggle_range, wiggle_range, points)
        with threadpool_limits(limits=1, user_api="blas"):  # faster for these small matrices
            curves = [lesson.cost_change_curve(net, X, labels, p, wiggles)
                      for p, _, _ in self.params]
        super().__init__(**kwargs)
        self.data = {
            "labels": [p.label for p, _, _ in self.params],
            "names": [f"{plain_name(p)} ({p.label}, rank {rank + 1:,})" for p, _, rank in self.params],
            "layers": [p.layer for p, _, _ in self.params],
            "cells": [_cell(p) for p, _, _ in self.params],
            "wiggles": pack(wiggles), "slopes": pack([g for _, g, _ in self.params]),
            "curves": pack(curves),
            "heat": [pack(np.abs(w)) for w in gradient.weights],
        }
        self.caption = ("Pick two parameters, then wiggle both by the same amount: the one "
                        "with the larger |dC/dp| moves the cost that many times more.")
        self.a, self.b = 0, _default_b(self.params)
        self.wiggle = int(np.argmin(np.abs(wiggles - 0.2 * wiggle_range)))

    @traitlets.validate("a", "b")
    def _valid_parameter(self, proposal):
        name = proposal["trait"].name
        return checked_choice(name, proposal["value"], len(getattr(self, "params", [None] * 24)))

    @traitlets.validate("wiggle")
    def _valid_wiggle(self, proposal):
        count = self.data["wiggles"]["shape"][0] if self.data else 401
        return checked_choice("wiggle", proposal["value"], count)

    def shown(self) -> dict:
        """The two parameters, the wiggle, both changes (measured, predicted) and ratios."""
        wiggle = float(unpack(self.data["wiggles"])[self.wiggle])
        slopes, curves = unpack(self.data["slopes"]), unpack(self.data["curves"])
        pair = (self.a, self.b)
        measured = [float(curves[i, self.wiggle]) for i in pair]
        predicted = [float(slopes[i]) * wiggle for i in pair]
        return {"a": self.params[self.a][0], "b": self.params[self.b][0], "wiggle": wiggle,
                "measured": measured, "predicted": predicted,
                "slopes": [float(slopes[i]) for i in pair],
                "ratio_measured": _ratio(*measured), "ratio_predicted": _ratio(*predicted),
                "heat_layer": self.params[self.a][0].layer,
                "heat": unpack(self.data["heat"][self.params[self.a][0].layer - 1])}


def plain_name(p: lesson.Param) -> str:
    """The parameter in words: "bias of output 9", "weight from pixel 188 into layer-1 neuron 7"."""
    last = 3  # the outputs' layer of the course's 784-16-16-10 network
    into = f"output {p.index[0]}" if p.layer == last else f"layer-{p.layer} neuron {p.index[0]}"
    if p.kind == "bias":
        return f"bias of {into}"
    source = f"pixel {p.index[1]}" if p.layer == 1 else f"layer-{p.layer - 1} neuron {p.index[1]}"
    return f"weight from {source} into {into}"


def _cell(p: lesson.Param) -> list[int]:
    """Where a parameter sits in its layer's heatmap: ``[row, column]`` (-1 for a bias)."""
    return [p.index[0], p.index[1] if p.kind == "weight" else -1]


def _default_b(params) -> int:
    """B starts as the parameter about 30 times less sensitive than A (chapter 2's story)."""
    sizes = np.abs([g for _, g, _ in params])
    return int(np.argmin(np.abs(np.log(np.maximum(sizes, 1e-30) / (sizes[0] / 30)))))


def _ratio(first: float, second: float) -> float | None:
    """``first / second``, or None when the second change is exactly zero."""
    return None if second == 0 else first / second
