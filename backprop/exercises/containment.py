"""Run a learner's function where it cannot hang, flood or crash the notebook.

:func:`contained_call` forks a child process (on Linux the child sees every
function the notebook defined), calls the function there under limits on time,
memory, file size and printed output, and sends back a plain copy of what it
returned (numbers, arrays, lists, tuples, strings) or a description of what went
wrong. Where ``fork`` is missing the function runs in this process instead,
without those guarantees.

Nothing the learner's code starts outlives the call, not even a process that left
the process group (``os.setsid``, a double fork), which a group kill would miss.
The notebook forks a *keeper*, a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``):
orphans below it are re-parented to it, not to init. The keeper forks the
*worker*, which calls the function; the keeper itself runs none of the learner's
code, only reaps, and exits once it has no child left. So however the worker ends
(``os._exit``, a crash, the CPU limit), all that the call started stays below the
keeper. Afterwards the notebook kills what a scan of ``/proc`` finds below the
keeper, again and again until the keeper has reaped it all, then the keeper. A
killed process forks no more, and what it forked before shows up in the next scan
(below it, or below the keeper once it died). The worker dies with the keeper
(``PR_SET_PDEATHSIG``), should the keeper be killed before it is set up. A keeper
that leaves by itself just after the call proves the tree empty: no scan needed.

A PID namespace would end everything at once too, but needs unprivileged user
namespaces (often disabled) and shows the learner's code pid 1; the keeper needs
only ``prctl``. Not covered: code that kills the keeper (it could kill the notebook).
"""
from __future__ import annotations

import builtins
import copy
import ctypes
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

from .answers import (Answer, CappedText, EndlessResult, materialise, plain_copy,
                      safe_text)

DEADLINE = 3.0                 # seconds one call may take
MEMORY = 1 << 30               # bytes of memory a call may add to the notebook's
FILE_SIZE = 1 << 20            # largest file a call may write
MAX_REPLY = 64 << 20           # largest pickled answer sent back
GRACE = 0.05                   # seconds the keeper gets to leave by itself after a call
CLEANUP = 2.0                  # seconds spent at most killing what a call left running
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36  # from <linux/prctl.h>
CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")
LIBC = ctypes.CDLL(None) if CAN_FORK else None  # the C library, for prctl


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


def direct_call(fn: Callable, args: tuple) -> Answer:
    """Call ``fn`` on copies of ``args`` here, quietly; return its :class:`Answer`.

    Never raises for anything ``fn`` does, except ``KeyboardInterrupt``.
    """
    out = CappedText()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = plain_copy(materialise(fn(*copy.deepcopy(args))))
        return Answer(value, printed=out.getvalue(), printed_chars=out.count)
    except BaseException as exc:  # the learner's code may raise anything, even SystemExit
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Answer(problem=error_words(exc), not_written=isinstance(exc, NotImplementedError),
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
    """In the worker: own process group, resource limits, silent standard streams."""
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
    """Run in the worker: call, pickle the outcome into the pipe, exit at once."""
    try:
        _limit_child(deadline)
        try:
            reply = pickle.dumps(direct_call(fn, args))
        except Exception as err:  # e.g. a printed object that cannot be pickled
            reply = pickle.dumps(Answer(problem=f"could not send back your answer ({err!r:.200})"))
        if len(reply) > MAX_REPLY:
            reply = pickle.dumps(Answer(problem="your function returned something too big to "
                                         f"check (over {MAX_REPLY >> 20} MB)"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(struct.pack(">Q", len(reply)) + reply)
    finally:
        os._exit(0)


def _prctl(option: int, value: int) -> bool:
    """Set one ``prctl`` option of this process; False where that is not possible."""
    try:
        args = (ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        return LIBC.prctl(option, *args) == 0
    except AttributeError:  # no such C function here
        return False


def _keeper(fn: Callable, args: tuple, write_end: int, deadline: float) -> None:
    """Run in the keeper: adopt orphans, fork the worker, reap until no child is left."""
    try:
        os.setpgid(0, 0)  # out of the notebook's process group (a Ctrl-C in its terminal)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        keeper = os.getpid()
        try:
            worker = os.fork()
        except OSError:  # no room for another process: call it here, less contained
            _child(fn, args, write_end, deadline)
        if worker == 0:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != keeper:
                os._exit(0)  # the keeper was killed before the line above: so is the worker
            _child(fn, args, write_end, deadline)
        os.close(write_end)
        while True:
            os.wait()
    finally:  # ChildProcessError: nothing is left below
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


def _kill(pid: int) -> None:
    """Send SIGKILL to ``pid`` if it is still there."""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:  # gone already
        pass


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (not yet reaped ones too), from one scan of /proc."""
    children: dict[int, list[int]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:  # "pid (command) state ppid ..."
                parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        children.setdefault(parent, []).append(int(name))
    found, todo = [], [root]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def _leaves_within(pid: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for our child ``pid`` to exit by itself; True if it did (reaped)."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # Python < 3.9 or Linux < 5.3: no waiting with a timeout
        return False
    try:
        select.select([handle], [], [], seconds)
    finally:
        os.close(handle)
    return os.waitpid(pid, os.WNOHANG)[0] != 0


def _end_tree(keeper: int) -> None:
    """End the keeper and every process below it; reap the keeper.

    Kills what a scan finds below the keeper until the keeper has reaped it all
    (or ``CLEANUP`` seconds passed, should the keeper itself be stopped).
    """
    if _leaves_within(keeper, GRACE):
        return
    end = time.monotonic() + CLEANUP
    while (below := _descendants(keeper)) and time.monotonic() < end:
        for pid in below:
            _kill(pid)
        time.sleep(0.001)
    _kill(keeper)
    os.waitpid(keeper, 0)


def _answer_from(reply: bytes | None, deadline: float) -> Answer:
    """Turn what the child sent (or did not send) into an :class:`Answer`."""
    if reply is None:
        return Answer(problem=f"your function did not finish within {deadline:.2g} seconds "
                               "(an endless loop? a sleep? waiting for input?)", timed_out=True)
    if reply:
        try:
            return pickle.loads(reply)
        except Exception as err:  # a reply cut short by a crash of the child
            return Answer(problem=f"could not read your function's answer ({type(err).__name__})")
    return Answer(problem="your function ended the whole process (os._exit or a crash) "
                           "instead of returning an answer")


def contained_call(fn: Callable, args: tuple, deadline: float = DEADLINE) -> Answer:
    """Call ``fn(*args)`` in a forked child under limits; return its :class:`Answer`.

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
        _keeper(fn, args, write_end, deadline)
    os.close(write_end)
    try:
        reply = _read_reply(read_end, deadline)
    finally:
        os.close(read_end)
        _end_tree(pid)
    return _answer_from(reply, deadline)
