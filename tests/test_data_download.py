"""The MNIST loader's downloads, from real HTTP servers started here on 127.0.0.1.

Never a mock: the well-behaved server is ``http.server``, the misbehaving ones come from
misbehaving_servers.py beside this file. Every test gets its own cache folder
(``private_cache``, from fake_mnist.py).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from backprop.mnist import loader as data
from backprop.mnist.loader import (FILES, SHA256, MNISTNotFoundError, download_file, find_or_download,
                           load_mnist)
from backprop.mnist.download import remove_stale_parts
from fake_mnist import LABELS, private_cache, real_dir, sha256, write_fake_mnist  # noqa: F401
from misbehaving_servers import (DroppingHandler, EndlessHandler, OversizedHandler, QuietHandler,
                                 TricklingHandler, base_url, start_server)


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
def site(tmp_path, real_dir) -> Path:
    """A folder to serve, holding a copy of the real test-label file."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(real_dir / LABELS, root / LABELS)
    return root


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
