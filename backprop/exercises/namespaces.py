"""A checked call run by an ordinary user: its worker in namespaces of its own.

Run as root, the worker becomes a user id no process has (:mod:`~.processes`), and
the kernel refuses whatever it tries against the notebook. An ordinary user has no
other user id to give it: the worker keeps the notebook's, and the notebook's user may
signal the notebook and open its descriptors through ``/proc/<pid>/fd``. Where Linux
lets ordinary users make user namespaces, the call is cut off another way:

- the keeper enters a new *user* namespace (with the notebook's user id mapped to
  itself) and a new *PID* namespace for its children (:func:`enter_namespaces`), so the
  worker is process 1 of a namespace that holds nothing but the call: the notebook, its
  process group and every other process have no number there (``os.kill(-1, 9)``
  reaches only the call's own processes, ``os.getppid()`` is 0), and everything the
  call started dies with the worker;
- the worker mounts a ``/proc`` of its own in a new mount namespace, so
  ``/proc/<notebook>/fd`` does not exist for it, then gives up every capability
  (:func:`hide_the_notebook`).

Root or not, the keeper also enters a new *network* namespace: a Jupyter kernel listens
on 127.0.0.1 and the worker, a fork of the kernel, holds the key to talk to it.

The worker reports which protection it has (:data:`PROTECTIONS`) before the learner's
code runs; the notebook warns once about a missing one (:func:`warn_once`).
"""
from __future__ import annotations

import ctypes
import os
import warnings

from . import processes

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18   # <linux/mount.h>
CAPABILITY_VERSION_3 = 0x20080522

MISSING = {   # the protections a worker may report (see :func:`protection`) that warn
    b"p": ("checked functions run in a PID namespace of their own, but /proc could not be "
           "mounted anew there: a checked function could write into this notebook's open "
           "files through /proc/<pid>/fd."),
    b"s": ("checked functions run under this notebook's own user id with no PID namespace "
           "of their own (no other user id and no user namespaces are available here): a "
           "checked function could signal, stop or kill this notebook and write into its "
           "open files through /proc/<pid>/fd. Run the notebook where ordinary users may make "
           "user namespaces (/proc/sys/user/max_user_namespaces above 0) to close that."),
    b"r": ("checked functions run as root, like this notebook (the system refused them an "
           "unused user id): a checked function could signal, stop or kill this notebook or "
           "any other process, and write into its open files."),
}
WARNED: set[bytes] = set()    # the warnings given already, once each


class ContainmentWarning(UserWarning):
    """A checked function runs with less protection than it should (named in the message)."""


def unshare(flags: int) -> bool:
    """Move this process into new namespaces (``unshare(2)``); False where refused."""
    try:
        return processes.LIBC.unshare(ctypes.c_int(flags)) == 0
    except AttributeError:  # no unshare in this C library
        return False


def _write(path: str, text: str) -> bool:
    try:
        with open(path, "w") as out:
            out.write(text)
        return True
    except OSError:
        return False


def enter_namespaces() -> bool:
    """In the keeper: a new user and network namespace for itself, a new PID namespace for
    its children; True if the worker will be process 1 of its own PID namespace.

    The user and group ids map to themselves, so files and ``os.getuid()`` look as in
    the notebook. The network namespace has nothing but a loopback that is down, so the
    worker cannot reach the notebook's sockets either (a Jupyter kernel listens on
    127.0.0.1, and the worker, a fork of the kernel, holds its key). Run as root, only the
    network namespace: the worker takes a user id of its own instead. Returns False
    (nothing changed) where the system refuses.
    """
    uid, gid = os.geteuid(), os.getegid()
    if uid == 0:
        unshare(CLONE_NEWNET)
        return False
    if not (unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) or unshare(CLONE_NEWUSER | CLONE_NEWPID)):
        return False
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    return True


def mount(source: str, target: str, kind: str | None, flags: int) -> bool:
    """``mount(2)``; False where refused."""
    def c(text):
        return None if text is None else text.encode()
    try:
        return processes.LIBC.mount(c(source), c(target), c(kind), ctypes.c_ulong(flags), None) == 0
    except AttributeError:
        return False


def hide_the_notebook() -> bool:
    """In the worker (process 1 of its PID namespace): a ``/proc`` of its own, then no
    capabilities left. True if ``/proc`` now shows only the call's processes.

    Where ``proc`` cannot be mounted, an empty file system covers ``/proc`` instead;
    False if neither could be mounted.
    """
    own_proc = (unshare(CLONE_NEWNS) and mount("none", "/", None, MS_REC | MS_PRIVATE)
                and (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
                     or mount("none", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC)))
    drop_capabilities()
    return bool(own_proc)


def drop_capabilities() -> bool:
    """Give up every capability (those of the new user namespace too); False if refused."""
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    nothing = (ctypes.c_uint32 * 6)(0, 0, 0, 0, 0, 0)
    try:
        return processes.LIBC.capset(header, nothing) == 0
    except AttributeError:
        return False


def protection(own_user: bool, dropped: bool, namespaced: bool, hidden: bool) -> bytes:
    """The byte a worker reports before the learner's code runs: ``t`` trusted code (no
    protection asked for), ``u`` a user id of its own (root), ``n`` namespaces of its
    own, or one of :data:`MISSING`."""
    if not own_user:
        return b"t"
    if dropped:
        return b"u"
    if namespaced:
        return b"n" if hidden else b"p"
    return b"r" if os.geteuid() == 0 else b"s"


def warn_once(protection: bytes) -> None:
    """Warn, once per kind, if a call reported a missing protection."""
    if protection in MISSING and protection not in WARNED:
        WARNED.add(protection)
        warnings.warn(MISSING[protection], ContainmentWarning, stacklevel=4)
