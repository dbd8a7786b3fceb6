"""Every resource bounded per sandbox: memory of all its processes, disk, output.

The output cut and the cgroup's naming and cleanup are checked on their own; then
sandboxed commands that go over each limit; then (``slow``) a batch in which three
hostile submissions score 0 with their reasons beside honest students with full marks.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "coursework"
sys.path.insert(0, str(COURSE))

from grading import cgroup, sandbox, truncate  # noqa: E402
from grading.preflight import sandbox_problem  # noqa: E402

PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
needs_cgroup = pytest.mark.skipif(os.geteuid() != 0 or cgroup.version() is None,
                                  reason="cgroups are made as root, where a cgroup file system is mounted")


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def notebook(*outputs: list) -> dict:
    return {"cells": [{"cell_type": "code", "source": "", "outputs": list(o)} for o in outputs]}


def test_a_long_output_is_cut_to_the_cells_share_with_the_bytes_dropped_said():
    long, error = stream("x" * 300_000), {"output_type": "error", "ename": "ValueError",
                                          "evalue": "v" * 50_000, "traceback": ["t" * 50_000]}
    nb = notebook([stream("first\n"), long, error])
    before = [truncate.size(o) for o in nb["cells"][0]["outputs"]]
    dropped = truncate.truncate_outputs(nb)
    kept = nb["cells"][0]["outputs"]
    assert kept[0] == stream("first\n") and kept[1]["text"] == "x" * len(kept[1]["text"])
    assert kept[2]["output_type"] == "error" and kept[2]["ename"] == "ValueError"  # still fails
    assert sum(truncate.size(o) for o in kept[:2]) <= truncate.PER_CELL  # the error comes on top,
    assert truncate.size(kept[2]) <= 2 * truncate.ERROR_KEEP + 200     # shortened
    assert dropped == sum(before) - sum(truncate.size(o) for o in kept[:3]) > 250_000
    assert kept[3] == stream(f"[output truncated: {dropped} bytes dropped by the grader]\n")
    again = json.loads(json.dumps(nb))
    assert truncate.truncate_outputs(again) == 0 and again == nb  # a second cut changes nothing


def test_the_whole_notebook_keeps_at_most_its_share_and_small_outputs_stay_whole():
    nb = notebook(*[[stream("y" * 90_000)] for _ in range(20)], [stream("small\n")])
    truncate.truncate_outputs(nb)
    sizes = [sum(truncate.size(o) for o in c["outputs"] if not truncate.is_note(o)) for c in nb["cells"]]
    full = truncate.size(stream("y" * 90_000))
    whole = truncate.PER_NOTEBOOK // full  # cells that fit whole: 11
    assert sizes[:whole] == [full] * whole and sum(sizes) <= truncate.PER_NOTEBOOK
    assert 0 < sizes[whole] <= truncate.PER_NOTEBOOK - whole * full  # the next one cut to what is left
    assert sizes[whole + 1:] == [0] * (21 - whole - 1)  # the rest (the small one too): notes only
    assert all(truncate.is_note(c["outputs"][-1]) for c in nb["cells"][whole:])


def test_a_figure_over_the_share_is_dropped_whole_and_a_forged_note_is_only_text():
    figure = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * 200_000}}
    nb = notebook([figure], [stream("[output truncated: lots of bytes]\n")])
    dropped = truncate.truncate_outputs(nb)
    assert dropped == truncate.size(figure)
    assert nb["cells"][0]["outputs"] == [stream(f"[output truncated: {dropped} bytes dropped by the grader]\n")]
    assert nb["cells"][1]["outputs"] == [stream("[output truncated: lots of bytes]\n")]


def test_a_cgroup_name_is_unique_and_stale_once_its_process_is_gone():
    first, second = cgroup.unique_name(), cgroup.unique_name()
    other = subprocess.run([sys.executable, "-c", "from grading import cgroup; print(cgroup.unique_name())"],
                           cwd=COURSE, capture_output=True, text=True, check=True).stdout.strip()
    assert len({first, second, other}) == 3 and all(n.startswith(cgroup.PREFIX) for n in (first, other))
    assert not cgroup.is_stale(first) and cgroup.is_stale(other)  # that process has ended
    assert cgroup.is_stale(f"{cgroup.PREFIX}{os.getpid()}-1-0")  # this id, another start time


@needs_cgroup
def test_a_cgroup_holds_its_limits_and_processes_and_is_removed_with_them():
    groups = [cgroup.create(512, 16), cgroup.create(512, 16)]
    try:
        assert groups[0].dirs[0] != groups[1].dirs[0]
        limit = "memory.limit_in_bytes" if groups[0].version == 1 else "memory.max"
        assert int((groups[0].dirs[0] / limit).read_text()) == 512 * 2**20
        sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=groups[0].join)
        assert groups[0].processes() == {sleeper.pid} and groups[1].processes() == set()
        groups[0].remove()
        assert sleeper.wait(timeout=10) == -9
        assert not any(d.exists() for d in groups[0].dirs)
    finally:
        groups[1].remove()
    assert not any(d.exists() for d in groups[1].dirs)
    stale = groups[0].dirs[0].parent / f"{cgroup.PREFIX}1-1-0"  # left by a grading killed outright
    stale.mkdir()
    cgroup.create(64, 4).remove()  # making a group sweeps away the stale ones
    assert not stale.exists()


def run_inside(work: Path, script: str, seconds: int = 60) -> sandbox.Outcome:
    return sandbox.run([sys.executable, "-c", script], work, b"", sandbox.Limits(seconds=seconds))


WRITES = """
import json, os
seen = {}
for folder in ["/", "/dev", "/usr", "/etc", "/proc", "/data", "/grading", "/submission", "/tmp", "/dev/shm"]:
    try:
        open(os.path.join(folder, "written"), "w").write("x")
        seen[folder] = os.statvfs(folder).f_blocks * os.statvfs(folder).f_frsize // 2**20
    except OSError:
        pass
