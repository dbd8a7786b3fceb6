"""Run a learner's function where it cannot hang, flood or crash the notebook.

:func:`contained_call` forks a child process (on Linux the child sees every
function the notebook defined), calls the function there under limits on time,
memory, file size and printed output, and sends back a plain copy of what it
returned (numbers, arrays, lists, tuples, strings) or a description of what went
wrong. The child lives in its own process group, which is killed afterwards, so
nothing the learner's code started outlives the call. Where ``fork`` is missing
the function runs in this process instead, without those guarantees.
"""
from __future__ import annotations

import builtins
import copy
import io
import itertools
import os
import pickle
import resource
import select
import signal
import struct
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

DEADLINE = 3.0                 # seconds one call may take
MEMORY = 1 << 30               # bytes of memory a call may add to the notebook's
FILE_SIZE = 1 << 20            # largest file a call may write
MAX_ITEMS = 1_000_000          # items taken from a returned generator
MAX_REPLY = 64 << 20           # largest pickled answer sent back
PRINT_CAP = 2000               # characters of printed output kept
TEXT_CAP = 300                 # characters of an error message kept
CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")


@dataclass(frozen=True)
class Opaque:
    """Stands in for a returned object that is not plain numbers: its type and a short repr."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return self.text


class Outcome(NamedTuple):
    """What one call did: its answer, or the problem instead, and what it printed.

    ``problem`` is None when the call returned; ``not_written`` marks a
    ``NotImplementedError`` (an exercise not attempted yet).
    """

    value: Any = None
    problem: str | None = None
    not_written: bool = False
    printed: str = ""
    printed_chars: int = 0
    timed_out: bool = False


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int = PRINT_CAP) -> None:
        self.cap, self.kept, self.count = cap, [], 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self.cap - sum(map(len, self.kept))
        if room > 0:
            self.kept.append(text[:room])
        self.count += len(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.kept)


def safe_text(value, cap: int = TEXT_CAP) -> str:
    """``str(value)`` cut to ``cap`` characters; never raises, even if ``__str__`` does."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception as err:  # a learner's __str__ may raise anything
        text = f"<a {type(value).__name__} that cannot be shown: {type(err).__name__}>"
    return text if len(text) <= cap else text[:cap - 3] + "..."


def safe_repr(value, cap: int = 80) -> str:
    """``repr(value)`` cut to ``cap`` characters; never raises."""
    try:
        return safe_text(repr(value), cap)
    except Exception as err:  # a learner's __repr__ may raise anything
        return f"<a {type(value).__name__} whose repr fails: {type(err).__name__}>"


class EndlessResult(ValueError):
    """A returned iterator went on for more than ``MAX_ITEMS`` items."""


def materialise(value, depth: int = 0):
    """Return ``value`` with every generator or iterator in it turned into a list.

    Plain lists and tuples are rebuilt with their items materialised in turn; an
    iterator yielding more than ``MAX_ITEMS`` items raises :class:`EndlessResult`.
    """
    if depth > 20:
        return value
    if isinstance(value, Iterator):
        value = list(itertools.islice(value, MAX_ITEMS + 1))
        if len(value) > MAX_ITEMS:
            raise EndlessResult(f"your function returned an iterator with more than "
                                f"{MAX_ITEMS:,} items (an endless generator?)")
    if type(value) in (list, tuple):
        return type(value)(materialise(v, depth + 1) for v in value)
    return value


