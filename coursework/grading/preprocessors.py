"""nbgrader preprocessors: run student code in the sandbox and record what to review.

``CheckStructure`` runs first, on the notebook as submitted: a student id that is not a
plain name, a symbolic link or special file in the submission (``files.py``), a cell id
used twice or a missing test cell fails the grading, with the reason (nbgrader would
stop, or quietly keep one of the two cells). Then
``SandboxedExecute`` takes the place of nbgrader's ``Execute`` in ``autograde``:

1. it screens the submission without running it (``screen.py``);
2. it executes the whole notebook in one sandbox within one time limit and takes back
   only the outputs of the executed notebook (``run_notebook.py``);
3. at the same time, it runs every test cell again in a fresh process that no student
   code shares (``fresh_run.py``): the test runs in one sandbox (``rerun_tests.py``) and
   calls the student's functions, which run in another (``student_side.py``), with plain
   data both ways (``plain.py``); a test that fails there gets the failure appended to its
   outputs, so nbgrader scores it 0, and the submission is flagged;
4. if the notebook cannot be graded (time limit, crash, killed process), it marks the
   submission failed in the gradebook (score 0, flagged, with the reason) and raises,
   so nbgrader removes the partial result and goes on with the next student.

``FlagForReview`` runs after nbgrader's ``SaveAutoGrades`` and writes the flag. Given a
``GradingStep.status_file`` (``grade.py`` gives one), these steps record how each
notebook's grading ended there (``status.py``), which is what the batch reads.
"""
from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, SaveAutoGrades
from traitlets import Bool, Integer, Unicode

from . import cgroup, fresh_run, preflight, sandbox
from .files import copy_regular, unsafe_submission
from .gradebook import mark_failed, record_review
from .ids import RULE, not_plain
from .lock import released
from .screen import Cell, broken_structure, layout, screen
from .status import FAILED, GRADED, UNAVAILABLE, write_status


class GradingFailed(RuntimeError):
    """This submission could not be graded; the message says why."""


class GradingStep(NbGraderPreprocessor):
    """A step of this course's grading: it can tell the batch how the grading ended."""

    status_file = Unicode("", help="Where to record how each notebook's grading ended "
                          "(JSON, see grading/status.py); grade.py reads it.").tag(config=True)

    def report(self, info: dict, status: str, reason: str = "") -> None:
        """Tell the batch how this notebook's grading ended, if it asked (``status_file``)."""
        if self.status_file:
            write_status(self.status_file, info["notebook"], status, reason)

    def fail(self, info: dict, first_solution: str, reason: str) -> GradingFailed:
        """Mark the notebook failed (gradebook, status file); the exception to raise."""
        ids = (info["notebook"], info["assignment"], info["student"])
        mark_failed(info["db_url"], ids, first_solution, reason)
        self.report(info, FAILED, reason)
        return GradingFailed(reason)

    def submitted_folder(self, info: dict) -> str:
        """The student's folder of this assignment in submitted/."""
        course = CourseDirectory(config=self.config)
        return course.format_path(course.submitted_directory, info["student"], info["assignment"])

    def source_cells(self, info: dict) -> list[Cell]:
        """The code cells of the instructor's notebook, from source/ (never shown to the sandbox)."""
        course = CourseDirectory(config=self.config)
        folder = course.format_path(course.source_directory, ".", info["assignment"])
        return layout(nbformat.read(os.path.join(folder, f"{info['notebook']}.ipynb"), as_version=4))


