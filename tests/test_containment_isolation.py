"""A checked function cannot decide its own verdict, nor reach the notebook.

Its answer crosses back as data (no pickle), so an object whose unpickling would run
code in the notebook is refused, and a reply forged on its pipe is not taken for the
verdict. Run as root, it runs as a user id of its own: every signal to the notebook,
its group or everyone (``kill(-1)``), and every write through ``/proc/<pid>/fd`` fails.
Those attacks are made on a stand-in notebook: a child process of the test, in its own
session, never on pytest itself.
"""
import contextlib
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from backprop import exercises as ex
from backprop.exercises import answers, cases, containment as sandbox, namespaces
from exercise_solutions import sigmoid

pytestmark = pytest.mark.skipif(not sandbox.CAN_FORK, reason="containment needs fork (Linux)")


class SwitchesTheCheckerOff(float):
    """A float whose unpickling (in whoever unpickles it) makes every later answer pass."""

    def __reduce__(self):
        return (exec, ("import backprop.exercises.cases as c; c.numbers_problem = lambda *a, **k: None",))


def test_a_float_subclass_cannot_switch_the_checker_off(monkeypatch, capsys):
    monkeypatch.setattr(cases, "numbers_problem", cases.numbers_problem)  # restored afterwards
    assert ex.check_sigmoid(lambda z: SwitchesTheCheckerOff(0.5)) is False
    assert "got SwitchesTheCheckerOff: 0.5" in capsys.readouterr().out
    assert ex.check_sigmoid(lambda z: 0.0) is False  # a wrong answer still fails afterwards


def test_the_answer_format_carries_only_plain_data():
    value = (1, 2.5, "text", None, True, 1 + 2j, np.arange(3.0), np.float32(2), [np.int8(-1)])
    answer = answers.decode_answer(answers.encode_answer(answers.Answer(value, printed="hi")))
    assert answer.printed == "hi" and answer.value[:6] == value[:6]
    np.testing.assert_array_equal(answer.value[6], value[6])
    assert type(answer.value[7]) is np.float32 and type(answer.value[8][0]) is np.int8
    with pytest.raises(answers.UnreadableReply, match="cannot send back a dict"):
        answers.encode_answer(answers.Answer({"a": 1}))
    with pytest.raises(answers.UnreadableReply):
        answers.decode_answer(pickle.dumps(answers.Answer(0.5)))


def forged_frames(value) -> bytes:
    """A reply claiming ``value`` in today's format, and one in pickle as it once was."""
    plain = answers.encode_answer(answers.Answer(value))
    pickled = pickle.dumps(answers.Answer(SwitchesTheCheckerOff(0.5)))
    return b"".join(struct.pack(">Q", len(body)) + body for body in (plain, pickled))


def forges_then_returns_a_wrong_answer(z):
    """Write a right-looking reply into every descriptor it holds, then return a wrong one."""
    frames = forged_frames(sigmoid(z))
    for name in os.listdir("/proc/self/fd"):
        try:
            os.write(int(name), frames)
        except OSError:
            pass
    return np.zeros_like(np.asarray(z, dtype=float))


def test_a_reply_forged_on_an_inherited_descriptor_does_not_decide_the_verdict(monkeypatch, capsys):
    monkeypatch.setattr(cases, "numbers_problem", cases.numbers_problem)
    assert ex.check_sigmoid(forges_then_returns_a_wrong_answer) is False
    assert "that are not one answer" in capsys.readouterr().out
    assert ex.check_sigmoid(lambda z: 0.0) is False  # nothing was unpickled on the way


def test_a_reply_forged_by_a_process_left_behind_is_not_read(capsys):
    def forges_later(z):
        frames = forged_frames(sigmoid(z))
        if os.fork() == 0:  # writes after the worker has answered, if it is still alive
            import time
            time.sleep(0.05)
            for name in os.listdir("/proc/self/fd"):
                try:
                    os.write(int(name), frames)
                except OSError:
                    pass
            os._exit(0)
        return np.zeros_like(np.asarray(z, dtype=float))

    assert ex.check_sigmoid(forges_later) is False


# ------------------------------------------------------ the notebook out of reach

