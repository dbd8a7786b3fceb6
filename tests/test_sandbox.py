"""The checker sandbox on its own: what :func:`contained_call` reports, and that nothing a
learner's function starts outlives the call, even a process that leaves its process group.

Each escaping learner function below starts a process that leaves the call's process
group (``os.setsid``, ``os.setpgid``, a double fork, ``start_new_session``), waits until
that process has written its pid to a file, and then returns, hangs or ends itself.
After :func:`contained_call` returns, that pid must be gone: not running, not a zombie.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from backprop.exercises import containment as sandbox

pytestmark = pytest.mark.skipif(not sandbox.CAN_FORK, reason="containment needs fork (Linux)")

LINGER = 60  # seconds an escaped process would sleep if nobody ended it
GENERATION = "[0-9]" * 6  # the pid files of test_a_process_that_keeps_forking_away_is_caught


@pytest.fixture
def tmp_path():
    """A scratch folder every user may write in: run as root, the learner's code is not root."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def user_changed() -> bool:
    """True if the learner's code runs under another user id than this process."""
    return sandbox.contained_call(os.getuid, ()).value != os.getuid()


IN_PID_NAMESPACE = sandbox.contained_call(os.getpid, ()).value == 1  # (an ordinary user's call)
pids_of_this_namespace = pytest.mark.skipif(
    IN_PID_NAMESPACE, reason="the learner's code runs in a PID namespace of its own: the pids it "
    "records are not this process's, and the kernel ends all its processes with it "
    "(test_containment_unprivileged.py checks that by command line)")


def write_pid(path: Path) -> None:
    """Write this process's pid to ``path`` in one step (a reader never sees half of it)."""
    part = path.with_name(path.name + ".part")
    part.write_text(str(os.getpid()))
    os.replace(part, path)


def linger(path: Path) -> None:
    """In an escaped process: record the pid, sleep long, never return into pytest's code."""
    try:
        write_pid(path)
        time.sleep(LINGER)
    finally:
        os._exit(0)