class CheckStructure(GradingStep):
    """Before nbgrader sanitizes it: fail a submission whose ids would break its grading."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources["nbgrader"]
        cells = self.source_cells(info)
        first = next(c.grade_id for c in cells if c.kind == "solution")
        if not_plain([info["student"]]):
            raise self.fail(info, first, f"the student id {info['student']!r} is not a plain name ({RULE})")
        unsafe = unsafe_submission(self.submitted_folder(info))
        if unsafe:
            raise self.fail(info, first, unsafe)
        broken = broken_structure(nb, cells)
        if broken:
            raise self.fail(info, first, "; ".join(broken))
        return nb, resources


class SandboxedExecute(GradingStep):
    """Execute a submission in the sandbox, re-run its tests fresh, screen its code."""

    notebook_timeout = Integer(300, help="Seconds one notebook may run in all (kernel start "
                               "included); the fresh re-run of its tests gets as long again."
                               ).tag(config=True)
    memory_mb = Integer(3072, help="Address space of each sandboxed process, MB.").tag(config=True)
    max_processes = Integer(64, help="Processes and threads inside one sandbox.").tag(config=True)
    max_open_files = Integer(256, help="Open files of each sandboxed process.").tag(config=True)
    allow_unsandboxed = Bool(False, help="Run student code WITHOUT the sandbox where bubblewrap "
                             "is missing. Only for submissions you trust.").tag(config=True)
    sandbox_checked = Bool(False, help="The sandbox was found working just before (grade.py "
                           "checks it once per batch): do not check it again.").tag(config=True)
    shared_pixels = Unicode("", help="A folder of MNIST's float64 pixels that grade.py wrote "
                            "for this batch (shared_mnist.py): sandboxes map it.").tag(config=True)

    _problem: str | None = None
    _probed = False

    def limits(self) -> sandbox.Limits:
        """The configured limits."""
        return sandbox.Limits(self.notebook_timeout, self.memory_mb, self.max_processes,
                              self.max_open_files)

    def sandboxed(self) -> bool:
        """True if the sandbox works; refuse (SandboxUnavailable) unless the instructor opted out.

        The sandbox is checked once per process, or not at all when ``sandbox_checked``.
        """
        if self.sandbox_checked:
            return True
        if not SandboxedExecute._probed:
            SandboxedExecute._problem, SandboxedExecute._probed = sandbox_problem(), True
        problem = SandboxedExecute._problem
        if problem and not self.allow_unsandboxed:
            raise sandbox.SandboxUnavailable(
                f"Refusing to run student code: {problem}. Fix that, or accept the risk "
                "explicitly with --SandboxedExecute.allow_unsandboxed=True.")
        if problem:
            self.log.warning("Running student code WITHOUT a sandbox: %s", problem)
        return not problem

    def preprocess(self, nb: NotebookNode, resources: dict):
        """Screen, execute, re-run; mark the submission failed if any of it cannot finish."""
        info = resources["nbgrader"]
        cells = self.source_cells(info)
        info["first_solution"] = next(c.grade_id for c in cells if c.kind == "solution")
        try:
            sandboxed = self.sandboxed()
            reasons = screen(nb, cells)
            demote_unknown_graded_cells(nb, cells)
            folder = resources.get("metadata", {}).get("path")
            notebook = nbformat.writes(nb).encode()
            plans = fresh_run.plans(nb, cells, self.notebook_timeout)
            with released(), sandbox.shared_group(self.limits(), 3) as group, \
                    ThreadPoolExecutor(max_workers=2) as pool:  # the three sandboxes side by side
                executed = pool.submit(self.execute, notebook, len(nb.cells), folder, sandboxed, group)
                verdicts = pool.submit(self.rerun, plans, sandboxed, group)
                executed, verdicts = executed.result(), verdicts.result()
        except GradingFailed as failure:
            raise self.fail(info, info["first_solution"], str(failure)) from None
        except sandbox.SandboxUnavailable as error:
            self.report(info, UNAVAILABLE, str(error))
            raise
        copy_outputs(executed, nb)
        info["review_reasons"] = reasons + apply_verdicts(nb, verdicts)
        return nb, resources

    def in_sandbox(self, script: str, stdin: bytes, files: str | None, sandboxed: bool,
                   group: cgroup.Group | None, pipes: tuple = ()) -> sandbox.Outcome:
        """Run one of the inside scripts in a fresh working folder (given these pipe ends),
        in the submission's cgroup ``group``."""
        from backprop.mnist import cache_dir, data_folder
        with tempfile.TemporaryDirectory(prefix="grading-") as work:
            if files and os.path.isdir(files):
                copy_regular(files, work, skip=lambda name: name.endswith(".ipynb") or name.startswith("."))
            return sandbox.run([sys.executable, f"{sandbox.INSIDE_SCRIPTS}/{script}", *map(str, pipes)],
                               Path(work), stdin, self.limits(), sandboxed=sandboxed,
                               data_dir=data_folder(None), cache_dir=cache_dir(), pass_fds=pipes,
                               group=group, pixels_dir=Path(self.shared_pixels) if self.shared_pixels else None)

    def execute(self, notebook: bytes, n_cells: int, folder: str | None, sandboxed: bool,
                group: cgroup.Group | None) -> NotebookNode:
        """The notebook executed from the top in one fresh kernel."""
        out = checked_output(self.in_sandbox("run_notebook.py", notebook, folder, sandboxed, group),
                             "run_notebook.py", self.notebook_timeout)
        try:
            executed = nbformat.reads(out.decode(), as_version=4)
        except Exception as error:  # noqa: BLE001 (any unreadable result is the same failure)
            raise GradingFailed(f"the executed notebook came back unreadable ({error})") from None
        if len(executed.cells) != n_cells:
            raise GradingFailed("the executed notebook came back with different cells")
        return executed

    def rerun(self, plans: tuple[bytes, bytes], sandboxed: bool, group: cgroup.Group | None) -> dict:
        """Verdict per test cell of the fresh re-run (tests and student code in two sandboxes)."""
        outcome = fresh_run.run_both(*plans, lambda script, stdin, pipes: self.in_sandbox(
            script, stdin, None, sandboxed, group, pipes))
        out = checked_output(outcome, fresh_run.TESTS_SCRIPT, self.notebook_timeout)
        try:
            return json.loads(out)
        except ValueError:
            raise GradingFailed("the fresh re-run of the tests came back unreadable") from None


