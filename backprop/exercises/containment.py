"""Run a learner's function where it cannot hang, flood or crash the notebook, nor touch it.

:func:`contained_call` forks a child process (on Linux the child sees every
function the notebook defined), calls the function there under limits on time,
memory, file size and printed output, and sends back a plain copy of what it
returned (numbers, arrays, lists, tuples, strings) or a description of what went
wrong. Where ``fork`` is missing the function runs in this process instead,
without those guarantees.

The answer crosses back as data, never as objects (:func:`~.answers.encode_answer`:
JSON and ``.npy`` arrays, no pickle), so nothing the learner's code made runs in
the notebook. The notebook forks a *keeper*, which forks the *worker*, which calls
the function. The worker has its own session and process group, keeps no
descriptor but its reply pipe and the null device, and, when the notebook runs as
root, runs as a user id no process has (:mod:`~.processes`): the kernel then refuses
its signals to the notebook, its group or anyone (``os.kill(-1, 9)`` reaches only the
call's own processes) and its looks into ``/proc/<notebook>/fd``. As an ordinary user
the worker keeps the notebook's user id; where Linux allows it, it is process 1 of user,
PID and mount namespaces of its own instead (:mod:`~.namespaces`), where the notebook
has no process number and no ``/proc`` entry. The worker reports which protection it
has before the learner's code runs; the notebook is warned once about a missing one.

Only the keeper holds the notebook's pipe. It collects what the worker writes into
a pipe of its own and, once the worker has ended and everything below it has been
killed, passes it on; the notebook reads it only if it is exactly one answer, so a
reply forged on the worker's pipe (before the answer, or by a process the learner
started) is refused, never taken for the verdict.

Nothing the learner's code starts outlives the call, not even a process that left
the process group (``os.setsid``, a double fork). The keeper is a child subreaper
(``prctl(PR_SET_CHILD_SUBREAPER)``) and runs none of the learner's code: however the
worker ends, all that the call started stays below the keeper, which kills it all (a
scan of ``/proc``, again and again) before it leaves; the notebook does the same
should the keeper not leave by itself. The worker dies with the keeper (``PDEATHSIG``).
"""
from __future__ import annotations

import builtins
import copy
import errno
import io
import os
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

from . import namespaces, processes
from .answers import (Answer, CappedText, EndlessResult, UnreadableReply, decode_answer,
                      encode_answer, materialise, plain_copy, safe_text)

DEADLINE = 3.0                 # seconds one call may take
MEMORY = 1 << 30               # bytes of memory a call may add to the notebook's
FILE_SIZE = 1 << 20            # largest file a call may write
MAX_REPLY = 64 << 20           # largest encoded answer sent back
GRACE = 0.05                   # seconds the keeper gets to leave by itself after a call
CLEANUP = 2.0                  # seconds spent at most killing what a call left running
RELAY = 0.5                    # seconds the keeper may take after the deadline to pass the reply on
CAN_FORK = processes.CAN_FORK


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


def _limit_child(reply_end: int, keeper: int, deadline: float, own_user: bool,
                 namespaced: bool) -> None:
    """In the worker: cut loose from the notebook, set limits, silence the standard streams;
    then write into ``reply_end`` the protection it has (:mod:`~.namespaces`)."""
    limits = [(resource.RLIMIT_CPU, int(deadline) + 2), (resource.RLIMIT_FSIZE, FILE_SIZE),
              (resource.RLIMIT_CORE, 0)]
    if _current_memory():
        limits.append((resource.RLIMIT_AS, _current_memory() + MEMORY))
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    dropped = processes.separate_worker((reply_end,), keeper, limits, own_user)
    processes.prctl(processes.PR_SET_PDEATHSIG, signal.SIGKILL)  # after the user change
    if processes.parent_of("self") != keeper:  # (os.getppid() is 0 in a PID namespace)
        os._exit(0)  # the keeper was killed before the line above: so is the worker
    hidden = namespaced and namespaces.hide_the_notebook()
    os.write(reply_end, namespaces.protection(own_user, dropped, namespaced, hidden))
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # process 1 of a PID namespace ignores it then
    sys.stdin = io.StringIO()
    builtins.input = _no_input


def _no_input(prompt: str = "") -> str:
    raise RuntimeError("input() cannot be used inside a checked function")


def _child(fn: Callable, args: tuple, reply_end: int, keeper: int, deadline: float,
           own_user: bool, namespaced: bool) -> None:
    """Run in the worker: call, write the outcome as data into its pipe, exit at once."""
    try:
        _limit_child(reply_end, keeper, deadline, own_user, namespaced)
        too_big = Answer(problem=f"your function returned something too big to check (over "
                                 f"{MAX_REPLY >> 20} MB)")
        try:
            answer = direct_call(fn, args)
            reply = encode_answer(answer if _size(answer.value) <= MAX_REPLY else too_big)
        except Exception as err:  # a value of a kind that cannot cross back
            reply = encode_answer(Answer(problem="could not send back your answer "
                                                 f"({safe_text(err, 200)})"))
        if len(reply) > MAX_REPLY:
            reply = encode_answer(too_big)
        with os.fdopen(reply_end, "wb") as pipe:
            pipe.write(struct.pack(">Q", len(reply)) + reply)
    finally:
        os._exit(0)


