"""The lesson's own picture: the whole 784-16-16-10 network, live, with a drawing pad.

For a chosen image the explorer lights every neuron by its activation, shows the
desired nudges of the ten outputs, and walks the nudges back one layer per step:
each connection is drawn as wide as the weight nudge that one example asks for,
blue where the weight should grow and red where it should shrink. The reader can
switch between an untrained and a trained network, compare one image's nudges with
the average over many (chapter 5), and draw a digit on the pad. For the pad the
forward and backward pass run in the browser (``mirror.js``, which follows
:class:`~backprop.network.Network` line by line, on the weights rounded to float32);
everything else is computed here.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import traitlets

from .. import lesson
from ..figures import network as network_plots
from ..network import Network
from .base import Explorer, checked_choice, front_end, pack, unpack
from .inputs import check_digit_network, checked_examples

#: What the step control shows: how far the nudges have been walked back.
STEP_NAMES = ("the outputs' desired nudges", "weights into the outputs",
              "weights into hidden layer 2", "weights from the pixels")


def check_lesson_network(name: str, net: Network) -> None:
    """The browser mirrors the lesson's network only: sigmoid neurons, quadratic cost."""
    check_digit_network(net, f"network explorer (networks[{name!r}])")
    if net.activation.name != "sigmoid":
        raise ValueError(f"networks[{name!r}] must use the lesson's sigmoid neurons; "
                         f"it uses {net.activation.name}")


def example_nudges(net: Network, images: np.ndarray, labels: np.ndarray) -> dict:
    """Every number the picture shows for each image, from the lesson's backward walk.

    Per layer ``l``: ``a{l}`` activations, ``wish{l}`` the wishes (-dC/da), and
    for ``l >= 1`` ``push{l}`` the pushes (-dC/dz, minus backprop's delta). The weight nudge of ``k -> j`` is ``push{l}[j] * a{l-1}[k]``.
    """
    walks = [lesson.backward_steps(net, x, int(d)) for x, d in zip(images, labels)]
    fields = {}
    for step in walks[0]:
        l = step.layer
        fields[f"a{l}"] = np.array([w[-1 - l].activations for w in walks])
        fields[f"wish{l}"] = np.array([w[-1 - l].wishes for w in walks])
        if l:
            fields[f"push{l}"] = np.array([w[-1 - l].pushes for w in walks])
    return fields


def average_nudges(net: Network, X, labels) -> dict:
    """Minus the gradient of the averaged cost: the nudges all the examples agree on."""
    gradient = net.gradient(X, labels)
    fields = {}
    for l, (w, b) in enumerate(zip(gradient.weights, gradient.biases), start=1):
        fields[f"weights{l}"], fields[f"biases{l}"] = -w, -b
    return fields


def parameters(net: Network) -> dict:
    """The network's weights and biases, as the browser's mirror receives them."""
    fields = {}
    for l, (w, b) in enumerate(zip(net.weights, net.biases), start=1):
        fields[f"W{l}"], fields[f"b{l}"] = w, b
    return fields


