"""The MNIST loader on local files: IDX parsing, the data folder, the cache, and its
arguments checked before any work.

Every test gets its own cache folder (``private_cache``, from fake_mnist.py beside this
file). Downloads are tested in test_data_download.py.
"""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

from backprop.mnist import loader as data
from backprop.mnist.loader import FILES, load_mnist, parse_idx_images, parse_idx_labels, read_idx_bytes
from fake_mnist import (LABELS, idx_images, idx_labels, private_cache, real_dir,  # noqa: F401
                        sha256, write_fake_mnist)


# ------------------------------------------------------------------ parsing

def test_parse_idx_images_gives_one_row_of_784_pixels_per_image():
    pixels = np.arange(2 * 784).reshape(2, 784) % 256
    images = parse_idx_images(idx_images(pixels))
    assert images.dtype == np.uint8 and images.shape == (2, 784)
    np.testing.assert_array_equal(images, pixels)


def test_parse_idx_labels_gives_the_label_bytes():
    np.testing.assert_array_equal(parse_idx_labels(idx_labels([7, 2, 1, 0, 9])), [7, 2, 1, 0, 9])


@pytest.mark.parametrize("parse, raw, magic", [
    (parse_idx_images, idx_images(np.zeros((1, 784)), magic=2049), 2049),
    (parse_idx_labels, idx_labels([1, 2], magic=2051), 2051),
    (parse_idx_labels, b"\x1f\x8b\x08\x00" + bytes(8), 0x1F8B0800),  # gzip bytes, not decompressed
])
def test_wrong_magic_number_is_rejected_naming_the_file(parse, raw, magic):
    with pytest.raises(ValueError, match=f"demo.idx: magic number is {magic}, expected"):
        parse(raw, "demo.idx")


def test_images_that_are_not_28_by_28_are_rejected():
    with pytest.raises(ValueError, match=r"images are 27x29 pixels, expected 28x28"):
        parse_idx_images(idx_images(np.zeros((1, 27 * 29)), rows=27, cols=29), "small.idx")


@pytest.mark.parametrize("cut, problem", [(-1, "truncated"), (+3, "extra bytes at the end")])
def test_image_file_of_wrong_length_is_rejected(cut, problem):
    raw = idx_images(np.zeros((3, 784)))
    raw = raw[:cut] if cut < 0 else raw + bytes(cut)
    with pytest.raises(ValueError, match=f"imgs: file is {len(raw)} bytes but its header promises "
                                         f"{16 + 3 * 784} \\({problem}\\)"):
        parse_idx_images(raw, "imgs")


def test_label_file_of_wrong_length_or_too_short_header_is_rejected():
    with pytest.raises(ValueError, match="promises 13"):
        parse_idx_labels(idx_labels([1, 2, 3, 4, 5])[:-1], "labs")
    with pytest.raises(ValueError, match="too short for a 8-byte IDX header"):
        parse_idx_labels(b"\x00\x00\x08", "labs")


def test_label_outside_0_to_9_is_rejected_with_its_position():
    with pytest.raises(ValueError, match="labs: label 12 at position 3 is outside 0-9"):
        parse_idx_labels(idx_labels([0, 9, 5, 12, 1]), "labs")


def test_truncated_gzip_file_is_rejected_naming_it(tmp_path):
    path = tmp_path / "half.gz"
    path.write_bytes(gzip.compress(idx_labels(range(10)))[:-9])
    with pytest.raises(ValueError, match="half.gz: not a complete gzip file"):
        read_idx_bytes(path)


def test_image_and_label_counts_must_agree(tmp_path):
    checksums, _ = write_fake_mnist(tmp_path / "d")
    labels = tmp_path / "d" / FILES["test_labels"]
    labels.write_bytes(gzip.compress(idx_labels([1, 2])))
    checksums[labels.name] = sha256(labels)
    with pytest.raises(ValueError, match="holds 4 images but .*t10k-labels.* holds 2 labels"):
        load_mnist(tmp_path / "d", checksums=checksums)


# ------------------------------------------------------------- local files