def _size(value, depth: int = 0) -> int:
    """Bytes a plain answer's arrays and texts take (told before encoding a huge one)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.nbytes
    if type(value) in (list, tuple) and depth < 24:
        return sum(_size(item, depth + 1) for item in value)
    return len(value) if type(value) is str else 8


def _keeper(fn: Callable, args: tuple, answer_end: int, deadline: float, own_user: bool) -> None:
    """Run in the keeper: fork the worker, pass its reply on once nothing below can write.

    The worker writes into a pipe of its own; the keeper alone holds ``answer_end``,
    the notebook's pipe, and its ``/proc`` entries are closed to the worker.
    """
    try:
        os.setsid()  # out of the notebook's session and process group (a Ctrl-C in its terminal)
        processes.prctl(processes.PR_SET_CHILD_SUBREAPER, 1)
        namespaced = own_user and namespaces.enter_namespaces()
        processes.prctl(processes.PR_SET_DUMPABLE, 0)
        if own_user:
            processes.close_except((answer_end,))  # the notebook's files: not kept open here
        keeper = os.getpid()
        read_end, reply_end = os.pipe()
        try:
            worker = os.fork()
        except OSError:  # no room for another process: nothing to pass on
            worker = None
        if worker == 0:
            os.close(read_end)
            os.close(answer_end)
            _child(fn, args, reply_end, keeper, deadline, own_user, namespaced)
        os.close(reply_end)
        received = _collect(read_end, worker, deadline) if worker else b""
        with os.fdopen(answer_end, "wb") as pipe:
            pipe.write(received)
    finally:
        os._exit(0)


def _collect(read_end: int, worker: int, deadline: float) -> bytes:
    """What the worker wrote into ``read_end``: read until it has ended and all below are dead.

    Nothing (b"") if the worker is still running at the deadline: it is killed then.
    """
    received, cap, watched = bytearray(), MAX_REPLY + 64, [read_end]
    end = time.monotonic() + deadline
    while not os.waitpid(worker, os.WNOHANG)[0] and len(received) <= cap:
        if time.monotonic() > end:
            processes.end_below(os.getpid(), CLEANUP, reap=True)
            return b""
        if select.select(watched, [], [], 0.005)[0]:
            chunk = os.read(read_end, 1 << 20)
            received += chunk
            watched = watched if chunk else []  # closed early: wait for the worker to end
    processes.end_below(os.getpid(), CLEANUP, reap=True)
    while len(received) <= cap and select.select([read_end], [], [], GRACE)[0]:
        chunk = os.read(read_end, 1 << 20)
        if not chunk:  # every writer is gone
            break
        received += chunk
    return bytes(received)


def _read_reply(read_end: int, deadline: float) -> bytes | None:
    """Read what the keeper passes on until it closes the pipe; None past the deadline."""
    received, end = bytearray(), time.monotonic() + deadline + RELAY
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([read_end], [], [], left)
        if ready:
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                return bytes(received)
            received += chunk
    return None


def _answer_from(reply: bytes | None, deadline: float, late: bool = False) -> Answer:
    """Turn what the keeper passed on (or did not) into an :class:`Answer`.

    Only exactly one length-prefixed answer in the plain format is read; nothing at
    all, ``late`` (the keeper stopped the worker at the deadline), is a time-out.
    """
    if reply is None or (late and not reply):
        return Answer(problem=f"your function did not finish within {deadline:.2g} seconds "
                               "(an endless loop? a sleep? waiting for input?)", timed_out=True)
    if not reply:
        return Answer(problem="your function ended the whole process (os._exit or a crash) "
                               "instead of returning an answer")
    size = struct.unpack(">Q", reply[:8])[0] if len(reply) >= 8 else -1
    if size != len(reply) - 8:
        return Answer(problem=f"could not read your function's answer: its reply pipe held "
                              f"{len(reply):,} bytes that are not one answer (did it write "
                              "into a file descriptor it inherited, or crash while answering?)")
    try:
        return decode_answer(reply[8:])
    except UnreadableReply as err:
        return Answer(problem=f"could not read your function's answer: {err}")


def contained_call(fn: Callable, args: tuple, deadline: float = DEADLINE,
                   own_user: bool = True) -> Answer:
    """Call ``fn(*args)`` in a forked child under limits; return its :class:`Answer`.

    Never raises for anything the function does (except that an interrupt of the
    notebook still interrupts); falls back to :func:`direct_call` without ``fork``.
    ``own_user=False``, for trusted code only (a test harness that writes files),
    keeps the notebook's user id and descriptors in the child.
    """
    if not CAN_FORK:
        return direct_call(fn, args)
    read_end, answer_end = os.pipe()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads running
            pid = os.fork()
    except OSError:  # no room for another process: run it here, uncontained
        os.close(read_end)
        os.close(answer_end)
        return direct_call(fn, args)
    if pid == 0:
        os.close(read_end)
        _keeper(fn, args, answer_end, deadline, own_user)
    os.close(answer_end)
    started = time.monotonic()
    try:
        reply = _read_reply(read_end, deadline)
    finally:
        os.close(read_end)
        processes.end_tree(pid, GRACE, CLEANUP)
    namespaces.warn_once(reply[:1] if reply else b"")
    return _answer_from(reply and reply[1:], deadline, late=time.monotonic() - started >= deadline)
