"""What happened during training: the record both training loops fill in."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """What happened during training.

    ``step_costs[i]`` is the cost of the i-th mini-batch just before its step;
    the accuracies are measured after each epoch. After a divergence,
    ``kept_steps`` says after how many steps the parameters the network kept were
    saved.
    """

    step_costs: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    learning_rates: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    batch_size: int = 0
    n_examples: int = 0
    diverged: bool = False
    kept_steps: int | None = None

    @property
    def examples_seen(self) -> np.ndarray:
        """How many examples had been used after each step (for cost-vs-examples plots).

        The last batch of an epoch is smaller when the batch size does not divide
        the number of examples, and counts only the examples it had.
        """
        steps = np.arange(len(self.step_costs))
        if not self.n_examples:
            return self.batch_size * (steps + 1)
        per_epoch = -(-self.n_examples // self.batch_size)
        epoch, within = np.divmod(steps, per_epoch)
        return epoch * self.n_examples + np.minimum((within + 1) * self.batch_size,
                                                    self.n_examples)