def test_data_folder_comes_from_argument_then_environment_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA_DIR", str(tmp_path / "env"))
    assert data.data_folder(tmp_path / "arg") == tmp_path / "arg"
    assert data.data_folder() == tmp_path / "env"
    monkeypatch.delenv("BACKPROP_DATA_DIR")
    assert data.data_folder() == tmp_path / "cache" / "mnist"
    monkeypatch.delenv("BACKPROP_CACHE_DIR")
    assert data.data_folder() == tmp_path / "xdg" / "backprop" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.data_folder() == tmp_path / "home" / ".cache" / "backprop" / "mnist"


def test_loader_reads_real_mnist_via_environment_variable(real_dir, private_cache):
    (X, y), (Xt, yt) = load_mnist(progress=False)
    assert X.shape == (60000, 784) and Xt.shape == (10000, 784)
    assert y.dtype == np.intp and y.min() == 0 and y.max() == 9
    assert X.min() == 0.0 and X.max() == 1.0
    raw_labels = gzip.decompress((real_dir / LABELS).read_bytes())[8:]
    np.testing.assert_array_equal(yt, np.frombuffer(raw_labels, np.uint8))
    raw_images = gzip.decompress((real_dir / FILES["test_images"]).read_bytes())[16:]
    np.testing.assert_array_equal(Xt[-1] * 255, np.frombuffer(raw_images, np.uint8)[-784:])
    cached = list(private_cache.glob("mnist-*.npz"))
    assert len(cached) == 1
    (X2, y2), (Xt2, yt2) = load_mnist(progress=False, dtype=np.float32)
    assert X2.dtype == np.float32
    np.testing.assert_allclose(X2, X, atol=1e-7)
    np.testing.assert_array_equal(yt2, yt)


def test_second_load_reads_the_parsed_arrays_from_the_cache(tmp_path, private_cache, monkeypatch):
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    load_mnist(tmp_path / "d", checksums=checksums)
    assert len(list(private_cache.glob("mnist-*.npz"))) == 1

    def never(paths):
        raise AssertionError("the files were parsed again")

    monkeypatch.setattr(data, "parse_files", never)
    (_, y), (Xt, _) = load_mnist(tmp_path / "d", checksums=checksums)
    np.testing.assert_array_equal(y, arrays["train_labels"])
    np.testing.assert_array_equal(Xt * 255, arrays["test_images"])


def test_cache_is_keyed_by_the_files_checksums(tmp_path, private_cache):
    first, _ = write_fake_mnist(tmp_path / "a", seed=1)
    second, arrays = write_fake_mnist(tmp_path / "b", seed=2)
    load_mnist(tmp_path / "a", checksums=first)
    (X, _), _ = load_mnist(tmp_path / "b", checksums=second)
    np.testing.assert_array_equal(X * 255, arrays["train_images"])
    assert len(list(private_cache.glob("mnist-*.npz"))) == 2


def test_unwritable_cache_is_skipped_silently(tmp_path, monkeypatch, recwarn):
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setenv("BACKPROP_CACHE_DIR", str(tmp_path / "a_file" / "cache"))
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    _, (Xt, yt) = load_mnist(tmp_path / "d", checksums=checksums)
    np.testing.assert_array_equal(yt, arrays["test_labels"])
    assert len(recwarn) == 0


def test_uncompressed_files_are_accepted(tmp_path):
    checksums, arrays = write_fake_mnist(tmp_path / "raw", compress=False)
    (X, y), (Xt, yt) = load_mnist(tmp_path / "raw", checksums=checksums, mirrors=[])
    np.testing.assert_array_equal(Xt * 255, arrays["test_images"])
    np.testing.assert_array_equal(y, arrays["train_labels"])


def test_local_file_with_wrong_checksum_is_rejected(tmp_path):
    checksums, _ = write_fake_mnist(tmp_path / "d")
    checksums[FILES["train_labels"]] = "0" * 64
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: SHA-256 is"):
        load_mnist(tmp_path / "d", checksums=checksums)


def test_non_float_dtype_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="floating"):
        load_mnist(tmp_path, dtype=np.int32)


# ------------------------------------------------- a cache that is not MNIST

@pytest.mark.parametrize("spoil", ["wrong shapes", "all-zero images", "labels of 99",
                                   "fewer labels than images", "float pixels", "missing array"])
