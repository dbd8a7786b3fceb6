"""What a call of a learner's function gives back, made safe to keep and to show.

An :class:`Answer` holds what the call returned or the problem instead, and what
was printed. Before an answer leaves the call it is made plain: iterators become lists
(:func:`materialise`), anything else becomes numbers, strings, lists and tuples or
an :class:`Opaque` description (:func:`plain_copy`), so it can be pickled out of a
child process and compared. The texts a learner's objects produce are cut short and
never raise (:func:`safe_text`, :func:`safe_repr`).
"""
from __future__ import annotations

import io
import itertools
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

    Anything else becomes an array if NumPy reads it as numbers, else :class:`Opaque`.
    """
    if value is None or isinstance(value, (bool, int, float, complex, np.generic)):
        return value
    if isinstance(value, str):
        return safe_text(value, 10_000)
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
