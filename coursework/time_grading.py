"""How long grading takes, one student at a time and several at once; the same scores?

    cd coursework
    python time_grading.py                        # 20 students of a1, --jobs 1 then 2
    python time_grading.py --students 40 --jobs 1 2 4

It copies this course folder into a temporary folder (your gradebook is never touched),
generates assignment 1, submits ``--students`` notebooks (the example class's
submissions of assignment 1 in turn, without those that run until the time limit or are
refused), grades them with ``grade.py --jobs N`` for each N, and prints the seconds per
student, the speed-up over the first N, the machine's load average, and whether every
grading gave every student the same score, status and reason. Needs what grading needs
(bubblewrap, nbgrader, BACKPROP_DATA_DIR).
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COURSE = Path(__file__).resolve().parent
sys.path.insert(0, str(COURSE))

from example_class import CLASS, submit  # noqa: E402

ASSIGNMENT = "a1_forward_cost"
LEFT_OUT = {"loops"}  # runs until the time limit: it would time the limit, not the grader
NOT_COPIED = shutil.ignore_patterns("gradebook.db", "release", "submitted", "autograded", "feedback",
                                    "grading-*", ".gradebook.lock", ".nbgrader.log",
                                    ".ipynb_checkpoints", "__pycache__")


def class_of(size: int) -> dict[str, str]:
    """``size`` student ids -> the example submission each hands in (the class's, in turn)."""
    kinds = [s for s, e in CLASS[ASSIGNMENT].items() if s not in LEFT_OUT and e.status != "refused"]
    return {f"s{i:03d}_{kinds[i % len(kinds)]}": kinds[i % len(kinds)] for i in range(size)}


def copy_course(folder: Path) -> Path:
    """A copy of this course's files in ``folder / "course"``: no gradebook, no students' work."""
    course = folder / "course"
    shutil.copytree(COURSE, course, ignore=NOT_COPIED)
    return course


def make_course(folder: Path, students: dict[str, str]) -> Path:
    """A copy of this course in ``folder`` with assignment 1 generated and ``students`` submitted."""
    course = copy_course(folder)
    run(course, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force")
    for student, kind in students.items():
        submit(course, ASSIGNMENT, student, CLASS[ASSIGNMENT][kind])
    return course


def run(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run this Python in the course folder; stop with its output if it fails."""
    done = subprocess.run([sys.executable, *args], cwd=course, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def results(course: Path) -> dict[str, tuple[str, str, str]]:
    """Student -> (score, status, reason) from the last grading's report."""
    with open(course / f"grading-{ASSIGNMENT}.csv", newline="") as report:
        return {r["student"]: (r["score"], r["status"], r["reason"]) for r in csv.DictReader(report)}


def start_grading(course: Path, jobs: int, time_limit: int, *args: str,
                  env: dict | None = None) -> subprocess.Popen:
    """``grade.py`` on everyone in ``course``, ``jobs`` at a time, started (not waited for)."""
    return subprocess.Popen([sys.executable, "grade.py", ASSIGNMENT, "--jobs", str(jobs),
                             "--time-limit", str(time_limit), *args], cwd=course, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_grading(grading: subprocess.Popen, timeout: float = 1800) -> str:
    """Wait for a grading started by ``start_grading``; its output. RuntimeError if it failed."""
    out, err = grading.communicate(timeout=timeout)
    if grading.returncode != 0:
        raise RuntimeError(f"grade.py failed ({grading.returncode}):\n{out}\n{err}")
    return out


def grade(course: Path, jobs: int, time_limit: int = 60) -> tuple[dict, float]:
    """Grade everyone with ``--jobs``; (results, wall seconds)."""
    started = time.monotonic()
    finish_grading(start_grading(course, jobs, time_limit))
    return results(course), time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """Time each --jobs; exit status 1 if the scores differ between them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20, help="class size (default 20)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="the --jobs to time")
    args = parser.parse_args(argv)
    if args.students <= 0 or min(args.jobs) <= 0:
        parser.error("--students and --jobs must be positive")
    with tempfile.TemporaryDirectory(prefix="time-grading-") as folder:
        course = make_course(Path(folder), class_of(args.students))
        first, same = None, True
        print(f"{args.students} students of {ASSIGNMENT}, {os.cpu_count()} cores")
        for jobs in args.jobs:
            load = os.getloadavg()[0]
            scores, seconds = grade(course, jobs)
            first = first or (scores, seconds)
            same = same and scores == first[0]
            for student in sorted(s for s in scores if scores[s] != first[0].get(s)):
                print(f"  {student}: {first[0].get(student)} at the first --jobs, {scores[student]} here")
            print(f"--jobs {jobs}: {seconds:6.1f} s, {seconds / args.students:5.2f} s per student, "
                  f"{first[1] / seconds:4.2f}x the first (load average before: {load:.1f})", flush=True)
        print("same scores, statuses and reasons for every --jobs" if same else "SCORES DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
