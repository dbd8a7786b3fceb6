"""Plain data through a pipe: numbers, strings, arrays and their containers, never objects.

Both sides of the fresh re-run use this module (``rerun_tests.py``, the tests' side, and
``student_side.py``, the student's); it imports only the standard library and numpy.
What crosses: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, lists, tuples
and dicts of these, NumPy arrays and scalars of a plain numeric or bool dtype, NumPy
random generators (as their bit generator's state) and the course's ``backprop.Network``
(as its sizes, settings and parameter arrays, rebuilt on the other side). Types are kept exactly (a ``float``
stays a ``float``, an ``np.float64`` an ``np.float64``); a subclass of any of them, an
object array, a structured dtype or anything else is refused (:class:`NotPlain`), so
no object of one side is ever rebuilt on the other. A test's own functions (``f`` of
``numerical_gradient(f, x)``) cross as numbered handles that only the tests' side sends.

A frame is 8 bytes of length, 4 bytes of header length, a JSON header describing the
value and then the raw bytes of its arrays, in order, each padded to ``ALIGN`` bytes (so
they are read in place, aligned, without a copy). Reading checks everything
(:class:`ProtocolError`): the length against ``MAX_FRAME``, every tag and type, every
array's dtype, shape and size against the bytes that are there.
"""
import json
import math
import os
import select
import struct
import sys
import time

import numpy as np

MAX_FRAME = 512 * 2**20      # bytes of one message: a few copies of MNIST's training images
MAX_DEPTH = 40               # containers inside containers
MAX_DIMS = 32                # dimensions of an array (NumPy's own limit is 64)
ALIGN = 16                   # array bytes start at multiples of this in a frame
PLAIN_KINDS = "biufc"        # bool, signed and unsigned integers, floats, complex numbers
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class NotPlain(TypeError):
    """A value that cannot cross: the message says what it is."""


class ProtocolError(ValueError):
    """A frame that is not well-formed plain data, or too large."""


class ChannelClosed(EOFError):
    """The other side closed the pipe."""


def plain_dtype(dtype) -> bool:
    """Whether arrays of this dtype are plain numbers or bools (no objects, fields, strings)."""
    return (dtype.kind in PLAIN_KINDS and dtype.fields is None and dtype.subdtype is None
            and not dtype.hasobject)


