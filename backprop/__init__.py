"""Backpropagation, Nudge by Nudge: the package every chapter imports.

Each module imports only modules listed above it:

=================  ==========================================================
``validation``     the input checks behind every clear error message
``activations``    sigmoid and ReLU with their slopes
``costs``          the lesson's quadratic cost, and cross-entropy to compare
``network``        parameters, forward pass, cost, backward pass (the core)
``gradcheck``      finite differences, an independent check of backprop
``divergence``     when training has gone wrong (blow-up, saturation)
``fast_sgd``       the parameters as one flat vector, so ``train`` steps fast
``training``       mini-batches, SGD steps, ``train`` and its ``History``
``download``       fetch one file: bounded in size and time, checked, moved in place
``idx``            the MNIST files' IDX format, read and checked strictly
``mnist_source``   MNIST's files, checksums, mirrors, folders; ``load_mnist``'s checks
``data``           the MNIST loader (find, download, verify, cache)
``sensitivity``    chapter 2: the gradient read as sensitivities
``lesson``         chapters 1-4: nudges, three avenues, Hebb, wishes sent back
``descent``        chapters 5-6: averaged nudges, walks downhill on two parameters
``recipes``        chapter 7: the training recipes the book and benchmark share
``autodiff``       chapter 8: a tiny reverse-mode automatic differentiation engine
``plots``          drawings (plain values in, artists out) for the figures and
``network_plots``  the explorers' still figures; network_plots draws the whole
``descent_plots``  network and chapter 1's notation sketch
``graph_plots``    chapter 8: the computational graph, traced and drawn
``recipe_plots``   chapter 7: runs of several seeds, as mean ± spread, drawn
``explorers``      (a folder) the live explorers: Python classes computing what
                   their front-end modules (``.js``) draw; see its own map
``outcomes``       a learner's answer, made plain and safe to keep and show
``sandbox``        runs a learner's function in a contained child process
``checking``,      the chapters' exercise checkers and their shared core;
``lesson_checks``  lesson_checks holds chapters 1-4's, exercises the rest
``exercises``      and every checker by name (``bp_ex.check_sigmoid``)
=================  ==========================================================

The names below are the core; import the chapter modules by name, e.g.
``from backprop import lesson, plots``.
"""
from .activations import relu, relu_prime, sigmoid, sigmoid_prime, softmax
from .costs import one_hot
from .data import MNISTNotFoundError, load_mnist
from .gradcheck import check_gradient, numerical_gradient, relative_error
from .network import Forward, Gradient, Network, count_parameters, flatten, unflatten
from .training import (DivergenceWarning, History, accuracy, learning_rate_at,
                       sgd_step, shuffled_batches, train)

__all__ = [
    "Network", "Forward", "Gradient", "count_parameters", "flatten", "unflatten",
    "sigmoid", "sigmoid_prime", "relu", "relu_prime", "softmax", "one_hot",
    "check_gradient", "numerical_gradient", "relative_error",
    "train", "History", "accuracy", "sgd_step", "shuffled_batches", "learning_rate_at",
    "DivergenceWarning", "load_mnist", "MNISTNotFoundError",
]
__version__ = "0.1.0"