def sandbox_problem() -> str | None:
    """Why the sandbox cannot run here, with this machine's MNIST folder and cache (None if it can)."""
    from backprop.mnist import cache_dir, data_folder
    return preflight.sandbox_problem(data_folder(None), cache_dir())


def checked_output(outcome: sandbox.Outcome, script: str, seconds: int) -> bytes:
    """The script's output if it finished normally; otherwise GradingFailed with the reason."""
    stage = "the notebook" if script == "run_notebook.py" else "the fresh re-run of the tests"
    if outcome.over_limit:  # memory, disk or output: sandbox.py stopped it
        raise GradingFailed(f"{stage} {outcome.over_limit}; it was stopped")
    if outcome.timed_out:
        raise GradingFailed(f"{stage} ran longer than the time limit of {seconds} s "
                            "(an endless loop or very slow code); it was stopped")
    if outcome.returncode != 0:
        raise GradingFailed(f"{stage} stopped abnormally ({how_it_ended(outcome)})")
    return outcome.stdout


def how_it_ended(outcome: sandbox.Outcome) -> str:
    """'killed by SIGKILL', 'exit status 1: MemoryError...' and the like."""
    code = outcome.returncode
    number = -code if code < 0 else code - 128 if code > 128 else 0
    if number in set(signal.Signals):
        return f"killed by {signal.Signals(number).name}"
    errors = re.findall(r"^\w*(?:Error|Exception)\b.*$", outcome.stderr, re.MULTILINE)
    return f"exit status {code}" + (f": {errors[-1][:200]}" if errors else "")


def copy_outputs(executed: NotebookNode, nb: NotebookNode) -> None:
    """Take only outputs and execution counts back; sources and metadata stay the grader's."""
    for mine, theirs in zip(nb.cells, executed.cells):
        if mine.cell_type == "code":
            mine.outputs = theirs.get("outputs", [])
            mine.execution_count = theirs.get("execution_count")


def demote_unknown_graded_cells(nb: NotebookNode, cells: list[Cell]) -> None:
    """A graded or solution cell the instructor did not write loses its nbgrader mark."""
    known = {c.grade_id for c in cells}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta and meta.get("grade_id") not in known:
            del cell.metadata["nbgrader"]


def apply_verdicts(nb: NotebookNode, verdicts: dict) -> list[str]:
    """Fail the test cells that passed in the notebook but not in the fresh re-run."""
    reasons = []
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        verdict = verdicts.get(grade_id)
        has_error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if verdict is None or verdict["passed"] or has_error:
            continue
        message = f"fails when run again with only the solution code: {verdict['error']}"
        cell.outputs.append(nbformat.v4.new_output(
            "error", ename="FreshRunError", evalue=message, traceback=[f"FreshRunError: {message}"]))
        reasons.append(f"{grade_id} passed in the notebook but {message}")
    return reasons


class FlagForReview(GradingStep):
    """After nbgrader saved the scores: flag the notebook and say why, or clear the flag."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources["nbgrader"]
        ids = (info["notebook"], info["assignment"], info["student"])
        record_review(info["db_url"], ids, info["first_solution"], info.get("review_reasons", []))
        self.report(info, GRADED)
        return nb, resources


def sanitize_preprocessors() -> list:
    """nbgrader's sanitizing steps of autograde, after CheckStructure."""
    return [CheckStructure, *Autograde.class_traits()["sanitize_preprocessors"].default()]


def autograde_preprocessors() -> list:
    """nbgrader's autograde steps with Execute replaced and FlagForReview after SaveAutoGrades."""
    steps = [SandboxedExecute if step is Execute else step
             for step in Autograde.class_traits()["autograde_preprocessors"].default()]
    at = steps.index(SaveAutoGrades) + 1
    return steps[:at] + [FlagForReview] + steps[at:]
