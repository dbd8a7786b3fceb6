"""Inside the student's sandbox: the student's functions, called by the tests with plain data.

Run as ``student_side.py READ_FD WRITE_FD`` with its plan (JSON) on stdin: the notebook's
code cells in order, the instructor's ``given`` cells (after the first solution cell,
only their function definitions and imports), the student's ``solution`` cells (only
their definitions, extracted by the grader) and the places of the ``test`` cells, whose
code never comes here. The given cells before the first solution cell (imports, data)
run once in this process, which runs no student code. For every test the tests'
process asks for (``["begin", index]``) it forks a child that runs the cells before that
test, restoring every given name after each solution cell and keeping given arrays
read-only, answers ``lookup`` (a name's value, or that it is a function) and ``call``
requests until ``["end"]``, and exits; this process then sends ``["gone", status]``.
The tests' process sees only the plain data the child sends back: the child can forge
its own answers, nothing else. Imports only the standard library, numpy and its siblings.
"""
import json
import os
import sys

try:
    from . import calls, plain, replay
except ImportError:  # run as a script inside the sandbox, beside its siblings
    import calls
    import plain
    import replay


def student_namespace(steps: list, start: tuple) -> dict:
    """Run the cells after the prefix: given definitions, then each solution cell, given names kept."""
    done, namespace, given = start
    for step in steps[done:]:
        if step["kind"] == "given":
            replay.run_given(step, namespace, given)
        elif step["kind"] == "solution":
            try:
                replay.run_cell(step, namespace)
            except BaseException:  # noqa: BLE001 (a failing cell fails later tests, as in Jupyter)
                pass
            namespace.update(given)
    return namespace


def failure(name: str, error: BaseException) -> list:
    """The reply for a call that raised: the error's type and message, short."""
    try:
        message = f"{name} raised {type(error).__name__}: {error}"
    except BaseException:  # noqa: BLE001 (the student's exception may not even print)
        message = f"{name} raised an exception that cannot be shown"
    return ["raise", message[:calls.TEXT_CAP]]


def answering(namespace: dict, channel: calls.Channel) -> None:
    """Answer the tests' requests from ``namespace`` until they end the test."""
    def call(message: list) -> list:
        if len(message) != 4 or type(message[1]) is not str or type(message[2]) is not list \
                or type(message[3]) is not dict:
            return ["raise", "a malformed call"]
        name, args, kwargs = message[1:]
        function = namespace.get(name)
        if not callable(function):
            return ["raise", f"NameError: {name} is not defined"]
        try:
            value = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 (SystemExit and friends fail the call too)
            return failure(name, error)
        return ["return", value, calls.after_state(args),
                dict(zip(kwargs, calls.after_state(kwargs.values())))]

    def lookup(message: list) -> list:
        name = message[1] if len(message) == 2 and type(message[1]) is str else None
        if name not in namespace:
            return ["missing"]
        return ["callable"] if callable(namespace[name]) else ["return", namespace[name]]

    def end(message: list) -> list:
        os._exit(0)

    channel.handlers = {"call": call, "lookup": lookup, "end": end}
    while True:
        message = channel.receive()
        handler = channel.handlers.get(message[0])
        if handler is not None:
            channel.answer(handler(message))


def serve_test(steps: list, index: int, start: tuple, channel: calls.Channel) -> None:
    """In the forked child: the student's definitions up to test ``index``, then answer."""
    silence = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(silence, fd)
    try:
        namespace = student_namespace(steps[:index], start)
        channel.send(["ready"])
        answering(namespace, channel)
    finally:
        os._exit(0)


def main() -> None:
    """Read the plan; for every test asked for, answer from a fresh child."""
    read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
    plan = json.load(sys.stdin)
    steps = plan["steps"]
    start = replay.prefix(steps)
    channel = calls.Channel(read_fd, write_fd, tests_side=False)
    while True:
        try:
            message = channel.receive()
        except (plain.ChannelClosed, plain.ProtocolError):
            return
        if message[0] != "begin" or len(message) != 2 or type(message[1]) is not int:
            continue  # only a stray child of the student's code writes anything else here
        pid = os.fork()
        if pid == 0:
            serve_test(steps, min(message[1], len(steps)), start, channel)
        _, status = os.waitpid(pid, 0)
        channel.send(["gone", f"exit status {os.waitstatus_to_exitcode(status)}"])


if __name__ == "__main__":
    main()
