"""Chapter 4's explorer: walk one example's wishes back from the outputs to the pixels.

Step 0 shows the output layer's wishes; each step goes one layer further back,
where every neuron's wish adds up the pushes of the layer after it, weighted by
the connecting weights. For every layer reached the figure checks that the
pushes, ``f'(z)`` times those wishes, equal minus backprop's error term ``delta``
(bars against dots); at the last step the wishes reach the pixels, drawn as a 28 x 28
image. Each layer keeps one scale across all the examples.
"""
from __future__ import annotations

import numpy as np
import traitlets

from ..network import Network
from .base import Explorer, checked_choice, front_end, pack, unpack
from .inputs import check_digit_network, checked_examples
from .nudges import layer_fields

#: What each step reaches (step 0 = the output layer).
STEP_NAMES = ("layer 3: the outputs", "layer 2", "layer 1", "layer 0: the pixels")


def step_limits(fields: dict, layers: int) -> dict:
    """One scale per layer across examples: for the wishes and for the check panel."""
    limits = {f"wish{l}": float(np.max(np.abs(fields[f"wish{l}"]))) for l in range(layers)}
    for l in range(1, layers):
        limits[f"check{l}"] = float(max(np.max(np.abs(fields[f"push{l}"])),
                                        np.max(np.abs(fields[f"minus_delta{l}"]))))
    return limits


class StepperExplorer(Explorer):
    """The backwards walk of one example, one layer per step.

    Parameters
    ----------
    net : the lesson's 784-16-16-10 network (quadratic cost).
    images, labels : 1 to 50 example images ``(n, 784)`` with their digits.

    Controls (synced traits): ``example`` (0 to n - 1) and ``step`` (0 = the
    output layer, 3 = the pixels).
    """

    _esm = front_end("stepper.js")
    example = traitlets.Int(0).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)

    def __init__(self, net: Network, images, labels, **kwargs) -> None:
        check_digit_network(net, "backwards stepper")
        images, labels = checked_examples(net, images, labels, most=50)
        fields = layer_fields(net, images, labels)
        self._depth = len(net.sizes) - 1
        gaps = np.stack([np.max(np.abs(fields[f"push{l}"] - fields[f"minus_delta{l}"]), axis=1)
                         for l in range(1, self._depth + 1)], axis=1)
        sent = ["a0", "wish0"] + [f"{name}{l}" for l in range(1, self._depth + 1)
                                  for name in ("a", "wish", "push", "minus_delta")]
        super().__init__(**kwargs)
        self.data = {"labels": [int(d) for d in labels], "sizes": list(net.sizes),
                     "step_names": list(STEP_NAMES), "gaps": pack(gaps),
                     "limits": step_limits(fields, len(net.sizes)),
                     **{name: pack(fields[name]) for name in sent}}
        self.caption = ("Step back one layer at a time: each layer's wishes add up the parts "
                        "sent back by the layer after it, and its pushes, f'(z) x wishes, are "
                        "exactly minus backprop's delta.")

    @traitlets.validate("example")
    def _valid_example(self, proposal):
        return checked_choice("example", proposal["value"], len(self.data.get("labels", [0] * 50)))

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        return checked_choice("step", proposal["value"], getattr(self, "_depth", 3) + 1)

    def _field(self, name: str) -> np.ndarray:
        return unpack(self.data[name])[self.example]

    def shown(self) -> dict:
        """The layers reached so far and, for each, its wishes and the check against delta.

        ``layers[l]`` holds ``wishes`` (-dC/da) and, for ``l >= 1``,
        ``pushes`` (the bars: f'(z) x wishes), ``minus_delta`` (the dots)
        and ``gap`` (the largest difference between the two).
        """
        reached = list(range(self._depth, self._depth - self.step - 1, -1))
        layers = {}
        for l in reached:
            layers[l] = {"wishes": self._field(f"wish{l}")}
            if l:
                layers[l].update(pushes=self._field(f"push{l}"),
                                 minus_delta=self._field(f"minus_delta{l}"),
                                 gap=float(self._field("gaps")[l - 1]))
        return {"example": self.example, "label": self.data["labels"][self.example],
                "step": self.step, "reached": reached, "layers": layers,
                "pixel_wishes": layers[0]["wishes"].reshape(28, 28) if 0 in layers else None}
