"""Input checks shared by the network, training and the lesson's functions.

Each check raises one error whose message starts with the argument's name and says
what is wrong, before any work is done, so bad input never changes a network. The
error's type says which kind of mistake it is:

- ``TypeError``: the argument is not the kind of thing asked for (text or None
  where a number goes, a single number where a list goes);
- ``ValueError``: it is the right kind of thing with a value that cannot be used
  (a negative rate, a fraction where a whole number goes, the wrong shape, NaN).
"""
from __future__ import annotations

import os
import warnings

import numpy as np

#: The parameter types a network may hold: float64 (exact) and float32 (fast).
PARAMETER_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
#: Width of an MNIST image (28 x 28 pixels), the input layer of the digit network.
PIXELS = 784


class PixelScaleWarning(UserWarning):
    """Image inputs look like raw pixel values 0-255 instead of fractions 0-1."""


def _as_array(value, name: str) -> np.ndarray:
    """``np.asarray(value)``, with a clear error for ragged nested lists."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} must be an array of numbers with one row per example; "
                         f"could not read it as one ({err})") from None


def _is_real(array: np.ndarray) -> bool:
    """True for arrays of integers or real floats (not booleans, strings, objects)."""
    return array.dtype.kind in "iuf"


def as_inputs(X, n_inputs: int, dtype=np.float64, name: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D float array of shape (n, n_inputs).

    A single example of shape (n_inputs,) becomes one row. Image inputs
    (``n_inputs == 784``) holding whole numbers above 1 raise a
    :class:`PixelScaleWarning`: the network expects pixels as fractions 0-1.
    """
    given, X = X, _as_array(X, name)
    if X.ndim == 0:
        raise ValueError(f"{name} must hold examples, shape (n, {n_inputs}) or ({n_inputs},); "
                         f"got a single {type(given).__name__}")
    if X.ndim == 1:
        X = X[np.newaxis, :]
    if X.ndim != 2:
        raise ValueError(f"{name}: inputs must have shape (n, {n_inputs}) or ({n_inputs},); "
                         f"got {X.shape}")
    if X.shape[1] != n_inputs:
        raise ValueError(
            f"{name}: wrong input width: the network expects {n_inputs} values per example, "
            f"got {X.shape[1]} (shape {X.shape})"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name}: empty batch: there are no examples in {name}")
    if not _is_real(X):
        raise ValueError(f"{name}: inputs must be real numbers; got dtype {X.dtype}")
    X = X.astype(dtype, copy=False)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name}: inputs contain NaN or inf values")
    if n_inputs == PIXELS:
        _warn_if_raw_pixels(X, name)
    return X


def _warn_if_raw_pixels(X: np.ndarray, name: str) -> None:
    """Warn when 784-wide inputs look like bytes 0-255 (whole numbers, some above 1)."""
    top = X.max()
    if 1.5 < top <= 255 and X.min() >= 0 and np.array_equal(X, np.round(X)):
        warnings.warn(f"{name} holds whole numbers up to {top:g}: these look like raw pixel "
                      "values 0-255, but the network expects fractions 0-1. Divide by 255 "
                      "(load_mnist already does).", PixelScaleWarning, stacklevel=3)


def real_array(values, name: str) -> np.ndarray:
    """``values`` as an array of real numbers (not booleans, text or objects), or raise naming it."""
    array = _as_array(values, name)
    if not _is_real(array):
        raise ValueError(f"{name} must hold real numbers; got {type(values).__name__} "
                         f"of dtype {array.dtype}")
    return array


def real_numbers(values, name: str) -> np.ndarray:
    """``values`` as an array of finite real numbers, or raise naming it."""
    array = real_array(values, name)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf values")
    return array


def as_labels(labels, n_classes: int = 10, name: str = "labels") -> np.ndarray:
    """Return integer labels as a 1-D int array, each in ``0 .. n_classes-1``."""
    labels = _as_array(labels, name)
    if labels.ndim == 0:
        labels = labels[np.newaxis]
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integers; got shape {labels.shape}")
    if labels.dtype == object:
        labels = _numbers_from_objects(labels, name)
    if labels.size and not _is_real(labels):
        raise ValueError(f"{name} must be whole numbers (digit classes 0-{n_classes - 1}); "
                         f"got values of type {labels.dtype}, e.g. {labels.tolist()[0]!r}")
    if labels.size and labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(f"{name} must be whole numbers (digit classes)")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{name}: labels outside 0-{n_classes - 1}: found values from "
                         f"{labels.min()} to {labels.max()}")
    return labels.astype(np.intp)


def _numbers_from_objects(values: np.ndarray, name: str) -> np.ndarray:
    """Turn an object array of plain numbers into a float array, or raise naming ``name``."""
    if not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
               for v in values.ravel()):
        odd = next(v for v in values.ravel() if not isinstance(v, (int, float, np.number))
                   or isinstance(v, bool))
        raise ValueError(f"{name} must be whole numbers (digit classes); found {odd!r}")
    return values.astype(np.float64)


