"""Run one command on a student's work inside a bubblewrap (``bwrap``) sandbox.

The sandbox sees: the system's read-only ``/usr`` (and ``/bin``, ``/lib``...), the
read-only Python environment, the read-only MNIST files and backprop's cache, this
folder's scripts at ``/grading``, and a working folder ``/submission`` holding copies of
the given work folder's files. It has no network and its own process tree (every process
in it dies when the command ends or is killed). It can write only in three tmpfs
folders of ``Limits.disk_mb`` each, ``/submission``, ``/tmp`` and ``/dev/shm``: they live in
memory and vanish with the sandbox, so nothing it writes reaches the disk or comes back
(the executed notebook comes back on its stdout). Its processes together have one memory
limit (a cgroup, ``cgroup.py``; where none can be made, each process has the limit, see
``cgroup.bound``), and each has limits on CPU time, open files and file size.
``supervise.py`` watches it and stops it at the first limit it reaches.

Nothing is shared between two sandboxes, even of two gradings running at once: as root,
everything inside runs as a user id no other live sandbox has (``sandbox_uid``), so the
kernel counts the process limit for that sandbox alone; as an ordinary user, bubblewrap
(0.8 or later) maps that user to itself in a user namespace of its own (no further one
can be made inside), where the limit (``prlimit``) counts the sandbox's processes only.
The sandboxes of one submission share one cgroup (``shared_group``). Whether the sandbox
works here is ``preflight``'s question.
"""
from __future__ import annotations

import importlib.util
import os
import resource
import itertools
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager

from . import cgroup
from .supervise import watch

INSIDE_WORK = "/submission"
INSIDE_SCRIPTS = "/grading"
INSIDE_DATA = "/data/mnist"
INSIDE_CACHE = "/data/cache"
INSIDE_PIXELS = "/data/pixels"
SCRIPTS = Path(__file__).resolve().parent
FIRST_UID = 1_000_000_000   # sandbox user ids start here: no account uses them
SLOTS = 64                  # sandboxes one grading process may have at the same time
BWRAP_PROCESSES = 4        # bubblewrap's own, counted in a sandbox's cgroup
SANDBOX_UIDS = range(FIRST_UID, FIRST_UID + SLOTS * 2**22)  # 2**22: Linux's largest process id


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces on this machine."""


@dataclass(frozen=True)
class Limits:
    """What one sandboxed command may use."""

    seconds: int = 300        # wall-clock time of the whole command (one notebook)
    memory_mb: int = 3072     # memory of all its processes together, and of each one
    processes: int = 64       # processes and threads inside the sandbox
    open_files: int = 256     # file descriptors of each process
    file_mb: int = 64         # largest file a process may write
    disk_mb: int = 256        # size of each writable tmpfs folder (/submission, /tmp, /dev/shm)
    output_mb: int = 32       # what the command may send back on its stdout

    def places(self) -> dict[str, int]:
        """The only folders the sandbox can write, each a tmpfs: path inside -> size in MB."""
        return {INSIDE_WORK: self.disk_mb, "/tmp": self.disk_mb, "/dev/shm": self.disk_mb}


@dataclass(frozen=True)
class Outcome:
    """What a sandboxed command did; ``over_limit``: '' or 'went over the memory limit: ...'."""

    returncode: int
    stdout: bytes
    stderr: str
    timed_out: bool
    over_limit: str = ""
    peak_mb: float | None = None   # the most memory its processes used together (with a cgroup)


def namespace_options() -> list[str]:
    """Fresh IPC, PID, network, hostname and cgroup namespaces; a user one unless root."""
    options = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        options += ["--unshare-user", "--disable-userns"]
    return options


def ro_mount(path: str | Path, inside: str | None = None) -> list[str]:
    """Read-only bind of ``path`` (at ``inside``, default the same path), parents 0755."""
    inside = inside or str(path)
    parents = [str(p) for p in reversed(Path(inside).parents) if str(p) != "/"]
    return [arg for p in parents for arg in ("--perms", "0755", "--dir", p)] + \
        ["--ro-bind", str(path), inside]


def system_mounts() -> list[str]:
    """The system's programs and libraries, read-only, and the few /etc files they read."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "localtime"):
        if os.path.exists(f"/etc/{name}"):
            args += ro_mount(f"/etc/{name}")
    return args


