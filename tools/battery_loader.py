"""The loader's cases of the adversarial battery: ``load_mnist``'s arguments and faults
(misbehaving mirrors on 127.0.0.1, spoiled caches, leftovers of a killed load)."""
from __future__ import annotations

import gzip
import hashlib
import struct
from functools import partial
from pathlib import Path

import numpy as np

from backprop.mnist import loader as data
from battery_servers import start_servers


# ---------------------------------------------------------------- the loader

def write_look_alike(folder: Path) -> tuple[dict, dict]:
    rng = np.random.default_rng(3)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train_images": rng.integers(1, 256, (6, 784), dtype=np.uint8),
              "train_labels": rng.integers(0, 10, 6, dtype=np.uint8),
              "test_images": rng.integers(1, 256, (4, 784), dtype=np.uint8),
              "test_labels": rng.integers(0, 10, 4, dtype=np.uint8)}
    checksums = {}
    for key, name in data.FILES.items():
        a = arrays[key]
        head = struct.pack(">4I", 2051, len(a), 28, 28) if a.ndim == 2 else struct.pack(">2I", 2049, len(a))
        (folder / name).write_bytes(gzip.compress(head + a.tobytes()))
        checksums[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    return checksums, arrays


def is_look_alike(arrays):
    return lambda got: (np.array_equal(got[1][0] * 255, arrays["test_images"])
                        and np.array_equal(got[0][1], arrays["train_labels"]))


def loader_argument_cases(Case, root: Path) -> list:
    folder = root / "look_alike"
    sums, arrays = write_look_alike(folder)
    load = partial(data.load_mnist, folder, progress=False, mirrors=[], checksums=sums)
    cases = [Case("load_mnist arguments", f"{k}={v!r:.40}", lambda s, k=k, v=v: load(**{k: v}), names)
             for k, v, names in [
                 ("checksums", {}, ("checksums",)), ("checksums", [], ("checksums",)),
                 ("checksums", {"x": "y"}, ("checksums",)), ("checksums", {n: "A" * 64 for n in sums}, ("checksums",)),
                 ("mirrors", "http://127.0.0.1:9/", ("mirrors",)), ("mirrors", [None], ("mirrors",)),
                 ("mirrors", 42, ("mirrors",)), ("mirrors", ["ftp://x/"], ("mirrors",)), ("mirrors", [""], ("mirrors",)),
                 ("dtype", int, ("dtype",)), ("dtype", "x", ("dtype",)), ("progress", "yes", ("progress",))]]
    for value in ["  ", "", "~nobody_battery/mnist", "a\0b", 3, b"bytes", folder / data.FILES["test_labels"]]:
        cases.append(Case("load_mnist arguments", f"data_dir={value!r:.40}",
                          lambda s, v=value: data.load_mnist(v, mirrors=[], checksums=sums), ("data_dir",)))
    cases += [Case("load_mnist arguments", "mistyped data_dir, no mirror answers",
                   lambda s: data.load_mnist("mnsit", mirrors=["http://127.0.0.1:9/"], progress=False),
                   ("MNIST is not available",)),
              Case("load_mnist arguments", "valid look-alike, float32", lambda s: load(dtype=np.float32),
                   check=is_look_alike(arrays))]
    return cases


def spoiled_cache(scratch: Path, folder: Path, sums: dict, spoil: str):
    """Load once, spoil the cache file, load again."""
    data.load_mnist(folder, progress=False, mirrors=[], checksums=sums)
    (cached,) = (scratch / "cache").glob("mnist-*.npz")
    if spoil in ("not a zip", "empty file", "truncated"):
        raw = cached.read_bytes()
        cached.write_bytes({"not a zip": b"hello", "empty file": b"", "truncated": raw[:len(raw) // 2]}[spoil])
    else:
        with np.load(cached) as saved:
            bad = {k: saved[k].copy() for k in data.FILES}
        {"wrong shapes": lambda: bad.update(train_images=bad["train_images"].reshape(-1, 28, 28)),
         "all-zero images": lambda: bad["test_images"].fill(0),
         "labels of 99": lambda: bad["train_labels"].fill(99),
         "float pixels": lambda: bad.update(train_images=bad["train_images"] / 255.0),
         "missing labels": lambda: bad.pop("test_labels")}[spoil]()
        with open(cached, "wb") as out:
            np.savez(out, **bad)
    return data.load_mnist(folder, progress=False, mirrors=[], checksums=sums)


def loader_fault_cases(Case, root: Path) -> list:
    folder = root / "look_alike"
    sums, arrays = write_look_alike(folder)
    urls = start_servers(folder)
    labels = data.FILES["test_labels"]
    fetch = partial(data.find_or_download, labels, progress=False, timeout=1.0, deadline=2.0)
    cases = [Case("loader faults", f"mirror: {kind}",
                  lambda s, u=url, c=checks: fetch(s / "d", [u], checksums=c),
                  ("MNIST is not available",), bound=8)
             for kind, url, checks in [
                 ("404", urls["files"] + "missing/", sums), ("drops half way", urls["dropping"], sums),
                 ("HTML with status 200", urls["html"], sums), ("wrong bytes", urls["files"], {labels: "0" * 64}),
                 ("endless body", urls["endless"], data.SHA256), ("a byte every 2 s", urls["trickle"], sums),
                 ("offers 10x the size", urls["oversized"], data.SHA256), ("silent", urls["stall"], sums),
                 ("port closed", "http://127.0.0.1:9/", sums)]]
    cases.append(Case("loader faults", "second mirror answers after a dead one",
                      lambda s: fetch(s / "d", [urls["endless"], urls["files"]], checksums=sums),
                      check=lambda p: p.name == labels, leaves=("d", f"d/{labels}"), bound=8))
    for spoil in ("wrong shapes", "all-zero images", "labels of 99", "float pixels", "missing labels",
                  "not a zip", "empty file", "truncated"):
        cases.append(Case("loader faults", f"cache: {spoil}", lambda s, sp=spoil: spoiled_cache(s, folder, sums, sp),
                          check=is_look_alike(arrays)))

    def with_stale_parts(scratch: Path):
        target = scratch / "d"
        target.mkdir()
        for name in (f".{labels}.999999999-dead.part", f".{labels}.abc123.part"):
            (target / name).write_bytes(b"half")
        return fetch(target, [urls["files"]], checksums=sums)

    cases.append(Case("loader faults", "stale .part files from a killed load", with_stale_parts,
                      check=lambda p: p.exists(), leaves=("d", f"d/{labels}")))
    cases.append(Case("loader faults", "folder under a file", lambda s: (s / "f").write_text("x") and
                      data.load_mnist(s / "f" / "m", mirrors=[urls["files"]], progress=False, checksums=sums),
                      ("not writable", "is a file"), leaves=("f",)))
    return cases
