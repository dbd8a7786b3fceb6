"""Backpropagation, Nudge by Nudge: the package every chapter imports.

The digit network and its passes live in :mod:`backprop.network`, learning in
:mod:`backprop.training`, the MNIST loader in :mod:`backprop.data`.
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