def python_mounts() -> list[str]:
    """The Python installation, the environment and the backprop package, read-only."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
               Path(sys.executable).resolve().parent.parent}
    spec = importlib.util.find_spec("backprop")
    if spec and spec.origin:
        folders.add(Path(spec.origin).resolve().parent)
    folders = sorted(folders)
    kept = [f for f in folders if not any(p in f.parents for p in folders)]
    mounts = [arg for folder in kept for arg in ro_mount(folder)]
    if Path(sys.prefix) != Path(sys.prefix).resolve():
        mounts += ["--symlink", str(Path(sys.prefix).resolve()), sys.prefix]
    return mounts


def data_mounts(data_dir: Path | None, cache_dir: Path | None,
                pixels_dir: Path | None = None) -> list[str]:
    """MNIST's four files, backprop's parsed cache and shared pixels, read-only, at fixed paths."""
    args = ro_mount(pixels_dir.resolve(), INSIDE_PIXELS) if pixels_dir is not None else []
    if data_dir is not None:
        args += ro_mount(data_dir.resolve(), INSIDE_DATA)
    if cache_dir is not None and cache_dir.is_dir():
        args += ro_mount(cache_dir.resolve(), INSIDE_CACHE)
    return args


def environment(pixels: bool = False) -> list[str]:
    """A clean environment: no variable of the grader's reaches the student's code.

    With ``pixels``, ``load_mnist`` maps the shared pixels (``shared_mnist.py``)."""
    home = f"{INSIDE_WORK}/.home"
    values = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": home,
              "LANG": "C.UTF-8", "BACKPROP_DATA_DIR": INSIDE_DATA,
              "BACKPROP_CACHE_DIR": INSIDE_CACHE, "MPLBACKEND": "Agg",
              "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython",
              "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "JUPYTER_PLATFORM_DIRS": "1",
              "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    if pixels:
        values["BACKPROP_SHARED_PIXELS"] = INSIDE_PIXELS
    return ["--clearenv"] + [arg for k, v in values.items() for arg in ("--setenv", k, v)]


def user_switch(uid: int, processes: int) -> list[str]:
    """Inside the sandbox: the process limit, then (as root) the sandbox's user id, no capabilities.

    The limit is set here, not on bwrap: the kernel counts it per user and per user
    namespace, and inside the sandbox only its own processes have its user id (as root,
    a fresh one; as an ordinary user, in the sandbox's own user namespace), so neither
    another grading nor the grader's other processes count against it.
    """
    limit = ["prlimit", f"--nproc={processes}:{processes}", "--"]
    if os.geteuid() != 0:
        return limit
    return limit + ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]


def work_copies(work: Path) -> tuple[list[str], list[int]]:
    """bwrap arguments that copy ``work``'s folders and regular files into ``/submission``
    (links and special files are left out), and the open files they read from."""
    args, fds = ["--perms", "0777", "--dir", f"{INSIDE_WORK}/.home"], []
    try:
        for path in sorted(work.rglob("*")):
            inside = f"{INSIDE_WORK}/{path.relative_to(work).as_posix()}"
            if path.is_dir() and not path.is_symlink():
                args += ["--perms", "0777", "--dir", inside]
            elif path.is_file() and not path.is_symlink():
                fds.append(os.open(path, os.O_RDONLY | os.O_NOFOLLOW))
                args += ["--perms", "0666", "--file", str(fds[-1]), inside]
    except OSError:
        for fd in fds:
            os.close(fd)
        raise
    return args, fds


def bwrap_command(argv: list[str], copies: list[str], uid: int, limits: Limits,
                  data_dir: Path | None, cache_dir: Path | None, info_fd: int | None = None,
                  pixels_dir: Path | None = None) -> list[str]:
    """The full ``bwrap`` command line that runs ``argv`` in ``/submission`` (with ``copies``).

    Every writable place is a tmpfs of ``limits.disk_mb``; ``/`` and ``/dev`` are made
    read-only. bwrap writes the sandbox's first process id to ``info_fd``, if given.
    """
    # /tmp comes before the binds: later, it would hide those under /tmp (a clone there, say)
    info = ["--info-fd", str(info_fd)] if info_fd is not None else []
    size = ["--size", str(limits.disk_mb * 2**20)]
    return ["bwrap", *info, *namespace_options(), *system_mounts(),
            "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
            "--perms", "1777", *size, "--tmpfs", "/dev/shm",
            "--perms", "1777", *size, "--tmpfs", "/tmp",
            *python_mounts(), *data_mounts(data_dir, cache_dir, pixels_dir),
            *ro_mount(SCRIPTS, INSIDE_SCRIPTS),
            "--perms", "0777", *size, "--tmpfs", INSIDE_WORK, *copies, "--remount-ro", "/",
            "--chdir", INSIDE_WORK, *environment(pixels_dir is not None), *user_switch(uid, limits.processes), *argv]


def _owner(proc: Path) -> int | None:
    try:
        return proc.stat().st_uid
    except OSError:
        return None


def limit_resources(limits: Limits, processes: int | None = None) -> None:
    """Apply the limits to this (child) process; everything it starts inherits them.

    The process limit is set inside the sandbox (``user_switch``); without the sandbox it
    is set here (``processes``), and then counts all of this user's processes.
    """
    mb = 2**20
    if processes is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes,) * 2)
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.seconds + 5,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


_slots = itertools.count()
_slots_lock = threading.Lock()


def sandbox_uid() -> int:
    """A user id that no other live sandbox on this machine has, nor any running process.

    ``FIRST_UID + SLOTS * (this process's id) + slot``: a process id belongs to one live
    process at a time, and every sandbox dies with the process that started it
    (``--die-with-parent``), so two gradings (two batches, or a batch beside the tests)
    never share a user id; within this process the slot number goes round ``SLOTS``.
    """
    with _slots_lock:
        first = next(_slots)
    taken = {_owner(p) for p in Path("/proc").iterdir() if p.name.isdigit()}
    for slot in range(first, first + SLOTS):
        uid = FIRST_UID + SLOTS * os.getpid() + slot % SLOTS
        if uid not in taken:
            return uid
    raise SandboxUnavailable(f"all {SLOTS} sandbox user ids of this process are in use")


def shared_group(limits: Limits, sandboxes: int) -> ContextManager[cgroup.Group | None]:
    """``cgroup.shared`` for ``sandboxes`` sandboxes with these limits, to give to ``run``."""
    return cgroup.shared(limits.memory_mb, sandboxes * (limits.processes + BWRAP_PROCESSES))


def run(argv: list[str], work: Path, stdin: bytes, limits: Limits, *, sandboxed: bool = True,
        data_dir: Path | None = None, cache_dir: Path | None = None, pass_fds: tuple = (),
        group: cgroup.Group | None = None, pixels_dir: Path | None = None) -> Outcome:
    """Run ``argv`` with ``stdin`` on copies of ``work``'s files, within the limits.

    ``work`` is only read: the command works on copies in its own tmpfs. ``pass_fds``
    (pipe ends) are handed to the command and closed here once it started. The command
    and everything it starts are killed at the deadline or the first limit reached.
    ``group``: a cgroup it shares with the other sandboxes of its submission
    (``shared_group``); without one it gets a cgroup of its own. ``pixels_dir``: MNIST's
    shared pixels (``shared_mnist.py``), shown read-only.

    With ``sandboxed=False`` (only when the instructor opted out) the same command runs
    in ``work`` with the same limits and deadline, but sees (and can write) the whole machine.
    """
    info_read, info_write = os.pipe() if sandboxed else (None, None)
    copies, files = work_copies(work) if sandboxed else ([], [])
    if sandboxed:
        command = bwrap_command(argv, copies, sandbox_uid(), limits, data_dir, cache_dir, info_write,
                                pixels_dir)
        processes = None  # set inside (user_switch)
    else:
        command = [a.replace(INSIDE_SCRIPTS, str(SCRIPTS)) for a in argv]
        mine = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == os.getuid())
        processes = mine + limits.processes  # RLIMIT_NPROC counts every process of the user
    own = group is None
    if own:
        group = cgroup.create_or_none(limits.memory_mb, limits.processes + BWRAP_PROCESSES)
    given = [*pass_fds, *files, *([info_write] if sandboxed else [])]

    def start() -> None:  # in the child, before bwrap (or the command) starts
        if group is not None:
            group.join()
        limit_resources(limits, processes)

    try:
        child = subprocess.Popen(command, cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True, pass_fds=given,
                                 preexec_fn=start)
    except BaseException as error:
        if sandboxed:
            os.close(info_read)
        if own and group is not None:
            group.remove()
        if sandboxed and isinstance(error, FileNotFoundError):
            raise SandboxUnavailable(f"bubblewrap cannot be started ({error})") from None
        raise
    finally:
        for fd in given:
            os.close(fd)
    try:
        out, err, timed_out, over = watch(child, stdin, limits.seconds, limits.output_mb * 2**20,
                                          group, info_read, limits.places() if sandboxed else {})
        peak = group.peak_bytes() if group is not None else None
    finally:
        if sandboxed:
            os.close(info_read)
        if own and group is not None:
            group.remove()
    return Outcome(child.returncode, out, err, timed_out, over, peak and round(peak / 2**20, 1))
