"""The battery's cases for issue 23: a checked function against its notebook, a cache that
lies, explorers and pages given bad numbers or hostile text, and the smaller odd arguments.

Each case runs in the battery's own contained child, which plays the notebook. A case
whose checked function disturbed that notebook (killed, stopped or interrupted it, wrote
into its files, or changed how later answers are judged) raises :class:`AffectedCaller`,
or ends the child, and is counted as "affecting the caller".
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import struct
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from backprop.exercises import answers, check_sigmoid
from backprop.exercises.processes import FIRST_UID
from backprop.mnist import cache, loader
from battery_loader import write_look_alike

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # shared with the tests
from fake_mnist import spoiled  # noqa: E402


class AffectedCaller(Exception):
    """The checked function changed the notebook that called the checker."""


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


class Reduces(float):
    """A float whose unpickling, wherever it happens, switches the judge off."""

    def __reduce__(self):
        return (exec, ("import backprop.exercises.cases as c; c.numbers_problem = lambda *a, **k: None",))


def forged(value) -> bytes:
    plain = answers.encode_answer(answers.Answer(value))
    return struct.pack(">Q", len(plain)) + plain


def write_everywhere(data: bytes, pid: int | None = None) -> None:
    """Write ``data`` into every descriptor this process (or ``pid``, through /proc) holds."""
    folder = f"/proc/{pid or 'self'}/fd"
    for name in os.listdir(folder):
        with contextlib.suppress(OSError, ValueError):
            handle = os.open(f"{folder}/{name}", os.O_WRONLY) if pid else int(name)
            os.write(handle, data)


def attacks(notebook: int, shared: Path) -> dict:
    """The checked functions: each attacks, then returns the right answer (or a wrong one)."""
    def then_right(attack):
        def fn(z):
            with contextlib.suppress(OSError):
                attack()
            return sigmoid(z)
        return fn

    def daemon():
        if os.fork() == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    (shared / f"{os.getpid()}.daemon").write_text(str(os.getpid()))
                    time.sleep(30)
            finally:
                os._exit(0)
        time.sleep(0.1)

    return {
        "SIGKILL to its parent": then_right(lambda: os.kill(os.getppid(), signal.SIGKILL)),
        "SIGSTOP to its parent": then_right(lambda: os.kill(os.getppid(), signal.SIGSTOP)),
        "SIGKILL to the notebook": then_right(lambda: os.kill(notebook, signal.SIGKILL)),
        "SIGKILL to the notebook's group": then_right(lambda: os.killpg(os.getpgid(notebook), 9)),
        "SIGINT to the notebook": then_right(lambda: os.kill(notebook, signal.SIGINT)),
        "SIGSTOP to the notebook": then_right(lambda: os.kill(notebook, signal.SIGSTOP)),
        "SIGTERM to the notebook": then_right(lambda: os.kill(notebook, signal.SIGTERM)),
        "kill(-1) as its own user": then_right(lambda: os.getuid() >= FIRST_UID and os.kill(-1, 9)),
        "write through /proc/<notebook>/fd": then_right(lambda: write_everywhere(b"INTRUDER\n", notebook)),
        "write through /proc/<parent>/fd": then_right(lambda: write_everywhere(forged(0.5), os.getppid())),
        "read the notebook's environment": then_right(lambda: open(f"/proc/{notebook}/environ").read()),
        "become root again": then_right(lambda: os.setuid(0)),
        "a detached daemon": then_right(daemon),
        "connect to the notebook's socket": then_right(lambda: socket.create_connection(
            ("127.0.0.1", int((shared / "port").read_text())), timeout=1).sendall(b"INTRUDER")),
        "a float subclass whose unpickling runs code": lambda z: Reduces(0.5),
        "a forged reply, then a wrong answer": lambda z: (write_everywhere(forged(sigmoid(z))), 0 * z)[1],
        "a forged pickle reply, then exit": lambda z: (write_everywhere(struct.pack(">Q", 40) + bytes(40)),
                                                       os._exit(0)),
        "a forged reply from a lingering child": lambda z: (os.fork() == 0 and (
            time.sleep(0.05), write_everywhere(forged(sigmoid(z))), os._exit(0)), 0 * z)[1],
    }


def checked_notebook(scratch: Path, attack: str) -> bool | str:
    """Play the notebook: hold a file open, run a checker on the attack, then look around."""
    shared = scratch / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    log = open(scratch / "notebook.log", "w")
    log.write("notebook\n")
    log.flush()
    listening = socket.create_server(("127.0.0.1", 0))  # as a Jupyter kernel listens
    listening.setblocking(False)
    (shared / "port").write_text(str(listening.getsockname()[1]))
    fn = attacks(os.getpid(), shared)[attack]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        verdict = check_sigmoid(fn)
        judge_intact = check_sigmoid(lambda z: 0 * np.asarray(z, dtype=float)) is False
    log.close()
    with contextlib.suppress(BlockingIOError), listening:
        listening.accept()
        raise AffectedCaller("the checked function connected to the notebook's socket")
    if not judge_intact or (scratch / "notebook.log").read_text() != "notebook\n":
        raise AffectedCaller("the notebook's judge or its open file was changed")
    for pid_file in shared.glob("*.daemon"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)
            raise AffectedCaller("a process the checked function started outlived the call")
    if attack.startswith("a f"):  # the forgeries and the float subclass: refused, with a report
        return "clean" if verdict is False and out.getvalue().startswith("check_sigmoid") else False
    return verdict is True  # the attack failed, the right answer passed


def containment_cases(Case) -> list:
    names = list(attacks(0, Path(".")))
    return [Case("checked function vs notebook", name, lambda s, a=name: checked_notebook(s, a),
                 check=lambda r: r, bound=20, leaves=("shared", "notebook.log"))
            for name in names]


# ---------------------------------------------------------------- the cache

def save(path: Path, arrays: dict, sources, digest: str | None) -> None:
    extra = {} if digest is None else {"sources": np.array(list(sources), dtype=str),
                                       "digest": np.array(digest)}
    with open(path, "wb") as out:
        np.savez(out, **arrays, **extra)


def cache_attack(scratch: Path, folder: Path, sums: dict, how: str, consistent: bool):
    load = lambda: loader.load_mnist(folder, progress=False, mirrors=[], checksums=sums)  # noqa: E731
    load()
    (path,) = (scratch / "cache").glob("mnist-*.npz")
    sources = list(sums.values())
    with np.load(path) as saved:
        right = {k: saved[k].copy() for k in loader.FILES}
        recorded = str(saved["digest"])
    if how == "a FIFO":
        path.unlink()
        os.mkfifo(path)
    elif how == "a folder":
        path.unlink()
        path.mkdir()
    elif how == "an array claiming a terabyte":
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                      "shape": (10**12,)})
        with zipfile.ZipFile(path, "a") as archive, contextlib.suppress(UserWarning):
            import warnings
            warnings.simplefilter("ignore")
            archive.writestr("train_images.npy", header.getvalue() + bytes(64))
    elif how == "an object array":
        with open(path, "wb") as out:
            np.savez(out, **right, sources=np.array(sources, dtype=object), digest=np.array(recorded))
    elif how == "other sources":
        save(path, right, ["0" * 64] * 4, recorded)
    elif how == "no digest":
        save(path, right, sources, None)
    else:
        bad = spoiled(right, how, keep=3)
        save(path, bad, sources, cache.arrays_digest(bad) if consistent else recorded)
    result = load()
    if how == "a folder":
        shutil.rmtree(path, ignore_errors=True)
    return result


def forge_real(built: Path, root: Path, how: str) -> tuple[Path, dict]:
    """In the battery itself (a case may write only small files): the real cache, spoiled
    with a digest that matches, in a cache folder of its own; and the right labels."""
    folder = root / "forged" / how.replace(" ", "_")
    folder.mkdir(parents=True)
    with np.load(built) as saved:
        right = {k: saved[k].copy() for k in loader.FILES}
    bad = spoiled(right, how)
    save(folder / built.name, bad, [loader.SHA256[n] for n in loader.FILES.values()], cache.arrays_digest(bad))
    return folder, {k: right[k] for k in ("train_labels", "test_labels")}


def real_attack(folder: Path, right: dict, mnist: str) -> bool:
    os.environ["BACKPROP_CACHE_DIR"] = str(folder)  # the rebuilt cache is too big to write here
    (X, y), (Xt, yt) = loader.load_mnist(mnist, progress=False, mirrors=[])
    return (np.array_equal(y, right["train_labels"]) and np.array_equal(yt, right["test_labels"])
            and X.shape == (60000, 784) and Xt.shape == (10000, 784))


def two_loaders(scratch: Path, folder: Path, sums: dict, arrays: dict) -> bool:
    pids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            ok = False
            try:
                for _ in range(8):
                    _, (Xt, yt) = loader.load_mnist(folder, progress=False, mirrors=[], checksums=sums)
                    ok = np.array_equal(yt, arrays["test_labels"])
                    if not ok:
                        break
            finally:
                os._exit(0 if ok else 1)
        pids.append(pid)
    return all(os.waitpid(pid, 0)[1] == 0 for pid in pids)


def cache_cases(Case, root: Path) -> list:
    folder = root / "look_alike_cache"
    sums, arrays = write_look_alike(folder)

    def right(got):
        return (np.array_equal(got[1][0] * 255, arrays["test_images"])
                and np.array_equal(got[0][1], arrays["train_labels"]) and got[0][0].shape == (6, 784))

    cases = []
    for how in ("labels shifted by one", "all-zero labels", "inverted images", "fewer training images",
                "train and test swapped"):
        cases.append(Case("MNIST cache", f"{how}, digest not rewritten",
                          lambda s, h=how: cache_attack(s, folder, sums, h, False), check=right))
    for how in ("a FIFO", "a folder", "an array claiming a terabyte", "an object array", "other sources",
                "no digest"):
        cases.append(Case("MNIST cache", how, lambda s, h=how: cache_attack(s, folder, sums, h, False),
                          check=right, bound=10))
    cases.append(Case("MNIST cache", "two loaders at once, 8 loads each",
                      lambda s: two_loaders(s, folder, sums, arrays), check=lambda ok: ok is True, bound=30))
    built, mnist = real_cache(root), os.environ.get("BACKPROP_DATA_DIR")
    if built is not None:
        for how in ("labels shifted by one", "all-zero labels", "inverted images", "fewer training images",
                    "train and test swapped"):
            forged_folder, right_labels = forge_real(built, root, how)
            cases.append(Case("MNIST cache", f"real MNIST, {how}, digest rewritten",
                              lambda s, f=forged_folder, r=right_labels: real_attack(f, r, mnist),
                              check=lambda ok: ok is True, bound=40))
    return cases


def real_cache(root: Path) -> Path | None:
    """Build the real MNIST's cache once (None without ``$BACKPROP_DATA_DIR``)."""
    folder = os.environ.get("BACKPROP_DATA_DIR")
    if not folder:
        return None
    saved = os.environ.get("BACKPROP_CACHE_DIR")
    os.environ["BACKPROP_CACHE_DIR"] = str(root / "real_cache")
    try:
        loader.load_mnist(folder, progress=False, mirrors=[])
    finally:
        os.environ.pop("BACKPROP_CACHE_DIR")
        if saved is not None:
            os.environ["BACKPROP_CACHE_DIR"] = saved
    (built,) = (root / "real_cache").glob("mnist-*.npz")
    return built
