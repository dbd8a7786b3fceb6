"""The machinery behind the exercise checkers: run cases safely, judge, report.

A checker is a handful of :class:`Case` objects and a hint. :func:`run_checks`
calls the learner's function on every case without ever letting an exception
escape, judges each answer (by default: numbers of the right shape, close to
the reference) and prints which cases passed and what went wrong in the first
one that failed.
"""
from __future__ import annotations

import copy
import functools
import traceback
import warnings
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np


class Case(NamedTuple):
    """One trial of the learner's function: a name, its arguments, the reference answer.

    ``hint`` replaces the checker's general hint when this case is the first to fail.
    """

    name: str
    args: tuple
    expected: Any
    hint: str = ""


def show(value) -> str:
    """A short, one-line description of a value for a report."""
    if callable(value):
        return (value.__doc__ or getattr(value, "__name__", "a function")).strip().splitlines()[0][:80]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
        return f"a list of {len(value)} array{'s' * (len(value) > 1)} of shape {value[0].shape}"
    if isinstance(value, (np.ndarray, np.number, float, int)) and not isinstance(value, bool):
        if np.ndim(value) == 0:
            return f"{value:.6g}" if np.isrealobj(value) else str(value)
        if np.ndim(value) > 1 and np.size(value) > 12:
            return f"an array of shape {np.shape(value)}"
        with np.printoptions(precision=6, suppress=True, threshold=12, edgeitems=2, linewidth=200):
            text = " ".join(str(np.asarray(value)).split())
        return f"{text} (shape {np.shape(value)})" if np.size(value) > 12 else text
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def shape_words(shape: tuple) -> str:
    """``()`` reads as "a single number", anything else as "shape (3, 4)"."""
    return "a single number" if shape == () else f"shape {shape}"


def numbers_problem(got, expected, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """What is wrong with ``got`` as an answer equal to ``expected``; None when nothing is."""
    expected = np.asarray(expected, dtype=float)
    try:
        values = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"expected numbers ({shape_words(expected.shape)}), got {type(got).__name__}: {show(got)}"
    if values.shape != expected.shape:
        return (f"wrong shape: expected {shape_words(expected.shape)}, got {shape_words(values.shape)}"
                f"\n  got      {show(got)}")
    wrong = ~np.isclose(values, expected, rtol=rtol, atol=atol)
    if not wrong.any():
        return None
    lines = [f"expected {show(expected)}", f"got      {show(values)}"]
    if np.isnan(values).any():
        lines.append("your result contains NaN (not a number)")
    elif values.ndim:
        where = tuple(int(i) for i in np.argwhere(wrong)[0])
        lines.append(f"first wrong entry {list(where)}: expected {expected[where]:.6g}, "
                     f"got {values[where]:.6g}")
    return "\n  ".join(lines)


def call_learner(fn: Callable, args: tuple) -> tuple[Any, Exception | None]:
    """Call ``fn`` on copies of ``args``; return ``(result, None)`` or ``(None, exception)``.

    Warnings (such as overflow in ``np.exp``) are silenced: only the answer counts.
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*copy.deepcopy(args)), None
    except Exception as exc:  # the learner's code may raise anything at all
        return None, exc


def error_words(exc: Exception) -> str:
    """Describe an exception raised by the learner's function, with the line it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (line {frames[-1].lineno}, in {frames[-1].name})" if len(frames) > 1 else ""
    return f"your function raised {type(exc).__name__}: {exc}{where}"


def problem_with(got, exc: Exception | None, expected, judge: Callable) -> str | None:
    """What went wrong in one case (an exception, None, or the judge's verdict); None if nothing."""
    if exc is not None:
        return error_words(exc)
    if got is None:
        return "your function returned None: did you forget the `return` line?"
    try:
        return judge(got, expected)
    except Exception as exc:  # a result so odd that even judging it fails
        return f"could not read your result ({type(exc).__name__}: {exc}): {show(got)}"


def report(title: str, passed: list, n_cases: int, failure: tuple | None,
           arg_names: Sequence[str], hint: str) -> str:
    """The text a checker prints: what passed, the first failure and a hint."""
    if failure is None:
        return f"{title}: all {n_cases} cases passed."
    case, problem = failure
    names = f" ({', '.join(passed)})" if passed else ""
    inputs = ", ".join(f"{n} = {show(a)}" for n, a in zip(arg_names, case.args))
    return (f"{title}: {len(passed)} of {n_cases} cases passed{names}.\n"
            f"First failing case: {case.name}, with {inputs}\n"
            f"  {problem}\n"
            f"Hint: {case.hint or hint}")


def run_checks(title: str, fn: Callable, cases: Sequence[Case], *, arg_names: Sequence[str], hint: str,
               judge: Callable | None = None, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Run the learner's ``fn`` on every case, print a report, return True if all passed.

    ``judge(got, expected)`` returns a description of what is wrong, or None; by
    default the answer must be numbers of the reference's shape, within ``rtol``/``atol``.
    """
    if not callable(fn):
        print(f"{title}: expected a function, got {type(fn).__name__}. Pass the function "
              "itself, without calling it: check(my_function), not check(my_function()).")
        return False
    judge = judge or functools.partial(numbers_problem, rtol=rtol, atol=atol)
    passed, failure = [], None
    for case in cases:
        got, exc = call_learner(fn, case.args)
        if isinstance(exc, NotImplementedError):
            print(f"{title}: not written yet (your function raises NotImplementedError). "
                  "Replace the `raise` line with your code and run the cell again.")
            return False
        problem = problem_with(got, exc, case.expected, judge)
        if problem is None:
            passed.append(case.name)
        elif failure is None:
            failure = (case, problem)
    print(report(title, passed, len(cases), failure, arg_names, hint))
    return failure is None