def test_a_wrong_cache_is_rejected_and_rebuilt(tmp_path, private_cache, spoil):
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    load_mnist(tmp_path / "d", checksums=checksums)
    (cached,) = private_cache.glob("mnist-*.npz")
    with np.load(cached) as saved:
        bad = {key: saved[key].copy() for key in FILES}
    if spoil == "wrong shapes":
        bad["train_images"] = bad["train_images"].reshape(-1, 28, 28)
    elif spoil == "all-zero images":
        bad["test_images"][:] = 0
    elif spoil == "labels of 99":
        bad["train_labels"][:] = 99
    elif spoil == "fewer labels than images":
        bad["test_labels"] = bad["test_labels"][:-1]
    elif spoil == "float pixels":
        bad["train_images"] = bad["train_images"] / 255
    else:
        del bad["test_labels"]
    with open(cached, "wb") as out:
        np.savez(out, **bad)
    (X, y), (Xt, yt) = load_mnist(tmp_path / "d", checksums=checksums)
    np.testing.assert_array_equal(X * 255, arrays["train_images"])
    np.testing.assert_array_equal(yt, arrays["test_labels"])
    assert data.read_cache(cached, list(checksums.values())) is not None  # rewritten, right


def test_blank_images_in_the_files_themselves_are_refused(tmp_path):
    folder = tmp_path / "d"
    checksums, _ = write_fake_mnist(folder)
    images = folder / FILES["test_images"]
    images.write_bytes(gzip.compress(idx_images(np.zeros((4, 784)))))
    checksums[images.name] = sha256(images)
    with pytest.raises(ValueError, match="every test image is blank"):
        load_mnist(folder, checksums=checksums)


# ------------------------------------------------- load_mnist's arguments, checked first

@pytest.mark.parametrize("arguments, error, words", [
    (dict(checksums={}), ValueError, "checksums has no SHA-256 for train-images-idx3-ubyte.gz"),
    (dict(checksums=["abc"]), TypeError, "checksums must be a dict"),
    (dict(checksums={FILES["train_images"]: "XYZ"}), ValueError, "must be a SHA-256"),
    (dict(mirrors="https://example.org/mnist/"), TypeError, "not one string: write mirrors=["),
    (dict(mirrors=[None]), ValueError, "each mirror must be a base URL"),
    (dict(mirrors=["ftp://example.org/"]), ValueError, "starting with http:// or https://"),
    (dict(mirrors=42), TypeError, "mirrors must be a list of base URLs"),
    (dict(data_dir="   "), ValueError, "data_dir must name a folder"),
    (dict(data_dir=""), ValueError, "data_dir must name a folder"),
    (dict(data_dir="~no_such_user_backprop/mnist"), ValueError,
     "no user called 'no_such_user_backprop'"),
    (dict(data_dir="a\0b"), ValueError, "data_dir contains a NUL character"),
    (dict(data_dir=3), TypeError, "data_dir must be a folder path"),
    (dict(dtype=np.int32), ValueError, "dtype must be a floating type"),
    (dict(dtype="pixels"), ValueError, "dtype must be a floating type"),
    (dict(progress="yes"), TypeError, "progress must be True or False"),
])
def test_bad_arguments_are_named_before_anything_is_created(tmp_path, monkeypatch, arguments,
                                                            error, words):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(error, match=re.escape(words)):
        load_mnist(**{"data_dir": tmp_path / "new", "mirrors": [], **arguments})
    assert sorted(tmp_path.rglob("*")) == before


def test_a_file_given_as_data_dir_is_named(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="notes.txt' is a file, not a folder"):
        load_mnist(tmp_path / "notes.txt")


@pytest.mark.parametrize("variable", ["BACKPROP_DATA_DIR", "BACKPROP_CACHE_DIR"])
def test_blank_environment_variable_is_named_before_any_work(tmp_path, monkeypatch, variable):
    monkeypatch.setenv(variable, "  ")
    with pytest.raises(ValueError, match=re.escape(f"${variable} must name a folder")):
        load_mnist(tmp_path / "new" if variable.endswith("CACHE_DIR") else None, mirrors=[])
    assert not (tmp_path / "new").exists()


def test_checksums_for_the_uncompressed_names_only_need_those_files(tmp_path):
    checksums, _ = write_fake_mnist(tmp_path / "gz")
    renamed = {name.removesuffix(".gz"): digest for name, digest in checksums.items()}
    with pytest.raises(ValueError, match="no SHA-256 for train-images-idx3-ubyte.gz .found at"):
        load_mnist(tmp_path / "gz", checksums=renamed, mirrors=[])