def plain_copy(value, depth: int = 0):
    """A copy of ``value`` built only from numbers, arrays, strings, lists and tuples.

    Anything else becomes an array if NumPy reads it as numbers, else :class:`Opaque`.
    """
    if value is None or isinstance(value, (bool, int, float, complex, np.generic)):
        return value
    if isinstance(value, str):
        return safe_text(value, 10_000)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return np.array(value)
    if type(value) in (list, tuple) and depth < 20:
        return type(value)(plain_copy(v, depth + 1) for v in value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.asarray(value)
        if array.dtype.kind in "biufc":
            return np.array(array)
    except Exception:  # not readable as numbers: described instead
        pass
    return Opaque(type(value).__name__, safe_repr(value))


def error_words(exc: BaseException) -> str:
    """Describe an exception raised by the learner's function, with the line it came from."""
    if isinstance(exc, SystemExit):
        return ("your function called sys.exit() or exit(): return the answer instead "
                "(a checker needs a value back)")
    if isinstance(exc, EndlessResult):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"your function ran out of memory (it may use at most {MEMORY >> 20} MB more)"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (line {frames[-1].lineno}, in {frames[-1].name})" if len(frames) > 1 else ""
    return f"your function raised {type(exc).__name__}: {safe_text(exc)}{where}"


def direct_call(fn: Callable, args: tuple) -> Outcome:
    """Call ``fn`` on copies of ``args`` here, quietly; return its :class:`Outcome`.

    Never raises for anything ``fn`` does, except ``KeyboardInterrupt``.
    """
    out = CappedText()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = plain_copy(materialise(fn(*copy.deepcopy(args))))
        return Outcome(value, printed=out.getvalue(), printed_chars=out.count)
    except BaseException as exc:  # the learner's code may raise anything, even SystemExit
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Outcome(problem=error_words(exc), not_written=isinstance(exc, NotImplementedError),
                       printed=out.getvalue(), printed_chars=out.count)
    finally:
        sys.stdout, sys.stderr = saved


def _current_memory() -> int:
    """Address space this process uses now, in bytes (0 if unknown)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _limit_child(deadline: float) -> None:
    """In the child: own process group, resource limits, silent standard streams."""
    os.setpgid(0, 0)
    limits = [(resource.RLIMIT_CPU, int(deadline) + 2), (resource.RLIMIT_FSIZE, FILE_SIZE),
              (resource.RLIMIT_CORE, 0)]
    if _current_memory():
        limits.append((resource.RLIMIT_AS, _current_memory() + MEMORY))
    for kind, value in limits:
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdin = io.StringIO()
    builtins.input = _no_input


def _no_input(prompt: str = "") -> str:
    raise RuntimeError("input() cannot be used inside a checked function")


def _child(fn: Callable, args: tuple, write_end: int, deadline: float) -> None:
    """Run in the forked child: call, pickle the outcome into the pipe, exit at once."""
    try:
        _limit_child(deadline)
        try:
            reply = pickle.dumps(direct_call(fn, args))
        except Exception as err:  # e.g. a printed object that cannot be pickled
            reply = pickle.dumps(Outcome(problem=f"could not send back your answer ({err!r:.200})"))
        if len(reply) > MAX_REPLY:
            reply = pickle.dumps(Outcome(problem="your function returned something too big to "
                                         f"check (over {MAX_REPLY >> 20} MB)"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(struct.pack(">Q", len(reply)) + reply)
    finally:
        os._exit(0)


def _read_reply(read_end: int, deadline: float) -> bytes | None:
    """Read the child's length-prefixed reply; None at the deadline, b"" if it never came.

    The length prefix means a reply counts as complete even if a process the
    learner started still holds the pipe open.
    """
    received, end, size = bytearray(), time.monotonic() + deadline, None
    while (left := end - time.monotonic()) > 0:
        if size is None and len(received) >= 8:
            size = struct.unpack(">Q", bytes(received[:8]))[0]
        if size is not None and len(received) >= 8 + size:
            return bytes(received[8:8 + size])
        ready, _, _ = select.select([read_end], [], [], left)
        if ready:
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                return b""
            received += chunk
    return None


def _end_child(pid: int) -> int:
    """Kill the child's whole process group and reap the child; return its wait status."""
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            kill(target, signal.SIGKILL)
        except OSError:
            pass
    return os.waitpid(pid, 0)[1]


def _outcome_from(reply: bytes | None, status: int, deadline: float) -> Outcome:
    """Turn what the child sent (or did not send) into an :class:`Outcome`."""
    if reply is None:
        return Outcome(problem=f"your function did not finish within {deadline:.2g} seconds "
                               "(an endless loop? a sleep? waiting for input?)", timed_out=True)
    if reply:
        try:
            return pickle.loads(reply)
        except Exception as err:  # a reply cut short by a crash of the child
            return Outcome(problem=f"could not read your function's answer ({type(err).__name__})")
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXFSZ:
        return Outcome(problem=f"your function wrote a file larger than {FILE_SIZE >> 20} MB")
    return Outcome(problem="your function ended the whole process (os._exit or a crash) "
                           "instead of returning an answer")


def contained_call(fn: Callable, args: tuple, deadline: float = DEADLINE) -> Outcome:
    """Call ``fn(*args)`` in a forked child under limits; return its :class:`Outcome`.

    Never raises for anything the function does (except that an interrupt of the
    notebook still interrupts); falls back to :func:`direct_call` without ``fork``.
    """
    if not CAN_FORK:
        return direct_call(fn, args)
    read_end, write_end = os.pipe()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads running
            pid = os.fork()
    except OSError:  # no room for another process: run it here, uncontained
        os.close(read_end)
        os.close(write_end)
        return direct_call(fn, args)
    if pid == 0:
        os.close(read_end)
        _child(fn, args, write_end, deadline)
    os.close(write_end)
    try:
        os.setpgid(pid, pid)  # also here, so the group exists before any killpg
    except OSError:
        pass
    try:
        reply = _read_reply(read_end, deadline)
    finally:
        os.close(read_end)
        status = _end_child(pid)
    return _outcome_from(reply, status, deadline)
