"""The lesson's own picture: the whole 784-16-16-10 network, live, with a drawing pad.

For a chosen image the explorer lights every neuron by its activation, shows the
wishes of the ten outputs (twice their desired nudges), and walks them back one
layer per step: each connection is drawn as wide as the weight nudge that one
example asks for, blue where the weight should grow and red where it should shrink.
The reader can switch between networks, compare one image's nudges with the average
over many (chapter 5), and draw a digit on the pad. A drawing is prepared as MNIST's
digits were (``drawing.py``) and read by a well-trained network (the book's best
recipe on all 60,000 training images, shipped with the package). The pad itself is
``pad.js``; the preprocessing and the forward and backward pass of a drawing run in
the browser (``drawing.js`` and ``mirror.js``, which follow the Python code line by
line, on the weights rounded to float32); everything else is computed here.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import traitlets

from .. import lesson
from ..figures import network as network_plots
from ..network import Network
from .base import Explorer, checked_choice, front_end, pack, unpack
from .drawing import pad_network
from .inputs import check_digit_network, checked_examples
from .pad_digits import drawing as sample_drawing

#: What the step control shows: how far the wishes have been walked back.
STEP_NAMES = ("the outputs' wishes (2 × desired nudge)", "weights into the outputs",
              "weights into hidden layer 2", "weights from the pixels")
#: The name of the pad's network in the network list.
PAD_NETWORK_NAME = "fully trained"
#: Pre-drawn digits the reader can put on the pad (with the keyboard too): some plain,
#: some small and off-centre. (digit, place on the pad)
SAMPLES = ((7, "large"), (3, "small"), (5, "offset"), (2, "small"), (9, "large"), (4, "offset"))
#: The strongest pixel -> layer-1 connections drawn (of 12,544).
TOP_PIXEL_LINES = 200


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
    """What all the examples ask for together: ``weights{l}``, minus the gradient of
    the averaged cost (the average of their weight nudges), and ``wish{l}``, the
    average of their wishes (the same quantity the arrows show for one image)."""
    gradient = net.gradient(X, labels)
    walks = example_nudges(net, X, labels)
    fields = {}
    for l, w in enumerate(gradient.weights, start=1):
        fields[f"weights{l}"] = -w
    for l in range(len(net.sizes)):
        fields[f"mean_wish{l}"] = walks[f"wish{l}"].mean(axis=0)
    return fields


def weight_nudges(fields: Mapping, layer: int) -> np.ndarray:
    """One example's weight nudges into ``layer``: push[j] * a[k] for weight k -> j."""
    return np.outer(fields[f"push{layer}"], fields[f"a{layer - 1}"])


