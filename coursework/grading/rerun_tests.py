"""Inside the tests' sandbox: run every test cell again, in a process no student code shares.

Run as ``rerun_tests.py READ_FD WRITE_FD`` with its plan (JSON) on stdin: the notebook's
code cells in order, the instructor's ``given`` and ``test`` cells with their code, and
for each ``solution`` cell only the ``names`` it defines (never its code). The student's
code runs in another sandbox (``student_side.py``), reached through the two pipe ends.
This process runs the given cells before the first solution cell once; for each test
cell it forks a child that asks the student's side to prepare that test, replays the
given cells and, at each solution cell, binds the names it defines: a function becomes a
:class:`calls.Remote` that sends its arguments and returns the student's plain-data
reply, a constant its plain value. Then the test runs here, with this process's own
numpy and backprop: nothing the student's code can reach decides the verdict. The
child's prints go nowhere; its verdict travels to this process through a private pipe
and the verdicts (JSON) go to stdout. Imports only the standard library, numpy and its
siblings.
"""
import json
import os
import select
import signal
import sys
import time

try:
    from . import calls, plain, replay
except ImportError:  # run as a script inside the sandbox, beside its siblings
    import calls
    import plain
    import replay

BROKEN = (plain.ProtocolError, plain.ChannelClosed, TimeoutError, OSError)


def bind_student_names(step: dict, namespace: dict, channel: calls.Channel) -> None:
    """Bind what a solution cell defines: functions as stand-ins, constants as their values."""
    for name in step["names"]:
        reply = channel.request(["lookup", name], ("callable", "return", "missing", "raise", "gone"))
        if reply[0] == "callable":
            namespace[name] = calls.Remote(channel, "call", name, name)
        elif reply[0] == "return" and len(reply) == 2:
            namespace[name] = reply[1]
        elif reply[0] == "gone":
            channel.ended = True
            raise calls.StudentError(f"the student's process ended while defining {name}")


def prepared(steps: list, index: int, start: tuple, channel: calls.Channel) -> dict:
    """The test's namespace: given cells run here, the student's names bound to stand-ins."""
    done, namespace, given = start
    reply = channel.request(["begin", index], ("ready", "gone"))
    if reply[0] == "gone":
        channel.ended = True
        raise calls.StudentError("the student's process ended while running its cells")
    for step in steps[done:index]:
        if step["kind"] == "given":
            replay.run_given(step, namespace, given)
        elif step["kind"] == "solution":
            bind_student_names(step, namespace, channel)
    return namespace


def call_back(channel: calls.Channel, message: list) -> list:
    """Run a test's function the student's function called (``f`` of ``numerical_gradient``)."""
    if len(message) != 4 or type(message[1]) is not int or not 0 <= message[1] < len(channel.handles) \
            or type(message[2]) is not list or type(message[3]) is not dict:
        return ["raise", "a malformed call of a test's function"]
    try:
        return ["return", channel.handles[message[1]](*message[2], **message[3])]
    except Exception as error:  # noqa: BLE001 (reported to the student's function, as in one process)
        return ["raise", f"{type(error).__name__}: {error}"[:calls.TEXT_CAP]]


def finish(channel: calls.Channel) -> bool:
    """End the test on the student's side; True once it confirms its child is gone."""
    if channel.broken:
        return False
    try:
        if not channel.ended:
            channel.send(["end"])
            while channel.receive()[0] != "gone":
                pass
        return True
    except BROKEN:
        return False


def check(steps: list, index: int, start: tuple, channel: calls.Channel) -> dict:
    """In this (child) process: prepare test ``index``, run it, end it on the student's side."""
    try:
        namespace = prepared(steps, index, start, channel)
        replay.run_cell(steps[index], namespace)
        verdict = {"passed": True, "error": ""}
    except BaseException as error:  # noqa: BLE001 (SystemExit and friends fail the test too)
        verdict = {"passed": False, "error": f"{type(error).__name__}: {error}"[:500]}
    verdict["clean"] = finish(channel)
    return verdict


def in_child(steps: list, index: int, start: tuple, channel: calls.Channel) -> dict:
    """Fork, run test ``index`` in the child, and read its verdict before the deadline."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        silence = os.open(os.devnull, os.O_WRONLY)
        os.dup2(silence, 1)
        os.dup2(silence, 2)
        os.write(write_end, json.dumps(check(steps, index, start, channel)).encode())
        os._exit(0)
    os.close(write_end)
    message = read_until(read_end, channel.deadline)
    os.close(read_end)
    if message is None:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if message is None:
        return {"passed": False, "error": "the time limit ran out during this test", "clean": False}
    if status != 0 or not message:
        return {"passed": False, "error": f"the test's process ended abnormally (status {status})",
                "clean": False}
    return json.loads(message)


def read_until(fd: int, deadline: float):
    """Everything written to ``fd`` until it closes, or None if the deadline passes first."""
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks).decode(errors="replace")
        chunks.append(chunk)


def main() -> None:
    """Read the plan, check every test cell, print the verdicts by grade_id."""
    result = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
    plan = json.load(sys.stdin)
    channel = calls.Channel(read_fd, write_fd, tests_side=True,
                            deadline=time.monotonic() + plan["seconds"])
    channel.handlers = {"callback": lambda message: call_back(channel, message)}
    steps = plan["steps"]
    start = replay.prefix(steps)
    verdicts, broken = {}, ""
    for index, step in enumerate(steps):
        if step["kind"] != "test":
            continue
        if broken:
            verdicts[step["id"]] = {"passed": False, "error": broken}
            continue
        verdict = in_child(steps, index, start, channel)
        if not verdict.pop("clean"):
            broken = f"not run: the student's process stopped answering in {step['id']} ({verdict['error']})"
        verdicts[step["id"]] = verdict
    json.dump(verdicts, result)
    result.close()


if __name__ == "__main__":
    main()
