"""Grade every submission of an assignment, ``jobs`` students at a time.

Each student is graded by its own ``nbgrader autograde --student`` process
(``autograde.py``, which holds the course's gradebook lock while it has the gradebook
open), so nothing a submission does (or a bug in one grading) stops the others. That
process says how each notebook's grading ended in a status file (``status.py``), which
is all the batch reads; nbgrader's log of each student is kept for people in
grading-logs/<assignment>/<student>.log. A grading that fails is marked failed in the
gradebook (score 0, flagged, with the reason: never an earlier score) and its student
gets a feedback page that says so; only a sandbox that stops working (the machine's
fault) stops the batch, leaving that student and the ones not started as they were. At
the end the batch prints every score and lists the failed and flagged submissions.
With ``Options.shard`` (``grade.py --shard i/N``, see ``shards.py``) it grades only the
students of that shard, into the gradebook ``Options.db`` that other machines may share.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from .files import unsafe_submission
from .gradebook import Review, mark_failed, reviews
from .ids import RULE, not_plain
from .lock import OPTION, holding
from .report import failure_page, print_stop, print_summary, write_report
from .screen import layout
from .shards import in_shard
from .shared_mnist import shared_mnist
from .status import FAILED, UNAVAILABLE, read_status

DB = "sqlite:///gradebook.db"


class SandboxBroke(RuntimeError):
    """The sandbox refused to start (the machine's fault, not the student's): the batch stops.

    ``lost_copy``: nbgrader had removed the student's autograded copy; ``ungraded``: the
    student it stopped at and those after (set by ``grade_all``).
    """

    def __init__(self, reason: str, lost_copy: bool = False) -> None:
        super().__init__(reason)
        self.lost_copy, self.ungraded = lost_copy, []


@dataclass(frozen=True)
class Options:
    """How to grade: time limit per notebook, without the sandbox, students at a time, where.

    ``unsandboxed``: the instructor accepted running student code unprotected where the
    sandbox cannot run; otherwise the batch has found the sandbox working, and the
    gradings do not check it again. ``db``: the gradebook's URL; ``shard``: (i, N) to
    grade only shard i of N of the class. ``pixels``: MNIST's shared pixels for the
    sandboxes (``shared_mnist.py``; set by ``grade_all``).
    """

    seconds: int | None = None
    unsandboxed: bool = False
    jobs: int = 1
    db: str = DB
    shard: tuple[int, int] | None = None
    pixels: str = ""

    def database(self) -> list[str]:
        """The nbgrader option that names the gradebook, if it is not the config's."""
        return [] if self.db == DB else [OPTION + self.db]


def nbgrader(course: Path, *args: str, log: Path | None = None, timeout: float | None = None) -> int:
    """Run one nbgrader command in the course folder, its output to ``log``; its exit status.

    ``autograde`` runs through ``grading.autograde`` (the gradebook lock), the others through
    ``grading.app`` (both skip an unused import, ``quick_start``). The command gets
    its own process group, killed whole at the timeout (-9 then).
    """
    log = log or Path(os.devnull)
    log.parent.mkdir(parents=True, exist_ok=True)
    runner = ["grading.autograde", *args[1:]] if args[0] == "autograde" else ["grading.app", *args]
    with open(log, "w") as out:
        child = subprocess.Popen([sys.executable, "-m", *runner], cwd=course,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return -9


def check_configuration(course: Path) -> str | None:
    """Why nbgrader would not grade in the sandbox with this course's config (None if it would)."""
    from traitlets.config.loader import PyFileConfigLoader
    from .preprocessors import CheckStructure, FlagForReview, SandboxedExecute
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    except Exception as error:  # noqa: BLE001 (nbgrader would go on with its defaults)
        return f"nbgrader_config.py does not load ({type(error).__name__}: {error})"
    steps = config.Autograde.get("autograde_preprocessors", [])
    if SandboxedExecute not in steps or FlagForReview not in steps:
        return "nbgrader_config.py does not set c.Autograde.autograde_preprocessors = autograde_preprocessors()"
    if CheckStructure not in config.Autograde.get("sanitize_preprocessors", []):
        return "nbgrader_config.py does not set c.Autograde.sanitize_preprocessors = sanitize_preprocessors()"
    return None


def students(course: Path, assignment: str, where: str = "submitted") -> list[str]:
    """Everyone with a submission of this assignment in submitted/ (or ``where``; any folder name)."""
    folder = course / where
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())


