"""MNIST's float64 pixels written once and mapped by other processes (backprop.mnist.shared)."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from backprop import load_mnist
from backprop.mnist import share_mnist
from backprop.mnist.loader import as_pixels
from backprop.mnist.shared import SHARED_ENV, files_key, read_shared, shared_paths, write_shared
from backprop.mnist.source import FILES, SHA256

REAL = os.environ.get("BACKPROP_DATA_DIR")
pytestmark = pytest.mark.skipif(not REAL, reason="BACKPROP_DATA_DIR is not set: the real MNIST is needed")
DIGESTS = [SHA256[name] for name in FILES.values()]


@pytest.fixture(scope="module")
def loaded():
    """MNIST as load_mnist makes it, without a shared folder."""
    saved = os.environ.pop(SHARED_ENV, None)
    try:
        return load_mnist(progress=False)
    finally:
        if saved is not None:
            os.environ[SHARED_ENV] = saved


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A folder written by share_mnist, as the grader writes it before a batch."""
    return share_mnist(tmp_path_factory.mktemp("pixels"))


def test_mapped_arrays_equal_made_ones_and_are_plain_arrays(folder, loaded, monkeypatch):
    monkeypatch.setenv(SHARED_ENV, str(folder))
    mapped = load_mnist(progress=False)
    for (images, labels), (want_images, want_labels) in zip(mapped, loaded):
        assert type(images) is np.ndarray and type(labels) is np.ndarray
        assert images.dtype == np.float64 and labels.dtype == np.intp
        assert np.array_equal(images, want_images) and np.array_equal(labels, want_labels)
        assert not images.flags.owndata  # (the pages belong to the mapping, not to a copy)


def test_a_change_stays_in_its_own_process(folder, loaded, monkeypatch):
    monkeypatch.setenv(SHARED_ENV, str(folder))
    (images, _), _ = load_mnist(progress=False)
    images[0, :] = 7.0
    (again, _), _ = load_mnist(progress=False)
    on_disk = np.load(shared_paths(folder, files_key(DIGESTS))["train_images"])
    assert again[0, 0] == on_disk[0, 0] == loaded[0][0][0, 0] == 0.0
    assert images[0, 0] == 7.0


def test_another_process_maps_the_same_pages(folder, loaded):
    script = ("import numpy as np; from backprop import load_mnist; "
              "(x, y), (xt, yt) = load_mnist(progress=False); "
              "maps = open('/proc/self/maps').read(); "
              "print(float(xt.sum()), int(y.sum()), 'train-images.npy' in maps)")
    env = {**os.environ, SHARED_ENV: str(folder)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert float(out[0]) == float(loaded[1][0].sum()) and int(out[1]) == int(loaded[0][1].sum())
    assert out[2] == "True"


def test_arrays_that_are_not_mnists_are_not_used(folder, loaded, tmp_path, monkeypatch):
    wrong = tmp_path / "wrong"
    shutil.copytree(folder, wrong)
    path = shared_paths(wrong, files_key(DIGESTS))["test_images"]
    path.chmod(0o644)
    np.save(path, np.zeros((10_000, 784), np.float32))
    monkeypatch.setenv(SHARED_ENV, str(wrong))
    assert read_shared(DIGESTS) is None
    (_, _), (images, _) = load_mnist(progress=False)  # made again, as without the folder
    assert images.dtype == np.float64 and np.array_equal(images, loaded[1][0])


def test_no_folder_other_files_or_another_dtype_make_their_own(folder, monkeypatch):
    monkeypatch.delenv(SHARED_ENV, raising=False)
    assert read_shared(DIGESTS) is None
    monkeypatch.setenv(SHARED_ENV, str(folder))
    assert read_shared(["0" * 64] * 4) is None
    (images, _), _ = load_mnist(dtype=np.float32, progress=False)
    assert images.dtype == np.float32 and images.flags.owndata


def test_write_shared_names_a_wrong_argument_and_writes_nothing(loaded, tmp_path):
    parsed = [((images * 255).round().astype(np.uint8), labels) for images, labels in loaded]
    with pytest.raises(ValueError, match="folder"):
        write_shared(tmp_path / "missing", DIGESTS, parsed, as_pixels)
    with pytest.raises(ValueError, match="splits: the train part must be uint8"):
        write_shared(tmp_path, DIGESTS, [loaded[0], parsed[1]], as_pixels)
    assert list(tmp_path.iterdir()) == []


def test_the_written_files_are_read_only(folder):
    modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert len(modes) == 4 and set(modes.values()) == {0o444}