def padded(size: int) -> int:
    """``size`` rounded up to a multiple of ``ALIGN``."""
    return -(-size // ALIGN) * ALIGN


def encode(value, callables: list | None = None) -> list:
    """The frame payload for ``value``, as a list of byte chunks (arrays are not copied).

    ``callables`` (the tests' side only) collects the functions sent as handles.
    """
    buffers = []
    try:
        header = json.dumps(tree(value, buffers, callables, 0)).encode()
    except NotPlain:
        raise
    except Exception as error:  # noqa: BLE001 (an object whose attributes misbehave is not plain)
        raise NotPlain(f"a value that cannot be described ({type(error).__name__})") from None
    header += b" " * (padded(4 + len(header)) - 4 - len(header))
    chunks = [struct.pack(">I", len(header)), header]
    for buffer in buffers:
        chunks += [buffer, bytes(padded(len(buffer)) - len(buffer))]
    size = sum(len(c) for c in chunks)
    if size > MAX_FRAME:
        raise NotPlain(f"a value of {size:,} bytes is larger than the limit of {MAX_FRAME:,}")
    return chunks


def tree(value, buffers: list, callables: list | None, depth: int):
    """The JSON description of ``value``; array bytes go to ``buffers`` in order."""
    if depth > MAX_DEPTH:
        raise NotPlain(f"containers nested more than {MAX_DEPTH} deep")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return ["v", value]
    if kind is int:
        if value.bit_length() > 4096:
            raise NotPlain("an integer of more than 4096 bits")
        return ["int", str(value)]
    if kind is float:
        return ["float", repr(value)]
    if kind is complex:
        return ["complex", repr(value.real), repr(value.imag)]
    if kind is list or kind is tuple:
        return [kind.__name__, [tree(v, buffers, callables, depth + 1) for v in value]]
    if kind is dict:
        return ["dict", [[tree(k, buffers, callables, depth + 1), tree(v, buffers, callables, depth + 1)]
                         for k, v in value.items()]]
    if kind is np.ndarray and plain_dtype(value.dtype):
        buffers.append(np.ascontiguousarray(value).reshape(-1).view(np.uint8))
        return ["array", value.dtype.str, list(value.shape), bool(value.flags.writeable)]
    if issubclass(kind, np.generic) and np.dtype(kind).type is kind and plain_dtype(np.dtype(kind)):
        buffers.append(value.tobytes())
        return ["scalar", value.dtype.str]
    if kind is np.random.Generator:
        return ["rng", tree(value.bit_generator.state, buffers, None, depth + 1)]
    if kind is network_class():
        fields = {"sizes": list(value.sizes), "activation": value.activation.name,
                  "cost": value.cost_function.name, "dtype": np.dtype(value.dtype).str,
                  "weights": list(value.weights), "biases": list(value.biases)}
        return ["network", tree(fields, buffers, None, depth + 1)]
    if callables is not None and callable(value):
        callables.append(value)
        return ["callable", len(callables) - 1]
    what = f"an array of dtype {value.dtype}" if kind is np.ndarray else f"a {kind.__qualname__}"
    raise NotPlain(f"{what} is not plain data (numbers, strings, plain arrays and lists, "
                   "tuples or dicts of them)"[:300])


def decode(payload, on_callable=None):
    """The value a frame payload describes; ``on_callable(handle)`` rebuilds a handle, if allowed."""
    data = memoryview(payload)
    if data.readonly:  # arrays are read in place and may be writable
        data = memoryview(bytearray(data))
    if len(data) < 4:
        raise ProtocolError("a frame without a header")
    (size,) = struct.unpack(">I", data[:4])
    try:
        description = json.loads(bytes(data[4:4 + size]))
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"an unreadable header ({type(error).__name__})") from None
    reader = Reader(data[4 + size:], on_callable)
    try:
        value = reader.value(description, 0)
    except ProtocolError:
        raise
    except Exception as error:  # noqa: BLE001 (any malformed description is the same problem)
        raise ProtocolError(f"a malformed value ({type(error).__name__}: {error})"[:300]) from None
    if reader.at != len(reader.data):
        raise ProtocolError("bytes left over after the value")
    return value


class Reader:
    """Rebuilds plain values from a description and the array bytes that follow it."""

    def __init__(self, data: memoryview, on_callable):
        self.data, self.at, self.on_callable = data, 0, on_callable

    def take(self, count: int) -> memoryview:
        if padded(count) > len(self.data) - self.at:
            raise ProtocolError("an array larger than the bytes sent")
        self.at += padded(count)
        return self.data[self.at - padded(count):self.at - padded(count) + count]

    def value(self, node, depth: int):
        if type(node) is not list or not node or type(node[0]) is not str or depth > MAX_DEPTH + 1:
            raise ProtocolError("a value without a known tag")
        tag, rest = node[0], node[1:]
        if tag == "v" and len(rest) == 1 and (rest[0] is None or type(rest[0]) in (bool, str)):
            return rest[0]
        if tag == "int" and len(rest) == 1 and type(rest[0]) is str:
            return int(rest[0])
        if tag == "float" and len(rest) == 1 and type(rest[0]) is str:
            return float(rest[0])
        if tag == "complex" and len(rest) == 2 and all(type(r) is str for r in rest):
            return complex(float(rest[0]), float(rest[1]))
        if tag in ("list", "tuple") and len(rest) == 1 and type(rest[0]) is list:
            items = [self.value(v, depth + 1) for v in rest[0]]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and len(rest) == 1 and type(rest[0]) is list:
            if not all(type(p) is list and len(p) == 2 for p in rest[0]):
                raise ProtocolError("a dict entry that is not a pair")
            return {self.value(k, depth + 1): self.value(v, depth + 1) for k, v in rest[0]}
        if tag == "array" and len(rest) == 3:
            return self.array(*rest)
        if tag == "scalar" and len(rest) == 1:
            dtype = self.dtype(rest[0])
            return np.frombuffer(self.take(dtype.itemsize), dtype)[0]
        if tag == "rng" and len(rest) == 1:
            return generator(self.value(rest[0], depth + 1))
        if tag == "network" and len(rest) == 1:
            return network(self.value(rest[0], depth + 1))
        if tag == "callable" and len(rest) == 1 and type(rest[0]) is int and self.on_callable:
            return self.on_callable(rest[0])
        raise ProtocolError(f"a value tagged {tag[:20]!r} that this side does not accept")

    @staticmethod
    def dtype(text) -> np.dtype:
        if type(text) is not str or len(text) > 8:
            raise ProtocolError("a dtype that is not a short string")
        dtype = np.dtype(text)
        if not plain_dtype(dtype):
            raise ProtocolError(f"the dtype {text!r} is not plain numbers")
        return dtype

    def array(self, dtype_text, shape, writeable) -> np.ndarray:
        dtype = self.dtype(dtype_text)
        if (type(shape) is not list or len(shape) > MAX_DIMS or type(writeable) is not bool
                or not all(type(n) is int and n >= 0 for n in shape)):
            raise ProtocolError("an array with a malformed shape")
        count = math.prod(shape)
        data = self.take(count * dtype.itemsize)
        array = np.frombuffer(data, dtype, count).reshape(shape) if count else np.zeros(shape, dtype)
        array.flags.writeable = writeable
        return array