def drawn_connections(nudges: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """The connections the picture draws into ``layer``: all of them, or for the pixels
    the ``TOP_PIXEL_LINES`` largest nudges (zeros left out). Returns ``(j, k)`` index
    arrays in row-major order, as the browser draws them."""
    if layer != 1:
        j, k = np.indices(nudges.shape)
        return j.ravel(), k.ravel()
    sizes = np.abs(nudges).astype(np.float32).astype(np.float64).ravel()  # as the browser keeps them
    threshold = max(float(np.sort(sizes)[max(0, sizes.size - TOP_PIXEL_LINES)]), 1e-30)
    picked = np.flatnonzero(sizes >= threshold)[:TOP_PIXEL_LINES]
    return np.divmod(picked, nudges.shape[1])


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
    pad : whether the reader may draw a digit (computed in the browser). The pad
        reads drawings with ``pad_net``, added to the networks as "fully trained".
    pad_net : the pad's network; by default the one shipped with the package (the
        book's best recipe on all 60,000 training images, 96% on the test set).

    Controls (synced traits): ``network``, ``example`` (-1 = the drawing pad; choosing
    it selects the pad's network), ``step``, ``average`` (bool) and ``drawn_label``
    (the digit the reader says they drew; -1 = not said, the start).
    """

    _esm = front_end("mirror.js", "drawing.js", "pad.js", "whole_network.js")
    network = traitlets.Int(0).tag(sync=True)
    example = traitlets.Int(0).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    average = traitlets.Bool(False).tag(sync=True)
    drawn_label = traitlets.Int(-1).tag(sync=True)

    def __init__(self, networks: Mapping[str, Network], images, labels, max_step: int = 3,
                 average_over=None, pad: bool = True, pad_net: Network | None = None,
                 **kwargs) -> None:
        if not isinstance(networks, Mapping) or not networks:
            raise ValueError("networks must be a non-empty dict of name -> Network")
        for name, net in networks.items():
            check_lesson_network(name, net)
        if pad:
            networks = {**networks, PAD_NETWORK_NAME: pad_network() if pad_net is None else pad_net}
            check_lesson_network(PAD_NETWORK_NAME, networks[PAD_NETWORK_NAME])
        images, labels = checked_examples(next(iter(networks.values())), images, labels, most=12)
        if max_step not in range(4):
            raise ValueError(f"max_step must be 0, 1, 2 or 3; got {max_step!r}")
        self._nets = dict(networks)
        kwargs.setdefault("caption", "Pick an image, or choose \u201cyour drawing\u201d and draw a digit."
                          + (" Move \u201cwalk back\u201d to carry the wishes back, layer by layer."
                             if max_step else ""))
        super().__init__(**kwargs)
        self.data = {"names": list(networks), "labels": [int(d) for d in labels],
                     "images": pack(images), "max_step": max_step, "pad": bool(pad),
                     "step_names": list(STEP_NAMES),
                     "nets": [self._pack_network(net, images, labels, average_over)
                              for net in networks.values()]}
        if pad:
            self.data = {**self.data, "pad_network": len(networks) - 1,
                         "samples": [{"name": f"a {'small ' if place == 'small' else ''}{d}",
                                      "strokes": [[[round(x, 1), round(y, 1)] for x, y in stroke]
                                                  for stroke in sample_drawing(d, place, "fast")]}
                                     for d, place in SAMPLES]}
        if average_over is not None:
            self.data = {**self.data, "average_count": int(len(average_over[1])),
                         "mean_image": pack(np.mean(average_over[0], axis=0))}

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
        if proposal["value"] == -1:
            return -1
        return checked_choice("drawn_label", proposal["value"], 10)

    @traitlets.observe("example")
    def _pad_reads_with_its_network(self, change):
        if change["new"] == -1 and change["old"] != -1 and "pad_network" in self.data:
            self.network = self.data["pad_network"]

    def shown(self) -> dict:
        """The numbers drawn for the current network, example and step (not for the pad).

        With ``average`` on, also ``average_weights`` (minus the gradient of the
        averaged cost, per layer) and ``average_wishes`` (the averaged wishes, per layer).
        """
        if self.example < 0:
            raise ValueError("the drawn digit is computed in the browser; pick an example")
        shown = self._fields(self.example)
        if self.average:
            net = self.data["nets"][self.network]
            shown["average_weights"] = [unpack(net[f"weights{l}"]) for l in (1, 2, 3)]
            shown["average_wishes"] = [unpack(net[f"mean_wish{l}"]) for l in range(4)]
        return shown

    def _fields(self, i: int) -> dict:
        net = self.data["nets"][self.network]
        shown = {name: unpack(net[name])[i] for name in
                 ("a0", "a1", "a2", "a3", "wish3", "push3", "wish2", "push2", "wish1", "push1",
                  "wish0")}
        shown["desired_nudges"] = shown["wish3"] / 2
        shown["guess"] = int(np.argmax(shown["a3"]))
        return shown

    def drawn_nudges(self) -> dict:
        """What the picture draws now, layer by layer, as the browser draws it.

        ``connections[l]``: ``(j, k, nudge)`` arrays of the weight nudges drawn into
        layer ``l`` (absent until the walk back reaches it); ``arrows[l]``: the wishes
        drawn beside layer ``l``'s neurons; ``scale[l]``: the size drawn full width. In
        average mode both are the averaged ones, drawn on the scale of the chosen
        image's own nudges, so that "smaller" can be seen.
        """
        shown = self._fields(max(self.example, 0))
        average = self.average and "average_count" in self.data
        if average:
            shown = {**shown, **self.shown()}
        reached = {l for l in (1, 2, 3) if self.step >= 4 - l}
        connections, arrows, scale = {}, {}, {}
        for l in sorted(reached):
            own = weight_nudges(shown, l)
            nudges = shown["average_weights"][l - 1] if average else own
            j, k = drawn_connections(nudges, l)
            connections[l] = (j, k, nudges[j, k])
            own_j, own_k = drawn_connections(own, l)
            scale[l] = float(np.max(np.abs(own[own_j, own_k]), initial=1e-12))
            if average:
                scale[l] = max(scale[l], float(np.max(np.abs(nudges[j, k]), initial=0)))
        arrow_scale = {}
        for l in (1, 2, 3):
            if (l == 3 and self.data["max_step"] > 0) or l in reached:
                arrows[l] = shown["average_wishes"][l] if average else shown[f"wish{l}"]
                arrow_scale[l] = max(float(np.max(np.abs(shown[f"wish{l}"]))),
                                     float(np.max(np.abs(arrows[l]))), 1e-12)
        return {"connections": connections, "arrows": arrows, "scale": scale,
                "arrow_scale": arrow_scale, "shown": shown}

    def still(self, ax=None) -> dict:
        """The current state drawn with matplotlib: the figure readers without JavaScript see.

        The same picture as the browser's: neurons shaded by activation, wishes as
        bars, each connection drawn by its weight nudge (only the strongest 200 from
        the pixels), averaged when ``average`` is on. Returns the artists of
        :func:`~backprop.figures.network.draw_network_nudges`.
        """
        i = max(self.example, 0)
        drawn = self.drawn_nudges()
        shown, net = drawn["shown"], list(self._nets.values())[self.network]
        average = self.average and "average_count" in self.data
        name, digit = self.data["names"][self.network], self.data["labels"][i]
        what = (f"nudges averaged over {self.data['average_count']} images "
                f"(drawn on the scale of image {i}'s own)"
                if average else f"image {i} (a {digit}): guess {shown['guess']}")
        first = unpack(self.data["mean_image"]) if average else shown["a0"]
        return network_plots.draw_network_nudges(
            net.sizes, [first, shown["a1"], shown["a2"], shown["a3"]],
            drawn["connections"], drawn["arrows"], drawn["scale"], ax, drawn["arrow_scale"],
            title=f"{name} network, {what}", ring=None if average else digit, shaded=not average)
