"""What must hold before anything is graded, each failure said in one sentence that names it.

- ``sandbox_problem``: bubblewrap runs here, for root or for an ordinary user (who needs
  bubblewrap 0.8 or later and unprivileged user namespaces), and the real sandbox, with
  the same mounts and user as a grading, finds Python and its packages;
- ``bounds``: one sentence saying how a sandbox's resources are bounded on this machine
  (its memory by a cgroup, or, where none can be made, by the per-process limits);
- ``course_problem``: this user can write everything a grading writes or replaces in the
  course folder (the gradebook, autograded/, feedback/, the logs and the report) and read
  the sources and submissions, so a grading cannot fail half-way for want of permission.

``grade.py`` runs both (and loads MNIST) before it changes anything, once per batch; a
plain ``nbgrader autograde`` checks the sandbox once per process (``preprocessors.py``).
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import cgroup, sandbox
from .truncate import PER_CELL, PRODUCED_LIMIT

USERNS_SWITCHES = {  # sysctl: (value that forbids unprivileged user namespaces, value that allows them)
    "kernel.unprivileged_userns_clone": ("0", "1"),              # Debian before 11, older Ubuntu
    "user.max_user_namespaces": ("0", "10000"),                  # any Linux
    "kernel.apparmor_restrict_unprivileged_userns": ("1", "0"),  # Ubuntu 23.10 and later
}

PROBE = """import importlib.util, sys
missing = [m for m in ("nbformat", "nbclient", "ipykernel", "numpy", "backprop")
           if importlib.util.find_spec(m) is None]
sys.exit(f"missing: {', '.join(missing)}" if missing else 0)"""


def sandbox_problem(data_dir: Path | None = None, cache_dir: Path | None = None) -> str | None:
    """Why the sandbox cannot run here (None when it can).

    Checks, in order: Linux, bubblewrap installed (0.8 or later for an ordinary user), its
    namespaces, then the real sandbox (the same mounts, ``data_dir`` and ``cache_dir``
    included, and the same user) starting this Python and finding its packages.
    """
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux; this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    if os.geteuid() != 0:
        usage = subprocess.run(["bwrap", "--help"], capture_output=True, text=True).stdout
        if "--disable-userns" not in usage:
            return (f"{bwrap_version()} is too old to grade as an ordinary user: it needs "
                    "bubblewrap 0.8 or later (for --disable-userns); install a newer one, or grade as root")
    probe = subprocess.run(["bwrap", *sandbox.namespace_options(), "--ro-bind", "/", "/", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return namespaces_problem(probe.stderr.strip())
    return python_problem(data_dir, cache_dir)


def bounds(limits: sandbox.Limits | None = None) -> str:
    """How a submission's memory, disk and output are bounded here, with the limits' values."""
    limits = limits or sandbox.Limits()
    return (f"Bounds: {cgroup.bound(limits.memory_mb, limits.processes)}; disk: each sandbox "
            f"writes only tmpfs folders of {limits.disk_mb} MB each ({', '.join(limits.places())}); "
            f"output: {PER_CELL // 1000} kB kept per cell, over {PRODUCED_LIMIT // 2**20} MB printed "
            "fails the grading.")


def bwrap_version() -> str:
    """'bubblewrap 0.6.1', say."""
    done = subprocess.run(["bwrap", "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "this bubblewrap"


def namespaces_problem(error: str) -> str:
    """bwrap could not create its namespaces: say why in the instructor's terms, with its message."""
    if os.geteuid() == 0:
        return f"bubblewrap cannot create its namespaces here ({error})"
    for name, (off, on) in USERNS_SWITCHES.items():
        try:
            value = Path("/proc/sys", *name.split(".")).read_text().strip()
        except OSError:
            continue
        if value == off:
            return (f"unprivileged user namespaces are off on this machine ({name} = {value}), and "
                    f"bubblewrap needs them to grade as an ordinary user ({error}); as root, "
                    f"`sysctl -w {name}={on}` turns them on, or grade as root")
    return ("bubblewrap cannot create the user namespace it needs to grade as an ordinary user "
            f"({error}): unprivileged user namespaces are off or used up here (containers "
            "often forbid them); allow them, or grade as root")


def python_problem(data_dir: Path | None, cache_dir: Path | None) -> str | None:
    """Why the real sandbox cannot start this Python and find its packages (None if it can)."""
    with tempfile.TemporaryDirectory(prefix="grading-probe-") as work:
        outcome = sandbox.run([sys.executable, "-c", PROBE], Path(work), b"",
                              sandbox.Limits(seconds=60), data_dir=data_dir, cache_dir=cache_dir)
    if outcome.returncode == 0:
        return None
    last = (outcome.stderr.strip().splitlines() or [f"exit status {outcome.returncode}"])[-1]
    if last.startswith("bwrap:"):
        return f"the sandbox does not start ({last})"
    who = ("others (the code inside runs as an unprivileged user id)" if os.geteuid() == 0
           else "you")
    if last.startswith("missing: "):
        return (f"inside the sandbox, {sys.executable} cannot find {last[9:]}: install them in "
                f"that environment (an editable install must point at this checkout), readable by {who}")
    return (f"the sandbox cannot start {sys.executable} ({last}); the Python environment, "
            f"the MNIST folder and backprop's cache must be readable by {who}")


def course_problem(course: Path, assignment: str, students: list[str]) -> str | None:
    """Why grading these students would fail for want of permission (None if it would not)."""
    logs = course / "grading-logs" / assignment
    writes = [course, course / "gradebook.db", course / ".nbgrader.log",
              course / f"grading-{assignment}.csv", course / "autograded", course / "feedback",
              course / "grading-logs", logs, logs / "feedback.log", course / ".gradebook.lock"]
    replaced = []  # folders removed whole and written again: their files need no write bit
    for student in students:
        writes += [course / "autograded" / student, course / "feedback" / student,
                   logs / f"{student}.log", logs / f"{student}.status.json"]
        replaced += [course / "autograded" / student / assignment,
                     course / "feedback" / student / assignment]
    folders = [p for tree in replaced for p in walk(tree) if p.is_dir()]
    for path in [*writes, *folders]:
        if path.exists() and not os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0)):
            return (f"{path} belongs to {owner(path)} and {me()} cannot write it, so grading would "
                    f"fail half-way; give the course folder to the grading account "
                    f"(chown -R {me()} {course}) or grade as {owner(path)}")
    reads = [course / "source" / assignment,
             *(course / "submitted" / student / assignment for student in students)]
    for path in (p for tree in reads for p in walk(tree)):
        if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
            return f"{me()} cannot read {path} (it belongs to {owner(path)})"
    return None


def walk(tree: Path) -> list[Path]:
    """``tree`` and everything below it (nothing if it does not exist)."""
    if not tree.exists():
        return []
    return [tree, *tree.rglob("*")] if tree.is_dir() else [tree]


def owner(path: Path) -> str:
    """The name (or id) of the user who owns ``path``."""
    uid = path.lstat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user id {uid}"


def me() -> str:
    """This process's user name (or id)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"user id {os.geteuid()}"
