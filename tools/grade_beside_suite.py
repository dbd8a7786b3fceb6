"""Do gradings running beside each other and beside the test suite disturb anything?

    BACKPROP_DATA_DIR=/path/to/mnist python tools/grade_beside_suite.py           # 3 rounds
    BACKPROP_DATA_DIR=/path/to/mnist python tools/grade_beside_suite.py --rounds 1

First the example class of assignment 1 is graded alone, one student at a time: the
grades every other run must give. Then, each round, the README's test command runs
while pairs of ``grade.py`` batches run at once on two fresh copies of the course, pair
after pair until the suite ends. A round passes when the suite passes and every batch
gave every student the score, status and reason of the lone grading. The figures are
printed; the exit status is 1 unless every round passed.

Needs what grading needs (bubblewrap, nbgrader, BACKPROP_DATA_DIR) and what the suite
needs (README.md, "Running the tests").
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "coursework"))

from time_grading import class_of, make_course, results, start_grading  # noqa: E402

SUITE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--nbval-lax", "--nbval-current-env"]
TIME_LIMIT = "60"


def graded_pair(folder: Path, students: dict[str, str]) -> list[dict | str]:
    """Two batches at once on two fresh courses: each one's results, or why it failed."""
    courses = [make_course(folder / name, students) for name in ("first", "second")]
    gradings = [start_grading(course, 1, TIME_LIMIT) for course in courses]
    outcomes = []
    for course, grading in zip(courses, gradings):
        _, err = grading.communicate()
        outcomes.append(results(course) if grading.returncode == 0
                        else f"grade.py exited {grading.returncode}: {err.strip()[-400:]}")
    return outcomes


def one_round(number: int, students: dict[str, str], alone: dict) -> bool:
    """The suite beside pairs of gradings; True if all passed."""
    began = time.monotonic()
    suite = subprocess.Popen(SUITE, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pairs, differing = 0, []
    with tempfile.TemporaryDirectory(prefix="grade-beside-suite-") as folder:
        while suite.poll() is None:
            pairs += 1
            for outcome in graded_pair(Path(folder) / f"pair{pairs}", students):
                if outcome != alone:
                    differing.append((pairs, outcome))
    out = suite.stdout.read()
    summary = out.strip().splitlines()[-1] if out.strip() else "(no output)"
    passed = suite.returncode == 0 and not differing
    print(f"round {number}: suite exit {suite.returncode} ({summary}); {pairs} pairs of batches "
          f"({2 * pairs * len(students)} gradings), {len(differing)} batches differing from the lone "
          f"grading; {time.monotonic() - began:.0f} s (load average {os.getloadavg()[0]:.1f}): "
          f"{'PASS' if passed else 'FAIL'}", flush=True)
    for pair, outcome in differing:
        print(f"  pair {pair}: {outcome}")
    if suite.returncode != 0:
        print("\n".join(line for line in out.splitlines() if line.startswith(("FAILED", "ERROR"))))
    return passed


def main(argv: list[str] | None = None) -> int:
    """Grade alone, then ``--rounds`` rounds beside the suite; 0 if every round passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds in a row (default 3)")
    parser.add_argument("--students", type=int, default=6, help="class size (default 6)")
    args = parser.parse_args(argv)
    if args.rounds <= 0 or args.students <= 0:
        parser.error("--rounds and --students must be positive")
    students = class_of(args.students)
    with tempfile.TemporaryDirectory(prefix="grade-alone-") as folder:
        course = make_course(Path(folder), students)
        grading = start_grading(course, 1, TIME_LIMIT)
        _, err = grading.communicate()
        if grading.returncode != 0:
            print(f"the lone grading failed: {err.strip()[-400:]}")
            return 1
        alone = results(course)
    print(f"lone grading of {len(students)} students: "
          + ", ".join(f"{s} {score} {status}" for s, (score, status, _) in sorted(alone.items())), flush=True)
    passed = [one_round(n, students, alone) for n in range(1, args.rounds + 1)]
    print(f"{sum(passed)} of {args.rounds} rounds passed")
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
