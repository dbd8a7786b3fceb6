"""Which networks are being trained right now: one training run per network at a time.

A training run (:func:`backprop.train`, the book's loop :func:`backprop.sgd`) changes
its network's parameters in place, step after step. Two runs on one network at once
would mix their steps (and :func:`backprop.train` keeps the parameters in one flat
vector while it runs), so each run first claims its network with :func:`training_run`;
a second claim, from any thread, gets one clear :class:`NetworkInTrainingError`
before anything changes. Methods that replace a network's arrays ask
:func:`refuse_while_training` first: ``astype`` is refused during the steps (even from
the run's own callback), ``load_vector`` and ``sgd_step`` only from other threads.

This module sits below :mod:`backprop.network`, so the network can ask it without
importing training.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

_lock = threading.Lock()
_runs: dict[int, "Run"] = {}     # id(network) -> the run training it


class NetworkInTrainingError(RuntimeError):
    """The network is being trained by another run: a second run or a change must wait."""


@dataclass
class Run:
    """One training run holding its network: who runs it, in which thread, and whether its
    steps have begun (before them the run may still convert the network's dtype)."""

    who: str
    thread: int
    thread_name: str
    stepping: bool = False


def _forget_all_runs() -> None:
    """In a forked child: the runs belong to the parent's threads, which the child has not."""
    global _lock
    _lock = threading.Lock()
    _runs.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_all_runs)


def _describe(net, run: Run) -> str:
    here = run.thread == threading.get_ident()
    where = "in this thread" if here else f"in thread {run.thread_name!r}"
    return f"{net!r} (at {id(net):#x}) is being trained by {run.who} {where}"


@contextmanager
def training_run(net, who: str, stepping: bool = False) -> Iterator[Run]:
    """Hold ``net`` for a training run named ``who`` (``"bp.train"``) until the block ends.

    Raises :class:`NetworkInTrainingError`, naming the network and the run that holds
    it, if another run (in any thread, or a callback of this one) holds it already.
    The hold ends however the block ends, an exception included.
    """
    run = Run(who, threading.get_ident(), threading.current_thread().name, stepping)
    with _lock:
        holder = _runs.get(id(net))
        if holder is not None:
            raise NetworkInTrainingError(
                f"{who} cannot train this network now: {_describe(net, holder)}. One network "
                "is trained by one run at a time: wait for that run to end, or train a copy "
                "(net.copy()).")
        _runs[id(net)] = run
    try:
        yield run
    finally:
        with _lock:
            _runs.pop(id(net), None)


def refuse_while_training(net, action: str, from_callback: bool = False) -> None:
    """Raise :class:`NetworkInTrainingError` if ``action`` (``"net.astype"``) would change
    ``net`` under a running training run.

    ``from_callback``: the action keeps the run's arrays consistent, so the run's own
    thread (its callback) may take it; other threads may not.
    """
    run = _runs.get(id(net))
    if run is None:
        return
    own_thread = run.thread == threading.get_ident()
    if own_thread and (from_callback or not run.stepping):
        return
    if own_thread:
        reason = ("the run keeps every parameter in one array of the network's dtype, so a "
                  "callback cannot change it; convert before training (train(..., dtype=...)) "
                  "or after it ends")
    else:
        reason = "wait for that run to end, or change a copy (net.copy())"
    raise NetworkInTrainingError(f"{action} cannot change this network now: "
                                 f"{_describe(net, run)}; {reason}.")