seen["given"] = open("given.txt").read()
print(json.dumps(seen))
"""


@needs_sandbox
def test_the_sandbox_writes_only_bounded_tmpfs_folders_and_nothing_comes_back(tmp_path):
    (tmp_path / "given.txt").write_text("the student's data")
    outcome = run_inside(tmp_path, WRITES)
    assert outcome.returncode == 0 and not outcome.over_limit, outcome.stderr
    seen = json.loads(outcome.stdout)
    assert seen.pop("given") == "the student's data"
    assert seen == {"/submission": 256, "/tmp": 256, "/dev/shm": 256}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["given.txt"]


@needs_sandbox
def test_a_disk_filler_is_stopped_at_its_tmpfs_size_and_the_host_disk_is_untouched(tmp_path):
    before = shutil.disk_usage(tmp_path).used
    outcome = run_inside(tmp_path, "import os, time\ntry:\n    for n in range(200):\n"  # as a notebook
                         "        open(f'f{n}', 'wb').write(os.urandom(2**20) * 16)\n"  # goes on after
                         "except OSError:\n    time.sleep(3)")                          # a failed cell
    assert outcome.over_limit.startswith("went over the disk limit: it filled the 256 MB")
    assert list(tmp_path.iterdir()) == []
    print(f"\ndisk filler: host disk use changed by {(shutil.disk_usage(tmp_path).used - before) / 2**20:.0f} MB")


MEMORY_TOGETHER = """
import subprocess, sys
hold = 'import numpy, time\\nkept = numpy.ones(1400 * 2**20 // 8)\\nprint("held", flush=True)\\ntime.sleep(60)'
held = [subprocess.Popen([sys.executable, '-c', hold]) for _ in range(3)]
[process.wait() for process in held]
"""


@needs_sandbox
@needs_cgroup
def test_processes_over_the_memory_limit_together_are_stopped_and_their_cgroup_removed(tmp_path):
    started = time.monotonic()
    outcome = run_inside(tmp_path, MEMORY_TOGETHER)
    assert outcome.over_limit.startswith("went over the memory limit: its processes together used more "
                                         "than 3072 MB, so they were stopped"), outcome
    # (each keeps its 1.4 GB, so the three cannot all hold at once; how many printed "held"
    # before the kernel stopped one and the sandbox was stopped depends on timing)
    assert outcome.peak_mb <= 3072
    assert cgroup.leftovers() == []
    print(f"\nthree processes of 1.4 GB: stopped at {outcome.peak_mb:.0f} MB together "
          f"after {time.monotonic() - started:.1f} s")


@needs_sandbox
@needs_cgroup
def test_two_sandboxes_at_once_have_two_cgroups(tmp_path):
    works = [tmp_path / "one", tmp_path / "two"]
    seen: dict[str, set] = {}
    threads = []
    for work in works:
        work.mkdir()
        threads.append(threading.Thread(target=run_inside, args=(work, "import time\ntime.sleep(4)")))
        threads[-1].start()
    mine = f"{cgroup.PREFIX}{os.getpid()}-"
    while any(t.is_alive() for t in threads):
        for folder in cgroup.ROOT.rglob(mine + "*"):
            if folder.name.startswith(mine) and (folder / "cgroup.procs").exists():
                seen.setdefault(folder.name, set()).update((folder / "cgroup.procs").read_text().split())
        time.sleep(0.2)
    busy = {name: pids for name, pids in seen.items() if pids}
    assert len(busy) >= 2 and not set.intersection(*busy.values())
    assert not any(cgroup.ROOT.rglob(mine + "*"))


HOLD = """
import numpy, time
kept = numpy.ones(1100 * 2**20 // 8)
print("held", flush=True)
time.sleep(60)
"""


@needs_sandbox
@needs_cgroup
def test_the_three_sandboxes_of_a_submission_share_one_memory_limit(tmp_path):
    # Each holds 1.1 GB, well within the 3072 MB limit alone; three together are not, and
    # all three sandboxes are stopped with the reason.
    limits, outcomes = sandbox.Limits(seconds=60), []
    with sandbox.shared_group(limits, 3) as group:
        def hold(work: Path) -> None:
            work.mkdir()
            outcomes.append(sandbox.run([sys.executable, "-c", HOLD], work, b"", limits, group=group))
        threads = [threading.Thread(target=hold, args=(tmp_path / str(i),)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert group.peak_bytes() <= 3072 * 2**20 and group.oom_kills() >= 1
    stopped = [o for o in outcomes if o.over_limit]
    assert len(stopped) == 3 and all(o.over_limit.startswith("went over the memory limit: its processes "
                                                       "together used more than 3072 MB") for o in stopped)
    assert cgroup.leftovers() == [] and not any(cgroup.ROOT.rglob(f"{cgroup.PREFIX}{os.getpid()}-*"))


@needs_sandbox
def test_the_notebook_runner_cuts_a_chatty_cell_and_stops_a_300_mb_printer(tmp_path):
    import nbformat
    def run(*cells: str) -> sandbox.Outcome:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        return sandbox.run([sys.executable, "/grading/run_notebook.py"], tmp_path,
                           nbformat.writes(nb).encode(), sandbox.Limits(seconds=120))
    chatty = run("for i in range(3000):\n    print('line', i, 'x' * 100)", "print('after')")
    assert chatty.returncode == 0, chatty.stderr
    cells = nbformat.reads(chatty.stdout.decode(), as_version=4).cells
    assert len(chatty.stdout) < 2 * truncate.PER_CELL
    assert truncate.is_note(cells[0].outputs[-1]) and cells[1].outputs[0].text == "after\n"
    printer = run("print('before')", "for _ in range(300):\n    print('x' * 10**6)")
    assert printer.over_limit == "went over the output limit: it printed more than 16 MB"
    assert printer.stdout == b""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """a1 graded by grade.py: three hostile submissions beside three honest ones."""
    pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")
    from example_class import CLASS, Entry, before_sigmoid, submit
    from test_coursework import data_dir, run
    from time_grading import copy_course
    data_dir()
    if PROBLEM:
        pytest.fail(f"the sandbox cannot run here ({PROBLEM})")
    course = copy_course(tmp_path_factory.mktemp("bounds"))
    run(course, "-m", "nbgrader", "generate_assignment", "a1_forward_cost", "--force")
    chatty = Entry(before_sigmoid(lambda c: "for i in range(3000):\n    print('line', i, 'x' * 100)"), 10)
    entries = {name: CLASS["a1_forward_cost"][name] for name in
               ("reference", "v00_victim", "memory_together", "fills_disk", "prints_300_mb")}
    for student, entry in {**entries, "chatty": chatty}.items():
        submit(course, "a1_forward_cost", student, entry)
    done = run(course, "grade.py", "a1_forward_cost", "--time-limit", "60")
    print(done.stdout)
    with open(course / "grading-a1_forward_cost.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return course, rows, {**entries, "chatty": chatty}, done.stdout


def test_each_hostile_submission_scores_0_with_its_reason_and_the_honest_keep_full_marks(batch):
    course, rows, entries, log = batch
    for student, entry in entries.items():
        row = rows[student]
        assert (float(row["score"]), row["status"]) == (entry.score, entry.status), row
        assert all(words in row["reason"] for words in entry.reasons), row
        if entry.status == "failed":
            page = (course / "feedback" / student / "a1_forward_cost" / "forward_cost.html").read_text()
            assert entry.reasons[0] in page and len(page) < 5_000
    assert "Bounds: memory: all processes of a submission (its three sandboxes) together" in log or os.geteuid() != 0


def test_the_graded_notebooks_and_feedback_stay_small(batch):
    course = batch[0]
    graded = lambda s: course / "autograded" / s / "a1_forward_cost" / "forward_cost.ipynb"
    feedback = lambda s: course / "feedback" / s / "a1_forward_cost" / "forward_cost.html"
    assert not graded("prints_300_mb").exists() and feedback("prints_300_mb").stat().st_size < 5_000
    assert "[output truncated: " in graded("chatty").read_text()
    grown = {s: graded("chatty").stat().st_size - graded("reference").stat().st_size for s in ["chatty"]}
    assert 0 < grown["chatty"] < truncate.PER_CELL + 10_000
    assert feedback("chatty").stat().st_size - feedback("reference").stat().st_size < 2 * truncate.PER_CELL
    print(f"\nchatty (330 kB printed): graded notebook {graded('chatty').stat().st_size / 1000:.0f} kB, "
          f"feedback {feedback('chatty').stat().st_size / 1000:.0f} kB; reference "
          f"{graded('reference').stat().st_size / 1000:.0f} kB and {feedback('reference').stat().st_size / 1000:.0f} kB")


def test_no_cgroup_process_or_written_file_is_left_after_the_batch(batch):
    from test_coursework import sandbox_processes
    course = batch[0]
    assert sandbox_processes() == []
    if os.geteuid() == 0 and cgroup.version():
        assert cgroup.leftovers() == []
    assert list(course.rglob("filler*")) == []
