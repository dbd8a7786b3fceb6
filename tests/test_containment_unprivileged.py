"""A notebook run by an ordinary user: a checked function still cannot reach it.

The checked function keeps the notebook's user id there, so the kernel would let it
signal the notebook; where user namespaces exist its worker is process 1 of a PID
namespace of its own, with a ``/proc`` of its own. Each route is tried on a stand-in
notebook run as an ordinary user (``nobody`` when the tests run as root), in its own
session: a signal to the parent, the notebook, their process groups or everyone, a
write through ``/proc/<pid>/fd``, a detached daemon. The notebook must stay alive and
unchanged, and no process may remain. Where namespaces are missing, the notebook is
warned once, naming what is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from backprop.exercises import containment as sandbox

NOBODY = 65534
REPOSITORY = Path(__file__).resolve().parents[1]
# (setpriv, not subprocess's user=: it also starts a Python that only root may reach)
BECOME = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def as_nobody_problem() -> str | None:
    """Why this Python, numpy and backprop cannot start as ``nobody`` here (a private
    folder around the clone or its environment, say); None if they can, or not root."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    done = subprocess.run([*BECOME, sys.executable, "-c", "import numpy, backprop"], cwd="/",
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPOSITORY)))
    lines = done.stderr.strip().splitlines()
    return None if done.returncode == 0 else (lines[-1] if lines else f"exit status {done.returncode}")


AS_NOBODY = as_nobody_problem()

pytestmark = [
    pytest.mark.skipif(not sandbox.CAN_FORK, reason="containment needs fork (Linux)"),
    pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"),
                       reason="run as root, the stand-in notebook needs setpriv to become nobody"),
    pytest.mark.skipif(AS_NOBODY is not None,
                       reason=f"this Python cannot start as nobody here ({AS_NOBODY}): a folder "
                              "around the clone or its environment is private; run the tests "
                              "from folders others may enter")]
NOTEBOOK = textwrap.dedent("""
    import json, os, socket, sys, time, warnings
    import numpy as np
    from backprop import exercises
    from backprop.exercises import containment, namespaces
    attack, log_path, marker, setting = sys.argv[1:5]
    if setting == "no namespaces":
        namespaces.unshare = lambda flags: False
    if setting == "no /proc of its own":
        namespaces.mount = lambda *args: False
    log = open(log_path, "w")  # a file the notebook holds open
    log.write("notebook\\n"); log.flush()
    nb = os.getpid()
    listening = socket.create_server(("127.0.0.1", 0))  # as a Jupyter kernel listens
    listening.setblocking(False)

    def connect(port):
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"INTRUDER")

    def write_through_proc(pid, fds):
        for fd in fds:
            with open(f"/proc/{pid}/fd/{fd}", "w") as f:
                f.write("INTRUDER\\n")

    def daemon():  # its command line is the notebook's, which holds the marker
        if os.fork() == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(30)
            finally:
                os._exit(0)
        time.sleep(0.3)

    ATTACKS = {
        "nothing": lambda: None,
        "SIGKILL to its parent": lambda: os.kill(os.getppid(), 9),
        "SIGSTOP to its parent": lambda: os.kill(os.getppid(), 19),
        "SIGINT to its parent": lambda: os.kill(os.getppid(), 2),
        "SIGKILL to the notebook": lambda: os.kill(nb, 9),
        "SIGSTOP to the notebook": lambda: os.kill(nb, 19),
        "SIGINT to the notebook": lambda: os.kill(nb, 2),
        "SIGKILL to the notebook's group": lambda: os.killpg(nb, 9),
        "SIGKILL to its parent's group": lambda: os.killpg(os.getpgid(os.getppid()), 9),
        "SIGKILL to everyone": lambda: os.kill(-1, 9),
        "write to /proc/<parent>/fd/1": lambda: write_through_proc(os.getppid(), [1]),
        "write to the notebook's /proc/<pid>/fd": lambda: write_through_proc(nb, [1, 2, log.fileno()]),
        "a detached daemon": daemon,
        "connect to the notebook's socket": lambda: connect(listening.getsockname()[1]),
    }

    def attacks_then_answers(z):
        try:
            ATTACKS[attack]()
        except OSError:
            pass
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))

    def where_am_i():
        return (os.getpid(), os.getppid(), os.getuid(),
                sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                sorted(int(fd) for fd in os.listdir("/proc/self/fd")))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = containment.contained_call(attacks_then_answers, (0.0,))
        verdict = exercises.check_sigmoid(attacks_then_answers)
        place = containment.contained_call(where_am_i, ())
    time.sleep(0.3)  # a signal sent would have arrived by now
    log.close()
    try:
        listening.accept()
        reached = True
    except BlockingIOError:
        reached = False
    print(json.dumps({"alive": True, "first": [first.value, first.problem], "verdict": verdict,
                      "place": place.value, "uid": os.getuid(), "reached": reached,
                      "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}), flush=True)
""")


