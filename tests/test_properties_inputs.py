"""Property-based tests of what learners and readers pass in: ``load_mnist``'s arguments and
every exercise checker's function.

``load_mnist`` either returns the arrays of a small MNIST look-alike written here, or
raises one clear error naming the argument (or ``MNISTNotFoundError``), and never leaves
a file or folder behind. A checker given any function answers True only for a right
one, never raises, prints a short report and finishes in seconds. Runs are bounded.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import socket
import struct
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop.exercises.cases import REPORT_CAP
from backprop.mnist.loader import FILES, MNISTNotFoundError, load_mnist
from exercise_solutions import CHECKERS, NAMES

BOUNDED = settings(max_examples=40, derandomize=True, deadline=timedelta(seconds=10),
                   database=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- load_mnist's arguments

@pytest.fixture(scope="module")
def look_alike(tmp_path_factory):
    """A folder with a six- and four-image MNIST look-alike, its checksums and its arrays."""
    folder = tmp_path_factory.mktemp("look_alike")
    rng = np.random.default_rng(0)
    arrays = {"train_images": rng.integers(1, 256, (6, 784), dtype=np.uint8),
              "train_labels": rng.integers(0, 10, 6, dtype=np.uint8),
              "test_images": rng.integers(1, 256, (4, 784), dtype=np.uint8),
              "test_labels": rng.integers(0, 10, 4, dtype=np.uint8)}
    checksums = {}
    for key, name in FILES.items():
        a = arrays[key]
        header = struct.pack(">4I", 2051, len(a), 28, 28) if a.ndim == 2 else struct.pack(">2I", 2049, len(a))
        (folder / name).write_bytes(gzip.compress(header + a.tobytes()))
        checksums[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    return folder, checksums, arrays


@contextlib.contextmanager
def scratch_home(tmp_path_factory):
    """Run inside a fresh empty folder that is also $HOME and the cache: nothing outside is touched."""
    scratch = tmp_path_factory.mktemp("scratch")
    saved = os.getcwd(), {k: os.environ.get(k) for k in ("HOME", "BACKPROP_CACHE_DIR", "BACKPROP_DATA_DIR")}
    os.chdir(scratch)
    os.environ.update(HOME=str(scratch / "home"), BACKPROP_CACHE_DIR=str(scratch / "cache"))
    os.environ.pop("BACKPROP_DATA_DIR", None)
    try:
        yield scratch
    finally:
        os.chdir(saved[0])
        for key, value in saved[1].items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


DEAD_MIRROR = closed_port_url()
folders = st.one_of(st.sampled_from(["LOOK_ALIKE", "new/deeper", "  ", "", "~", "~nobody_xyz/m",
                                     "a\0b", "~/mnist"]),
                    st.text(alphabet="ab ~/.", max_size=6), st.integers(), st.none())
mirror_lists = st.one_of(st.text(max_size=8), st.integers(),  # None would mean the internet
                         st.lists(st.one_of(st.just(DEAD_MIRROR), st.none(), st.text(max_size=6),
                                            st.just("ftp://x/")), max_size=3))
checksum_tables = st.one_of(st.none(), st.just("GOOD"), st.just({}), st.lists(st.text(max_size=3)),
                            st.dictionaries(st.sampled_from(sorted(FILES.values())),
                                            st.text(alphabet="0123456789abcdefXZ", max_size=64)))


@settings(BOUNDED, max_examples=60)
@given(data_dir=folders, mirrors=mirror_lists, checksums=checksum_tables,
       dtype=st.sampled_from([np.float32, np.float64, np.int8, "f4", None, "nonsense"]),
       progress=st.sampled_from([False, True, "no", 0, None]))
def test_load_mnist_returns_the_files_or_one_clear_error_and_leaves_nothing(
        look_alike, tmp_path_factory, data_dir, mirrors, checksums, dtype, progress):
    folder, good_checksums, arrays = look_alike
    data_dir = folder if data_dir == "LOOK_ALIKE" else data_dir
    checksums = good_checksums if checksums == "GOOD" else checksums
    with scratch_home(tmp_path_factory) as scratch:
        (scratch / "home").mkdir()
        started = time.monotonic()
        try:
            (X, y), (Xt, yt) = load_mnist(data_dir, dtype, mirrors, progress, checksums)
        except (ValueError, TypeError) as err:
            names = ("data_dir", "dtype", "mirrors", "progress", "checksums", "BACKPROP")
            assert any(name in str(err) for name in names), str(err)
        except MNISTNotFoundError as err:
            assert "MNIST is not available" in str(err)
        else:
            assert data_dir is folder
            np.testing.assert_array_equal(Xt * 255, arrays["test_images"])
            np.testing.assert_array_equal(y, arrays["train_labels"])
        assert time.monotonic() - started < 5
        left = sorted(p.relative_to(scratch) for p in scratch.rglob("*")
                      if not p.is_relative_to(scratch / "cache"))
        assert left == [Path("home")], left
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES.values())


# ---------------------------------------------------------------- every exercise checker

values = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(), st.text(max_size=5),
                   hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)),
                   st.lists(st.floats(-2, 2), max_size=4))
failures = st.sampled_from([ValueError("x" * 10_000), KeyError("k"), SystemExit(2),
                            RecursionError(), ZeroDivisionError()])


def nudged(correct, delta: float, entry: int):
    """The right answer with one entry moved by ``delta``: a wrong solution."""
    def wrong(*args):
        out = np.array(correct(*args), dtype=float)
        out.flat[entry % out.size] += delta
        return out
    return wrong


def mini_batches_missing_one(correct, delta, entry):
    """Right batches except that one index is replaced by a repeat of another."""
    def wrong(n, size, seed):
        batches = [np.array(b) for b in correct(n, size, seed)]
        batches[0][0] = batches[-1][-1] if batches[0][0] != batches[-1][-1] else batches[0][0] + 1
        return batches
    return wrong


@pytest.mark.parametrize("name", NAMES)
@settings(BOUNDED, max_examples=8)
@given(kind=st.sampled_from(["right", "nudged", "constant", "generator", "raises", "prints"]),
       value=values, delta=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3),
       entry=st.integers(0, 10**6), failure=failures)
def test_checker_passes_only_right_answers_and_never_misbehaves(name, kind, value, delta, entry,
                                                               failure):
    check, correct = CHECKERS[name][:2]
    make_wrong = mini_batches_missing_one if name == "mini_batches" else nudged

    def raising(*args):
        raise failure

    def printing(*args):
        print("noise " * 50_000)
        return correct(*args)

    fn = {"right": correct, "nudged": make_wrong(correct, delta, entry),
          "constant": lambda *args: value, "generator": lambda *args: (v for v in [value] * 3),
          "raises": raising, "prints": printing}[kind]
    started = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        result = check(fn)
    assert time.monotonic() - started < 6
    out = printed.getvalue()
    assert result is (kind in ("right", "prints"))
    assert out.startswith(f"check_{name}:") and len(out) <= REPORT_CAP + 100
    if kind == "raises" and not result:
        assert type(failure).__name__ in out or "sys.exit" in out
