"""MNIST: 70,000 labelled images of handwritten digits, found, fetched and checked.

The four standard files live in one folder: ``data_dir``, else ``$BACKPROP_DATA_DIR``,
else ``<cache>/mnist``. A missing file is downloaded from mirrors tried in turn and
moved into place only once its SHA-256 matches. Parsed pixels are kept as ``.npz``
in ``<cache>`` (``$BACKPROP_CACHE_DIR``, else ``$XDG_CACHE_HOME/backprop``, else
``~/.cache/backprop``), so a second load skips decompressing and parsing.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

DATA_ENV = "BACKPROP_DATA_DIR"
CACHE_ENV = "BACKPROP_CACHE_DIR"
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
SHA256 = {  # of the .gz files as distributed, and of their uncompressed contents
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
IMAGE_SHAPE = (28, 28)
TIMEOUT = 30.0  # seconds a mirror may stay silent before we try the next one
Split = tuple[np.ndarray, np.ndarray]  # (images, labels)


class MNISTNotFoundError(RuntimeError):
    """The MNIST files are not on disk and could not be downloaded."""


def read_header(data: bytes, n_fields: int, magic: int, source: str) -> tuple[int, ...]:
    """Return the big-endian header fields after the magic number, checking the magic."""
    size = 4 * n_fields
    if len(data) < size:
        raise ValueError(f"{source}: only {len(data)} bytes, too short for a {size}-byte IDX header")
    fields = struct.unpack(f">{n_fields}I", data[:size])
    if fields[0] != magic:
        kind = "image" if magic == IMAGE_MAGIC else "label"
        raise ValueError(f"{source}: magic number is {fields[0]}, expected {magic} (IDX {kind} file)")
    return fields[1:]


def check_length(data: bytes, header: int, body: int, source: str) -> None:
    """Raise if ``data`` is not exactly a header plus the body its header promises."""
    expected = header + body
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "extra bytes at the end"
        raise ValueError(f"{source}: file is {len(data)} bytes but its header promises "
                         f"{expected} ({problem})")


def parse_idx_images(data: bytes, source: str = "images") -> np.ndarray:
    """Return the images of an uncompressed IDX image file, one row of pixels each.

    ``data`` is a 16-byte header (magic 2051, count, rows, columns), then one
    byte per pixel; ``source`` names the file in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (n, 784), uint8: 0 is background, 255 is ink.
    """
    n, rows, cols = read_header(data, 4, IMAGE_MAGIC, source)
    if (rows, cols) != IMAGE_SHAPE:
        raise ValueError(f"{source}: images are {rows}x{cols} pixels, expected 28x28")
    check_length(data, 16, n * rows * cols, source)
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols)


def parse_idx_labels(data: bytes, source: str = "labels") -> np.ndarray:
    """Return the digit labels of an uncompressed IDX label file.

    ``data`` is an 8-byte header (magic 2049, count), then one byte per label;
    ``source`` names the file in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (n,), uint8, every value in 0-9.
    """
    (n,) = read_header(data, 2, LABEL_MAGIC, source)
    check_length(data, 8, n, source)
    labels = np.frombuffer(data, np.uint8, offset=8)
    if labels.size and labels.max() > 9:
        where = int(np.argmax(labels > 9))
        raise ValueError(f"{source}: label {labels[where]} at position {where} is outside 0-9")
    return labels


def read_idx_bytes(path: Path) -> bytes:
    """Return the uncompressed contents of an IDX file, gzip-compressed (.gz) or not."""
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: not a complete gzip file ({err})") from None


def cache_dir() -> Path:
    """Return backprop's per-user cache folder (downloads and parsed arrays)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "backprop"