def remaining(marker: str) -> list[int]:
    """Processes whose command line holds ``marker``."""
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                found.append(int(name))
        except OSError:
            pass
    return found


def as_ordinary_user(attack: str, setting: str = "") -> tuple[dict, str, list[int]]:
    """Run the stand-in notebook as an ordinary user; return its report, what it printed
    and the processes of the attack that are still running 2 s after it ended."""
    folder = Path(tempfile.mkdtemp(prefix="unprivileged-notebook-"))
    marker = f"left-behind-{os.getpid()}-{time.monotonic_ns()}"
    become = []
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
        become = BECOME
    env = dict(os.environ, HOME=str(folder), PYTHONPATH=str(REPOSITORY), MPLCONFIGDIR=str(folder))
    try:
        run = subprocess.run([*become, sys.executable, "-c", NOTEBOOK, attack,
                              str(folder / "notebook.log"), marker, setting],
                             capture_output=True, text=True, timeout=90, start_new_session=True,
                             cwd=folder, env=env)
        end, left = time.monotonic() + 2, remaining(marker)
        while left and time.monotonic() < end:
            time.sleep(0.05)
            left = remaining(marker)
        assert run.returncode == 0, f"the notebook ended with {run.returncode}: {run.stderr[-800:]}"
        assert (folder / "notebook.log").read_text() == "notebook\n"
        report = json.loads(run.stdout.strip().splitlines()[-1])
        return report, run.stdout + run.stderr, left
    finally:
        for pid in remaining(marker):
            sandbox.processes.kill(pid)
        shutil.rmtree(folder, ignore_errors=True)


PROBE = "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(0x10000000 | 0x20000000) != 0)"


def namespaces_here() -> bool:
    """True if an ordinary user may make user and PID namespaces here (asked of the
    kernel directly, not of the code under test)."""
    try:
        return subprocess.run([*(BECOME if os.geteuid() == 0 else []), sys.executable, "-c", PROBE],
                              timeout=30, cwd="/").returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_namespaces = pytest.mark.skipif(
    not namespaces_here(), reason="ordinary users cannot make user namespaces here: the "
    "warning test below covers this system")
ATTACKS = ["SIGKILL to its parent", "SIGSTOP to its parent", "SIGINT to its parent",
           "SIGKILL to the notebook", "SIGSTOP to the notebook", "SIGINT to the notebook",
           "SIGKILL to the notebook's group", "SIGKILL to its parent's group", "SIGKILL to everyone",
           "write to /proc/<parent>/fd/1", "write to the notebook's /proc/<pid>/fd",
           "a detached daemon", "connect to the notebook's socket"]


@needs_namespaces
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_checked_function_cannot_reach_a_notebook_run_by_an_ordinary_user(attack):
    report, printed, left = as_ordinary_user(attack)
    assert report["alive"] and report["uid"] != 0
    assert "INTRUDER" not in printed and not report["reached"]
    assert report["first"][1] is None and report["first"][0] == 0.5   # the answer came back
    assert report["verdict"] is True                                  # and was judged as usual
    assert report["warnings"] == []
    assert left == []                                                 # nothing outlived the call


@needs_namespaces
def test_the_checked_function_sees_only_its_own_processes_and_descriptors():
    report, _, _ = as_ordinary_user("nothing")
    pid, parent, uid, processes, fds = report["place"]
    assert (pid, parent) == (1, 0)          # process 1 of its own PID namespace
    assert uid == report["uid"]             # the notebook's user id, mapped to itself
    assert processes == [1]                 # its /proc shows nothing else
    assert len(fds) <= 5                    # 0-2, the reply pipe, the listing itself


@needs_namespaces
def test_without_a_proc_of_its_own_signals_are_still_cut_off_and_the_notebook_is_warned():
    report, printed, _ = as_ordinary_user("SIGKILL to the notebook", "no /proc of its own")
    assert report["alive"] and report["verdict"] is True
    assert len(report["warnings"]) == 1     # once, though three calls were made
    assert report["warnings"][0].startswith("ContainmentWarning:")
    assert "could not be mounted anew" in report["warnings"][0]
    assert "/proc/<pid>/fd" in report["warnings"][0]


def test_without_namespaces_the_notebook_is_warned_once_naming_what_is_missing():
    report, _, _ = as_ordinary_user("nothing", "no namespaces")
    assert report["verdict"] is True and report["first"][0] == 0.5
    assert report["place"][0] != 1          # no PID namespace of its own
    assert len(report["warnings"]) == 1
    warning = report["warnings"][0]
    assert warning.startswith("ContainmentWarning:")
    for missing in ("own user id", "no PID namespace", "signal, stop or kill this notebook",
                    "/proc/<pid>/fd"):
        assert missing in warning
