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
import errno
import io
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
from typing import Callable

import numpy as np

from .outcomes import (CappedText, EndlessResult, Outcome, materialise, plain_copy,
                       safe_text)

DEADLINE = 3.0                 # seconds one call may take
MEMORY = 1 << 30               # bytes of memory a call may add to the notebook's
FILE_SIZE = 1 << 20            # largest file a call may write
MAX_REPLY = 64 << 20           # largest pickled answer sent back
CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")


def error_words(exc: BaseException) -> str:
    """Describe an exception raised by the learner's function, with the line it came from."""
    if isinstance(exc, SystemExit):
        return ("your function called sys.exit() or exit(): return the answer instead "
                "(a checker needs a value back)")
    if isinstance(exc, EndlessResult):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"your function ran out of memory (it may use at most {MEMORY >> 20} MB more)"
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:  # Python ignores SIGXFSZ
        return f"your function wrote a file larger than {FILE_SIZE >> 20} MB"
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
