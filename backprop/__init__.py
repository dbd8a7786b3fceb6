"""Backpropagation, Nudge by Nudge: the package every chapter imports.

Each module (or folder) imports only modules listed above it; a folder is a
sub-package with its own map.

=================  ==========================================================
``arguments``      argument checks: every clear error message about bad input
``activations``    sigmoid and ReLU with their slopes
``costs``          the lesson's quadratic cost, and cross-entropy to compare
``in_training``    which networks a training run holds: one run per network
``network``        parameters, forward pass, cost, backward pass (the core)
``gradcheck``      finite differences, an independent check of backprop
``engine``         (a folder) the fast training run behind ``train``: flat
                   parameters, step costs, blocked products, divergence rules
``training``       the lesson's SGD loop (``sgd``), its parts (batches, steps,
                   accuracy) and ``train``, which takes the same steps fast
``mnist``          (a folder) the MNIST loader: find, download, verify, cache
``sensitivity``    chapter 2: the gradient read as sensitivities
``hebb``           chapter 3: the pure Hebbian rule; how alike two weight changes are
``lesson``         chapters 1-4: nudges, three avenues, Hebb, wishes sent back
``descent``        chapters 5-6: averaged nudges, walks downhill on two parameters
``recipes``        chapter 7: the training recipes the book and benchmark share
``statistics``     chapters 6-7: how far a mean over a few seeds can be trusted
``autodiff``       chapter 8: a tiny reverse-mode automatic differentiation engine
``figures``        (a folder) the drawings: plain values in, matplotlib artists
                   out; and the code-beside-ideas table
``explorers``      (a folder) the live explorers: Python classes computing what
                   their front-end modules (``.js``) draw
``exercises``      (a folder) the chapters' exercise checkers, each by name
                   (``bp_ex.check_sigmoid``), and the containment they run in
=================  ==========================================================

The names below are the core; import the chapter modules by name, e.g.
``from backprop import lesson`` or ``from backprop.figures import lesson as plots``.
"""
from .activations import relu, relu_prime, sigmoid, sigmoid_prime, softmax
from .costs import one_hot
from .gradcheck import check_gradient, numerical_gradient, relative_error
from .mnist import MNISTNotFoundError, load_mnist
from .network import Forward, Gradient, Network, count_parameters, flatten, unflatten
from .training import (DivergenceWarning, History, accuracy, learning_rate_at, sgd,
                       sgd_step, shuffled_batches, train)

__all__ = [
    "Network", "Forward", "Gradient", "count_parameters", "flatten", "unflatten",
    "sigmoid", "sigmoid_prime", "relu", "relu_prime", "softmax", "one_hot",
    "check_gradient", "numerical_gradient", "relative_error",
    "train", "sgd", "History", "accuracy", "sgd_step", "shuffled_batches", "learning_rate_at",
    "DivergenceWarning", "load_mnist", "MNISTNotFoundError",
]
__version__ = "0.1.0"
