"""How long grading takes, one student at a time and several at once; the same scores?

    cd coursework
    python time_grading.py                        # 20 students of a1, --jobs 1 then 2
    python time_grading.py --students 40 --jobs 1 2 4
    python time_grading.py --rounds 3             # three rounds, then each --jobs' median
    python time_grading.py --class plain          # submissions that attack nothing

It copies this course folder into a temporary folder (your gradebook is never touched),
generates assignment 1, submits ``--students`` notebooks (the example class's
submissions of assignment 1 in turn, without those that run until the time limit or are
refused; with ``--class plain`` only those that attack nothing, the mix of answers an
ordinary class hands in), grades them with ``grade.py --jobs N`` for each N, and prints
the seconds per student, the speed-up over the first N, the CPU time the whole machine
used meanwhile, the load average before, and whether every grading gave every student
the same score, status and reason. Beside each N above 1 it prints the machine's own
speed-up for N processes of plain CPU work, run at once rather than one after the other,
measured just before. On a virtual machine whose host runs other work it can fall well
short of N, and a grading, mostly CPU work, gains little more than the machine gives
while it runs (a one-second sample only hints at that). It also prints the most that N
could have gained with the CPU time it used: the machine's C cores cannot do the busy
CPU seconds B in less than B / C, so the speed-up over the first N's W seconds is at
most C x W / B, however well the work were spread. With ``--rounds R`` it does
all that R times (each round times every N once, in turn, so a machine that slows down
for a while slows every N alike) and prints each N's median speed-up, and the machine's.
Needs what grading needs (bubblewrap, nbgrader, BACKPROP_DATA_DIR).
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
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
PLAIN = ("reference", "half_right", "untouched", "raises", "hard_codes")  # they attack nothing
NOT_COPIED = shutil.ignore_patterns("gradebook.db", "release", "submitted", "autograded", "feedback",
                                    "grading-*", ".gradebook.lock", ".nbgrader.log",
                                    ".ipynb_checkpoints", "__pycache__")


def class_of(size: int, mix: str = "example") -> dict[str, str]:
    """``size`` student ids -> the example submission each hands in, in turn: from the whole
    example class (``mix="example"``) or from the ``PLAIN`` ones (``mix="plain"``)."""
    kinds = list(PLAIN) if mix == "plain" else [
        s for s, e in CLASS[ASSIGNMENT].items() if s not in LEFT_OUT and e.status != "refused"]
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


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since it started (Linux's /proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:8]]
    except OSError:
        return float("nan")
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # (not idle, not iowait)


SPIN = "total = 0\nfor number in range(6_000_000):\n    total += number"  # about a second of CPU


def machine_speedup(processes: int) -> float:
    """How much sooner ``processes`` copies of plain CPU work end when run all at once than
    one after the other (``processes`` on that many free cores; less where other work
    takes them)."""
    def spin(copies: int) -> float:
        started = time.monotonic()
        for child in [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(copies)]:
            child.wait()
        return time.monotonic() - started

    one_after_another = sum(spin(1) for _ in range(processes))
    return one_after_another / spin(processes)


def ceiling(first_seconds: float, busy: float, cores: int | None = None) -> float:
    """The most speed-up over ``first_seconds`` of a run that kept the machine's ``cores``
    (default: all) busy for ``busy`` CPU seconds: it took at least ``busy / cores``."""
    return (cores or os.cpu_count() or 1) * first_seconds / busy


def grade(course: Path, jobs: int, time_limit: int = 60) -> tuple[dict, float, float]:
    """Grade everyone with ``--jobs``; (results, wall seconds, busy CPU seconds of the machine)."""
    started, busy = time.monotonic(), busy_seconds()
    finish_grading(start_grading(course, jobs, time_limit))
    return results(course), time.monotonic() - started, busy_seconds() - busy


def main(argv: list[str] | None = None) -> int:
    """Time each --jobs; exit status 1 if the scores differ between them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20, help="class size (default 20)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="the --jobs to time")
    parser.add_argument("--rounds", type=int, default=1, help="times to time every --jobs (default 1)")
    parser.add_argument("--class", dest="mix", choices=("example", "plain"), default="example",
                        help="the whole example class, attacks included (default), or only "
                             "submissions that attack nothing")
    args = parser.parse_args(argv)
    if args.students <= 0 or min(args.jobs) <= 0 or args.rounds <= 0:
        parser.error("--students, --jobs and --rounds must be positive")
    with tempfile.TemporaryDirectory(prefix="time-grading-") as folder:
        course = make_course(Path(folder), class_of(args.students, args.mix))
        first_scores, same, speedups = None, True, {jobs: [] for jobs in args.jobs}
        ceilings = {jobs: [] for jobs in args.jobs[1:]}   # (the first is what they are measured by)
        machine = {jobs: [] for jobs in args.jobs if jobs > 1}
        print(f"{args.students} students of {ASSIGNMENT} ({args.mix} class), {os.cpu_count()} cores")
        for number in range(1, args.rounds + 1):
            first_seconds = None
            for jobs in args.jobs:
                load = os.getloadavg()[0]
                if jobs > 1:
                    machine[jobs].append(machine_speedup(jobs))
                scores, seconds, busy = grade(course, jobs)
                first_scores, first_seconds = first_scores or scores, first_seconds or seconds
                same = same and scores == first_scores
                for student in sorted(s for s in scores if scores[s] != first_scores.get(s)):
                    print(f"  {student}: {first_scores.get(student)} at first, {scores[student]} here")
                speedups[jobs].append(first_seconds / seconds)
                most = ""
                if jobs in ceilings:
                    ceilings[jobs].append(ceiling(first_seconds, busy))
                    most = f"at most {ceilings[jobs][-1]:4.2f}x with "
                print(f"round {number}, --jobs {jobs}: {seconds:6.1f} s, {seconds / args.students:5.2f} s "
                      f"per student, {first_seconds / seconds:4.2f}x the first ({most}{busy:5.1f} CPU s; "
                      f"load average before: {load:.1f})"
                      + (f"; the machine: {machine[jobs][-1]:4.2f}x" if jobs > 1 else ""), flush=True)
        if args.rounds > 1:
            print("median speed-up over the first --jobs: " + ", ".join(
                f"--jobs {jobs} {statistics.median(s):4.2f}x" for jobs, s in speedups.items()))
            print("median of the most each --jobs could gain with its CPU: " + ", ".join(
                f"--jobs {jobs} {statistics.median(s):4.2f}x" for jobs, s in ceilings.items()))
            print("median speed-up of the machine itself: " + ", ".join(
                f"{jobs} processes {statistics.median(s):4.2f}x" for jobs, s in machine.items()))
        print("same scores, statuses and reasons for every --jobs" if same else "SCORES DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
