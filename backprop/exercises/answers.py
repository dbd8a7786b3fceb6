"""What a call of a learner's function gives back, made safe to keep and to show.

An :class:`Answer` holds what the call returned or the problem instead, and what
was printed. Before an answer leaves the call it is made plain: iterators become lists
(:func:`materialise`), anything else becomes numbers, strings, lists and tuples or
an :class:`Opaque` description (:func:`plain_copy`). It crosses back from the child
process as data, never as objects: :func:`encode_answer` writes JSON plus arrays in
NumPy's ``.npy`` format without pickle, and :func:`decode_answer` rebuilds only those
plain types, refusing anything else, so nothing the learner's code made runs in the
notebook. The texts a learner's objects produce are cut short and never raise
(:func:`safe_text`, :func:`safe_repr`).
"""
from __future__ import annotations

import io
import itertools
import json
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

MAX_ITEMS = 1_000_000          # items taken from a returned generator
PRINT_CAP = 2000               # characters of printed output kept
TEXT_CAP = 300                 # characters of an error message kept


@dataclass(frozen=True)
class Opaque:
    """Stands in for a returned object that is not plain numbers: its type and a short repr."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return self.text


class Answer(NamedTuple):
    """What one call did: its answer, or the problem instead, and what it printed.

    ``problem`` is None when the call returned; ``not_written`` marks a
    ``NotImplementedError`` (an exercise not attempted yet).
    """

    value: Any = None
    problem: str | None = None
    not_written: bool = False
    printed: str = ""
    printed_chars: int = 0
    timed_out: bool = False


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int = PRINT_CAP) -> None:
        self.cap, self.kept, self.count = cap, [], 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self.cap - sum(map(len, self.kept))
        if room > 0:
            self.kept.append(text[:room])
        self.count += len(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.kept)


def safe_text(value, cap: int = TEXT_CAP) -> str:
    """``str(value)`` cut to ``cap`` characters; never raises, even if ``__str__`` does."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception as err:  # a learner's __str__ may raise anything
        text = f"<a {type(value).__name__} that cannot be shown: {type(err).__name__}>"
    return text if len(text) <= cap else text[:cap - 3] + "..."


def safe_repr(value, cap: int = 80) -> str:
    """``repr(value)`` cut to ``cap`` characters; never raises."""
    try:
        return safe_text(repr(value), cap)
    except Exception as err:  # a learner's __repr__ may raise anything
        return f"<a {type(value).__name__} whose repr fails: {type(err).__name__}>"


class EndlessResult(ValueError):
    """A returned iterator went on for more than ``MAX_ITEMS`` items."""


def materialise(value, depth: int = 0):
    """Return ``value`` with every generator or iterator in it turned into a list.

    Plain lists and tuples are rebuilt with their items materialised in turn; an
    iterator yielding more than ``MAX_ITEMS`` items raises :class:`EndlessResult`.
    """
    if depth > 20:
        return value
    if isinstance(value, Iterator):
        value = list(itertools.islice(value, MAX_ITEMS + 1))
        if len(value) > MAX_ITEMS:
            raise EndlessResult(f"your function returned an iterator with more than "
                                f"{MAX_ITEMS:,} items (an endless generator?)")
    if type(value) in (list, tuple):
        return type(value)(materialise(v, depth + 1) for v in value)
    return value


