"""The processes below a checked call: find them, end them, and run them as nobody.

:mod:`backprop.exercises.containment` runs a learner's function in a *worker* below a
*keeper*. This module holds the process work both need: a scan of ``/proc`` for every
process below a given one (:func:`descendants`), killing them until none is left
(:func:`end_below`, and the keeper last: :func:`end_tree`), and the worker's separation
from the notebook (:func:`separate_worker`): its own session, only the descriptors it needs, and, when
the notebook runs as root, a user id no process has, so that the kernel refuses every
signal it sends to the notebook and every look into the notebook's ``/proc`` entries.
"""
from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import time

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36  # <linux/prctl.h>
PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE = 8, 38, 47, 2
CAP_DAC_READ_SEARCH = 2        # <linux/capability.h>: read any file, search any folder
CAPABILITY_VERSION_3 = 0x20080522
FIRST_UID = 1_400_000_000      # checked calls' user ids: no account has them (the grader's
                               # sandboxes use 1,000,000,000 to 1,268,435,456)
PROCESSES = 256                # processes and threads one checked call may have, as its own user
CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")
LIBC = ctypes.CDLL(None) if CAN_FORK else None  # the C library, for prctl


def prctl(option: int, value: int) -> bool:
    """Set one ``prctl`` option of this process; False where that is not possible."""
    try:
        args = (ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        return LIBC.prctl(option, *args) == 0
    except AttributeError:  # no such C function here
        return False


def kill(pid: int) -> None:
    """Send SIGKILL to ``pid`` if it is still there."""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:  # gone already
        pass


def parent_of(name: str) -> int | None:
    """The parent of process ``name`` (a number, or ``"self"``) as ``/proc`` numbers it;
    None if it is gone. (In a PID namespace ``os.getppid()`` may say 0 instead.)"""
    try:
        with open(f"/proc/{name}/stat", "rb") as stat:  # "pid (command) state ppid ..."
            return int(stat.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):  # gone meanwhile
        return None


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (not yet reaped ones too), from one scan of /proc."""
    children: dict[int, list[int]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        parent = parent_of(name)
        if parent is not None:
            children.setdefault(parent, []).append(int(name))
    found, todo = [], [root]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def end_below(root: int, seconds: float, reap: bool = False) -> bool:
    """Kill what a scan finds below ``root`` until nothing is left or ``seconds`` passed.

    A killed process forks no more, and what it forked before shows up in the next
    scan. With ``reap`` (``root`` is this process, a subreaper) the dead are reaped too.
    Returns True if nothing is left below.
    """
    end = time.monotonic() + seconds
    while below := descendants(root):
        if time.monotonic() > end:
            return False
        for pid in below:
            kill(pid)
        if reap:
            reap_all()
        time.sleep(0.001)
    return True


def reap_all() -> None:
    """Reap every child of this process that has ended, without waiting."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:  # no child left
        pass


def leaves_within(pid: int, seconds: float) -> bool:
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


def end_tree(keeper: int, grace: float, cleanup: float) -> None:
    """End our child ``keeper`` and every process below it; reap the keeper.

    Gives it ``grace`` seconds to leave by itself, then kills what a scan finds below it
    until nothing is left (or ``cleanup`` seconds passed, should the keeper itself be
    stopped), then the keeper.
    """
    if leaves_within(keeper, grace):
        return
    end_below(keeper, cleanup)
    kill(keeper)
    os.waitpid(keeper, 0)


def unused_user(keeper: int) -> int:
    """A user id for the call below ``keeper``: ``FIRST_UID + keeper``'s process id.

    A process id belongs to one live process, and every process of a call is ended
    with it, so no two live calls share a user id.
    """
    return FIRST_UID + keeper


def separate_worker(keep: tuple[int, ...], keeper: int, limits: list, own_user: bool = True) -> bool:
    """In the worker, before the learner's code: cut every tie to the notebook.

    Its own session and process group and the resource ``limits``; with ``own_user``
    also every descriptor above 2 closed except ``keep`` and, as root, a user id no
    process has, no groups and no new privileges. Returns True if the user id changed.
    """
    import resource

    os.setsid()
    for kind, value in limits:
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass
    if not own_user:  # trusted code (a test harness): nothing more
        return False
    close_except(keep)
    dropped = os.geteuid() == 0 and _become(unused_user(keeper))
    if dropped:
        keep_reading()
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))
        except (ValueError, OSError):
            pass
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    return dropped


def _become(uid: int) -> bool:
    """Run as user and group ``uid``, without groups; False where the system refuses (root
    in a container whose user namespace maps no such id): the call then runs as root."""
    prctl(PR_SET_KEEPCAPS, 1)
    try:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    except OSError:
        return False
    return True


def keep_reading() -> bool:
    """Keep only the right to read any file (``CAP_DAC_READ_SEARCH``), for this process
    and the programs it starts; False where the kernel refuses.

    A notebook run as root may import from folders only root can enter (a Python
    under ``/root``). Reading is all this keeps: no writing others' files, no signals
    to others' processes, no looking into their ``/proc`` entries (that needs
    ``CAP_SYS_PTRACE``).
    """
    bit = 1 << CAP_DAC_READ_SEARCH
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    sets = (ctypes.c_uint32 * 6)(bit, bit, bit, 0, 0, 0)  # effective, permitted, inheritable
    try:
        if LIBC.capset(header, sets) != 0:
            return False
    except AttributeError:  # no capset in this C library
        return False
    return prctl5(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH)


def prctl5(option: int, value: int, more: int) -> bool:
    """``prctl`` with two values (such as ``PR_CAP_AMBIENT``); False where it fails."""
    try:
        args = (ctypes.c_ulong(value), ctypes.c_ulong(more), ctypes.c_ulong(0), ctypes.c_ulong(0))
        return LIBC.prctl(option, *args) == 0
    except AttributeError:
        return False


def close_except(keep: tuple[int, ...]) -> None:
    """Close every descriptor above 2 that is not in ``keep``."""
    low = 3
    for fd in sorted(fd for fd in set(keep) if fd > 2):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))
