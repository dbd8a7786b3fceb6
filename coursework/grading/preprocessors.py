"""nbgrader preprocessors: run student code in the sandbox and record what to review.

``SandboxedExecute`` takes the place of nbgrader's ``Execute`` in ``autograde``:

1. it screens the submission without running it (``screen.py``);
2. it executes the whole notebook in one sandbox within one time limit and takes back
   only the outputs of the executed notebook (``run_notebook.py``);
3. at the same time, it runs every test cell again in a second, fresh sandbox, each in
   a fresh process that has only the student's definitions (``rerun_tests.py``); a test that fails
   there gets the failure appended to its outputs, so nbgrader scores it 0, and the
   submission is flagged;
4. if the notebook cannot be graded (time limit, crash, killed process), it marks the
   submission failed in the gradebook (score 0, flagged, with the reason) and raises,
   so nbgrader removes the partial result and goes on with the next student.

``FlagForReview`` runs after nbgrader's ``SaveAutoGrades`` and writes the flag.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, SaveAutoGrades
from traitlets import Bool, Integer

from . import sandbox
from .gradebook import mark_failed, record_review
from .screen import Cell, definitions_only, given_names, layout, screen, student_code


class GradingFailed(RuntimeError):
    """This submission could not be graded; the message says why."""


class SandboxedExecute(NbGraderPreprocessor):
    """Execute a submission in the sandbox, re-run its tests fresh, screen its code."""

    notebook_timeout = Integer(300, help="Seconds one notebook may run in all (kernel start "
                               "included); the fresh re-run of its tests gets as long again."
                               ).tag(config=True)
    memory_mb = Integer(3072, help="Address space of each sandboxed process, MB.").tag(config=True)
    max_processes = Integer(64, help="Processes and threads of the sandbox user.").tag(config=True)
    max_open_files = Integer(256, help="Open files of each sandboxed process.").tag(config=True)
    sandbox_uid = Integer(0, help="User (and group) id inside the sandbox when grading as root; "
                          "0: an unused id per sandbox, so its process limit counts it alone."
                          ).tag(config=True)
    allow_unsandboxed = Bool(False, help="Run student code WITHOUT the sandbox where bubblewrap "
                             "is missing. Only for submissions you trust.").tag(config=True)

    _problem: str | None = None
    _probed = False

    def limits(self) -> sandbox.Limits:
        """The configured limits."""
        return sandbox.Limits(self.notebook_timeout, self.memory_mb, self.max_processes,
                              self.max_open_files, uid=self.sandbox_uid)

    def sandboxed(self) -> bool:
        """True if the sandbox works; refuse (SandboxUnavailable) unless the instructor opted out."""
        if not SandboxedExecute._probed:
            from backprop.mnist import cache_dir, data_folder
            problem = sandbox.sandbox_problem(data_folder(None), cache_dir())
            SandboxedExecute._problem, SandboxedExecute._probed = problem, True
        problem = SandboxedExecute._problem
        if problem and not self.allow_unsandboxed:
            raise sandbox.SandboxUnavailable(
                f"Refusing to run student code: {problem}. Fix that, or accept the risk "
                "explicitly with --SandboxedExecute.allow_unsandboxed=True.")
        if problem:
            self.log.warning("Running student code WITHOUT a sandbox: %s", problem)
        return not problem

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        """Screen, execute, re-run; mark the submission failed if any of it cannot finish."""
        info = resources["nbgrader"]
        cells = layout(self.source_notebook(info["assignment"], info["notebook"]))
        ids = (info["notebook"], info["assignment"], info["student"])
        info["first_solution"] = next(c.grade_id for c in cells if c.kind == "solution")
        sandboxed = self.sandboxed()
        reasons = screen(nb, cells)
        demote_unknown_graded_cells(nb, cells)
        folder = resources.get("metadata", {}).get("path")
        notebook, plan = nbformat.writes(nb).encode(), self.plan(nb, cells)
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:  # two sandboxes side by side
                executed = pool.submit(self.execute, notebook, len(nb.cells), folder, sandboxed)
                verdicts = pool.submit(self.rerun, plan, sandboxed)
                copy_outputs(executed.result(), nb)
                reasons += apply_verdicts(nb, verdicts.result())
        except GradingFailed as failure:
            mark_failed(info["db_url"], ids, info["first_solution"], str(failure))
            raise
        info["review_reasons"] = reasons
        return nb, resources

    def source_notebook(self, assignment: str, notebook: str) -> NotebookNode:
        """The instructor's notebook, from source/ (never shown to the sandbox)."""
        course = CourseDirectory(config=self.config)
        folder = course.format_path(course.source_directory, ".", assignment)
        return nbformat.read(os.path.join(folder, f"{notebook}.ipynb"), as_version=4)

    def in_sandbox(self, script: str, stdin: bytes, files: str | None, sandboxed: bool) -> bytes:
        """Run one of the inside scripts in a fresh working folder; its stdout, or GradingFailed."""
        from backprop.mnist import cache_dir, data_folder
        with tempfile.TemporaryDirectory(prefix="grading-") as work:
            if files and os.path.isdir(files):
                shutil.copytree(files, work, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.ipynb", ".*"))
            outcome = sandbox.run([sys.executable, f"{sandbox.INSIDE_SCRIPTS}/{script}"],
                                  Path(work), stdin, self.limits(), sandboxed=sandboxed,
                                  data_dir=data_folder(None), cache_dir=cache_dir())
        return checked_output(outcome, script, self.notebook_timeout)

    def execute(self, notebook: bytes, n_cells: int, folder: str | None, sandboxed: bool) -> NotebookNode:
        """The notebook executed from the top in one fresh kernel."""
        out = self.in_sandbox("run_notebook.py", notebook, folder, sandboxed)
        try:
            executed = nbformat.reads(out.decode(), as_version=4)
        except Exception as error:  # noqa: BLE001 (any unreadable result is the same failure)
            raise GradingFailed(f"the executed notebook came back unreadable ({error})") from None
        if len(executed.cells) != n_cells:
            raise GradingFailed("the executed notebook came back with different cells")
        return executed

    def plan(self, nb: NotebookNode, cells: list[Cell]) -> bytes:
        """What the fresh re-run runs: given and test cells from source/, student definitions."""
        given, code = given_names(cells), student_code(nb, cells)
        steps = [{"kind": c.kind, "id": c.grade_id,
                  "code": definitions_only(code.get(c.grade_id, ""), given)
                  if c.kind == "solution" else c.code} for c in cells]
        return json.dumps({"seconds": self.notebook_timeout, "steps": steps}).encode()

    def rerun(self, plan: bytes, sandboxed: bool) -> dict:
        """Verdict per test cell of the fresh re-run."""
        out = self.in_sandbox("rerun_tests.py", plan, None, sandboxed)
        try:
            return json.loads(out)
        except ValueError:
            raise GradingFailed("the fresh re-run of the tests came back unreadable") from None


def checked_output(outcome: sandbox.Outcome, script: str, seconds: int) -> bytes:
    """The script's output if it finished normally; otherwise GradingFailed with the reason."""
    stage = "the notebook" if script == "run_notebook.py" else "the fresh re-run of the tests"
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


class FlagForReview(NbGraderPreprocessor):
    """After nbgrader saved the scores: flag the notebook and say why, or clear the flag."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        info = resources["nbgrader"]
        ids = (info["notebook"], info["assignment"], info["student"])
        record_review(info["db_url"], ids, info["first_solution"], info.get("review_reasons", []))
        return nb, resources


def autograde_preprocessors() -> list:
    """nbgrader's autograde steps with Execute replaced and FlagForReview after SaveAutoGrades."""
    steps = [SandboxedExecute if step is Execute else step
             for step in Autograde.class_traits()["autograde_preprocessors"].default()]
    at = steps.index(SaveAutoGrades) + 1
    return steps[:at] + [FlagForReview] + steps[at:]
