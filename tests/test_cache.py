"""The parsed-array cache proves what it holds, or is rebuilt with a message.

A cache forged *consistently* (its recorded sources and digest rewritten to match the
spoiled arrays) is caught for the real MNIST by its known label counts and arrays; a
cache spoiled without rewriting its digest is caught for any files. A FIFO in its place,
an array claiming 10**12 bytes, and two loaders at once are handled too.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from backprop.mnist import cache, loader
from backprop.mnist.loader import FILES, load_mnist
from fake_mnist import private_cache, real_dir, spoiled, write_fake_mnist  # noqa: F401


@pytest.fixture(autouse=True)
def no_hang():
    """Fail, rather than hang, a test whose load blocks (a FIFO read)."""
    signal.signal(signal.SIGALRM, lambda *a: pytest.fail("the load hung"))
    signal.alarm(120)
    yield
    signal.alarm(0)


def cached_file(folder: Path) -> Path:
    (path,) = folder.glob("mnist-*.npz")
    return path


def saved_arrays(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as saved:
        return {key: saved[key].copy() for key in FILES}


def forge(path: Path, arrays: dict, sources) -> None:
    """Rewrite the cache with ``arrays``, its sources and a digest that matches them."""
    with open(path, "wb") as out:
        np.savez(out, **arrays, sources=np.array(list(sources), dtype=str),
                 digest=np.array(cache.arrays_digest(arrays)))


@pytest.fixture(scope="module")
def real_cache(tmp_path_factory):
    """The real MNIST's cache, built once; each test gets a copy."""
    folder = os.environ.get("BACKPROP_DATA_DIR")
    if not folder:
        pytest.skip("BACKPROP_DATA_DIR is not set: the real MNIST is needed")
    built = tmp_path_factory.mktemp("real-cache")
    saved = os.environ.get("BACKPROP_CACHE_DIR")
    os.environ["BACKPROP_CACHE_DIR"] = str(built)
    try:
        load_mnist(folder, progress=False)
    finally:
        os.environ["BACKPROP_CACHE_DIR"] = saved or ""
        if saved is None:
            del os.environ["BACKPROP_CACHE_DIR"]
    return cached_file(built)


REAL_SOURCES = [loader.SHA256[name] for name in FILES.values()]


@pytest.mark.parametrize("how", ["labels shifted by one", "all-zero labels", "inverted images",
                                 "fewer training images", "train and test swapped"])
def test_a_consistently_forged_real_cache_is_caught_and_rebuilt(real_cache, real_dir, private_cache,
                                                                how, capsys):
    private_cache.mkdir()
    path = private_cache / real_cache.name
    shutil.copyfile(real_cache, path)
    right = saved_arrays(path)
    forge(path, spoiled(right, how), REAL_SOURCES)
    (X, y), (Xt, yt) = load_mnist(progress=False)
    assert "is not used" in capsys.readouterr().err
    np.testing.assert_array_equal(y, right["train_labels"])
    np.testing.assert_array_equal(yt, right["test_labels"])
    assert X.shape == (60000, 784) and np.array_equal(Xt[0] * 255, right["test_images"][0])
    assert cache.read_cache(path, REAL_SOURCES) is not None  # rebuilt right


def test_the_real_label_counts_are_mnists(real_cache):
    arrays = saved_arrays(real_cache)
    for key, counts in cache.LABEL_COUNTS.items():
        assert tuple(np.bincount(arrays[key])) == counts
    assert sum(cache.LABEL_COUNTS["train_labels"]) == 60000
    assert sum(cache.LABEL_COUNTS["test_labels"]) == 10000


@pytest.mark.parametrize("how", ["labels shifted by one", "all-zero labels", "inverted images",
                                 "train and test swapped"])
