"""The grading sandbox run by an ordinary (non-root) instructor, for real.

The test process is root; it switches to an unprivileged user id that no account or
process uses (``UID``), so the grader itself runs as an ordinary user: bubblewrap then
needs unprivileged user namespaces and maps that user to itself. As that user it
executes a notebook in the sandbox and checks what matters (no network, no writing
outside its folder, none of the instructor's files, every process gone, files owned by
the instructor), grades a good submission with ``grade.py``, and sees ``grade.py`` refuse,
naming the problem and changing nothing, where user namespaces are off.

Where this Python lives in a folder only root can enter (``/root/.pyenv``, say), the
user's commands run in a mount namespace, made as root, in which that folder holds only
what they need: an instructor's own environment would be theirs to read.
"""
import csv
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "coursework"
sys.path.insert(0, str(COURSE))

from grading import sandbox  # noqa: E402

UID = 1_180_000 + os.getpid() % 10_000  # the ordinary user of this test; no account, no process

# Runs (as root) before the user's command: optionally enter a user namespace whose
# user.max_user_namespaces is 0 (as on a machine that forbids unprivileged ones), then
# become UID and run the command.
BECOME = r"""
import ctypes, os, sys
uid, userns_off, argv = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
if userns_off:
    ready, go = os.pipe(), os.pipe()
    child = os.fork()
    if child:
        os.close(ready[1])
        if os.read(ready[0], 1):
            for name in ("uid_map", "gid_map"):
                with open(f"/proc/{child}/{name}", "w") as f:
                    f.write("0 0 4294967295")
        os.write(go[1], b".")
        sys.exit(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]))
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:  # CLONE_NEWUSER
        sys.exit(f"unshare(CLONE_NEWUSER): {os.strerror(ctypes.get_errno())}")
    os.write(ready[1], b".")
    os.read(go[0], 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
os.execvp(argv[0], argv)
"""


def needed_folders() -> list[Path]:
    """What the user's commands read: this Python, its environment, the repository, MNIST."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
               Path(sys.executable).resolve().parent.parent, REPO}
    if os.environ.get("BACKPROP_DATA_DIR"):
        folders.add(Path(os.environ["BACKPROP_DATA_DIR"]).resolve())
    return sorted(folders)


def reach_wrapper() -> list[str]:
    """bwrap, as root, hiding each folder only root can enter behind one holding just what is needed."""
    blocked: dict[Path, list[Path]] = {}
    for folder in needed_folders():
        for parent in reversed(folder.parents):
            if parent != Path("/") and not parent.stat().st_mode & stat.S_IXOTH:
                blocked.setdefault(parent, []).append(folder)
                break
    if not blocked:
        return []
    args = ["bwrap", "--dev-bind", "/", "/"]
    for top, inside in blocked.items():
        args += ["--perms", "0755", "--tmpfs", str(top)]
        args += [arg for folder in inside for arg in sandbox.ro_mount(folder)]
    return args + ["--"]


def as_user(argv: list[str], home: Path, *, userns_off: bool = False, env: dict | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``argv`` as UID, with a plain environment and ``home``, as an instructor would."""
    variables = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home),
                 "LANG": "C.UTF-8", "MPLBACKEND": "Agg", **(env or {})}
    command = [*reach_wrapper(), sys.executable, "-c", BECOME, str(UID), str(int(userns_off)), *argv]
    return subprocess.run(command, env=variables, cwd=home, capture_output=True, text=True,
                          timeout=timeout)


def processes_of_the_user() -> list[str]:
    """Every process (zombies included) of UID."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid == UID:
                found.append(f"{proc.name}: {(proc / 'status').read_text().splitlines()[:3]}")
        except OSError:
            continue
    return found


def no_process_left(seconds: float = 0.5) -> list[str]:
    """The user's processes still there after up to ``seconds`` (a killed one may take a moment)."""
    deadline = time.monotonic() + seconds
    while (left := processes_of_the_user()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def why_not() -> str | None:
    """Why this test cannot run here (None if it can)."""
    if not sys.platform.startswith("linux"):
        return "Linux only"
    if os.geteuid() != 0:
        return ("needs root to switch to an unprivileged user id; as an ordinary user, "
                "tests/test_coursework_sandbox.py already runs the sandbox that way")
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed"
    home = Path(tempfile.mkdtemp(prefix="sandbox-user-probe-"))
    try:
        os.chown(home, UID, UID)
        done = as_user(["bwrap", *sandbox.namespace_options(), "--ro-bind", "/", "/", "true"], home,
                       timeout=60)
    finally:
        shutil.rmtree(home)
    if done.returncode != 0:
        return f"bubblewrap cannot run as user id {UID} here: {done.stderr.strip()[-300:]}"
    return None


PROBLEM = why_not()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=f"no ordinary user's sandbox: {PROBLEM}")