def plain_copy(value, depth: int = 0):
    """A copy of ``value`` built only from numbers, arrays, strings, lists and tuples.

    Subclasses of numbers and strings become :class:`Opaque` (their methods could
    act otherwise); anything else becomes an array if NumPy reads it as numbers,
    else :class:`Opaque`.
    """
    if value is None or type(value) in (bool, int, float, complex):  # not subclasses
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return np.array(value)[()]
    if type(value) is str:
        return safe_text(value, 10_000)
    if isinstance(value, (bool, int, float, complex, str)):  # a subclass may act otherwise
        return Opaque(type(value).__name__, safe_repr(value))
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return np.array(value)
    if type(value) in (list, tuple) and depth < 20:
        return type(value)(plain_copy(v, depth + 1) for v in value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.asarray(value)
        if array.dtype.kind in "biufc":
            return np.array(array)
    except Exception:  # not readable as numbers: described instead
        pass
    return Opaque(type(value).__name__, safe_repr(value))


PLAIN_KINDS = "biufc"          # array dtypes that cross back: bool, int, unsigned, float, complex
ANSWER_FIELDS = Answer._fields


class UnreadableReply(ValueError):
    """What came back from the child process is not an answer in the plain format."""


def encode_answer(answer: Answer) -> bytes:
    """``answer`` as bytes: a length-prefixed JSON tree, then each array in ``.npy`` format.

    Only the types :func:`plain_copy` leaves are written; anything else raises
    :class:`UnreadableReply`.
    """
    arrays: list[bytes] = []
    tree = [_encoded(getattr(answer, field), arrays) for field in ANSWER_FIELDS]
    head = json.dumps(tree).encode()
    return b"".join([struct.pack(">Q", len(head)), head,
                     *(struct.pack(">Q", len(a)) + a for a in arrays)])


def _encoded(value, arrays: list, depth: int = 0):
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is complex:
        return {"complex": [value.real, value.imag]}
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in PLAIN_KINDS:
        out = io.BytesIO()
        np.save(out, np.asarray(value), allow_pickle=False)
        arrays.append(out.getvalue())
        return {"array": len(arrays) - 1, "scalar": isinstance(value, np.generic)}
    if type(value) in (list, tuple) and depth < 24:
        return {type(value).__name__: [_encoded(v, arrays, depth + 1) for v in value]}
    if type(value) is Opaque:
        return {"opaque": [value.type_name, value.text]}
    raise UnreadableReply(f"cannot send back a {type(value).__name__}")


def decode_answer(data: bytes) -> Answer:
    """The :class:`Answer` that :func:`encode_answer` wrote, built only from plain types.

    Raises :class:`UnreadableReply` naming what is wrong if ``data`` is anything else.
    """
    try:
        (size,) = struct.unpack(">Q", data[:8])
        tree = json.loads(data[8:8 + size])
        arrays, at = [], 8 + size
        while at < len(data):
            (length,) = struct.unpack(">Q", data[at:at + 8])
            arrays.append(data[at + 8:at + 8 + length])
            at += 8 + length
        if at != len(data) or type(tree) is not list or len(tree) != len(ANSWER_FIELDS):
            raise UnreadableReply("the reply is not one answer")
        fields = [_decoded(item, arrays) for item in tree]
    except UnreadableReply:
        raise
    except (ValueError, TypeError, KeyError, IndexError, struct.error, RecursionError) as err:
        raise UnreadableReply(f"the reply is not in the answer format ({type(err).__name__})") from None
    answer = Answer(*fields)
    _check_fields(answer)
    return answer


def _decoded(item, arrays: list):
    if item is None or type(item) in (bool, int, float, str):
        return item
    if type(item) is not dict or len(item) not in (1, 2):
        raise UnreadableReply(f"the reply holds a {type(item).__name__} where a value goes")
    if set(item) == {"array", "scalar"}:
        array = np.load(io.BytesIO(arrays[item["array"]]), allow_pickle=False)
        if array.dtype.kind not in PLAIN_KINDS or array.dtype.fields is not None:
            raise UnreadableReply(f"the reply holds an array of dtype {array.dtype}")
        return array[()] if item["scalar"] is True else array
    ((kind, content),) = item.items()
    if kind in ("list", "tuple") and type(content) is list:
        items = [_decoded(v, arrays) for v in content]
        return items if kind == "list" else tuple(items)
    if kind == "complex" and type(content) is list and len(content) == 2:
        return complex(float(content[0]), float(content[1]))
    if kind == "opaque" and type(content) is list and all(type(t) is str for t in content):
        return Opaque(*content)
    raise UnreadableReply(f"the reply holds an unknown kind of value ({safe_text(kind, 40)})")


def _check_fields(answer: Answer) -> None:
    """Raise unless the fields beside ``value`` have their plain types."""
    kinds = {"problem": (str, type(None)), "not_written": (bool,), "printed": (str,),
             "printed_chars": (int,), "timed_out": (bool,)}
    for field, types in kinds.items():
        if type(getattr(answer, field)) not in types:
            raise UnreadableReply(f"the reply's {field} is a {type(getattr(answer, field)).__name__}")