def test_a_cache_spoiled_without_its_digest_is_caught(tmp_path, private_cache, how, capsys):
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    load_mnist(tmp_path / "d", checksums=checksums)
    path = cached_file(private_cache)
    with np.load(path, allow_pickle=False) as saved:
        kept = {key: saved[key].copy() for key in ("sources", "digest")}
    bad = spoiled(saved_arrays(path), how)
    with open(path, "wb") as out:
        np.savez(out, **bad, **kept)
    (X, y), (Xt, yt) = load_mnist(tmp_path / "d", checksums=checksums)
    assert "its arrays do not match the digest it recorded" in capsys.readouterr().err
    np.testing.assert_array_equal(X * 255, arrays["train_images"])
    np.testing.assert_array_equal(yt, arrays["test_labels"])


def test_a_cache_of_other_source_files_is_caught(tmp_path, private_cache, capsys):
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    load_mnist(tmp_path / "d", checksums=checksums)
    path = cached_file(private_cache)
    forge(path, saved_arrays(path), ["0" * 64] * 4)
    load_mnist(tmp_path / "d", checksums=checksums)
    assert "made from other source files" in capsys.readouterr().err


def test_a_fifo_named_like_the_cache_is_replaced_not_read(tmp_path, private_cache, capsys):
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    load_mnist(tmp_path / "d", checksums=checksums)
    path = cached_file(private_cache)
    path.unlink()
    os.mkfifo(path)
    _, (_, yt) = load_mnist(tmp_path / "d", checksums=checksums)
    np.testing.assert_array_equal(yt, arrays["test_labels"])
    assert "not a regular file" in capsys.readouterr().err
    assert path.is_file()


def test_an_array_claiming_a_terabyte_is_refused_before_reading(tmp_path, private_cache, capsys):
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    load_mnist(tmp_path / "d", checksums=checksums)
    path = cached_file(private_cache)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10**12,)})
    with zipfile.ZipFile(path, "a") as archive:
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("train_images.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + bytes(64))
    (X, _), _ = load_mnist(tmp_path / "d", checksums=checksums)
    assert "claims 1,000,000,000,000 bytes" in capsys.readouterr().err
    np.testing.assert_array_equal(X * 255, arrays["train_images"])
    assert cache.read_cache(path, list(checksums.values())) is not None


LOADER = """
import sys, numpy as np
from backprop.mnist.loader import load_mnist
sys.path.insert(0, sys.argv[3])
from fake_mnist import write_fake_mnist
import json
checksums = json.loads(sys.argv[2])
for _ in range(15):
    (X, y), (Xt, yt) = load_mnist(sys.argv[1], checksums=checksums)
    assert X.shape == (6, 784) and Xt.shape == (4, 784), X.shape
print("ok")
"""


def test_two_loaders_at_once_never_see_half_a_cache(tmp_path, private_cache):
    import json
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    tests = str(Path(__file__).parent)
    runs = [subprocess.Popen([sys.executable, "-c", LOADER, str(tmp_path / "d"), json.dumps(checksums),
                              tests], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert out.strip() == "ok" and "is not used" not in err, err[-500:]


def test_cache_mnist_fills_the_cache_that_load_mnist_then_reads(real_dir, private_cache, monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA_DIR", str(real_dir))
    path = loader.cache_mnist(progress=False)
    assert path.parent == private_cache and path.is_file()
    assert cached_file(private_cache) == path
    arrays = saved_arrays(path)
    assert arrays["train_images"].dtype == np.uint8 and arrays["train_images"].shape == (60_000, 784)
    assert np.bincount(arrays["test_labels"]).tolist()[:3] == [980, 1135, 1032]
    before = path.stat().st_mtime_ns
    (images, labels), _ = load_mnist(progress=False)  # (read from the cache, not parsed again)
    assert path.stat().st_mtime_ns == before
    assert np.array_equal(images, arrays["train_images"] / 255.0)
    assert np.array_equal(labels, arrays["train_labels"])


def test_cache_mnist_without_the_files_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr(loader, "MIRRORS", ())
    with pytest.raises(loader.MNISTNotFoundError, match="nowhere"):
        loader.cache_mnist(progress=False)
    assert not (tmp_path / "nowhere").exists()