def as_targets(Y, n_examples: int, n_outputs: int, dtype=np.float64,
               name: str = "Y") -> np.ndarray:
    """Return desired outputs as a (n, n_outputs) array.

    ``Y`` may be integer labels of shape (n,) or already one-hot, (n, n_outputs).
    """
    Y = _as_array(Y, name)
    if Y.ndim <= 1:
        labels = as_labels(Y, n_outputs, name)
        if labels.shape[0] != n_examples:
            raise ValueError(f"X and {name} have different lengths: {n_examples} examples "
                             f"but {labels.shape[0]} labels")
        out = np.zeros((n_examples, n_outputs), dtype=dtype)
        out[np.arange(n_examples), labels] = 1.0
        return out
    if Y.ndim != 2 or Y.shape[1] != n_outputs:
        raise ValueError(f"{name}: desired outputs must be labels of shape (n,) or one-hot rows "
                         f"of shape (n, {n_outputs}); got shape {Y.shape}")
    if Y.shape[0] != n_examples:
        raise ValueError(f"X and {name} have different lengths: {n_examples} examples but "
                         f"{Y.shape[0]} desired outputs")
    if not _is_real(Y):
        raise ValueError(f"{name}: desired outputs must be real numbers; got dtype {Y.dtype}")
    Y = Y.astype(dtype, copy=False)
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"{name}: desired outputs contain NaN or inf values")
    return Y


def _number(value, name: str, wanted: str):
    """``value`` if it is a real number (not a bool), else a TypeError saying ``wanted``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be {wanted}; got {value!r}")
    return value


def positive_int(value, name: str) -> int:
    """Check that ``value`` is a whole number >= 1 and return it as ``int``."""
    wanted = "a positive whole number"
    if not isinstance(_number(value, name, wanted), (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be {wanted}; got {value!r}")
    return int(value)


def whole_number(value, name: str, low: int = 0) -> int:
    """Check that ``value`` is a whole number >= ``low`` (a position, an index) and return it."""
    wanted = f"a whole number >= {low}"
    if not isinstance(_number(value, name, wanted), (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be {wanted}; got {value!r}")
    return int(value)


def true_or_false(value, name: str) -> bool:
    """Check that ``value`` is True or False (not text such as 'no') and return it."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def seed_value(value, name: str = "seed") -> int:
    """Check that ``value`` is a whole number >= 0 (a seed for ``np.random.default_rng``)."""
    wanted = "a whole number >= 0 (the same seed gives the same random choices)"
    if not isinstance(_number(value, name, wanted), (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be {wanted}; got {value!r}")
    return int(value)


def value_list(values, name: str) -> list:
    """Check that ``values`` is a non-empty list (or other iterable, not a string) and
    return it as a list."""
    if isinstance(values, (str, bytes, dict)) or not np.iterable(values):
        raise TypeError(f"{name} must be a list; got {values!r}")
    values = list(values)
    if not values:
        raise ValueError(f"{name} is empty: give at least one")
    return values


def seed_list(seeds) -> list[int]:
    """Check a list of seeds (whole numbers >= 0, e.g. ``range(5)``) and return it."""
    if isinstance(seeds, (str, bytes)) or not np.iterable(seeds):
        raise TypeError(f"seeds must be a list of whole numbers >= 0, e.g. range(5); "
                        f"got {seeds!r}")
    return [seed_value(s, "seeds") for s in value_list(seeds, "seeds")]


def non_negative(value, name: str) -> float:
    """Check that ``value`` is a finite number >= 0 and return it as ``float``."""
    v = float(_number(value, name, "a finite number >= 0"))
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return v


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy floating dtype, else raise naming ``name``."""
    try:
        checked = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError):
        checked = None
    if checked is None or checked.kind != "f":
        raise ValueError(f"{name} must be a floating type such as np.float64 (the values are "
                         f"fractions); got {dtype!r}")
    return checked


def parameter_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy dtype if it is float32 or float64, else raise naming ``name``."""
    try:
        checked = float_dtype(dtype, name)
    except ValueError:
        checked = None
    if checked is None or checked not in PARAMETER_DTYPES:
        raise ValueError(f"{name} must be np.float64 (exact) or np.float32 (fast): weights "
                         f"are fractions, and other types round them away; got {dtype!r}")
    return checked


def layer_sizes(sizes, name: str = "sizes") -> list[int]:
    """Check a network's layer widths (input first) and return them as a list of ints."""
    if isinstance(sizes, (str, bytes, dict, set, frozenset)) or not np.iterable(sizes):
        raise TypeError(f"{name} must be a list of layer widths, input first, such as "
                        f"[784, 16, 16, 10]; got {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"{name}: a network needs at least an input and an output layer; "
                         f"got sizes {sizes}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"{name}: layer sizes must be positive whole numbers; got {sizes}")
    return [int(s) for s in sizes]


def memory_bytes() -> int | None:
    """This computer's physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def fits_in_memory(n_numbers: int, dtype: np.dtype, what: str) -> None:
    """Refuse, before allocating, anything whose ``n_numbers`` would fill half the memory.

    Training needs the parameters several times over (gradient, a saved copy), so
    half the physical memory is the most one set of parameters may take.
    """
    needed, total = n_numbers * np.dtype(dtype).itemsize, memory_bytes()
    if total is not None and needed > total // 2:
        raise ValueError(f"{what} would need {_gigabytes(needed)} of memory for its "
                         f"{n_numbers:,} parameters alone ({np.dtype(dtype).name}); this "
                         f"computer has {_gigabytes(total)}. Use smaller layers.")


def _gigabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:,.1f} GB"
