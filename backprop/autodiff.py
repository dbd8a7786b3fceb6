"""A tiny reverse-mode automatic differentiation engine over NumPy arrays.

Every :class:`Tensor` remembers the tensors it was made from and how to pass a
derivative back to them. Build a cost out of tensors and call ``cost.backward()``:
each tensor's ``.grad`` then holds the cost's partial derivatives with respect to
it. That is the chain rule, applied mechanically, last operation first. The engine
knows just enough for the digit network and a fitted line: ``+ - * / @ **``,
transpose, ``sigmoid``, ``sum`` and ``mean``.
"""
from __future__ import annotations

import tracemalloc
from typing import Callable

import numpy as np

from .activations import sigmoid


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` back to ``shape`` over the axes broadcasting stretched: a bias (16,)
    added to every row of a batch (n, 16) gets the sum of the rows' gradients."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """An array (``value``, stored as float64) that records the tensors it was computed
    from (``parents``), so that gradients can flow back to them."""

    def __init__(self, value, parents: tuple = ()) -> None:
        self.value = np.asarray(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)
        self.parents = parents
        self.pass_back = lambda: None  # adds self.grad's share to each parent's grad

    @property
    def shape(self) -> tuple:
        return self.value.shape

    # ----- operations: each makes its output and says how to pass gradients back -----
    def __add__(self, other) -> "Tensor":
        other = as_tensor(other)
        out = Tensor(self.value + other.value, (self, other))

        def pass_back():
            self.grad += _unbroadcast(out.grad, self.shape)
            other.grad += _unbroadcast(out.grad, other.shape)
        out.pass_back = pass_back
        return out

    def __mul__(self, other) -> "Tensor":
        other = as_tensor(other)
        out = Tensor(self.value * other.value, (self, other))

        def pass_back():
            self.grad += _unbroadcast(out.grad * other.value, self.shape)
            other.grad += _unbroadcast(out.grad * self.value, other.shape)
        out.pass_back = pass_back
        return out

    def __matmul__(self, other) -> "Tensor":
        other = as_tensor(other)
        if self.value.ndim != 2 or other.value.ndim != 2:
            raise ValueError(f"@ takes two matrices; got shapes {self.shape} and {other.shape}")
        out = Tensor(self.value @ other.value, (self, other))

        def pass_back():
            self.grad += out.grad @ other.value.T
            other.grad += self.value.T @ out.grad
        out.pass_back = pass_back
        return out

    def __pow__(self, exponent: float) -> "Tensor":
        out = Tensor(self.value ** exponent, (self,))

        def pass_back():
            self.grad += out.grad * exponent * self.value ** (exponent - 1)
        out.pass_back = pass_back
        return out

    def sigmoid(self) -> "Tensor":
        """Squash each entry into (0, 1); its slope is ``s (1 - s)``."""
        s = sigmoid(self.value)
        out = Tensor(s, (self,))

        def pass_back():
            self.grad += out.grad * s * (1.0 - s)
        out.pass_back = pass_back
        return out

    def sum(self, axis: int | None = None) -> "Tensor":
        """Add up entries (all, or along one axis); each entry gets the sum's whole gradient."""
        out = Tensor(self.value.sum(axis=axis), (self,))

        def pass_back():
            grad = out.grad if axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(grad, self.shape)
        out.pass_back = pass_back
        return out

    def mean(self, axis: int | None = None) -> "Tensor":
        count = self.value.size if axis is None else self.shape[axis]
        return self.sum(axis) * (1.0 / count)

    @property
    def T(self) -> "Tensor":
        out = Tensor(self.value.T, (self,))

        def pass_back():
            self.grad += out.grad.T
        out.pass_back = pass_back
        return out

    # ----- the rest follows from the operations above -----
    def __neg__(self) -> "Tensor":
        return self * -1.0

    def __sub__(self, other) -> "Tensor":
        return self + (-as_tensor(other))

    def __truediv__(self, other) -> "Tensor":
        return self * as_tensor(other) ** -1.0

    def __radd__(self, other) -> "Tensor":
        return self + other

    def __rmul__(self, other) -> "Tensor":
        return self * other

    # ----- reverse mode -----
    def backward(self, accumulate: bool = False) -> None:
        """Set ``.grad`` of every tensor this single number (a cost) depends on.

        Tensors are visited in reverse topological order (each after every tensor
        made from it), so each has collected the derivative from everything that
        used it before passing it on. Every ``.grad`` starts at zero, unless
        ``accumulate`` is true: then the tensors
        made from no others (the parameters, the inputs) keep what their ``.grad``
        holds and the new derivative is added to it, as PyTorch's ``backward()``
        does; :meth:`SGD.zero_grad` clears them.
        """
        if self.value.size != 1:
            raise ValueError(f"backward() starts from a single number (a cost); got shape {self.shape}")
        order, seen = [], set()

        def visit(tensor: "Tensor") -> None:
            if id(tensor) not in seen:
                seen.add(id(tensor))
                for parent in tensor.parents:
                    visit(parent)
                order.append(tensor)
        visit(self)
        for tensor in order:
            if tensor.parents or not accumulate:
                tensor.grad = np.zeros_like(tensor.value)
        self.grad = np.ones_like(self.value)
        for tensor in reversed(order):
            tensor.pass_back()


def as_tensor(x) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant tensor holding it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def parameters_of(net) -> tuple[list, list]:
    """A sigmoid network's weights and biases copied into tensors."""
    if net.activation.name != "sigmoid" or net.cost_function.name != "quadratic":
        raise ValueError("the engine writes the lesson's network: sigmoid neurons, quadratic cost")
    return [Tensor(w) for w in net.weights], [Tensor(b) for b in net.biases]


def network_output(weights: list, biases: list, X) -> Tensor:
    """Forward pass written with tensors: ``a = sigmoid(a @ W.T + b)``, layer by layer."""
    a = as_tensor(X)
    for w, b in zip(weights, biases):
        a = (a @ w.T + b).sigmoid()
    return a


def quadratic_cost(output: Tensor, Y) -> Tensor:
    """The lesson's cost: per example the sum of squared differences, averaged over examples."""
    return ((output - Y) ** 2).sum(axis=1).mean()


def gradient_descent_step(params: list, learning_rate: float) -> None:
    """Move every parameter tensor a little against its gradient, in place."""
    for p in params:
        p.value -= learning_rate * p.grad


# ----- the training loop as a framework writes it -----
class SGD:
    """Gradient descent on a list of parameter tensors, with the two calls a framework's
    optimizer offers (PyTorch: ``torch.optim.SGD(params, lr)``).

    ``zero_grad()`` clears the parameters' gradients; ``step()`` moves every parameter
    against its gradient. Use them with ``cost.backward(accumulate=True)``, which adds
    to the gradients as PyTorch's ``backward()`` does.
    """

    def __init__(self, params: list, learning_rate: float) -> None:
        if not all(isinstance(p, Tensor) for p in params):
            raise TypeError("params must be a list of Tensors (e.g. weights + biases)")
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive number; got {learning_rate}")
        self.params, self.learning_rate = list(params), float(learning_rate)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (PyTorch: ``optimizer.zero_grad()``)."""
        for p in self.params:
            p.grad = np.zeros_like(p.value)

    def step(self) -> None:
        """One gradient-descent step with the gradients held now (``optimizer.step()``)."""
        gradient_descent_step(self.params, self.learning_rate)


# ----- what reverse mode costs: memory -----
def bytes_held(compute: Callable, *args) -> int:
    """Bytes that ``compute(*args)`` allocates and still holds when it returns.

    That is the memory its result keeps alive (temporary arrays freed on the way do
    not count), measured with :mod:`tracemalloc`. E.g. ``bytes_held(net.forward, X)``
    is what a forward pass keeps for the backward pass.
    """
    if tracemalloc.is_tracing():
        raise RuntimeError("bytes_held needs tracemalloc to be off; it is already tracing")
    tracemalloc.start()
    try:
        result = compute(*args)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del result
    return held
