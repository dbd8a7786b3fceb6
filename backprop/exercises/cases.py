"""The machinery behind the exercise checkers: run cases safely, judge, report.

A checker is a handful of :class:`Case` objects and a hint. :func:`run_checks`
calls the learner's function on every case in a contained child process (see
:mod:`backprop.exercises.containment`: a time limit, a memory limit, printed output kept
short), judges each answer (by default: numbers of the right shape, close to the
reference) and prints which cases passed and what went wrong in the first one
that failed. Nothing the learner's function does makes a checker raise or hang.
"""
from __future__ import annotations

import functools
import time
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from .answers import Answer, Opaque, safe_repr, safe_text
from .containment import DEADLINE, contained_call

REPORT_CAP = 4000  # characters of a checker's report, at most
BUDGET = 10.0      # seconds all of a checker's cases may take together


class Case(NamedTuple):
    """One trial of the learner's function: a name, its arguments, the reference answer.

    ``hint`` replaces the checker's general hint when this case is the first to fail.
    """

    name: str
    args: tuple
    expected: Any
    hint: str = ""


def labelled(label: str, f: Callable) -> Callable:
    """Give a test function the formula that reports show for it (its docstring)."""
    f.__doc__ = label
    return f


def show(value) -> str:
    """A short, one-line description of a value for a report (never raises)."""
    try:
        return _describe(value)
    except Exception:  # an odd value (a 0-d boolean array, ...): its repr will do
        return safe_repr(value)


def _describe(value) -> str:
    if isinstance(value, Opaque):
        return value.text
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
    return safe_repr(value)


def shape_words(shape: tuple) -> str:
    """``()`` reads as "a single number", anything else as "shape (3, 4)"."""
    return "a single number" if shape == () else f"shape {shape}"


def numbers_problem(got, expected, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """What is wrong with ``got`` as an answer equal to ``expected``; None when nothing is."""
    expected = np.asarray(expected, dtype=float)
    try:
        if np.iscomplexobj(got):
            return (f"your result has complex numbers (imaginary parts, even if 0): {show(got)}; "
                    "return real numbers")
        values = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        kind = got.type_name if isinstance(got, Opaque) else type(got).__name__
        return f"expected numbers ({shape_words(expected.shape)}), got {kind}: {show(got)}"
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


def problem_with(outcome: Answer, expected, judge: Callable) -> str | None:
    """What went wrong in one case (a problem, None, or the judge's verdict); None if nothing."""
    if outcome.problem is not None:
        return outcome.problem
    if outcome.value is None:
        return "your function returned None: did you forget the `return` line?"
    try:
        return judge(outcome.value, expected)
    except Exception as exc:  # a result so odd that even judging it fails
        return f"could not read your result ({type(exc).__name__}: {safe_text(exc)}): {show(outcome.value)}"


def printed_words(outcome: Answer) -> str:
    """What the learner's function printed in a case, shortened, or "" if nothing."""
    if not outcome.printed_chars:
        return ""
    shown = safe_text(outcome.printed.strip(), 300)
    more = (f" {outcome.printed_chars:,} characters, beginning"
            if outcome.printed_chars > len(shown) else "")
    return f"\n  your function printed{more}: {shown}"


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


def capped(text: str, cap: int = REPORT_CAP) -> str:
    """``text`` cut to ``cap`` characters, saying so when it is cut."""
    return text if len(text) <= cap else text[:cap] + "\n... (report cut short)"


def judge_cases(fn: Callable, cases: Sequence[Case], judge: Callable) -> tuple | str:
    """Run ``fn`` on the cases in turn; return ``(passed, failure)`` or a not-written message.

    Each case may take ``DEADLINE`` seconds and all of them ``BUDGET``; after a case
    that runs out of time the rest are skipped, so a checker answers within seconds.
    """
    passed, failure, end = [], None, time.monotonic() + BUDGET
    too_slow = f"not finished: your function took over {BUDGET:g} seconds on the cases so far; make it faster"
    for case in cases:
        left = end - time.monotonic()
        if left < 0.1:
            failure = failure or (case, too_slow)
            break
        outcome = contained_call(fn, case.args, deadline=min(DEADLINE, left))
        if outcome.not_written:
            return ("not written yet (your function raises NotImplementedError). "
                    "Replace the `raise` line with your code and run the cell again.")
        problem = problem_with(outcome, case.expected, judge)
        if outcome.timed_out and left < DEADLINE:
            problem = too_slow
        if problem is None:
            passed.append(case.name)
        elif failure is None:
            failure = (case, problem + printed_words(outcome))
        if outcome.timed_out:
            break
    return passed, failure


def run_checks(title: str, fn: Callable, cases: Sequence[Case], *, arg_names: Sequence[str], hint: str,
               judge: Callable | None = None, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Run the learner's ``fn`` on every case, print a report, return True if all passed.

    ``judge(got, expected)`` returns a description of what is wrong, or None; by
    default the answer must be numbers of the reference's shape, within ``rtol``/``atol``.
    Never raises: even a failure of the checker itself is printed, not raised.
    """
    if not callable(fn):
        print(f"{title}: expected a function, got {type(fn).__name__}. Pass the function "
              "itself, without calling it: check(my_function), not check(my_function()).")
        return False
    judge = judge or functools.partial(numbers_problem, rtol=rtol, atol=atol)
    try:
        result = judge_cases(fn, cases, judge)
        if isinstance(result, str):
            print(f"{title}: {result}")
            return False
        passed, failure = result
        print(capped(report(title, passed, len(cases), failure, arg_names, hint)))
    except Exception as err:  # never raise into the notebook, whatever happened
        print(f"{title}: the checker itself failed ({type(err).__name__}: {safe_text(err)}); "
              "please tell the course team.")
        return False
    return failure is None