def generator(state) -> np.random.Generator:
    """A NumPy random generator in the given bit generator state."""
    name = state.get("bit_generator") if type(state) is dict else None
    if name not in BIT_GENERATORS:
        raise ProtocolError("a random generator of an unknown kind")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def network_class():
    """``backprop.Network`` if backprop is loaded here (a test that made one has loaded it)."""
    return getattr(sys.modules.get("backprop.network"), "Network", None)


def network(fields):
    """A ``backprop.Network`` with these sizes, settings and parameters."""
    from backprop import Network
    names = {"sizes", "activation", "cost", "dtype", "weights", "biases"}
    if type(fields) is not dict or set(fields) != names:
        raise ProtocolError("a network without its sizes, settings and parameters")
    net = Network(fields["sizes"], activation=fields["activation"], cost=fields["cost"],
                  dtype=np.dtype(fields["dtype"]))
    for part in ("weights", "biases"):
        given, own = fields[part], getattr(net, part)
        if type(given) is not list or [(a.shape, a.dtype) for a in own] != \
                [(getattr(a, "shape", None), getattr(a, "dtype", None)) for a in given]:
            raise ProtocolError(f"a network whose {part} do not fit its sizes")
        setattr(net, part, given)
    return net


def write_frame(fd: int, chunks: list) -> None:
    """Send one frame: its length, then the payload's chunks (as ``encode`` made them)."""
    for chunk in [struct.pack(">Q", sum(len(c) for c in chunks)), *chunks]:
        view = memoryview(chunk).cast("B")
        while view:
            view = view[os.write(fd, view):]


def read_frame(fd: int, deadline: float | None = None) -> bytearray:
    """Receive one frame's payload; TimeoutError after ``deadline`` (time.monotonic)."""
    (size,) = struct.unpack(">Q", read_exactly(fd, 8, deadline))
    if size > MAX_FRAME:
        raise ProtocolError(f"a frame of {size:,} bytes is larger than the limit of {MAX_FRAME:,}")
    return read_exactly(fd, size, deadline)


def read_exactly(fd: int, count: int, deadline: float | None) -> bytearray:
    """``count`` bytes from ``fd``, waiting at most until ``deadline``."""
    buffer = bytearray(count)
    view, at = memoryview(buffer), 0
    while at < count:
        if deadline is not None:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("the time limit ran out")
        got = os.readv(fd, [view[at:]])
        if got == 0:
            raise ChannelClosed("the other side closed the pipe")
        at += got
    return buffer