def refused_ids(ids: list[str]) -> str | None:
    """Why some of these student ids cannot be graded (None if all are plain names)."""
    bad = not_plain(ids)
    if not bad:
        return None
    return (f"{len(bad)} student id{'s' * (len(bad) > 1)} "
            f"{'are' if len(bad) > 1 else 'is'} not a plain name ({RULE}), so nbgrader would read "
            f"{'them' if len(bad) > 1 else 'it'} as an option or a pattern: "
            + ", ".join(repr(i) for i in bad) + "; rename the folder in submitted/ to the student's id")


def notebooks(course: Path, assignment: str) -> dict[str, str]:
    """Notebook name -> grade_id of its first solution cell, from source/."""
    found = {}
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        cells = layout(nbformat.read(path, as_version=4))
        found[path.stem] = next(c.grade_id for c in cells if c.kind == "solution")
    return found


def grade_one(course: Path, assignment: str, student: str, options: Options) -> str | None:
    """Autograde one student; None if it worked, else the reason (now in the gradebook).

    Raises
    ------
    SandboxBroke
        If the sandbox refused to start: then the student is not marked failed.
    """
    logs = course / "grading-logs" / assignment
    log, status_file = logs / f"{student}.log", logs / f"{student}.status.json"
    status_file.unlink(missing_ok=True)
    args = ["autograde", assignment, "--student", student, "--force", f"--GradingStep.status_file={status_file}"]
    if options.seconds:
        args.append(f"--SandboxedExecute.notebook_timeout={options.seconds}")
    args.append("--SandboxedExecute.allow_unsandboxed=True" if options.unsandboxed
                else "--SandboxedExecute.sandbox_checked=True")
    args += options.database()
    if options.pixels and not options.unsandboxed:
        args.append(f"--SandboxedExecute.shared_pixels={options.pixels}")
    limit = 2 * (options.seconds or 300) + 180
    copy = course / "autograded" / student / assignment
    had_copy = copy.is_dir()
    exit_status = nbgrader(course, *args, log=log, timeout=limit)
    ended = read_status(status_file)
    refused = [s.reason for s in ended.values() if s.status == UNAVAILABLE]
    if refused and exit_status != -9:
        raise SandboxBroke(refused[0], had_copy and not copy.exists())
    failed = [s.reason for s in ended.values() if s.status == FAILED]
    if failed:
        return "; ".join(failed)  # (already marked failed in the gradebook)
    if exit_status == 0 and ended:
        return None
    reason = (f"nbgrader did not finish within {limit} s" if exit_status == -9 else
              "nbgrader graded no notebook of this submission" if exit_status == 0 else
              f"nbgrader stopped (exit status {exit_status}) before the grading finished; "
              f"its log: grading-logs/{assignment}/{student}.log")
    with holding(course, options.db):
        with_db = [mark_failed(options.db, (name, assignment, student), first, reason)
                   for name, first in notebooks(course, assignment).items()]
    if not any(with_db):
        print(f"  ({student} has no submission in the gradebook yet)", file=sys.stderr)
    return reason


def give_feedback(course: Path, assignment: str, only: list[str], skip: list[str],
                  options: Options) -> None:
    """nbgrader's feedback pages: for these students, or (empty list) for everyone graded but
    ``skip``; ``options.jobs`` nbgrader processes at once, each making its share of the pages."""
    log = course / "grading-logs" / assignment / "feedback.log"
    if only:
        shares = [["--student", s] for s in only]
    else:
        graded = [s for s in students(course, assignment, "autograded") if s not in skip]
        jobs = max(1, min(options.jobs, len(graded)))
        left_out = [skip + [s for s in graded if s not in graded[i::jobs]] for i in range(jobs)]
        shares = [[f"--CourseDirectory.student_id_exclude={','.join(ids)}"] if ids else []
                  for ids in left_out]

    def make(number: int) -> int:
        return nbgrader(course, "generate_feedback", assignment, *shares[number], "--force",
                        *options.database(), log=log.with_suffix(f".{number}.log") if number else log)
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        list(pool.map(make, range(len(shares))))


