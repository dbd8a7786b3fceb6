"""The same training epoch written with PyTorch and with JAX, to compare speeds.

Both train the lesson's network (784-16-16-10, sigmoid, quadratic cost, float32)
by plain mini-batch SGD over a fresh shuffle of the 60,000 images, with one
thread, as ``backprop.train`` does:

- PyTorch: the loop a PyTorch user would write (``nn.Sequential``, autograd,
  ``optim.SGD``), one batch per Python iteration.
- JAX: the whole epoch compiled as one ``lax.scan`` over the batches.

torch and jax are benchmark-only dependencies (``requirements-bench.txt``); each
function returns None, saying why, when its library is not installed. The first
epoch (which compiles, for JAX) is not timed.
"""
from __future__ import annotations

import os
import statistics
import time

import numpy as np

SIZES = (784, 16, 16, 10)


def _missing(name: str) -> None:
    print(f"({name} is not installed: skipped; pip install -r requirements-bench.txt)")


def torch_epoch_seconds(X: np.ndarray, labels: np.ndarray, batch_size: int, epochs: int,
                        learning_rate: float = 3.0, seed: int = 0) -> float | None:
    """Median seconds per epoch of a plain PyTorch CPU training loop, or None."""
    try:
        import torch
    except ImportError:
        _missing("torch")
        return None
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    optimiser = torch.optim.SGD(model.parameters(), lr=learning_rate)
    images = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    targets = torch.nn.functional.one_hot(torch.from_numpy(labels.astype(np.int64)), 10).float()
    generator = torch.Generator().manual_seed(seed)
    seconds = []
    for _ in range(epochs + 1):
        started = time.perf_counter()
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), batch_size):
            idx = order[start:start + batch_size]
            optimiser.zero_grad()
            cost = ((model(images[idx]) - targets[idx]) ** 2).sum(dim=1).mean()
            cost.backward()
            optimiser.step()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds[1:])


def _limit_xla_to_one_thread() -> None:
    """XLA reads its flags when jax is first imported; ask for one CPU thread."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1").strip()


def jax_epoch_seconds(X: np.ndarray, labels: np.ndarray, batch_size: int, epochs: int,
                      learning_rate: float = 3.0, seed: int = 0) -> float | None:
    """Median seconds per epoch of a JAX epoch fused into one ``lax.scan``, or None.

    Only whole batches are used (``len(X) // batch_size`` of them), as ``lax.scan``
    needs equal shapes; for MNIST and batch sizes 10 or 100 that is every image.
    """
    _limit_xla_to_one_thread()
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        _missing("jax")
        return None
    epoch = jax.jit(_jax_epoch(jax, jnp, learning_rate), static_argnums=3)
    rng = np.random.default_rng(seed)
    params = [(jnp.asarray(rng.normal(0, n_in ** -0.5, (n_in, n_out)), jnp.float32),
               jnp.asarray(rng.normal(0, 1, n_out), jnp.float32))
              for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]
    images = jnp.asarray(X, jnp.float32)
    targets = jax.nn.one_hot(jnp.asarray(labels), 10, dtype=jnp.float32)
    key, seconds = jax.random.PRNGKey(seed), []
    for _ in range(epochs + 1):
        key, subkey = jax.random.split(key)
        started = time.perf_counter()
        params = jax.block_until_ready(epoch(params, images, targets, batch_size, subkey))
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds[1:])


def _jax_epoch(jax, jnp, learning_rate: float):
    """Build ``epoch(params, images, targets, batch_size, key)`` for ``jax.jit``."""
    def cost(params, x, t):
        a = x
        for w, b in params:
            a = jax.nn.sigmoid(a @ w + b)
        return jnp.mean(jnp.sum((a - t) ** 2, axis=1))

    def epoch(params, images, targets, batch_size, key):
        def step(params, idx):         # gathers its batch itself: no shuffled copy
            grads = jax.grad(cost)(params, images[idx], targets[idx])
            return jax.tree_util.tree_map(lambda p, g: p - learning_rate * g, params, grads), None

        n = images.shape[0] // batch_size * batch_size
        order = jax.random.permutation(key, images.shape[0])[:n]
        return jax.lax.scan(step, params, order.reshape(-1, batch_size))[0]

    return epoch
