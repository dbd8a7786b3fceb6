"""Run one command on a student's work inside a bubblewrap (``bwrap``) sandbox.

The sandbox sees: the system's read-only ``/usr`` (and ``/bin``, ``/lib``...), the
read-only Python environment, the read-only MNIST files and backprop's cache, this
folder's two scripts at ``/grading``, and one writable working folder mounted at
``/submission``. It has no network, its own process tree (every process in it dies when
the command ends or is killed), its own ``/tmp`` and limits on memory, CPU time,
processes, open files and file size.

Nothing is shared between two sandboxes, even of two gradings running at once: as root,
everything inside runs as a user id that no other live sandbox has (``sandbox_uid``),
so the kernel counts the process limit for that sandbox alone. As an ordinary user,
bubblewrap (0.8 or later) maps that user to itself in a user namespace of its own, in
which the code inside can create no further namespace; the process limit is set inside
that namespace (``prlimit``), where the kernel counts only the sandbox's own processes.
This needs unprivileged user namespaces. Whether the sandbox works here is
``preflight.sandbox_problem``'s question.
"""
from __future__ import annotations

import importlib.util
import json
import os
import resource
import itertools
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

INSIDE_WORK = "/submission"
INSIDE_SCRIPTS = "/grading"
INSIDE_DATA = "/data/mnist"
INSIDE_CACHE = "/data/cache"
SCRIPTS = Path(__file__).resolve().parent
FIRST_UID = 1_000_000_000   # sandbox user ids start here: no account uses them
SLOTS = 64                  # sandboxes one grading process may have at the same time
SANDBOX_UIDS = range(FIRST_UID, FIRST_UID + SLOTS * 2**22)  # 2**22: Linux's largest process id


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces on this machine."""


@dataclass(frozen=True)
class Limits:
    """What one sandboxed command may use."""

    seconds: int = 300        # wall-clock time of the whole command (one notebook)
    memory_mb: int = 3072     # address space of each process
    processes: int = 64       # processes and threads inside the sandbox
    open_files: int = 256     # file descriptors of each process
    file_mb: int = 64         # largest file a process may write


@dataclass(frozen=True)
class Outcome:
    """What a sandboxed command did: exit code, its private output, its log, timeout."""

    returncode: int
    stdout: bytes
    stderr: str
    timed_out: bool


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


def data_mounts(data_dir: Path | None, cache_dir: Path | None) -> list[str]:
    """MNIST's four files and backprop's parsed cache, read-only, at fixed paths."""
    args = []
    if data_dir is not None:
        args += ro_mount(data_dir.resolve(), INSIDE_DATA)
    if cache_dir is not None and cache_dir.is_dir():
        args += ro_mount(cache_dir.resolve(), INSIDE_CACHE)
    return args


def environment() -> list[str]:
    """A clean environment: no variable of the grader's reaches the student's code."""
    home = f"{INSIDE_WORK}/.home"
    values = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": home,
              "LANG": "C.UTF-8", "BACKPROP_DATA_DIR": INSIDE_DATA,
              "BACKPROP_CACHE_DIR": INSIDE_CACHE, "MPLBACKEND": "Agg",
              "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython",
              "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "JUPYTER_PLATFORM_DIRS": "1",
              "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
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


def bwrap_command(argv: list[str], work: Path, uid: int, processes: int,
                  data_dir: Path | None, cache_dir: Path | None, info_fd: int | None = None) -> list[str]:
    """The full ``bwrap`` command line that runs ``argv`` in ``work`` (mounted writable).

    bwrap writes the sandbox's first process id to ``info_fd``, if given.
    """
    # The empty /tmp comes before the binds: mounted later it would hide any of them
    # that live under /tmp (a clone of the course checked out there, say).
    info = ["--info-fd", str(info_fd)] if info_fd is not None else []
    return ["bwrap", *info, *namespace_options(), *system_mounts(),
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(256 * 2**20), "--tmpfs", "/tmp",
            *python_mounts(), *data_mounts(data_dir, cache_dir),
            *ro_mount(SCRIPTS, INSIDE_SCRIPTS),
            "--bind", str(work), INSIDE_WORK, "--chdir", INSIDE_WORK, *environment(),
            *user_switch(uid, processes), *argv]


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


def prepare_work(work: Path, uid: int) -> None:
    """Make the writable folder (and its home) belong to the sandbox's user."""
    (work / ".home").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        for path in [work, *work.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)


def run(argv: list[str], work: Path, stdin: bytes, limits: Limits, *, sandboxed: bool = True,
        data_dir: Path | None = None, cache_dir: Path | None = None, pass_fds: tuple = ()) -> Outcome:
    """Run ``argv`` in ``work`` with ``stdin``, within the limits; kill it all at the deadline.

    ``pass_fds`` (pipe ends) are handed to the command and closed here once it started.

    With ``sandboxed=False`` (only when the instructor opted out) the same command runs
    with the same limits and deadline, but sees the whole machine.
    """
    info_read, info_write = os.pipe() if sandboxed else (None, None)
    if sandboxed:
        uid = sandbox_uid()
        prepare_work(work, uid)
        command = bwrap_command(argv, work, uid, limits.processes, data_dir, cache_dir, info_write)
        processes = None  # set inside (user_switch)
    else:
        command = [a.replace(INSIDE_SCRIPTS, str(SCRIPTS)) for a in argv]
        mine = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == os.getuid())
        processes = mine + limits.processes  # RLIMIT_NPROC counts every process of the user
    try:
        child = subprocess.Popen(command, cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True,
                                 pass_fds=[*pass_fds, *([info_write] if sandboxed else [])],
                                 preexec_fn=lambda: limit_resources(limits, processes))
    except BaseException as error:
        if sandboxed:
            os.close(info_read)
        if sandboxed and isinstance(error, FileNotFoundError):
            raise SandboxUnavailable(f"bubblewrap cannot be started ({error})") from None
        raise
    finally:
        for fd in [*pass_fds, *([info_write] if sandboxed else [])]:
            os.close(fd)
    try:
        out, err = child.communicate(stdin, timeout=limits.seconds)
        timed_out = False
    except subprocess.TimeoutExpired:
        if sandboxed:
            kill_first_process(child, info_read)
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:  # bwrap ended with its sandbox, as it should
            pass
        out, err = child.communicate()
        timed_out = True
    finally:
        if sandboxed:
            os.close(info_read)
    return Outcome(child.returncode, out, err.decode(errors="replace")[-4000:], timed_out)


def kill_first_process(child: subprocess.Popen, info: int) -> None:
    """Kill the sandbox's first process (so the kernel kills every other one) and let bwrap reap it.

    Killing only bwrap would leave that first process to be reaped by the machine's init,
    a zombie of the grader's user until then; bwrap itself then ends within a moment.
    """
    os.set_blocking(info, False)
    try:
        pid = json.loads(os.read(info, 4096) or b"{}").get("child-pid")
    except (OSError, ValueError):
        return  # bwrap has not started the sandbox yet: killing bwrap is enough
    try:
        if pid and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(child.pid):
            os.kill(pid, signal.SIGKILL)
            child.wait(timeout=5)
    except (OSError, IndexError, subprocess.TimeoutExpired):
        pass
