"""The MNIST loader: IDX parsing, downloads from a real local HTTP server, and the cache.

Downloads are tested against an ``http.server`` started here on 127.0.0.1, never
a mock (the misbehaving ones come from misbehaving_servers.py, beside this file).
Every test gets its own cache folder (``BACKPROP_CACHE_DIR``), so nothing is
written into the real per-user cache or into the read-only shared data.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from backprop import data
from backprop.data import (FILES, SHA256, MNISTNotFoundError, download_file, find_or_download,
                           load_mnist, parse_idx_images, parse_idx_labels, read_idx_bytes)
from backprop.download import remove_stale_parts
from misbehaving_servers import (DroppingHandler, EndlessHandler, OversizedHandler, QuietHandler,
                                 TricklingHandler, base_url, start_server)

REAL_DIR = os.environ.get("BACKPROP_DATA_DIR")
NO_REAL_DATA = ("BACKPROP_DATA_DIR is not set: point it at the folder holding the four "
                "MNIST .gz files (CI sets it to ../shared/data/mnist)")
LABELS = "t10k-labels-idx1-ubyte.gz"  # the smallest real file: 4,542 bytes


# ------------------------------------------------------------------ helpers

def idx_images(pixels: np.ndarray, rows: int = 28, cols: int = 28, magic: int = 2051) -> bytes:
    """Hand-made IDX image file: header, then the pixel bytes."""
    return struct.pack(">4I", magic, len(pixels), rows, cols) + pixels.astype(np.uint8).tobytes()


def idx_labels(labels, magic: int = 2049) -> bytes:
    """Hand-made IDX label file: header, then one byte per label."""
    return struct.pack(">2I", magic, len(labels)) + np.asarray(labels, np.uint8).tobytes()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_fake_mnist(folder: Path, compress: bool = True, seed: int = 0,
                     sizes=(("train", 6), ("test", 4))) -> tuple[dict, dict]:
    """Write a tiny MNIST look-alike; return its checksum table and its arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays, checksums = {}, {}
    for part, n in sizes:
        arrays[f"{part}_images"] = rng.integers(0, 256, (n, 784), dtype=np.uint8)
        arrays[f"{part}_labels"] = rng.integers(0, 10, n, dtype=np.uint8)
    for key, name in FILES.items():
        raw = (idx_images if key.endswith("images") else idx_labels)(arrays[key])
        path = folder / (name if compress else name.removesuffix(".gz"))
        path.write_bytes(gzip.compress(raw) if compress else raw)
        checksums[path.name] = sha256(path)
    return checksums, arrays


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Send the parsed-array cache to a fresh folder and keep proxies out of the way."""
    monkeypatch.setenv("BACKPROP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("no_proxy", "*")
    return tmp_path / "cache"


@pytest.fixture
def serve():
    """Start HTTP servers on 127.0.0.1 (free port); return a function giving each one's URL."""
    servers = []

    def start(root: Path, handler=QuietHandler) -> str:
        servers.append(start_server(root, handler))
        return base_url(servers[-1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stalling_server(tmp_path):
    """A server that sends headers and then stays silent until the test ends."""
    release = threading.Event()

    class Stalling(QuietHandler):
        def do_GET(self):
            self.send_status(1000)
            self.wfile.flush()
            release.wait(10)

    server = start_server(tmp_path, Stalling)
    yield base_url(server)
    release.set()
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    """URL of a port on 127.0.0.1 that nothing listens on: a mirror that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def real_dir() -> Path:
    if not REAL_DIR:
        pytest.skip(NO_REAL_DATA)
    return Path(REAL_DIR)


@pytest.fixture
def site(tmp_path, real_dir) -> Path:
    """A folder to serve, holding a copy of the real test-label file."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(real_dir / LABELS, root / LABELS)
    return root


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


# --------------------------------------------------------------- downloading

def test_download_from_local_mirror_gives_verified_full_mnist(tmp_path, real_dir, serve, capsys):
    folder = tmp_path / "data"
    (X, y), (Xt, yt) = load_mnist(folder, mirrors=[serve(real_dir)], progress=True)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES.values())
    assert all(sha256(folder / name) == SHA256[name] for name in FILES.values())
    assert X.shape == (60000, 784) and Xt.shape == (10000, 784) and X.dtype == np.float64
    assert y.shape == (60000,) and yt.shape == (10000,) and y.dtype == np.intp
    assert X.min() == 0.0 and X.max() == 1.0 and set(np.unique(yt)) == set(range(10))
    assert LABELS in capsys.readouterr().err  # the progress bar names the file


def test_corrupted_download_is_rejected_and_nothing_is_left(tmp_path, site, serve):
    raw = bytearray((site / LABELS).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (site / LABELS).write_bytes(bytes(raw))
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(ValueError, match=f"{LABELS}: SHA-256 is .*expected {SHA256[LABELS]}"):
        download_file(serve(site) + LABELS, folder / LABELS, SHA256[LABELS], progress=False)
    assert list(folder.iterdir()) == []


def test_truncated_download_is_rejected_and_nothing_is_left(tmp_path, site, serve):
    raw = (site / LABELS).read_bytes()
    (site / LABELS).write_bytes(raw[: len(raw) // 2])
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(ValueError, match="SHA-256"):
        download_file(serve(site) + LABELS, folder / LABELS, SHA256[LABELS], progress=False)
    assert list(folder.iterdir()) == []


def test_connection_dropped_mid_file_is_rejected_and_nothing_is_left(tmp_path, site, serve):
    folder = tmp_path / "data"
    folder.mkdir()
    size = (site / LABELS).stat().st_size
    with pytest.raises(ValueError, match=f"connection closed after {size // 2} of {size} bytes"):
        download_file(serve(site, DroppingHandler) + LABELS, folder / LABELS, SHA256[LABELS],
                      progress=False)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("first", ["missing file (404)", "server down"])
def test_second_mirror_is_used_when_the_first_fails(tmp_path, site, serve, first):
    empty = tmp_path / "empty"
    empty.mkdir()
    first_url = serve(empty) if first.endswith("(404)") else closed_port_url()
    path = find_or_download(LABELS, tmp_path / "data", [first_url, serve(site)], progress=False)
    assert path == tmp_path / "data" / LABELS and sha256(path) == SHA256[LABELS]
    assert [p.name for p in path.parent.iterdir()] == [LABELS]


def test_silent_mirror_times_out_and_the_next_is_tried(tmp_path, site, serve, stalling_server):
    path = find_or_download(LABELS, tmp_path / "data", [stalling_server, serve(site)],
                            progress=False, timeout=0.3)
    assert sha256(path) == SHA256[LABELS]


def test_when_every_mirror_fails_one_error_says_what_to_do(tmp_path, serve):
    empty, folder = tmp_path / "empty", tmp_path / "data"
    empty.mkdir()
    mirrors = [serve(empty), closed_port_url()]
    with pytest.raises(MNISTNotFoundError) as caught:
        load_mnist(folder, mirrors=mirrors, progress=False)
    message = str(caught.value)
    assert all(name in message for name in FILES.values())
    assert str(folder) in message and "BACKPROP_DATA_DIR" in message
    assert f"{mirrors[0]}: HTTP 404" in message and f"{mirrors[1]}: no connection" in message
    assert not folder.exists()  # the folder made for the download is removed again


def test_unwritable_data_folder_is_reported(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    folder = tmp_path / "a_file" / "mnist"  # cannot be created, even by root
    with pytest.raises(MNISTNotFoundError, match="not writable") as caught:
        load_mnist(folder, mirrors=[closed_port_url()], progress=False)
    assert "BACKPROP_DATA_DIR" in str(caught.value) and FILES["train_images"] in str(caught.value)


def test_missing_files_go_to_the_per_user_cache_by_default(tmp_path, serve, monkeypatch):
    checksums, arrays = write_fake_mnist(tmp_path / "site")
    monkeypatch.delenv("BACKPROP_DATA_DIR", raising=False)
    monkeypatch.delenv("BACKPROP_CACHE_DIR")
    (X, y), _ = load_mnist(mirrors=[serve(tmp_path / "site")], progress=False, checksums=checksums)
    folder = tmp_path / "xdg" / "backprop" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES.values())
    np.testing.assert_array_equal(y, arrays["train_labels"])


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


def test_second_load_reads_the_parsed_arrays_from_the_cache(tmp_path, private_cache):
    checksums, arrays = write_fake_mnist(tmp_path / "d")
    load_mnist(tmp_path / "d", checksums=checksums)
    (cached,) = private_cache.glob("mnist-*.npz")
    with np.load(cached, allow_pickle=False) as saved:
        altered = {key: saved[key].copy() for key in FILES}
    altered["train_labels"][0] = (arrays["train_labels"][0] + 1) % 10
    with open(cached, "wb") as out:
        np.savez(out, **altered)
    (_, y), _ = load_mnist(tmp_path / "d", checksums=checksums)
    assert y[0] == altered["train_labels"][0]  # the value only the cache holds


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


# ------------------------------------------------- servers that never stop, or trickle
# (the handlers live in misbehaving_servers.py; the adversarial battery uses them too)

def test_endless_server_is_cut_off_at_the_files_known_size(tmp_path, serve):
    folder = tmp_path / "data"
    folder.mkdir()
    started = time.monotonic()
    with pytest.raises(ValueError, match="more than 4,542 bytes arrived"):
        download_file(serve(tmp_path, EndlessHandler) + LABELS, folder / LABELS, SHA256[LABELS],
                      progress=False, max_bytes=data.size_limit(LABELS, SHA256[LABELS]))
    assert time.monotonic() - started < 10
    assert list(folder.iterdir()) == []


def test_endless_server_is_cut_off_by_the_loader_too(tmp_path, serve):
    folder = tmp_path / "data"
    with pytest.raises(MNISTNotFoundError, match="more than 9,912,422 bytes arrived"):
        find_or_download(FILES["train_images"], folder, [serve(tmp_path, EndlessHandler)],
                         progress=False)
    assert not folder.exists()


def test_trickling_server_hits_the_per_file_deadline(tmp_path, serve):
    folder = tmp_path / "data"
    folder.mkdir()
    started = time.monotonic()
    with pytest.raises(ValueError, match="took longer than 3 s"):  # each 2 s wait is no timeout
        download_file(serve(tmp_path, TricklingHandler) + LABELS, folder / LABELS,
                      SHA256[LABELS], progress=False, timeout=5, deadline=3)
    assert 3 <= time.monotonic() - started < 6
    assert list(folder.iterdir()) == []


def test_a_server_offering_more_than_the_known_size_is_refused_before_reading(tmp_path, site, serve):
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(ValueError, match="offers 9,084 bytes, more than the 4,542"):
        download_file(serve(site, OversizedHandler) + LABELS, folder / LABELS, SHA256[LABELS],
                      progress=False, max_bytes=data.size_limit(LABELS, SHA256[LABELS]))
    assert list(folder.iterdir()) == []


def test_own_checksums_lift_the_known_size_cap():
    assert data.size_limit(LABELS, SHA256[LABELS]) == 4542
    assert data.size_limit(LABELS, "0" * 64) == data.LARGEST_FILE


# ------------------------------------------------- leftovers of a killed download

def test_stale_part_files_are_removed_on_the_next_load(tmp_path, serve):
    checksums, _ = write_fake_mnist(tmp_path / "site")
    folder = tmp_path / "data"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    left_by_dead_process = folder / f".{LABELS}.{dead}-0a1b2c3d.part"
    old_style = folder / f".{LABELS}.k3j2h1.part"
    ours = folder / f".{LABELS}.{os.getpid()}-00000000.part"  # a live writer: kept
    someone_elses = folder / ".holiday.mp4.part"  # not a part of ours: kept
    for part in (left_by_dead_process, old_style, ours, someone_elses):
        part.write_bytes(b"half a file")
    load_mnist(folder, mirrors=[serve(tmp_path / "site")], progress=False, checksums=checksums)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES.values(), ours.name,
                                                               someone_elses.name])


def test_a_live_writers_part_file_is_removed_once_it_is_an_hour_old(tmp_path):
    part = tmp_path / f".{LABELS}.{os.getpid()}-00000000.part"
    part.write_bytes(b"")
    assert remove_stale_parts(tmp_path, [LABELS]) == []
    assert remove_stale_parts(tmp_path, ["other"], now=time.time() + 3601) == []
    assert remove_stale_parts(tmp_path, [LABELS], now=time.time() + 3601) == [part]


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
    assert data.read_cache(cached) is not None  # rewritten with the real arrays


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


def test_two_loaders_racing_for_an_empty_folder_both_succeed_and_leave_no_parts(tmp_path, serve):
    checksums, arrays = write_fake_mnist(tmp_path / "site")
    folder = tmp_path / "data"
    script = ("import sys, json; from backprop import load_mnist; "
              "(X, y), _ = load_mnist(sys.argv[1], mirrors=[sys.argv[2]], progress=False, "
              "checksums=json.loads(sys.argv[3])); print(y.tolist())")
    args = [sys.executable, "-c", script, str(folder), serve(tmp_path / "site"), json.dumps(checksums)]
    racers = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [racer.communicate(timeout=60)[0] for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0]
    assert all(out.strip() == str(arrays["train_labels"].tolist()) for out in outputs)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES.values())