NOTEBOOK = textwrap.dedent("""
    import json, os, sys, time
    from backprop.exercises.containment import contained_call
    log = open(sys.argv[2], "w")  # a file the notebook holds open
    log.write("notebook\\n"); log.flush()
    ATTACKS = {
        "kill the parent": lambda nb: os.kill(os.getppid(), 9),
        "kill the notebook": lambda nb: os.kill(nb, 9),
        "kill the notebook's group": lambda nb: os.killpg(os.getpgid(nb), 9),
        "kill everyone": lambda nb: os.getuid() != 0 and os.kill(-1, 9),
        "interrupt the notebook": lambda nb: os.kill(nb, 2),
        "stop the notebook": lambda nb: os.kill(nb, 19),
        "write through /proc": lambda nb: [os.write(os.open(f"/proc/{nb}/fd/{fd}", os.O_WRONLY),
                                                    b"INTRUDER\\n")
                                           for fd in (1, 2, log.fileno())],
        "write into inherited descriptors": lambda nb: [
            os.write(fd, b"INTRUDER\\n") for fd in range(1, 64) if os.path.exists(f"/proc/self/fd/{fd}")],
    }
    outcome = contained_call(ATTACKS[sys.argv[1]], (os.getpid(),))
    time.sleep(0.2)  # a signal sent would have arrived by now
    print(json.dumps({"alive": True, "problem": outcome.problem}), flush=True)
""")


def uid_changes() -> bool:
    return os.geteuid() == 0 and sandbox.contained_call(os.getuid, ()).value not in (None, 0)


needs_own_user = pytest.mark.skipif(
    not uid_changes(), reason="the learner's code runs under the notebook's own user id here "
    "(not root): it could signal the notebook, so these attacks are not tried")


@needs_own_user
@pytest.mark.parametrize("attack", ["kill the parent", "kill the notebook", "kill the notebook's group",
                                    "kill everyone", "interrupt the notebook", "stop the notebook",
                                    "write through /proc", "write into inherited descriptors"])
def test_a_checked_function_cannot_reach_the_notebook(attack, tmp_path):
    log = tmp_path / "notebook.log"
    run = subprocess.run([sys.executable, "-c", NOTEBOOK, attack, str(log)], capture_output=True,
                         text=True, timeout=60, start_new_session=True)
    assert run.returncode == 0, run.stderr[-500:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["alive"] and "INTRUDER" not in run.stdout + run.stderr
    assert log.read_text() == "notebook\n"
    if attack == "write into inherited descriptors":  # only its own reply pipe was open
        assert "that are not one answer" in report["problem"]
    elif attack != "kill everyone":
        assert "raised PermissionError" in report["problem"]


@needs_own_user
def test_the_checked_function_has_its_own_session_user_and_no_other_descriptors():
    def where_am_i():
        return (os.getsid(0), os.getpgid(0), os.getpid(), os.getuid(), os.getgid(), os.getgroups(),
                sorted(int(fd) for fd in os.listdir("/proc/self/fd")))

    held = os.open(os.devnull, os.O_RDONLY)  # a descriptor the notebook holds
    try:
        session, group, pid, uid, gid, groups, fds = sandbox.contained_call(where_am_i, ()).value
    finally:
        os.close(held)
    assert session == group == pid and session != os.getsid(0)
    assert uid == gid and uid not in (0, os.getuid()) and groups == []
    assert held not in fds and len(fds) <= 5  # 0-2, the reply pipe, the listing itself


def test_where_the_user_id_cannot_change_the_call_still_answers(monkeypatch):
    def refuses(uid):
        raise OSError(22, "Invalid argument")  # root in a container that maps no such id

    monkeypatch.setattr(os, "setuid", refuses)
    monkeypatch.setattr(namespaces, "WARNED", set())
    as_root = os.geteuid() == 0  # (an ordinary user's call never changes its user id)
    with pytest.warns(namespaces.ContainmentWarning, match="run as root, like this notebook") \
            if as_root else contextlib.nullcontext():
        outcome = sandbox.contained_call(lambda: (sum(range(5)), os.getuid()), ())
    assert outcome.problem is None and outcome.value == (10, os.getuid())


def test_a_checked_function_cannot_connect_to_the_notebooks_sockets():
    """A Jupyter kernel listens on 127.0.0.1, and the worker, its fork, holds its key."""
    import socket

    def connects(port):
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"execute this")
        return "connected"

    with socket.create_server(("127.0.0.1", 0)) as listening:
        listening.setblocking(False)
        outcome = sandbox.contained_call(connects, (listening.getsockname()[1],))
        with pytest.raises(BlockingIOError):
            listening.accept()
    assert outcome.value is None and "Network is unreachable" in outcome.problem