@pytest.fixture
def home():
    """The ordinary user's home: a folder only that user (and root) can enter."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-user-"))
    os.chown(folder, UID, UID)
    yield folder
    shutil.rmtree(folder)


# Runs as the ordinary user: the instructor's side. argv: course, secret file, port, cache folder.
DRIVER = r"""
import json, os, socket, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import nbformat
from grading import sandbox
from grading.preflight import sandbox_problem
solutions = os.path.join(sys.argv[1], "source")
secret, port, cache = sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
report = {"uid": os.getuid(), "problem": sandbox_problem(None, cache),
          "secret_outside": Path(secret).read_text()}
with socket.create_connection(("127.0.0.1", port), timeout=5):
    report["network_outside"] = "connected"
cells = [
    "import json, os, socket, subprocess\n"
    "seen = {'uid': os.getuid(), 'cwd': os.getcwd(),\n"
    "        'secret': os.path.exists(%r), 'solutions': os.path.exists(%r)}" % (secret, solutions),
    "try:\n"
    "    socket.create_connection(('127.0.0.1', %d), timeout=2)\n"
    "    seen['network'] = 'connected'\n"
    "except OSError as error:\n"
    "    seen['network'] = type(error).__name__" % port,
    "seen['writes'] = {}\n"
    "for path in [%r, '/data/cache/planted', '/usr/planted', %r, 'mine.txt']:\n"
    "    try:\n"
    "        open(path, 'w').write('planted')\n"
    "        seen['writes'][path] = 'written'\n"
    "    except OSError as error:\n"
    "        seen['writes'][path] = type(error).__name__"
    % (str(Path(secret).parent / "planted"), str(Path(sys.prefix) / "planted")),
    "children = []\n"
    "try:\n"
    "    for _ in range(100):\n"
    "        children.append(subprocess.Popen(['sleep', '60']))\n"
    "except OSError:\n"
    "    pass\n"
    "seen['children'] = len(children)\n"
    "for child in children:\n"
    "    child.kill()\n"
    "    child.wait()",
    "subprocess.Popen(['sh', '-c', 'sleep 600 & sleep 600 &'], start_new_session=True)\n"
    "subprocess.Popen(['sleep', '600'])\n"
    "print(json.dumps(seen))",
]
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
work = Path.home() / "student"
work.mkdir()
import subprocess
others = [subprocess.Popen(["sleep", "120"]) for _ in range(40)]  # more than the sandbox's limit
outcome = sandbox.run([sys.executable, "/grading/run_notebook.py"], work,
                      nbformat.writes(notebook).encode(), sandbox.Limits(seconds=120, processes=32),
                      cache_dir=cache)
report["returncode"], report["stderr"] = outcome.returncode, outcome.stderr[-1500:]
if outcome.returncode == 0:
    executed = nbformat.reads(outcome.stdout.decode(), as_version=4)
    report["seen"] = json.loads(executed.cells[-1].outputs[0]["text"])
loop = sandbox.run([sys.executable, "-c", "import subprocess, time\n"
                    "subprocess.Popen(['sleep', '600'], start_new_session=True)\ntime.sleep(600)"],
                   work, b"", sandbox.Limits(seconds=2))
report["deadline"] = loop.timed_out
for other in others:
    other.kill()
    other.wait()
