"""Watch one sandboxed command from outside until it ends: time, memory, disk, output.

``watch`` feeds the command its input and reads its output (at most the output limit:
the grader never holds more), and every ``POLL`` seconds checks the deadline, the
kernel's count of processes killed for memory in the sandbox's cgroup, and how full the
sandbox's tmpfs folders are (seen from outside through ``/proc/<pid>/root``). At the
first limit reached it kills the whole sandbox and says which limit it was. (A tmpfs
that is filled and emptied again between two checks is not seen: the size still bounds it.)
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from .truncate import OVER_OUTPUT_LIMIT, PRODUCED_LIMIT

POLL = 0.1          # seconds between two checks
FULL = 2**20        # a tmpfs with less than this free is full: the submission filled it
KEEP_LOG = 64_000   # bytes kept of the command's log (its end)


def read_capped(stream, cap: int, keep_end: bool, chunks: list, over: threading.Event) -> None:
    """Read ``stream`` to its end keeping at most ``cap`` bytes (the first, or the last)."""
    held = 0
    for chunk in iter(lambda: stream.read1(65536), b""):
        chunks.append(chunk)
        held += len(chunk)
        if held > cap and not keep_end:
            over.set()
            chunks[:] = []
            return  # the command is killed: nothing more of it is wanted
        while keep_end and held - len(chunks[0]) > cap:
            held -= len(chunks.pop(0))


def feed(stream, data: bytes) -> None:
    """Write the command's input and close it (a command may stop reading early)."""
    try:
        stream.write(data)
        stream.close()
    except OSError:
        pass


def first_pid(info: int | None, known: int | None) -> int | None:
    """The sandbox's first process id, which bwrap writes to its info pipe (None before)."""
    if known or info is None:
        return known
    os.set_blocking(info, False)
    try:
        return json.loads(os.read(info, 4096) or b"{}").get("child-pid")
    except (OSError, ValueError):
        return None


def full_place(pid: int | None, places: dict[str, int]) -> str | None:
    """The first of the sandbox's tmpfs folders (path inside -> size) that is full, if any."""
    for place in places if pid else ():
        try:
            free = os.statvfs(f"/proc/{pid}/root{place}")
        except OSError:
            continue
        if free.f_bavail * free.f_frsize < FULL:
            return place
    return None


def watch(child: subprocess.Popen, stdin: bytes, seconds: float, output_cap: int, group,
          info: int | None, places: dict[str, int]) -> tuple[bytes, str, bool, str]:
    """Run ``child`` to its end or its first limit: (stdout, log, timed out, limit reached)."""
    out, err, over = [], [], threading.Event()
    threads = [threading.Thread(target=feed, args=(child.stdin, stdin), daemon=True),
               threading.Thread(target=read_capped, args=(child.stdout, output_cap, False, out, over),
                                daemon=True),
               threading.Thread(target=read_capped, args=(child.stderr, KEEP_LOG, True, err,
                                                          threading.Event()), daemon=True)]
    for thread in threads:
        thread.start()
    deadline, pid, timed_out, reason = time.monotonic() + seconds, None, False, ""
    while child.poll() is None:
        pid = first_pid(info, pid)
        place = full_place(pid, places)
        if group is not None and group.oom_kills():
            reason = memory_reason(group)
        elif place:
            reason = (f"went over the disk limit: it filled the {places[place]} MB it may write "
                      f"in {place}")
        elif over.is_set():
            reason = f"went over the output limit: it sent back more than {output_cap // 2**20} MB"
        timed_out = time.monotonic() > deadline
        if reason or timed_out:
            kill(child, pid)
            break
        time.sleep(POLL)
    child.wait()
    for thread in threads[1:]:
        thread.join(timeout=10)
    if not reason and group is not None and group.oom_kills():
        reason = memory_reason(group)
    if over.is_set() and not reason:
        reason = f"went over the output limit: it sent back more than {output_cap // 2**20} MB"
    if child.returncode == OVER_OUTPUT_LIMIT and not reason:  # said by run_notebook.py
        reason = f"went over the output limit: it printed more than {PRODUCED_LIMIT // 2**20} MB"
    return b"".join(out), b"".join(err).decode(errors="replace")[-4000:], timed_out, reason


def memory_reason(group) -> str:
    """Why the grading stopped when the kernel killed a process for memory.

    The same words however many processes the kernel killed before the sandbox was
    stopped (a count that depends on timing), so that a grading says the same each time.
    """
    return (f"went over the memory limit: its processes together used more than "
            f"{group.memory_bytes // 2**20} MB, so they were stopped")


def kill(child: subprocess.Popen, pid: int | None) -> None:
    """Kill the sandbox: its first process (the kernel then kills every other one), then bwrap."""
    kill_first_process(child, pid)
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:  # bwrap ended with its sandbox, as it should
        pass


def kill_first_process(child: subprocess.Popen, pid: int | None) -> None:
    """Kill the sandbox's first process (so the kernel kills every other one) and let bwrap reap it.

    Killing only bwrap would leave that first process to be reaped by the machine's init,
    a zombie of the grader's user until then; bwrap itself then ends within a moment.
    """
    try:
        if pid and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(child.pid):
            os.kill(pid, signal.SIGKILL)
            child.wait(timeout=5)
    except (OSError, IndexError, subprocess.TimeoutExpired):
        pass
