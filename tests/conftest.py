"""Shared fixtures: real MNIST from the folder named by BACKPROP_DATA_DIR."""
import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Keep parsed-MNIST caches out of the user's home during tests."""
    if not os.environ.get("BACKPROP_CACHE_DIR"):
        os.environ["BACKPROP_CACHE_DIR"] = str(tmp_path_factory.mktemp("backprop-cache"))


@pytest.fixture(scope="session")
def mnist():
    """``(X_train, y_train), (X_test, y_test)`` in float64, or skip without the data."""
    if not os.environ.get("BACKPROP_DATA_DIR"):
        pytest.skip("set BACKPROP_DATA_DIR to the folder holding the four MNIST .gz files")
    import backprop as bp

    return bp.load_mnist(progress=False)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