def data_folder(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds the MNIST files: argument, ``$BACKPROP_DATA_DIR``, cache."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    return cache_dir() / "mnist"


def verify_sha256(path: Path, expected: str, name: str | None = None) -> None:
    """Raise a ``ValueError`` naming the file if its SHA-256 is not ``expected``."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    if (actual := digest.hexdigest()) != expected:
        raise ValueError(f"{name or path}: SHA-256 is {actual}, expected {expected} "
                         "(the file is damaged or is not the MNIST file)")


@contextmanager
def temporary_beside(target: Path) -> Iterator[Path]:
    """Yield a temporary file next to ``target``; it is removed unless moved into place."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def copy_url(url: str, out: BinaryIO, timeout: float, progress: bool, label: str) -> None:
    """Write the body at ``url`` into the open file ``out``, showing a progress bar."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        expected = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with tqdm(total=expected, unit="B", unit_scale=True, desc=label, disable=not progress) as bar:
            while block := response.read(1 << 16):
                out.write(block)
                received += len(block)
                bar.update(len(block))
    if expected is not None and received != expected:
        raise ValueError(f"{url}: connection closed after {received} of {expected} bytes")


def download_file(url: str, target: Path, sha256: str, timeout: float = TIMEOUT,
                  progress: bool = True) -> Path:
    """Download ``url`` to ``target``, moving it into place only once its SHA-256 matches.

    Raises ``OSError`` or ``http.client.HTTPException`` when the transfer fails and
    ``ValueError`` when the bytes are incomplete or wrong; ``target`` is then untouched.
    """
    with temporary_beside(target) as part:
        with open(part, "wb") as out:
            copy_url(url, out, timeout, progress, target.name)
        verify_sha256(part, sha256, target.name)
        part.chmod(0o644)
        os.replace(part, target)
    return target


def describe(err: Exception) -> str:
    """Return what a mirror answered, in a few words."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return f"no connection ({err.reason})"
    return str(err) or type(err).__name__


def not_found_message(folder: Path, reason: str, answers: Sequence[str] = ()) -> str:
    """Return the text of a ``MNISTNotFoundError``: what is needed and where it goes."""
    return "\n".join([
        f"MNIST is not available: {reason}", *(f"  {a}" for a in answers),
        "The loader needs these four files (gzip-compressed, as distributed):",
        *(f"  {name}" for name in FILES.values()),
        f"Put them in {folder}, or set the environment variable {DATA_ENV} to a folder",
        "that holds them (or pass data_dir=... to load_mnist).",
    ])


def ensure_writable(folder: Path) -> None:
    """Create ``folder`` if needed; raise ``MNISTNotFoundError`` if files cannot go there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        reason = f"files are missing and the folder {folder} is not writable ({err})"
        raise MNISTNotFoundError(not_found_message(folder, reason)) from None


def find_or_download(name: str, folder: Path, mirrors: Sequence[str] = MIRRORS,
                     checksums: Mapping[str, str] = SHA256, progress: bool = True,
                     timeout: float = TIMEOUT) -> Path:
    """Return the path of MNIST file ``name`` in ``folder``, downloading it if missing.

    The file counts as present under its ``.gz`` name or its uncompressed name.
    Mirrors are tried in order; if all fail, ``MNISTNotFoundError`` lists their answers.
    """
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    ensure_writable(folder)
    answers = []
    for mirror in mirrors:
        try:
            url = mirror.rstrip("/") + "/" + name
            return download_file(url, folder / name, checksums[name], timeout, progress)
        except (OSError, ValueError, http.client.HTTPException) as err:
            answers.append(f"{mirror}: {describe(err)}")
    reason = f"{name} could not be downloaded; the mirrors answered:"
    raise MNISTNotFoundError(not_found_message(folder, reason, answers or ["(no mirrors given)"]))


def read_cache(path: Path) -> dict[str, np.ndarray] | None:
    """Return the four uint8 arrays saved at ``path``, or None if absent or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {key: saved[key] for key in FILES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def write_cache(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Save the uint8 arrays as an uncompressed ``.npz``; skip silently if that fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary_beside(path) as part:
            with open(part, "wb") as out:
                np.savez(out, **arrays)
            os.replace(part, path)
    except OSError:
        pass


def parse_files(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """Parse the four MNIST files into uint8 arrays, checking images and labels pair up."""
    arrays = {}
    for part in ("train", "test"):
        images_path, labels_path = paths[f"{part}_images"], paths[f"{part}_labels"]
        images = parse_idx_images(read_idx_bytes(images_path), str(images_path))
        labels = parse_idx_labels(read_idx_bytes(labels_path), str(labels_path))
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} "
                             f"holds {len(labels)} labels")
        arrays[f"{part}_images"], arrays[f"{part}_labels"] = images, labels
    return arrays


def parsed_arrays(paths: Mapping[str, Path], digests: Sequence[str]) -> dict[str, np.ndarray]:
    """Return the four uint8 arrays, from the cache keyed by the files' checksums if there."""
    key = hashlib.sha256("".join(digests).encode()).hexdigest()[:16]
    cached = cache_dir() / f"mnist-{key}.npz"
    arrays = read_cache(cached)
    if arrays is None:
        arrays = parse_files(paths)
        write_cache(cached, arrays)
    return arrays


def load_mnist(data_dir: str | os.PathLike | None = None, dtype: npt.DTypeLike = np.float64,
               mirrors: Sequence[str] | None = None, progress: bool = True,
               checksums: Mapping[str, str] | None = None) -> tuple[Split, Split]:
    """Return MNIST as ``(X_train, y_train), (X_test, y_test)``.

    Parameters
    ----------
    data_dir : path, optional
        Folder of the four files (default ``$BACKPROP_DATA_DIR``, else ``<cache>/mnist``);
        missing files are downloaded into it.
    dtype : floating dtype
        Type of the pixel arrays.
    mirrors : sequence of str, optional
        Base URLs tried in order for missing files (default ``MIRRORS``).
    progress : bool
        Show a progress bar while downloading.
    checksums : mapping, optional
        Expected SHA-256 per file name (default ``SHA256``, the real MNIST).

    Returns
    -------
    tuple
        Images (n, 784) in [0, 1] and ``np.intp`` labels (n,): 60,000 to train, 10,000 to test.
    """
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be a floating type (pixels are fractions); got {np.dtype(dtype)}")
    checksums = SHA256 if checksums is None else checksums
    mirrors = MIRRORS if mirrors is None else mirrors
    folder = data_folder(data_dir)
    paths = {key: find_or_download(name, folder, mirrors, checksums, progress)
             for key, name in FILES.items()}
    digests = [checksums[path.name] for path in paths.values()]
    for path, digest in zip(paths.values(), digests):
        verify_sha256(path, digest)
    arrays = parsed_arrays(paths, digests)
    return tuple((as_pixels(arrays[f"{part}_images"], dtype),
                  arrays[f"{part}_labels"].astype(np.intp)) for part in ("train", "test"))


def as_pixels(images: np.ndarray, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
    """Return uint8 pixels as fractions of full ink in [0, 1]."""
    return np.true_divide(images, 255, dtype=dtype)