class NetworkExplorer(Explorer):
    """The whole network for one image: activations lit, nudges walked back, a pad.

    Parameters
    ----------
    networks : name -> a 784-16-16-10 sigmoid network with quadratic cost, e.g.
        ``{"untrained": Network(seed=0), "trained": net}``.
    images, labels : 1 to 12 example images ``(n, 784)`` with their digits.
    max_step : how far the step control walks back (0 = forward pass only, as in
        chapter 1; 3 = back to the pixels).
    average_over : optional ``(X, labels)``; adds a view of the nudges averaged
        over those examples (chapter 5).
    pad : whether the reader may draw a digit (computed in the browser).

    Controls (synced traits): ``network``, ``example`` (-1 = the drawing pad),
    ``step``, ``average`` (bool) and ``drawn_label`` (the digit the reader drew).
    """

    _esm = front_end("mirror.js", "whole_network.js")
    network = traitlets.Int(0).tag(sync=True)
    example = traitlets.Int(0).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    average = traitlets.Bool(False).tag(sync=True)
    drawn_label = traitlets.Int(0).tag(sync=True)

    def __init__(self, networks: Mapping[str, Network], images, labels, max_step: int = 3,
                 average_over=None, pad: bool = True, **kwargs) -> None:
        if not isinstance(networks, Mapping) or not networks:
            raise ValueError("networks must be a non-empty dict of name -> Network")
        for name, net in networks.items():
            check_lesson_network(name, net)
        images, labels = checked_examples(next(iter(networks.values())), images, labels, most=12)
        if max_step not in range(4):
            raise ValueError(f"max_step must be 0, 1, 2 or 3; got {max_step!r}")
        self._nets = dict(networks)
        super().__init__(**kwargs)
        self.data = {"names": list(networks), "labels": [int(d) for d in labels],
                     "images": pack(images), "max_step": max_step, "pad": bool(pad),
                     "step_names": list(STEP_NAMES),
                     "nets": [self._pack_network(net, images, labels, average_over)
                              for net in networks.values()]}
        if average_over is not None:
            self.data = {**self.data, "average_count": int(len(average_over[1]))}

    @staticmethod
    def _pack_network(net: Network, images, labels, average_over) -> dict:
        packed = {name: pack(v) for name, v in parameters(net).items()}
        packed.update({name: pack(v) for name, v in example_nudges(net, images, labels).items()})
        if average_over is not None:
            X, Y = average_over
            packed.update({name: pack(v) for name, v in average_nudges(net, X, Y).items()})
        return packed

    @traitlets.validate("network")
    def _valid_network(self, proposal):
        return checked_choice("network", proposal["value"], len(self._nets))

    @traitlets.validate("example")
    def _valid_example(self, proposal):
        value = proposal["value"]
        if value == -1 and self.data.get("pad", True):
            return -1
        return checked_choice("example", value, len(self.data.get("labels", [None] * 12)))

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        return checked_choice("step", proposal["value"], self.data.get("max_step", 3) + 1)

    @traitlets.validate("drawn_label")
    def _valid_label(self, proposal):
        return checked_choice("drawn_label", proposal["value"], 10)

    def shown(self) -> dict:
        """The numbers drawn for the current network, example and step (not for the pad)."""
        if self.example < 0:
            raise ValueError("the drawn digit is computed in the browser; pick an example")
        shown = self._fields(self.example)
        if self.average:
            net = self.data["nets"][self.network]
            shown["average_weights"] = [unpack(net[f"weights{l}"]) for l in (1, 2, 3)]
        return shown

    def _fields(self, i: int) -> dict:
        net = self.data["nets"][self.network]
        shown = {name: unpack(net[name])[i] for name in
                 ("a1", "a2", "a3", "wish3", "push3", "wish2", "push2", "wish1", "push1", "wish0")}
        shown["desired_nudges"] = shown["wish3"] / 2
        shown["guess"] = int(np.argmax(shown["a3"]))
        return shown

    def still(self, ax=None) -> dict:
        """The current state drawn with matplotlib: the figure readers without JavaScript see.

        Neurons shaded by activation; beside each layer the walk back has reached,
        its wishes as bars. Returns the artists of :func:`~backprop.figures.network.draw_network`.
        """
        i = max(self.example, 0)
        shown, net = self._fields(i), list(self._nets.values())[self.network]
        image = unpack(self.data["images"])[i]
        reached = [l >= 4 - self.step for l in range(4)]
        wishes = [None] + [shown[f"wish{l}"] if reached[l] else None for l in (1, 2, 3)]
        name, digit = self.data["names"][self.network], self.data["labels"][i]
        return network_plots.draw_network(net.sizes, [image, shown["a1"], shown["a2"], shown["a3"]],
                                  net.weights, ax, wishes if self.step else None,
                                  title=f"{name} network, image {i} (a {digit}): "
                                        f"guess {shown['guess']}")
