"""Grade an assignment safely: every student's notebook in its own sandbox, several at once.

    cd coursework
    python grade.py a1_forward_cost                  # everyone in submitted/
    python grade.py a1_forward_cost --student alice  # one student (repeat for more)
    python grade.py a1_forward_cost --jobs 1         # one student at a time (default: one per core)
    python grade.py a1_forward_cost --time-limit 120 # seconds per notebook
    python grade.py a1_forward_cost --report         # the table again, grading nothing
    python grade.py a1_forward_cost --shard 1/2 --db postgresql+psycopg2://grader@dbhost/course
                                                     # this machine's half, into a shared gradebook

It refuses to run where the bubblewrap sandbox cannot (say ``--unsafe-no-sandbox`` to
run student code unprotected, e.g. on a macOS laptop with your own test submissions).
"""
import argparse
import os
import sys
from pathlib import Path

COURSE = Path(__file__).resolve().parent
sys.path.insert(0, str(COURSE))

from grading.quick_start import skip_unused_imports  # noqa: E402

skip_unused_imports()  # (before anything imports nbformat: see grading/quick_start.py)

from grading.batch import (DB, Options, SandboxBroke, check_configuration, grade_all,  # noqa: E402
                           refused_ids, students)
from grading.lock import shared  # noqa: E402
from grading.shards import course_id, database_problem, in_shard, parse_shard, prepare  # noqa: E402
from grading.report import print_summary  # noqa: E402
from grading.gradebook import reviews  # noqa: E402
from grading.preflight import course_problem, sandbox_problem  # noqa: E402


def cores() -> int:
    """The cores this process may run on (all of them where the system does not say)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def shard(text: str) -> tuple[int, int]:
    """argparse's reading of --shard."""
    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def arguments(argv=None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="e.g. a1_forward_cost")
    parser.add_argument("--student", action="append", default=[], help="grade only this student")
    parser.add_argument("--time-limit", type=int, help="seconds per notebook (default: config)")
    parser.add_argument("--jobs", type=int, default=cores(),
                        help="students graded at once, each in its own sandbox (default: the cores, %(default)s)")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run student code without the sandbox where bubblewrap cannot run")
    parser.add_argument("--report", action="store_true", help="print the last results only")
    parser.add_argument("--shard", type=shard, metavar="i/N",
                        help="grade only shard i of N of the class (i from 1; split by student id)")
    parser.add_argument("--db", default=DB, metavar="URL",
                        help="the gradebook database, e.g. a PostgreSQL server all shards share "
                             "(default: %(default)s in this folder)")
    args = parser.parse_args(argv)
    if args.time_limit is not None and args.time_limit <= 0:
        parser.error("--time-limit must be a positive number of seconds")
    if args.jobs <= 0:
        parser.error(f"--jobs must be a positive number of students at once, not {args.jobs}")
    if args.shard and args.shard[1] > 1 and not shared(args.db):
        parser.error("--shard needs --db with the PostgreSQL gradebook that every machine writes "
                     "(e.g. --db postgresql+psycopg2://grader@dbhost/course)")
    if refused_ids(args.student):
        parser.error(f"--student: {refused_ids(args.student)}")
    if not (COURSE / "source" / args.assignment).is_dir():
        parser.error(f"no assignment {args.assignment!r} in {COURSE / 'source'}")
    return args


def share_mnist_cache() -> str | None:
    """Fill backprop's cache of parsed MNIST and let the sandbox's user read it; or why not."""
    from backprop.mnist import MNISTNotFoundError, cache_dir, cache_mnist
    try:
        cache_mnist(progress=False)  # (no float pixels: the batch writes those once, shared_mnist.py)
    except (OSError, ValueError, MNISTNotFoundError) as error:
        return (f"MNIST cannot be loaded ({error}); set BACKPROP_DATA_DIR to a folder "
                "with the four MNIST .gz files that this user can read")
    folder = cache_dir()  # public data; the folder may be private (mktemp) and backprop
    folder.chmod(folder.stat().st_mode | 0o055)  # writes the file readable by its owner only
    for cached in folder.glob("mnist-*.npz"):
        cached.chmod(0o644)
    return None


def main(argv=None) -> int:
    """Grade (or report) and return the exit status."""
    args = arguments(argv)
    os.chdir(COURSE)
    unreachable = args.db != DB and database_problem(args.db)
    if unreachable:
        print(f"Refusing to grade: {unreachable}.", file=sys.stderr)
        return 2
    if args.report:
        print_summary(reviews(args.db, args.assignment), None)
        return 0
    mine = [s for s in args.student or students(COURSE, args.assignment) if in_shard(s, args.shard)]
    # Everything that can be wrong with the setup is found before anything is changed.
    broken = (check_configuration(COURSE)
              or course_problem(COURSE, args.assignment, mine)
              or share_mnist_cache())
    if broken:
        print(f"Refusing to grade: {broken}.", file=sys.stderr)
        return 2
    from backprop.mnist import cache_dir, data_folder
    problem = sandbox_problem(data_folder(None), cache_dir())
    if problem and not args.unsafe_no_sandbox:
        print(f"Refusing to grade: {problem}.\nThe sandbox keeps student code away from the "
              "solutions, the gradebook and other students. Fix that, or pass "
              "--unsafe-no-sandbox to accept the risk.", file=sys.stderr)
        return 2
    missing = args.db != DB and prepare(COURSE, args.db, course_id(COURSE), args.assignment)
    if missing:  # (the shared gradebook's tables and courses exist now; nothing else changed)
        print(f"Refusing to grade: {missing}.", file=sys.stderr)
        return 2
    try:
        grade_all(COURSE, args.assignment, args.student,
                  Options(args.time_limit, unsandboxed=bool(problem), jobs=args.jobs,
                          db=args.db, shard=args.shard))
    except SandboxBroke:  # grade_all has said where it stopped and who is left to grade
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
