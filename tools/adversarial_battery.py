"""An adversarial battery: hundreds of bad inputs and faults, each run in a contained child.

Every case is a call a new user might make. Its outcome is sorted into:
right result (checked against a computation written here), clean error (a
ValueError/TypeError/MNISTNotFoundError naming the argument, or a checker's
report naming the problem), unhelpful error, silent wrong result, hang (past the
case's time bound), and files left behind (anything new in the case's scratch
folder apart from the parsed-array cache). Prints the counts and every case that
was not right or clean; a case whose checked function disturbed the child that plays
the notebook (killed, stopped or interrupted it, wrote into its files, changed how
later answers are judged) counts as affecting the caller, and a process still running
after a case as a leftover, like a file. Usage::

    python tools/adversarial_battery.py [--verbose] [--only AREA]
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Callable, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from backprop.exercises.containment import contained_call  # noqa: E402
from backprop.exercises.processes import descendants, end_below  # noqa: E402
from battery_cases import all_cases  # noqa: E402

GOOD = ("right result", "clean error")
CATEGORIES = ("right result", "clean error", "unhelpful error", "silent wrong result", "hang",
              "affecting the caller")


class Case(NamedTuple):
    """One trial: ``run(scratch)`` makes the call; what counts as a right outcome.

    ``names``: an error counts as clean if its message holds one of these.
    ``check(result)``: True if a returned value is right (None: returning is wrong).
    """

    area: str
    name: str
    run: Callable[[Path], Any]
    names: tuple = ()
    check: Callable[[Any], bool] | None = None
    bound: float = 5.0
    leaves: tuple = ()  # paths, relative to the scratch folder, the call may create


def names_one_of(message: str, names: tuple) -> bool:
    """True if ``message`` holds one of ``names`` as a whole word (``X``, not the X of "XOR")."""
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message) for name in names)


def classify(case: Case, scratch: Path) -> tuple[str, str]:
    """Run one case (in the child) and sort its outcome; returns (category, detail)."""
    from backprop.mnist import MNISTNotFoundError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = case.run(scratch)
        except Exception as err:  # sorted below: named, unhelpful, or a corrupted network
            if type(err).__name__ == "Corrupted":
                return "silent wrong result", str(err)
            if type(err).__name__ == "AffectedCaller":
                return "affecting the caller", str(err)
            if not isinstance(err, (ValueError, TypeError, MNISTNotFoundError)):
                return "unhelpful error", f"{type(err).__name__}: {err}"
            clean = names_one_of(str(err), case.names)
            return ("clean error" if clean else "unhelpful error"), f"{type(err).__name__}: {err}"
    if case.check is None:
        hint = [str(w.message) for w in caught if names_one_of(str(w.message), case.names)]
        if hint:
            return "clean error", f"warning: {hint[0]}"
        return "silent wrong result", f"returned {result!r:.120}"
    try:
        right = case.check(result)
    except Exception as err:  # a result the check cannot even read is wrong
        right, result = False, f"{result!r:.80} ({type(err).__name__}: {err})"
    if right == "clean":
        return "clean error", ""
    return ("right result", "") if right else ("silent wrong result", f"returned {result!r:.160}")


def left_behind(scratch: Path, allowed: tuple) -> list[str]:
    """Paths in ``scratch`` that are neither expected nor the parsed-array cache."""
    keep = {scratch / "home", scratch / "cache", *(scratch / p for p in allowed)}
    found = []
    for path in sorted(scratch.rglob("*")):
        if path in keep or any(path.is_relative_to(k) for k in keep if k.name != "home"):
            continue
        found.append(str(path.relative_to(scratch)))
    return found


def run_case(case: Case, root: Path) -> tuple[str, str, list[str]]:
    """Run one case in a contained child inside a fresh scratch folder."""
    scratch = Path(tempfile.mkdtemp(dir=root))
    (scratch / "home").mkdir()

    def in_scratch():
        import os
        os.chdir(scratch)
        os.environ.update(HOME=str(scratch / "home"), BACKPROP_CACHE_DIR=str(scratch / "cache"),
                          no_proxy="*")
        os.environ.pop("BACKPROP_DATA_DIR", None)
        return classify(case, scratch)

    outcome = contained_call(in_scratch, (), deadline=case.bound, own_user=False)
    attacked = case.area.startswith("checked function vs notebook")
    if outcome.problem is None:
        verdict = outcome.value
    elif "ended the whole process" in outcome.problem or (attacked and outcome.timed_out):
        verdict = ("affecting the caller", outcome.problem)  # the child playing the notebook died or froze
    else:
        verdict = ("hang" if outcome.timed_out else "unhelpful error", outcome.problem)
    running = [f"process {pid}" for pid in descendants(os.getpid())]
    end_below(os.getpid(), 2.0)
    return (*verdict, left_behind(scratch, case.leaves) + running)


def main(verbose: bool = False, only: str = "") -> int:
    """Run every case (or those of areas holding ``only``), print the counts and the cases
    that were not right or clean."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="battery-") as tmp:
        root = Path(tmp)
        cases = [c for c in all_cases(root, Case) if only.lower() in c.area.lower()]
        (root / "runs").mkdir()
        counts, by_area, left, notes = Counter(), Counter(), Counter(), []
        for case in cases:
            category, detail, leftovers = run_case(case, root / "runs")
            counts[category] += 1
            by_area[case.area, category] += 1
            left[case.area] += bool(leftovers)
            if category not in GOOD or leftovers or verbose:
                notes.append(f"  [{category}] {case.area} / {case.name}: {detail[:200]}"
                             + (f"\n      left behind: {leftovers}" if leftovers else ""))
    print(f"adversarial battery: {len(cases)} cases tried in {time.monotonic() - started:.0f} s")
    for category in CATEGORIES:
        print(f"  {category:20s} {counts[category]:4d}")
    print(f"  {'leftovers':20s} {sum(left.values()):4d}  (files or processes left behind)")
    print(f"  unhelpful errors: {100 * counts['unhelpful error'] / max(len(cases), 1):.1f}% of cases")
    print(f"totals: {counts['silent wrong result']} silent wrong, {counts['hang']} hangs, "
          f"{sum(left.values())} leftovers, {counts['affecting the caller']} affecting the caller")
    print("by surface: good / tried (silent wrong, hangs, leftovers, affecting the caller)")
    for area in dict.fromkeys(c.area for c in cases):
        tried = sum(by_area[area, c] for c in CATEGORIES)
        good = sum(by_area[area, c] for c in GOOD)
        print(f"  {area:30s} {good:3d} / {tried:3d}  ({by_area[area, 'silent wrong result']}, "
              f"{by_area[area, 'hang']}, {left[area]}, {by_area[area, 'affecting the caller']})")
    if notes:
        print("cases to look at:" if not verbose else "every case:")
        print("\n".join(notes))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    where = sys.argv.index("--only") + 1 if "--only" in sys.argv else None
    sys.exit(main("--verbose" in sys.argv, sys.argv[where] if where else ""))
