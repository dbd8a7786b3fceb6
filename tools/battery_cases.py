"""The cases of ``tools/adversarial_battery.py``: network, checkers and training
(the loader's are in ``battery_loader.py``).

Each builder returns cases for one area. Right results are checked against
computations written here (a hand forward pass, ``np.eye``), never against the
package's own output for the same call.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import backprop as bp  # noqa: E402
from battery_loader import loader_argument_cases, loader_fault_cases  # noqa: E402
from battery_hardening import cache_cases, containment_cases  # noqa: E402
from battery_callers import ordinary_user_cases, training_callers_cases  # noqa: E402
from battery_pages import page_cases, small_cases  # noqa: E402

DIGITS = bp.Network(seed=0)
SMALL = bp.Network([3, 4, 2], seed=1)
ODD = object()


class Corrupted(Exception):
    """A failed call changed the network: the worst outcome, counted as silently wrong."""


def unchanged(net: bp.Network, call):
    """Run ``call()``; if it raises, check first that ``net`` is exactly as before."""
    before, dtype = net.to_vector(), net.dtype
    try:
        return call()
    except Exception:
        if net.dtype != dtype or not np.array_equal(net.to_vector().astype(float), before):
            raise Corrupted("a failed call changed the network") from None
        raise


def forward_by_hand(net: bp.Network, X) -> np.ndarray:
    a = np.atleast_2d(np.asarray(X, dtype=float))
    for w, b in zip(net.weights, net.biases):
        a = 1 / (1 + np.exp(-(a @ w.T + b)))
    return a


def close_to(expected):
    return lambda got: np.allclose(np.asarray(got, dtype=float), expected, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- the network

def network_cases(Case) -> list:
    cases = []
    bad = {"sizes": [784, "784", None, [], [784], [784, 0, 10], [784, -1, 10], [784, 16.5, 10],
                     [784, True, 10], [784, "16", 10], {784: 1}, [10**6, 10**6, 10], 3.5],
           "activation": ["tanh", None, 3, "SIGMOID", ""],
           "cost": ["hinge", None, "mse", 1],
           "seed": [-1, 1.5, "1", True, np.int64(-3), [1, 2], 1e3, float("nan")],
           "dtype": [int, np.int32, np.float16, np.complex64, None, "half", "f2", bool, object,
                     np.longdouble]}
    for arg, values in bad.items():
        for value in values:
            names = (arg, "unknown activation") if arg == "activation" else (arg, "unknown cost")
            cases.append(Case("Network(...)", f"{arg}={value!r:.30}",
                              lambda s, a=arg, v=value: bp.Network(**{a: v}), names))
    for sizes, dtype, seed in [([784, 16, 16, 10], np.float32, 2**64), ((2, 1), "float64", 0),
                               (np.array([5, 3]), np.float64, np.uint8(7))]:
        expected = [(o, i) for i, o in zip(list(sizes)[:-1], list(sizes)[1:])]
        cases.append(Case("Network(...)", f"valid {list(sizes)} {dtype}",
                          lambda s, z=sizes, d=dtype, e=seed: bp.Network(z, seed=e, dtype=d),
                          check=lambda net, x=expected, d=dtype: [w.shape for w in net.weights] == x
                          and net.weights[0].dtype == np.dtype(d)))
    for dtype in [int, np.float16, "x", None, np.int8]:
        cases.append(Case("Network(...)", f"astype({dtype!r:.20})",
                          lambda s, d=dtype: unchanged(SMALL, lambda: SMALL.astype(d)), ("dtype",)))
    n = SMALL.n_params
    for label, vector in {"text": "abc", "None": None, "complex": np.ones(n) * (1 + 1j),
                          "booleans": np.ones(n, bool), "NaN": np.full(n, np.nan),
                          "one too few": np.ones(n - 1), "2-D": np.ones((1, n))}.items():
        cases.append(Case("Network(...)", f"load_vector({label})",
                          lambda s, v=vector: unchanged(SMALL, lambda: SMALL.load_vector(v)),
                          ("vector", "parameters")))
    for call in (bp.sigmoid, bp.sigmoid_prime, bp.relu, bp.relu_prime, bp.softmax):
        for label, z in {"text": "a", "None": None, "mixed list": [1, "b"], "complex": [1j]}.items():
            cases.append(Case("Network(...)", f"{call.__name__}({label})",
                              lambda s, c=call, v=z: c(v), ("z",)))
    for sizes in (784, "ab", [3], None):
        cases.append(Case("Network(...)", f"unflatten(v, {sizes!r})",
                          lambda s, z=sizes: bp.unflatten(np.ones(8), z), ("sizes",)))
    return cases


def input_variants() -> dict:
    rng = np.random.default_rng(0)
    return {"width 783": rng.random((3, 783)), "one row of 783": rng.random(783),
            "28x28 images": rng.random((2, 28, 28)), "a single number": 0.5,
            "empty batch": np.zeros((0, 784)), "NaN pixel": np.where(np.eye(2, 784) > 0, np.nan, 0.2),
            "inf pixel": np.full((2, 784), np.inf), "strings": np.full((2, 784), "a"),
            "objects": np.full((2, 784), ODD, dtype=object), "ragged lists": [[0.1] * 784, [0.2] * 3],
            "None": None, "complex": np.ones((2, 784), complex), "booleans": np.ones((2, 784), bool),
            "a dict": {"x": 1}, "a network": DIGITS, "bytes": b"\x00" * 784,
            "a 4-D stack": rng.random((1, 2, 784, 1))}


def n_rows(X) -> int:
    """How many label rows to pair with ``X`` (1 for anything without a length)."""
    return len(X) if isinstance(X, (list, np.ndarray)) and np.ndim(X[0] if len(X) else 0) else 1


def network_call_cases(Case) -> list:
    cases, rng = [], np.random.default_rng(1)
    methods = {"output": lambda X: DIGITS.output(X), "predict": lambda X: DIGITS.predict(X),
               "forward": lambda X: DIGITS.forward(X),
               "cost": lambda X: DIGITS.cost(X, np.zeros(n_rows(X), int)),
               "gradient": lambda X: DIGITS.gradient(X, np.zeros(n_rows(X), int)),
               "errors": lambda X: DIGITS.errors(X, np.zeros(n_rows(X), int)),
               "accuracy": lambda X: bp.accuracy(DIGITS, X, np.zeros(n_rows(X), int))}
    for label, X in input_variants().items():
        for method, call in methods.items():
            cases.append(Case("network calls: X", f"{method}({label})",
                              lambda s, c=call, x=X: unchanged(DIGITS, lambda: c(x)), ("X",)))
    raw = rng.integers(0, 256, (3, 784))
    for method in ("output", "cost", "accuracy"):
        cases.append(Case("network calls: X", f"{method}(pixels 0-255)",
                          lambda s, c=methods[method]: c(raw), ("Divide by 255",)))
    good = rng.random((4, 784))
    cases.append(Case("network calls: X", "output(list of lists)",
                      lambda s: DIGITS.output(good.tolist()), check=close_to(forward_by_hand(DIGITS, good))))
    cases.append(Case("network calls: X", "output(one image)",
                      lambda s: DIGITS.output(good[0]), check=close_to(forward_by_hand(DIGITS, good[:1]))))
    labels = {"label 10": [10, 0], "label -1": [-1, 0], "label 0.5": [0.5, 0], "strings": ["a", "b"],
              "None": [None, 1], "booleans": [True, False], "nested": [[1], [0]],
              "three labels": [1, 2, 3], "one-hot of 9": np.eye(9)[:2], "one-hot NaN": np.full((2, 10), np.nan),
              "complex": [1j, 0], "2**70": [2**70, 0], "a string": "12", "a dict": {0: 1}}
    X2 = good[:2]
    for label, Y in labels.items():
        for method in ("cost", "gradient", "accuracy"):
            call = (lambda y, m=method: getattr(DIGITS, m)(X2, y)) if method != "accuracy" else \
                (lambda y: bp.accuracy(DIGITS, X2, y))
            cases.append(Case("network calls: labels", f"{method}({label})",
                              lambda s, c=call, y=Y: unchanged(DIGITS, lambda: c(y)), ("Y", "labels")))
    a = forward_by_hand(DIGITS, X2)
    for label, Y in {"floats 3.0": [3.0, 1.0], "objects": np.array([3, 1], dtype=object),
                     "uint8": np.array([3, 1], np.uint8)}.items():
        cases.append(Case("network calls: labels", f"cost({label})", lambda s, y=Y: DIGITS.cost(X2, y),
                          check=close_to(np.mean(np.sum((a - np.eye(10)[[3, 1]]) ** 2, axis=1)))))
    return cases


def one_hot_and_gradcheck_cases(Case) -> list:
    cases = []
    for labels, n in [([-1], 10), ([10], 10), ([0.5], 10), (["1"], 10), ([[1]], 10), (None, 10),
                      ([3], 0), ([3], -1), ([3], 2.5), ([3], "10"), ([1], True)]:
        cases.append(Case("one_hot", f"one_hot({labels!r}, {n!r})", lambda s, l=labels, k=n: bp.one_hot(l, k),
                          ("labels", "n_classes")))
    for dtype in (int, "x"):
        cases.append(Case("one_hot", f"dtype={dtype!r}", lambda s, d=dtype: bp.one_hot([1], dtype=d), ("dtype",)))
    for labels, n in [([3, 0, 9], 10), (4, 5), (np.array([1.0, 0.0]), 2)]:
        rows = np.atleast_1d(labels).astype(int)
        cases.append(Case("one_hot", f"valid one_hot({labels!r})", lambda s, l=labels, k=n: bp.one_hot(l, k),
                          check=lambda got, r=rows, k=n: np.array_equal(got, np.eye(k)[r])))
    rng = np.random.default_rng(2)
    X, y = rng.random((3, 3)), [0, 1, 1]
    half = bp.Network([3, 4, 2], seed=0)
    half.weights = [w.astype(np.float16) for w in half.weights]
    for name, call, names in [
            ("float32 network", lambda: bp.check_gradient(bp.Network([3, 2], dtype=np.float32), X, y), ("float32",)),
            ("float16 weights", lambda: bp.check_gradient(half, X, y), ("float16",)),
            ("60 examples of the digit network", lambda: bp.check_gradient(DIGITS, rng.random((60, 784)),
                                                                            np.arange(60) % 10), ("X has 60",)),
            ("eps=0", lambda: bp.check_gradient(SMALL, X, y, eps=0), ("eps",)),
            ("eps=-1", lambda: bp.check_gradient(SMALL, X, y, eps=-1), ("eps",)),
            ("eps='a'", lambda: bp.check_gradient(SMALL, X, y, eps="a"), ("eps",)),
            ("dtype=int", lambda: bp.check_gradient(SMALL, X, y, dtype=int), ("dtype",)),
            ("net=None", lambda: bp.check_gradient(None, X, y), ("net",)),
            ("X too wide", lambda: bp.check_gradient(SMALL, rng.random((3, 4)), y), ("X",)),
            ("labels 5", lambda: bp.check_gradient(SMALL, X, [5, 5, 5]), ("Y",))]:
        cases.append(Case("check_gradient", name, lambda s, c=call: unchanged(SMALL, c), names))
    cases.append(Case("check_gradient", "a right backward pass", lambda s: bp.check_gradient(SMALL, X, y),
                      check=lambda errors: errors.shape == (2,) and errors.max() < 1e-7))
    return cases


# ---------------------------------------------------------------- the checkers

def checker_cases(Case) -> list:
    from exercise_solutions import CHECKERS

    class Unshowable:
        def __repr__(self):
            raise RuntimeError("no")

    def loops(*a):
        while True:
            pass

    misbehaviours = {"raises": lambda *a: 1 / 0, "returns None": lambda *a: None,
                     "wrong shape": lambda *a: np.zeros((7, 3)), "a string": lambda *a: "0.5",
                     "sys.exit": lambda *a: sys.exit(1), "os._exit": lambda *a: os._exit(0),
                     "prints 10 MB": lambda *a: print("x" * 10**7), "unshowable": lambda *a: Unshowable(),
                     "a generator of noise": lambda *a: (np.random.random() for _ in range(3)),
                     "NaN": lambda *a: np.nan, "100 MB array": lambda *a: np.zeros(10**8 // 8),
                     "endless recursion": (f := lambda *a: f(*a)), "not written": lambda *a: exec("raise NotImplementedError"),
                     "not a function": 0.5}
    cases = []
    for name, (check, correct, mistake, _) in CHECKERS.items():
        runs = {**misbehaviours, "typical mistake": mistake,
                "right real part, imaginary noise": lambda *a, c=correct: np.asarray(c(*a)) + 1e-3j}
        if name in ("sigmoid", "mini_batches"):
            runs.update({"loops forever": loops, "sleeps": lambda *a: time.sleep(60)})
        for label, fn in runs.items():
            cases.append(Case("exercise checkers", f"check_{name}({label})",
                              lambda s, c=check, f=fn: reported(c, f), check=lambda r: r, bound=10))
        cases.append(Case("exercise checkers", f"check_{name}(right solution)",
                          lambda s, c=check, f=correct: reported(c, f, passes=True), check=lambda r: r, bound=10))
    return cases


def reported(check, fn, passes: bool = False) -> bool | str:
    """The checker's verdict on ``fn``, sorted: a wrong verdict is False (silently wrong);
    rejecting bad code with a short report is "clean"; passing a right solution is True."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        verdict = check(fn)
    text = out.getvalue()
    if verdict is not passes:
        return False
    short = len(text) < 5000 and text.startswith("check_") and text.count("\n") < 12
    return (True if passes else "clean") if short else False


