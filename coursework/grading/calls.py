"""Calls between the tests' process and the student's, as plain data (``plain.py``).

A :class:`Remote` stands in for a function of the other process: calling it sends
``["call", name, args, kwargs]`` and waits for ``["return", value, ...]`` or
``["raise", message]``; while it waits it serves the other side's requests (the
student's function calling back a test's ``f``). On the tests' side every reply is
only ever the student's *answer*, compared like any answer: no message makes a test
pass. Arguments the student's function may change in place (writable arrays, lists,
dicts, random generators, networks) come back with the reply and are brought up to date here
(:func:`update`), as they would be in one process. Imports only the standard library,
numpy and ``plain``.
"""
import numpy as np

try:
    from . import plain
except ImportError:  # run as a script inside the sandbox, beside plain.py
    import plain

TEXT_CAP = 500


class StudentError(Exception):
    """The student's function raised, returned something not plain, or its process ended."""


class CallbackError(Exception):
    """A test's function, called back from the student's, raised."""


class Channel:
    """One side of the pipe pair between the two processes."""

    def __init__(self, read_fd: int, write_fd: int, tests_side: bool, deadline: float | None = None):
        self.read_fd, self.write_fd, self.tests_side = read_fd, write_fd, tests_side
        self.deadline, self.handlers, self.handles = deadline, {}, []
        self.ended = self.broken = False

    def send(self, message: list) -> None:
        """Send a message; only the tests' side may send its functions (as handles)."""
        plain.write_frame(self.write_fd, plain.encode(message, self.handles if self.tests_side else None))

    def answer(self, message: list) -> None:
        """Send a reply, or say why it cannot cross (a result that is not plain data)."""
        try:
            payload = plain.encode(message, self.handles if self.tests_side else None)
        except plain.NotPlain as error:
            payload = plain.encode(["raise", f"it returned {error}"])
        plain.write_frame(self.write_fd, payload)

    def receive(self) -> list:
        """The next message; the tests' side accepts no function handles from the student.

        After a malformed message, a closed pipe or the deadline the channel is ``broken``.
        """
        try:
            payload = plain.read_frame(self.read_fd, self.deadline)
        except (plain.ProtocolError, plain.ChannelClosed, TimeoutError):
            self.broken = True
            raise
        on_callable = None if self.tests_side else lambda handle: Remote(self, "callback", handle)
        try:
            message = plain.decode(payload, on_callable)
            if type(message) is not list or not message or type(message[0]) is not str:
                raise plain.ProtocolError("a message that is not a tagged list")
        except plain.ProtocolError:
            self.broken = True
            raise
        return message

    def request(self, message: list, replies: tuple) -> list:
        """Send ``message`` and serve the other side until one of ``replies`` comes back."""
        self.send(message)
        while True:
            incoming = self.receive()
            if incoming[0] in replies:
                return incoming
            handler = self.handlers.get(incoming[0])
            if handler is None:
                raise plain.ProtocolError(f"an unexpected message {incoming[0][:20]!r}")
            self.answer(handler(incoming))


class Remote:
    """Stands in for a function of the other process, called with plain data."""

    def __init__(self, channel: Channel, op: str, key, label: str = ""):
        self.channel, self.op, self.key, self.label = channel, op, key, label or str(key)

    def __repr__(self) -> str:
        return f"<{self.label}, run in the student's process>"

    def __call__(self, *args, **kwargs):
        if self.channel.ended:
            raise StudentError("the student's process has ended")
        mark = len(self.channel.handles)
        try:
            reply = self.channel.request([self.op, self.key, list(args), kwargs], ("return", "raise", "gone"))
        finally:
            del self.channel.handles[mark:]  # a test's functions are reachable only during the call
        return self.result(reply, args, kwargs)

    def result(self, reply: list, args: tuple, kwargs: dict):
        """The reply's value, after bringing changed arguments up to date; or the error."""
        error = CallbackError if self.op == "callback" else StudentError
        if reply[0] == "raise":
            raise error(text(reply[1:2]))
        if reply[0] == "gone":
            self.channel.ended = True
            raise error(f"the student's process ended during {self.label}() ({text(reply[1:2])})")
        if self.op == "call" and len(reply) == 4 and type(reply[2]) is list and type(reply[3]) is dict:
            for original, after in zip(args, reply[2]):
                update(original, after)
            for name, after in reply[3].items():
                if name in kwargs:
                    update(kwargs[name], after)
        return reply[1] if len(reply) > 1 else None


def text(parts: list) -> str:
    """A message from the other side as short text."""
    return (parts[0] if parts and type(parts[0]) is str else repr(parts))[:TEXT_CAP]


def mutable(value) -> bool:
    """Whether a call can change this argument in place (so its new state goes back)."""
    if type(value) is np.ndarray:
        return bool(value.flags.writeable)
    return type(value) in (list, dict, np.random.Generator) or type(value) is plain.network_class()


def after_state(values) -> list:
    """What goes back for each argument: its state if it can have changed, else None."""
    return [v if mutable(v) else None for v in values]


def update(original, after):
    """Bring ``original`` (the caller's argument) to ``after``'s state where it can change in place.

    Returns what the caller's container should now hold at that place.
    """
    if after is None:
        return original
    if type(original) is np.ndarray and type(after) is np.ndarray:
        if original.flags.writeable and original.shape == after.shape and original.dtype == after.dtype:
            original[...] = after
        return original
    if type(original) is list and type(after) is list:
        original[:] = [update(o, a) for o, a in zip(original, after)] + after[len(original):]
        return original
    if type(original) is dict and type(after) is dict:
        merged = {k: update(original[k], a) if k in original else a for k, a in after.items()}
        original.clear()
        original.update(merged)
        return original
    if type(original) is np.random.Generator and type(after) is np.random.Generator:
        original.bit_generator.state = after.bit_generator.state
        return original
    if type(original) is type(after) is plain.network_class():
        original.weights = update(original.weights, after.weights)
        original.biases = update(original.biases, after.biases)
        return original
    return after
