"""One control group (cgroup) per submission: the memory of all its processes bounded together.

A per-process memory limit (``RLIMIT_AS``) lets a submission start several processes
that together use many times the limit. A cgroup counts them together (files written to
its tmpfs folders included). ``create`` makes one with a name no other live grading has
(this process's id and start time, and a counter), with the memory limit (and swap, and
the process limit where the ``pids`` controller is there); ``Group.join`` puts the
calling process in it, so a sandbox started from that process is inside, with
everything it starts; ``Group.remove`` kills what is left and removes it. ``shared``
gives one group to the three sandboxes of a submission (``sandbox.shared_group``).

It works as root, with cgroup v1 (``/sys/fs/cgroup/memory``) or v2 (where
``/sys/fs/cgroup/cgroup.controllers`` exists). A group goes below the grader's own
cgroup when it can (so any limit on the grader also holds for its sandboxes), else at the
top. Where no group can be made, ``create`` raises ``Unavailable`` and the per-process
limits are the bound (``bound``).
"""
from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "backprop-grading-"
_counter = itertools.count()


class Unavailable(RuntimeError):
    """No cgroup can be made here; the message says why."""


def version(root: Path = ROOT) -> int | None:
    """2 for a unified (v2) hierarchy, 1 for a v1 memory controller, None for neither."""
    if (root / "cgroup.controllers").exists():
        return 2
    if (root / "memory" / "memory.limit_in_bytes").exists():
        return 1
    return None


def start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot); None if it does not exist."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def unique_name() -> str:
    """``backprop-grading-<pid>-<start time>-<n>``: no other live process makes this name."""
    return f"{PREFIX}{os.getpid()}-{start_time(os.getpid())}-{next(_counter)}"


def is_stale(name: str) -> bool:
    """True if the process that made the group ``name`` is gone (then nothing uses it)."""
    try:
        pid, started = name[len(PREFIX):].split("-")[:2]
        return start_time(int(pid)) != started
    except ValueError:
        return False


def own_path(controller: str) -> str:
    """This process's cgroup in the hierarchy of ``controller`` ('' for v2's unified one)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(",") or (controller == "" and names == ""):
            return path.lstrip("/")
    return ""


def make(top: Path, controller: str, needed: str, name: str) -> Path:
    """mkdir ``name`` below this process's cgroup in ``top`` (else below ``top``), with ``needed``."""
    errors = []
    for parent in dict.fromkeys([top / own_path(controller), top]):
        sweep(parent)
        group = parent / name
        try:
            group.mkdir()  # fails if it exists: no two gradings share a group
        except OSError as error:
            errors.append(f"{group}: {error.strerror}")
            continue
        if (group / needed).exists():
            return group
        group.rmdir()
        errors.append(f"{group}: no {needed} (the controller is not enabled there)")
    raise Unavailable("; ".join(errors))


def sweep(parent: Path) -> None:
    """Remove the groups that gradings which no longer run left behind under ``parent``."""
    try:
        stale = [p for p in parent.glob(PREFIX + "*") if is_stale(p.name)]
    except OSError:
        return
    for path in stale:
        Group((path,), 1, 0).remove()


def write(path: Path, value: int | str) -> None:
    """Write one value to a cgroup file."""
    path.write_text(str(value))


@dataclass(frozen=True)
class Group:
    """A cgroup made for one sandbox: its folders (memory first), version and memory limit."""

    dirs: tuple[Path, ...]
    version: int
    memory_bytes: int

    def join(self) -> None:
        """Put the calling process in the group (called in the child before ``exec``)."""
        for folder in self.dirs:
            fd = os.open(folder / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)

    def counter(self, file: str, key: str) -> int:
        """The number after ``key`` in ``file`` of the memory folder (0 if absent)."""
        try:
            for line in (self.dirs[0] / file).read_text().splitlines():
                if line.split()[:1] == [key]:
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def oom_kills(self) -> int:
        """How many of its processes the kernel killed for going over the memory limit."""
        return self.counter("memory.oom_control" if self.version == 1 else "memory.events", "oom_kill")

    def peak_bytes(self) -> int | None:
        """The most memory its processes used together (None where the kernel does not say)."""
        try:
            return int((self.dirs[0] / ("memory.max_usage_in_bytes" if self.version == 1
                                        else "memory.peak")).read_text())
        except (OSError, ValueError):
            return None

    def processes(self) -> set[int]:
        """The ids of the processes in it."""
        found = set()
        for folder in self.dirs:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def remove(self) -> None:
        """Kill every process still in it, then remove its folders."""
        for _ in range(100):
            left = self.processes()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        for folder in self.dirs:
            for _ in range(40):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # busy: a killed process not yet reaped
                    time.sleep(0.05)


def create(memory_mb: int, processes: int, root: Path = ROOT) -> Group:
    """A new group allowing ``memory_mb`` for all its processes together and ``processes``
    processes (where it can); ``Unavailable`` if none can be made here."""
    kind, name, limit = version(root), unique_name(), memory_mb * 2**20
    if kind is None:
        raise Unavailable(f"no cgroup memory controller under {root}")
    made: list[Path] = []
    try:
        if kind == 2:
            made.append(make(root, "", "memory.max", name))
            write(made[0] / "memory.max", limit)
            settings = {"memory.swap.max": 0, "pids.max": processes}
        else:
            made.append(make(root / "memory", "memory", "memory.limit_in_bytes", name))
            write(made[0] / "memory.limit_in_bytes", limit)
            settings = {"memory.memsw.limit_in_bytes": limit}
            try:
                made.append(make(root / "pids", "pids", "pids.max", name))
                write(made[1] / "pids.max", processes)
            except (Unavailable, OSError):
                pass  # the process limit inside the sandbox (prlimit) still holds
        for file, value in settings.items():
            if (made[0] / file).exists():
                write(made[0] / file, value)
    except (Unavailable, OSError) as error:
        Group(tuple(made), kind, limit).remove()
        raise Unavailable(str(error)) from None
    return Group(tuple(made), kind, limit)


def create_or_none(memory_mb: int, processes: int) -> Group | None:
    """``create``, or None where no group can be made here (the per-process limits hold)."""
    try:
        return create(memory_mb, processes)
    except Unavailable:
        return None


@contextmanager
def shared(memory_mb: int, processes: int) -> Iterator[Group | None]:
    """``create_or_none`` for several sandboxes (one submission's), removed when they end.

    Each sandbox joins it (``sandbox.run``'s ``group``), so the memory of all their
    processes together is bounded by ``memory_mb``.
    """
    group = create_or_none(memory_mb, processes)
    try:
        yield group
    finally:
        if group is not None:
            group.remove()


def leftovers(root: Path = ROOT) -> list[Path]:
    """Groups of gradings that no longer run, anywhere under ``root`` (none after a clean one)."""
    return [p for p in root.rglob(PREFIX + "*") if p.is_dir() and is_stale(p.name)]


def bound(memory_mb: int, processes: int, root: Path = ROOT) -> str:
    """One sentence: how the memory of one submission's processes is bounded on this machine."""
    try:
        group = create(memory_mb, processes, root)
    except Unavailable as why:
        return (f"memory: no cgroup can be made here ({why}), so each process is bounded "
                f"alone: at most {processes} processes of {memory_mb} MB, "
                f"{processes * memory_mb} MB together")
    group.remove()
    return (f"memory: all processes of a submission (its three sandboxes) together at most "
            f"{memory_mb} MB, files in their tmpfs folders included (cgroup v{group.version})")