# ---------------------------------------------------------------- training, as a black box

def training_cases(Case) -> list:
    rng = np.random.default_rng(4)
    X, y = rng.random((20, 784)), np.arange(20) % 10
    cases = []
    for label, settings, names in [
            ("test_data=(X,)", dict(test_data=(X,)), ("test_data",)), ("callback=5", dict(callback=5), ("callback",)),
            ("seed=-1", dict(seed=-1), ("seed",)), ("seed=1.5", dict(seed=1.5), ("seed",)),
            ("dtype=float16", dict(dtype=np.float16), ("dtype",)), ("dtype=int64", dict(dtype=np.int64), ("dtype",)),
            ("batch_size=0", dict(batch_size=0), ("batch size", "batch_size")),
            ("epochs=2.5", dict(epochs=2.5), ("epochs",)), ("learning_rate='fast'", dict(learning_rate="fast"),
                                                             ("learning rate", "learning_rate")),
            ("weight_decay=-1", dict(weight_decay=-1), ("weight decay", "weight_decay")),
            ("lr_decay=nan", dict(lr_decay=float("nan")), ("decay",))]:
        cases.append(Case("train", label, lambda s, k=settings: unchanged(
            DIGITS, lambda: bp.train(DIGITS, X, y, progress=False, **k)), names, bound=10))
    for rate in (1e6, 1e3):
        cases.append(Case("train", f"learning_rate={rate:g}: divergence reported",
                          lambda s, r=rate: bp.train(DIGITS.copy(), X, y, learning_rate=r, epochs=3,
                                                     progress=False).diverged, check=lambda d: d is True, bound=20))
    cases.append(Case("train", "weight_decay=1e6: divergence reported",
                      lambda s: bp.train(DIGITS.copy(), X, y, weight_decay=1e6, progress=False).diverged,
                      check=lambda d: d is True, bound=20))
    cases.append(Case("train", "pixels 0-255", lambda s: bp.train(
        DIGITS.copy(), X * 255 // 1, y, progress=False), ("Divide by 255",), bound=10))
    return cases


def all_cases(root: Path, Case) -> list:
    """Every case of the battery, in areas."""
    return [*network_cases(Case), *network_call_cases(Case), *one_hot_and_gradcheck_cases(Case),
            *loader_argument_cases(Case, root), *loader_fault_cases(Case, root), *checker_cases(Case),
            *training_cases(Case), *training_callers_cases(Case), *containment_cases(Case),
            *ordinary_user_cases(Case), *cache_cases(Case, root), *page_cases(Case), *small_cases(Case)]
