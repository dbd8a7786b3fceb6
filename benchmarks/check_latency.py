"""How long one checked call takes, with each kind of protection.

A checked call forks a keeper and a worker (:mod:`backprop.exercises.containment`).
Run as root, the worker takes a user id of its own; run as an ordinary user, it gets
user, PID and mount namespaces of its own where Linux allows them. This prints the
milliseconds of one ``contained_call`` of a one-line function, and of a whole
``check_sigmoid`` (four cases), median and 90th percentile, for

- root: a user id of its own (when run as root);
- an ordinary user (``nobody``, forked from root; or the user running this) with
  namespaces, and with namespaces switched off, measured in turns so that the load of
  the machine falls on both alike.

Figures are printed, never asserted::

    python -m benchmarks.check_latency [rounds]
"""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import time

import numpy as np

from backprop.exercises import check_sigmoid, containment, namespaces

NOBODY = 65534


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def one_call() -> float:
    started = time.perf_counter()
    containment.contained_call(sigmoid, (0.5,))
    return 1000 * (time.perf_counter() - started)


def one_checker() -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        check_sigmoid(sigmoid)
    return 1000 * (time.perf_counter() - started)


@contextlib.contextmanager
def namespaces_switched_off():
    kept = namespaces.unshare
    namespaces.unshare = lambda flags: False
    try:
        yield
    finally:
        namespaces.unshare = kept


def measure(settings: dict, rounds: int) -> None:
    """Time every setting in turns; print one line per setting and measurement."""
    times = {(name, what): [] for name in settings for what in ("call", "checker")}
    for _ in range(rounds):
        for name, setting in settings.items():
            with setting():
                times[name, "call"].append(one_call())
                times[name, "checker"].append(one_checker())
    for (name, what), values in times.items():
        values.sort()
        print(f"  {name:42s} {what:8s} median {statistics.median(values):6.1f} ms   "
              f"90th percentile {values[int(0.9 * len(values))]:6.1f} ms")


def main(rounds: int = 30) -> None:
    namespaces.WARNED.add(b"s")     # the switched-off runs would warn: they are meant to
    print(f"one checked call, and check_sigmoid (4 cases), {rounds} rounds")
    if os.geteuid() == 0:
        measure({"root: a user id of its own": contextlib.nullcontext}, rounds)
        child = os.fork()
        if child == 0:
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                os.chdir("/")
                main_as_ordinary_user(rounds)
            finally:
                sys.stdout.flush()
                os._exit(0)
        os.waitpid(child, 0)
    else:
        main_as_ordinary_user(rounds)


def main_as_ordinary_user(rounds: int) -> None:
    measure({f"user {os.getuid()}: namespaces of its own": contextlib.nullcontext,
             f"user {os.getuid()}: namespaces switched off": namespaces_switched_off}, rounds)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
