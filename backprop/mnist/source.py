"""Where MNIST comes from: file names, checksums, sizes, mirrors, folders, and
``load_mnist``'s arguments, each checked before anything is read or created."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Sequence

import numpy as np

from ..arguments import float_dtype

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
SIZES = {  # bytes of the .gz files as distributed: a download never gets larger
    "train-images-idx3-ubyte.gz": 9_912_422,
    "train-labels-idx1-ubyte.gz": 28_881,
    "t10k-images-idx3-ubyte.gz": 1_648_877,
    "t10k-labels-idx1-ubyte.gz": 4_542,
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class MNISTNotFoundError(RuntimeError):
    """The MNIST files are not on disk and could not be downloaded."""


def not_found_message(folder: Path, reason: str, answers: Sequence[str] = ()) -> str:
    """Return the text of a ``MNISTNotFoundError``: what is needed and where it goes."""
    return "\n".join([
        f"MNIST is not available: {reason}", *(f"  {a}" for a in answers),
        "The loader needs these four files (gzip-compressed, as distributed):",
        *(f"  {name}" for name in FILES.values()),
        f"Put them in {folder}, or set the environment variable {DATA_ENV} to a folder",
        "that holds them (or pass data_dir=... to load_mnist).",
    ])


def folder_path(value, name: str) -> Path:
    """A folder given as text or path, checked: not blank, no NUL, ``~`` of a known user."""
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a folder path (text or pathlib.Path); got {value!r}")
    text = os.fspath(value)
    if isinstance(text, bytes) or not text.strip():
        raise ValueError(f"{name} must name a folder; got {value!r}")
    if "\0" in text:
        raise ValueError(f"{name} contains a NUL character; got {value!r}")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # "~someone" with no such user
        user = re.match(r"~([^/\\]*)", text).group(1)
        raise ValueError(f"{name} starts with ~{user}, but there is no user called {user!r}; "
                         "write the full path, or ~/... for your own home folder") from None
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} {str(path)!r} is a file, not a folder")
    return path


def cache_dir() -> Path:
    """Return backprop's per-user cache folder (parsed arrays, downloads by default)."""
    if os.environ.get(CACHE_ENV):
        return folder_path(os.environ[CACHE_ENV], f"${CACHE_ENV}")
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "backprop"


def data_folder(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds the MNIST files: argument, ``$BACKPROP_DATA_DIR``, cache."""
    if data_dir is not None:
        return folder_path(data_dir, "data_dir")
    if os.environ.get(DATA_ENV):
        return folder_path(os.environ[DATA_ENV], f"${DATA_ENV}")
    return cache_dir() / "mnist"


def checked_mirrors(mirrors) -> tuple[str, ...]:
    """``mirrors`` as a tuple of http(s) base URLs, or a clear error naming the argument."""
    if mirrors is None:
        return MIRRORS
    if isinstance(mirrors, (str, bytes)):
        raise TypeError(f"mirrors must be a list of base URLs, not one string: write "
                        f"mirrors=[{mirrors!r}]")
    if not isinstance(mirrors, Sequence) and not isinstance(mirrors, (set, frozenset)):
        raise TypeError(f"mirrors must be a list of base URLs such as {list(MIRRORS[:1])}; "
                        f"got {mirrors!r}")
    for url in mirrors:
        if not isinstance(url, str) or not re.match(r"https?://[^/\s]+", url):
            raise ValueError(f"mirrors: each mirror must be a base URL starting with http:// "
                             f"or https://; got {url!r}")
    return tuple(mirrors)


def checked_checksums(checksums) -> Mapping[str, str]:
    """``checksums`` with a SHA-256 for each of the four files, or an error naming what is missing."""
    if checksums is None:
        return SHA256
    if not isinstance(checksums, Mapping):
        raise TypeError(f"checksums must be a dict from file name to SHA-256; got {checksums!r}")
    for key, digest in checksums.items():
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"checksums[{key!r}] must be a SHA-256 (64 hexadecimal digits, "
                             f"lower case); got {digest!r}")
    missing = [name for name in FILES.values()
               if name not in checksums and name.removesuffix(".gz") not in checksums]
    if missing:
        raise ValueError(f"checksums has no SHA-256 for {', '.join(missing)}: give one per "
                         "file (under its .gz name or its uncompressed name)")
    return checksums


def checked_arguments(data_dir, dtype, mirrors, progress, checksums) -> tuple:
    """Check every argument of ``load_mnist``; return ``(dtype, mirrors, checksums, folder)``."""
    dtype = float_dtype(dtype, "dtype")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False; got {progress!r}")
    cache_dir()  # a blank or unusable $BACKPROP_CACHE_DIR is named now, not after a download
    return dtype, checked_mirrors(mirrors), checked_checksums(checksums), data_folder(data_dir)
