"""Shared fixtures (real MNIST from the folder named by BACKPROP_DATA_DIR) and the slow marker."""
import os
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

TESTS = Path(__file__).resolve().parent
#: Test files that are slow as a whole, and why. The fast loop, ``pytest -m "not slow"``,
#: leaves them out (with the chapters, marked in chapters/conftest.py); a slow test in an
#: otherwise fast file carries ``@pytest.mark.slow`` itself.
SLOW_FILES = {
    "test_coursework*.py": "nbgrader and sandboxed gradings of whole notebooks",
    "test_*browser.py": "headless Chromium",
    "test_book_check.py": "the book's browser check on small sites, in Chromium",
    "test_exercises_containment.py": "waits out the exercise checkers' deadlines (3 s each)",
}
#: Single slow tests in fast files (file::test, every parametrization), and why.
SLOW_TESTS = {
    "test_gradcheck.py::test_backprop_matches_finite_differences_on_digit_network":
        "finite differences on the 784-16-16-10 network, for four activation-cost pairs",
    "test_explorers.py::test_explorers_as_the_chapters_build_them_stay_small":
        "builds every explorer of the book as its chapter does",
}


def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(item.path)
        if path.parent != TESTS:
            continue
        name = f"{path.name}::{getattr(item, 'originalname', item.name)}"
        if name in SLOW_TESTS or any(path.match(pattern) for pattern in SLOW_FILES):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="module")
def grading_environment() -> dict:
    """What ``grade.py`` needs (MNIST, the sandbox): the environment to run it in."""
    folder = os.environ.get("BACKPROP_DATA_DIR")
    if not folder or not Path(folder, "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST not found: set BACKPROP_DATA_DIR to the folder of the .gz files")
    sys.path.insert(0, str(TESTS.parent / "coursework"))
    from grading.preflight import sandbox_problem
    problem = sandbox_problem()
    if problem:
        pytest.fail(f"the sandbox cannot run here ({problem})")
    return dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
