"""Chapter 3's explorer: what one example wants, set beside Hebb's rule.

For a chosen example, layer and neuron the figure shows the desired nudges of
the outputs, the three avenues that raise the neuron's activation (its bias, its
weights, the previous activations), and the example's weight nudges for that
whole layer beside Hebb's update, with how alike the two are.

Both are outer products, a row factor times the previous activations: the
nudges' row factor is the push ``-dC/dz`` each neuron gets, Hebb's is the
neuron's own activation. So this explorer sends only those factors (and the
weights, for the avenues) and lets the front end multiply them as it draws,
instead of sending a 16 x 784 array per example and layer. For a hidden layer it
also shows where a neuron's push comes from: the pushes of the next layer sent
back through the forward weights (the parts of its wish), not the neuron's own
activation. That is where the Hebbian analogy breaks.
"""
from __future__ import annotations

import numpy as np
import traitlets

from .. import lesson
from ..network import Network
from .base import Explorer, checked_choice, front_end, pack, unpack
from .inputs import check_digit_network, checked_examples

LAYERS = (3, 2, 1)
#: The fields of :func:`layer_fields` the front end draws.
SENT = ("a0", "a1", "a2", "a3", "wish1", "wish2", "wish3", "push1", "push2", "push3",
        "slope1", "slope2", "slope3")


def layer_fields(net: Network, images, labels) -> dict:
    """Each example's backward walk (:func:`lesson.backward_steps`) as arrays, one row per example.

    Per layer ``l``: activations ``a{l}``, wishes ``wish{l}`` (-dC/da), and for
    ``l >= 1`` pushes ``push{l}`` (-dC/dz), slopes ``slope{l}`` (f'(z)) and
    ``minus_delta{l}`` (minus backprop's error term, read from ``net.errors``).
    """
    walks = [lesson.backward_steps(net, x, d) for x, d in zip(images, labels)]
    zs = net.forward(images).zs
    fields = {}
    for l in range(len(net.sizes)):
        fields[f"a{l}"] = np.array([w[-1 - l].activations for w in walks])
        fields[f"wish{l}"] = np.array([w[-1 - l].wishes for w in walks])
        if l:
            fields[f"push{l}"] = np.array([w[-1 - l].pushes for w in walks])
            fields[f"minus_delta{l}"] = -np.array([w[-1 - l].delta for w in walks])
            fields[f"slope{l}"] = net.activation.prime(zs[l - 1])
    return fields


