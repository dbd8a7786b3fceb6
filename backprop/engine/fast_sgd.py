"""How :func:`~backprop.training.train` takes SGD steps fast, without a second network.

The network keeps computing its own forward and backward passes. What changes is
where its parameters live: while training, ``net.weights[l]`` and ``net.biases[l]``
are views into one flat vector, and each step's change is written into a second
flat vector of the same layout, the learning rate already applied. Then one NumPy
call updates every parameter, one saves them all and one checks their size,
instead of one or two calls per array. At batch 10 a step is a few dozen small
NumPy calls, so the number of calls is what costs time, not the arithmetic; and
each step's cost is worked out later, for many steps in one go (:class:`StepCosts`).
"""
from __future__ import annotations

import numpy as np

from ..network import Network
from .blocks import sum_over_examples


def _views(flat: np.ndarray, shapes: list) -> list:
    """Cut ``flat`` into consecutive views of the given shapes (no copies)."""
    views, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[start:start + size].reshape(shape))
        start += size
    return views


class FlatParameters:
    """A network's weights and biases as views into one flat vector, while training.

    Parameters
    ----------
    net : the network; from now on its ``weights`` and ``biases`` are views into
        :attr:`values` (weights first, then biases), until :meth:`detach`.

    Attributes
    ----------
    values : every parameter, shape (n_params,).
    change : the next step's change of every parameter, same layout;
        ``change_weights[l]`` and ``change_biases[l]`` are its views.
    saved : a copy of :attr:`values` made by :meth:`save`.
    """

    def __init__(self, net: Network) -> None:
        self.net = net
        self._own_arrays = (net.weights, net.biases)
        self._shapes = [p.shape for p in net.weights + net.biases]
        self._layers = len(net.weights)
        self.n_weights = sum(w.size for w in net.weights)
        self.values = np.concatenate([np.ravel(p) for p in net.weights + net.biases])
        self.change = np.zeros_like(self.values)
        self.saved, self.saved_step = self.values.copy(), 0
        self._ones = np.ones(0, self.values.dtype)
        changes = _views(self.change, self._shapes)
        self.change_weights, self.change_biases = changes[:self._layers], changes[self._layers:]
        self.scratch_weights = [np.empty_like(w) for w in self.change_weights]
        self._point_network_at_values()

    def ones(self, n: int) -> np.ndarray:
        """A vector of ``n`` ones (kept, not made anew each step)."""
        if self._ones.shape[0] < n:
            self._ones = np.ones(n, self.values.dtype)
        return self._ones[:n]

    def _point_network_at_values(self) -> None:
        self._views = _views(self.values, self._shapes)
        self.net.weights = self._views[:self._layers]
        self.net.biases = self._views[self._layers:]

    def follow_network(self) -> None:
        """Take over parameters that were put into the network in place of the views
        (say by a callback calling ``net.load_vector``), so training goes on with them."""
        current = self.net.weights + self.net.biases
        if len(current) == len(self._views) and all(p is v for p, v in zip(current, self._views)):
            return
        for view, p in zip(self._views, current):
            view[...] = p
        self._point_network_at_values()

    def apply_change(self, weight_factor: float = 1.0) -> None:
        """One SGD step: shrink the weights by ``weight_factor`` (weight decay), then
        add :attr:`change` to every parameter."""
        if weight_factor != 1.0:
            self.values[:self.n_weights] *= weight_factor
        self.values += self.change

    def largest(self) -> float:
        """The largest parameter size ``max |p|`` (NaN if any parameter is NaN)."""
        return float(np.max(np.abs(self.values)))

    def save(self, step: int) -> None:
        """Remember the current parameters, reached after ``step`` steps (one copy)."""
        np.copyto(self.saved, self.values)
        self.saved_step = step

    def restore(self) -> None:
        """Go back to the parameters of the last :meth:`save`."""
        np.copyto(self.values, self.saved)

    def detach(self) -> None:
        """Write the parameters back into the network's own arrays and hand those back,
        so the network no longer shares memory with this buffer."""
        self.follow_network()
        weights, biases = self._own_arrays
        for own, view in zip(weights + biases, self._views):
            own[...] = view
        self.net.weights, self.net.biases = weights, biases


def write_change(net: Network, fwd, X: np.ndarray, T: np.ndarray, rate: float,
                 params: FlatParameters, per_example: bool = False) -> None:
    """Write ``-rate *`` the batch's gradient into ``params.change``.

    ``fwd`` is the forward pass of the batch ``X`` with desired outputs ``T``. The
    learning rate and the 1/n of the average ride along in the backward pass's
    ``scale``, so the gradient never exists as separate arrays. With ``per_example``
    the gradient comes from the one-example-at-a-time loop instead (same numbers).
    """
    if per_example:
        gradient = net.gradient_by_examples_unchecked(X, T)
        for grad, change in zip(gradient.weights + gradient.biases,
                                params.change_weights + params.change_biases):
            np.multiply(grad, -rate, out=change)
        return
    deltas = net.backward(fwd, T, scale=-rate / T.shape[0])
    ones = params.ones(T.shape[0])
    for delta, a, change_w, change_b, scratch in zip(
            deltas, fwd.activations[:-1], params.change_weights, params.change_biases,
            params.scratch_weights):
        sum_over_examples(delta, a, change_w, scratch)      # the weights' changes
        np.dot(ones, delta, out=change_b)      # the biases': the sum over the batch, by BLAS


class StepCosts:
    """Each step's cost, worked out for many steps at once from the outputs they kept.

    A cost takes a few NumPy calls; at batch 10 that is a tenth of a step. So a step
    only copies its outputs into an epoch-long buffer (:meth:`record`, one call), and
    :meth:`settle` computes the costs of every step recorded since, in one go.
    """

    def __init__(self, net: Network, n_examples: int) -> None:
        self.per_example = net.cost_function.per_example
        self.outputs = np.empty((n_examples, net.sizes[-1]), net.dtype)
        self.targets, self.starts = self.outputs, []

    def start_epoch(self, targets: np.ndarray) -> None:
        """The desired outputs of this epoch, in the order the batches take them."""
        self.targets, self.starts = targets, []

    def record(self, start: int, output: np.ndarray) -> None:
        """Keep the outputs of the batch that begins at example ``start``."""
        self.outputs[start:start + output.shape[0]] = output
        self.starts.append(start)

    def settle(self, stop: int) -> list:
        """The average cost of each batch recorded since the last call, in order;
        ``stop`` is where the last of them ends."""
        if not self.starts:
            return []
        first = self.starts[0]
        costs = self.per_example(self.outputs[first:stop], self.targets[first:stop])
        offsets = np.array(self.starts) - first
        sizes = np.diff(np.append(offsets, stop - first))
        self.starts = []
        return (np.add.reduceat(costs.astype(np.float64), offsets) / sizes).tolist()
