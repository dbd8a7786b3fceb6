"""What every explorer shares: Python computes, a small front-end module draws.

An explorer is an anywidget. Its Python class computes every number the figure
can show and puts them in the ``data`` trait (arrays travel as float32 bytes);
its control values are traits too (``example``, ``step``, ...). The front-end
module beside the class (``<name>.js``, with ``common.js`` put in front of it)
builds the controls, draws on a canvas and redraws when a control moves, so a
control change needs no kernel. The same state is live in Jupyter, in the built
book (``runtime.js``, copied to ``_static/explorer_runtime.js``, renders it there
without a kernel) and in tests, which set the control traits from Python and read
:meth:`Explorer.shown`.
"""
from __future__ import annotations

import os
from pathlib import Path

import anywidget
import numpy as np
import traitlets

HERE = Path(__file__).parent


def front_end(*modules: str) -> str:
    """The ES module of one explorer: the shared helpers, then ``modules`` in order."""
    return "\n".join((HERE / name).read_text() for name in ("common.js", *modules))


def pack(values, decimals: int | None = None) -> dict:
    """An array as ``{"shape": [...], "values": float32 bytes}`` for the ``data`` trait.

    The front end reads it back with ``unpack``. ``decimals`` rounds first (smaller
    pages compress better); None keeps float32 precision.
    """
    array = np.asarray(values, dtype=np.float64)
    if decimals is not None:
        array = np.round(array, decimals)
    return {"shape": list(array.shape),
            "values": np.ascontiguousarray(array, dtype="<f4").tobytes()}


def unpack(packed: dict) -> np.ndarray:
    """Inverse of :func:`pack` (what the front end sees, as a float32 array)."""
    return np.frombuffer(packed["values"], dtype="<f4").reshape(packed["shape"])


class Explorer(anywidget.AnyWidget):
    """Base class: a ``data`` trait the front end draws, plus the subclass's controls.

    Subclasses set ``_esm = front_end("their_module.js")``, declare each control as
    a synced trait, fill ``data`` in ``__init__`` and implement :meth:`shown`.
    """

    data = traitlets.Dict().tag(sync=True)
    #: One line for readers: what to do with the explorer (shown above it).
    caption = traitlets.Unicode("").tag(sync=True)

    def shown(self) -> dict:
        """The numbers the figure shows for the current control values."""
        raise NotImplementedError

    def data_bytes(self) -> int:
        """Size of the packed data in bytes (what the page carries, before base64)."""
        return _size(self.data)


def _size(value) -> int:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return len(str(value))


def checked_choice(name: str, value: int, count: int) -> int:
    """A control value that picks one of ``count`` items, or a clear error naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise traitlets.TraitError(f"{name} must be a whole number; got {value!r}")
    if not 0 <= value < count:
        raise traitlets.TraitError(f"{name} must be 0 to {count - 1}; got {value}")
    return int(value)


def show_still(fig) -> None:
    """Show an explorer's still figure only in the book, where it stands in for the explorer.

    The still is for readers without a live front end (no JavaScript, print, PDF); the
    book's pages hide it once the explorer runs. In Jupyter the live explorer is right
    above, so the figure is closed unseen. The book's build sets ``BACKPROP_BOOK_BUILD=1``
    for its kernels (book/book_execution.py).
    """
    import matplotlib.pyplot as plt

    if os.environ.get("BACKPROP_BOOK_BUILD") == "1":
        plt.show()
    else:
        plt.close(fig)
        print("(The still figure of the explorer above is drawn for the book only.)")