print(json.dumps(report))
"""


def test_an_ordinary_users_sandbox_runs_a_notebook_and_contains_it(home):
    course = home / "course"  # the instructor's own files: readable by them, not by the sandbox
    course.mkdir()
    (course / "secret.txt").write_text("the hidden tests")
    cache = home / "cache"  # mounted read-only in the sandbox, though the instructor owns it
    cache.mkdir()
    for path in (course, course / "secret.txt", cache):
        os.chown(path, UID, UID)
    (course / "secret.txt").chmod(0o600)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    port = listener.getsockname()[1]
    started = time.monotonic()
    try:
        done = as_user([sys.executable, "-c", DRIVER, str(COURSE), str(course / "secret.txt"),
                        str(port), str(cache)], home)
    finally:
        listener.close()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["problem"] is None
    assert report["uid"] == UID and report["secret_outside"] == "the hidden tests"
    assert report["network_outside"] == "connected"  # the user can; the sandbox cannot
    assert report["returncode"] == 0, report["stderr"]
    seen = report["seen"]
    assert seen["uid"] == UID and seen["cwd"] == sandbox.INSIDE_WORK  # mapped to itself
    assert seen["network"] in {"ConnectionRefusedError", "OSError", "TimeoutError"}
    # the limit (32) counts the sandbox's processes and threads only (the kernel's and its
    # runner's take a dozen or more), not the user's 40 others outside it: else none at all
    assert 0 < seen["children"] < 32, seen["children"]
    assert not seen["secret"] and not seen["solutions"]
    writes = seen["writes"]
    assert writes.pop("mine.txt") == "written"
    assert set(writes.values()) <= {"OSError", "PermissionError", "FileNotFoundError"}, writes
    assert sorted(p.name for p in course.iterdir()) == ["secret.txt"]  # nothing planted
    assert list(cache.iterdir()) == []
    assert not (home / "student" / "mine.txt").exists()  # written in the sandbox's own tmpfs only
    assert report["deadline"]
    assert no_process_left() == [], "a process of the sandbox (or a zombie) outlived it"
    assert time.monotonic() - started < 90


def write_reference_submission(course: Path) -> None:
    """alice's notebook: the release with every solution cell of the reference."""
    import nbformat
    from example_class import reference_solutions
    release = course / "release" / "a1_forward_cost" / "forward_cost.ipynb"
    solutions = reference_solutions(course / "source" / "a1_forward_cost" / "forward_cost.ipynb")
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in solutions:
            cell.source = solutions[grade_id]
    destination = course / "submitted" / "alice" / "a1_forward_cost" / "forward_cost.ipynb"
    destination.parent.mkdir(parents=True)
    nbformat.write(nb, destination)


def test_an_ordinary_user_grades_with_grade_py_and_is_refused_where_user_namespaces_are_off(home):
    pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")
    data = os.environ.get("BACKPROP_DATA_DIR")
    if not data or not Path(data, "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST not found: set BACKPROP_DATA_DIR to the folder of the .gz files")
    course = home / "coursework"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(
        "gradebook.db", "release", "submitted", "autograded", "feedback", "grading-*",
        ".ipynb_checkpoints", "__pycache__"))
    # resolved: a folder only root can enter is hidden from the user behind a tmpfs that
    # holds just the needed folders, so a path through a symlink beside them would not exist
    env = {"BACKPROP_DATA_DIR": str(Path(data).resolve())}
    refused = as_user([sys.executable, "grade.py", "a1_forward_cost"], course, env=env)  # root's copy
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.startswith(f"Refusing to grade: {course} belongs to root and user id {UID} "
                                     "cannot write it"), refused.stderr
    assert not (course / "gradebook.db").exists()
    for path in [course, *course.rglob("*")]:  # the instructor owns the course
        os.chown(path, UID, UID, follow_symlinks=False)
    generate = as_user([sys.executable, "-m", "nbgrader", "generate_assignment", "a1_forward_cost"],
                       course, env=env)
    assert generate.returncode == 0, generate.stderr[-2000:]
    write_reference_submission(course)
    for path in [course / "submitted", *(course / "submitted").rglob("*")]:
        os.chown(path, UID, UID)

    started = time.monotonic()
    graded = as_user([sys.executable, "grade.py", "a1_forward_cost"], course, env=env)
    seconds = time.monotonic() - started
    assert graded.returncode == 0, graded.stdout + graded.stderr[-2000:]
    with open(course / "grading-a1_forward_cost.csv", newline="") as report:
        row = next(csv.DictReader(report))
    assert (row["student"], float(row["score"]), row["status"]) == ("alice", 10.0, "graded"), row
    assert (course / "feedback" / "alice" / "a1_forward_cost" / "forward_cost.html").exists()
    strangers = [p for p in [course, *course.rglob("*")] if p.lstat().st_uid != UID]
    assert strangers == [], "grading left files the instructor does not own"
    assert no_process_left() == []
    print(f"\ngraded as user id {UID} in {seconds:.1f} s")

    gradebook = (course / "gradebook.db").read_bytes()
    graded_copy = (course / "autograded" / "alice" / "a1_forward_cost" / "forward_cost.ipynb").read_bytes()
    refused = as_user([sys.executable, "grade.py", "a1_forward_cost"], course, env=env, userns_off=True)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    first = refused.stderr.splitlines()[0]
    assert first.startswith("Refusing to grade: unprivileged user namespaces are off on this "
                            "machine (user.max_user_namespaces = 0)"), refused.stderr
    assert "sysctl -w user.max_user_namespaces=" in first and "grade as root" in first
    assert "grading alice" not in refused.stdout
    assert (course / "gradebook.db").read_bytes() == gradebook
    assert (course / "autograded" / "alice" / "a1_forward_cost" / "forward_cost.ipynb").read_bytes() == graded_copy