def grade_all(course: Path, assignment: str, only: list[str], options: Options) -> list[Review]:
    """Grade the given students (default everyone), give feedback, report; return the reviews.

    Student ids that are not plain names, and submissions holding a symbolic link or a
    special file, are refused up front and reported; the others are graded
    ``options.jobs`` at a time. With ``options.shard``, only the students of that shard.

    Raises
    ------
    SandboxBroke
        If the sandbox broke, after the feedback and the report of the students graded
        before: the student it stopped at and those not started are not graded, nor
        marked failed.
    """
    started = time.monotonic()
    everyone = only or students(course, assignment)
    queue = [s for s in everyone if in_shard(s, options.shard)]
    others = [s for s in everyone if s not in queue and not not_plain([s])]  # (other shards': no feedback here)
    refused = {s: refused_ids([s]) for s in not_plain(queue)}
    if refused:
        print(f"Not grading: {refused_ids(queue)}.", file=sys.stderr, flush=True)
    for student in queue:
        unsafe = student not in refused and unsafe_submission(course / "submitted" / student / assignment)
        if unsafe:
            refused[student] = unsafe
            print(f"Not grading {student}: {unsafe}.", file=sys.stderr, flush=True)
    with shared_mnist() if not options.unsandboxed else nullcontext("") as pixels:
        seconds, failed, broke = run_jobs(course, assignment, [s for s in queue if s not in refused],
                                          replace(options, pixels=pixels))
    graded = sorted(seconds.keys() - failed.keys())
    if graded or not only:  # (an empty list would give everyone's feedback again)
        give_feedback(course, assignment, graded if only else [],
                      others + (broke.ungraded if broke else []), options)
    for student, reason in failed.items():
        failure_page(course, assignment, student, reason, list(notebooks(course, assignment)))
    with holding(course, options.db):
        rows = [r for r in reviews(options.db, assignment) if r.student in seconds]
    rows += [Review(s, 0, max_score(course, assignment), "refused", why) for s, why in refused.items()]
    print_summary(rows, seconds, time.monotonic() - started, options.jobs)
    print(f"\nreport: {write_report(course, assignment, rows, seconds)}", flush=True)
    if broke:
        print_stop(assignment, broke)
        raise broke
    return rows


def run_jobs(course: Path, assignment: str, queue: list[str], options: Options) -> tuple:
    """Grade the queue ``options.jobs`` at a time, in its order, until the sandbox breaks.

    Returns (seconds per student graded, reason per student failed, SandboxBroke or None).
    """
    seconds, failed, broken, waiting, running = {}, {}, [], list(queue), {}
    printing = threading.Lock()

    def grade(student: str) -> tuple[str | None, float]:
        with printing:
            print(f"grading {student} ...", flush=True)
        begun = time.monotonic()
        return grade_one(course, assignment, student, options), time.monotonic() - begun

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        while running or (waiting and not broken):
            while waiting and not broken and len(running) < max(1, options.jobs):
                student = waiting.pop(0)
                running[pool.submit(grade, student)] = student
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: queue.index(running[f])):
                student = running.pop(future)
                try:
                    reason, seconds[student] = future.result()
                except SandboxBroke as error:
                    broken.append((student, error))
                    continue
                if reason:
                    failed[student] = reason
    if not broken:
        return seconds, failed, None
    broke = broken[0][1]
    broke.ungraded = [s for s in queue if s in dict(broken) or s in waiting]
    return seconds, failed, broke


def max_score(course: Path, assignment: str) -> float:
    """The points of the assignment, from the source notebooks."""
    total = 0.0
    for path in (course / "source" / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            total += float(meta.get("points", 0)) if meta.get("grade") else 0.0
    return total