def wait_until_written(path: Path, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < end:
        time.sleep(0.01)


def forks_then_setsid(path: Path) -> None:
    if os.fork() == 0:
        os.setsid()
        linger(path)


def forks_then_setpgid(path: Path) -> None:
    if os.fork() == 0:
        os.setpgid(0, 0)
        linger(path)


def double_fork_and_setsid(path: Path) -> None:
    """The classic daemon: the middle process exits, its child is an orphan in a new session."""
    middle = os.fork()
    if middle == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                linger(path)
        finally:
            os._exit(0)
    os.waitpid(middle, 0)


def popen_new_session(path: Path) -> None:
    script = (f"import os, time; open({str(path) + '.part'!r}, 'w').write(str(os.getpid())); "
              f"os.replace({str(path) + '.part'!r}, {str(path)!r}); time.sleep({LINGER})")
    subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


ESCAPES = [forks_then_setsid, forks_then_setpgid, double_fork_and_setsid, popen_new_session]


def learner(escape, path: Path, ending: str):
    """A learner's function: start an escaped process, then return, hang or end the process."""
    def fn():
        escape(path)
        wait_until_written(path)
        if ending == "hangs":
            time.sleep(LINGER)
        if ending == "exits":
            os._exit(1)
        return "started"
    return fn


def is_running(pid: int) -> bool:
    """True if ``pid`` exists at all (a zombie counts: it has not been reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def still_running():
    """``still_running(pids)``: poll up to 2 s for the pids to go; return those that did not.

    Those are killed after the test (and only those: a pid that went may be reused).
    """
    survivors: list[int] = []

    def poll(pids: list[int], seconds: float = 2.0) -> list[int]:
        end = time.monotonic() + seconds
        while (left := [pid for pid in pids if is_running(pid)]) and time.monotonic() < end:
            time.sleep(0.02)
        survivors.extend(left)
        return left

    yield poll
    for pid in survivors:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def read_pid(path: Path) -> int:
    assert path.exists(), "the escaped process never started"
    return int(path.read_text())


@pids_of_this_namespace
@pytest.mark.parametrize("escape, ending", [(escape, "returns") for escape in ESCAPES]
                         + [(double_fork_and_setsid, "hangs"), (forks_then_setsid, "exits")],
                         ids=lambda value: getattr(value, "__name__", value))
def test_a_process_that_leaves_the_process_group_is_ended_with_the_call(
        escape, ending, tmp_path, still_running):
    path = tmp_path / "escaped.pid"
    started = time.monotonic()
    outcome = sandbox.contained_call(learner(escape, path, ending), (), deadline=1.0)
    assert time.monotonic() - started < 10  # did not hang
    pid = read_pid(path)
    if ending == "returns":
        assert outcome.value == "started" and outcome.problem is None
    else:
        assert outcome.problem is not None
    assert still_running([pid]) == []


@pids_of_this_namespace
def test_many_escaped_processes_are_all_ended(tmp_path, still_running):
    paths = [tmp_path / f"escaped{i}.pid" for i in range(12)]

    def starts_many():
        for i, path in enumerate(paths):
            (double_fork_and_setsid if i % 2 else forks_then_setsid)(path)
        for path in paths:
            wait_until_written(path)
        return len(paths)

    assert sandbox.contained_call(starts_many, ()).value == len(paths)
    pids = [read_pid(path) for path in paths]
    assert still_running(pids) == []


@pids_of_this_namespace
def test_a_process_that_keeps_forking_away_is_caught(tmp_path, still_running):
    """Each generation starts a new session, forks the next and exits: the tree keeps moving."""
    folder = tmp_path / "pids"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)  # whatever the umask

    def hops() -> None:
        for generation in range(2000):  # about 15 s if nobody ends it
            os.setsid()
            write_pid(folder / f"{generation:06d}")
            time.sleep(0.005)
            if os.fork() != 0:
                break

    def starts_a_hopper():
        if os.fork() == 0:
            try:
                hops()
            finally:
                os._exit(0)
        wait_until_written(folder / "000005")
        return "hopping"

    assert sandbox.contained_call(starts_a_hopper, ()).value == "hopping"
    seen = sorted(folder.glob(GENERATION))
    time.sleep(0.3)  # an escaped hopper would go on recording generations meanwhile
    later = sorted(folder.glob(GENERATION))
    left = still_running([read_pid(path) for path in later])
    assert len(seen) >= 6 and later == seen
    assert left == []


def test_a_file_over_the_size_limit_is_reported(tmp_path):
    big = tmp_path / "big.bin"

    def writes_two_megabytes():
        with open(big, "wb") as file:
            file.write(b"x" * (2 << 20))
        return "written"

    outcome = sandbox.contained_call(writes_two_megabytes, ())
    assert outcome.problem == "your function wrote a file larger than 1 MB"
    assert big.stat().st_size <= sandbox.FILE_SIZE


@pytest.mark.parametrize("signum", [signal.SIGSTOP, signal.SIGKILL])
def test_a_function_that_signals_its_keeper_does_not_hang_the_call(signum):
    notebook = os.getpid()

    def signals_the_parent():
        if os.getppid() == notebook:  # no keeper in between: never stop or kill pytest itself
            return "the parent is the notebook"
        os.kill(os.getppid(), signum)
        time.sleep(0.1)  # a killed keeper takes the worker with it
        return "signalled"

    started = time.monotonic()
    outcome = sandbox.contained_call(signals_the_parent, ())
    assert time.monotonic() - started < 10  # did not hang
    if user_changed():  # the keeper runs as another user: the kernel refuses the signal
        assert "raised PermissionError" in outcome.problem
    elif IN_PID_NAMESPACE:  # os.getppid() is 0 there: the keeper has no number to signal
        assert outcome.value == "signalled"
    elif signum == signal.SIGKILL:
        assert "ended the whole process" in outcome.problem
    else:  # a stopped keeper passes nothing on: the call runs out of time, and is ended
        assert outcome.timed_out