def hebbian_agreement(net: Network, images, labels, fields: dict) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity and sign agreement of each example's weight nudges with Hebb's
    update, ``(n, 3)`` each.

    Column ``c`` is layer ``LAYERS[c]``; the nudges from :func:`lesson.example_weight_nudges`,
    Hebb's update from :func:`lesson.hebbian_update`.
    """
    similarity, agreement = np.zeros((len(images), 3)), np.zeros((len(images), 3))
    for i, (x, d) in enumerate(zip(images, labels)):
        for c, l in enumerate(LAYERS):
            nudges = lesson.example_weight_nudges(net, x, d, l)
            hebb = lesson.hebbian_update(fields[f"a{l - 1}"][i], fields[f"a{l}"][i])
            similarity[i, c] = lesson.hebbian_similarity(nudges, hebb)
            agreement[i, c] = lesson.sign_agreement(nudges, hebb)
    return similarity, agreement


def drawing_limits(net: Network, fields: dict) -> dict:
    """One scale per layer across all examples, so switching examples keeps the axes."""
    limits = {}
    for l in LAYERS:
        push, before = np.abs(fields[f"push{l}"]), fields[f"a{l - 1}"]
        limits[f"nudges{l}"] = float(np.max(push.max(axis=1) * before.max(axis=1)))
        limits[f"hebb{l}"] = float(np.max(fields[f"a{l}"].max(axis=1) * before.max(axis=1)))
        limits[f"back{l}"] = float(np.max(push[:, :, None] * np.abs(net.weights[l - 1])))
        limits[f"push{l}"] = float(push.max())
    return limits


class NudgeExplorer(Explorer):
    """One example's nudges for a chosen neuron, and its weight nudges beside Hebb's update.

    Parameters
    ----------
    net : the lesson's 784-16-16-10 network (sigmoid neurons, quadratic cost).
    images, labels : 1 to 50 example images ``(n, 784)`` with their digits.

    Controls (synced traits): ``example`` (0 to n - 1), ``layer`` (3 = output,
    2, 1) and ``neuron`` (in that layer; moving to a smaller layer clamps it).
    """

    _esm = front_end("nudges.js")
    example = traitlets.Int(0).tag(sync=True)
    layer = traitlets.Int(3).tag(sync=True)
    neuron = traitlets.Int(0).tag(sync=True)

    def __init__(self, net: Network, images, labels, **kwargs) -> None:
        check_digit_network(net, "nudge explorer")
        images, labels = checked_examples(net, images, labels, most=50)
        self._sizes = list(net.sizes)
        fields = layer_fields(net, images, labels)
        similarity, agreement = hebbian_agreement(net, images, labels, fields)
        outputs = fields["a3"]
        super().__init__(**kwargs)
        self.data = {"labels": [int(d) for d in labels], "sizes": self._sizes,
                     **{name: pack(fields[name]) for name in SENT},
                     **{f"W{l}": pack(net.weights[l - 1]) for l in LAYERS},
                     "desired": pack([lesson.desired_nudges(o, d)
                                      for o, d in zip(outputs, labels)]),
                     "similarity": pack(similarity), "agreement": pack(agreement),
                     "limits": drawing_limits(net, fields)}
        self.caption = ("Pick an image, a layer and a neuron: the three ways to raise it, and "
                        "the example's weight nudges for the whole layer beside Hebb's update.")
        self.neuron = int(labels[0])

    @traitlets.validate("example")
    def _valid_example(self, proposal):
        return checked_choice("example", proposal["value"], len(self.data.get("labels", [0] * 50)))

    @traitlets.validate("layer")
    def _valid_layer(self, proposal):
        value = proposal["value"]
        if value not in LAYERS or isinstance(value, bool):
            raise traitlets.TraitError(f"layer must be 3 (output), 2 or 1; got {value!r}")
        return int(value)

    @traitlets.observe("layer")
    def _keep_neuron_in_layer(self, change):
        self.neuron = min(self.neuron, self._sizes[change["new"]] - 1)

    @traitlets.validate("neuron")
    def _valid_neuron(self, proposal):
        return checked_choice(f"neuron (of layer {self.layer})", proposal["value"],
                              self._sizes[self.layer] if hasattr(self, "_sizes") else 16)

    def _field(self, name: str) -> np.ndarray:
        return unpack(self.data[name])[self.example]

    def shown(self) -> dict:
        """Everything drawn for the current example, layer and neuron (as the page sees it)."""
        l, j, c = self.layer, self.neuron, LAYERS.index(self.layer)
        before, push = self._field(f"a{l - 1}"), self._field(f"push{l}")
        weights = unpack(self.data[f"W{l}"])
        shown = {"example": self.example, "label": self.data["labels"][self.example],
                 "layer": l, "neuron": j, "outputs": self._field("a3"),
                 "desired_nudges": self._field("desired"), "push": float(push[j]),
                 "bias": float(push[j]), "weights": push[j] * before,
                 "wish_parts": push[j] * weights[j],
                 "pushes": push, "hebbian_factors": self._field(f"a{l}"),
                 "weight_nudges": np.outer(push, before),
                 "hebbian_update": np.outer(self._field(f"a{l}"), before),
                 "similarity": float(self._field("similarity")[c]),
                 "agreement": float(self._field("agreement")[c]),
                 "wish": float(self._field(f"wish{l}")[j]),
                 "slope": float(self._field(f"slope{l}")[j])}
        if l < 3:  # a hidden neuron's wish: the next layer's pushes sent back through its weights
            shown["own_wish_parts"] = (self._field(f"push{l + 1}")
                                              * unpack(self.data[f"W{l + 1}"])[:, j])
        return shown
