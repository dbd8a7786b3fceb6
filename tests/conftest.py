"""Shared fixtures: real MNIST from the folder named by BACKPROP_DATA_DIR."""
import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def mnist():
    """``(X_train, y_train), (X_test, y_test)`` in float64, or skip without the data."""
    if not os.environ.get("BACKPROP_DATA_DIR"):
        pytest.skip("set BACKPROP_DATA_DIR to the folder holding the four MNIST .gz files")
    import backprop as bp

    return bp.load_mnist(progress=False) if "progress" in bp.load_mnist.__code__.co_varnames \
        else bp.load_mnist()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
