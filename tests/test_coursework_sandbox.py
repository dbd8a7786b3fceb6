"""The grading sandbox on its own: what a command inside can see, reach and use."""
import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "coursework"))

from grading import sandbox  # noqa: E402
from grading.preflight import sandbox_problem  # noqa: E402

PROBLEM = sandbox_problem()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")

PROBE = """
import json, os, socket, subprocess, sys
seen = {"uid": os.getuid(), "repo": sorted(os.listdir(sys.argv[1])) if os.path.isdir(sys.argv[1]) else None,
        "root": sorted(os.listdir("/")), "cwd": os.getcwd()}
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2)
    seen["network"] = "connected"
except OSError as error:
    seen["network"] = type(error).__name__
try:
    open("/usr/owned", "w")
    seen["usr"] = "written"
except OSError as error:
    seen["usr"] = type(error).__name__
children = []
try:
    for _ in range(200):
        children.append(subprocess.Popen(["sleep", "30"]))
except OSError:
    pass
seen["children"] = len(children)
print(json.dumps(seen))
"""


def run_inside(work: Path, script: str, *args: str, seconds: int = 60) -> sandbox.Outcome:
    """Run a Python script in the sandbox, working folder ``work``."""
    limits = sandbox.Limits(seconds=seconds, processes=32)
    return sandbox.run([sys.executable, "-c", script, *args], work, b"", limits)


def test_a_command_inside_sees_no_course_no_network_and_has_limits(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    outcome = run_inside(tmp_path, PROBE, str(REPO), str(port))
    listener.close()
    assert outcome.returncode == 0, outcome.stderr
    seen = json.loads(outcome.stdout)
    assert seen["network"] in {"ConnectionRefusedError", "OSError", "TimeoutError"}
    # of this repository only the package, and the Python environment if it lives here
    environments = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    here = {e.relative_to(REPO.resolve()).parts[0] for e in environments if REPO.resolve() in e.parents}
    assert set(seen["repo"] or []) <= here | {"backprop"}  # no coursework
    assert seen["cwd"] == sandbox.INSIDE_WORK and seen["usr"] in {"OSError", "PermissionError"}
    python_tops = {Path(p).resolve().parts[1] for p in (sys.prefix, sys.base_prefix, REPO)}
    assert set(seen["root"]) - python_tops <= {"bin", "sbin", "lib", "lib32", "lib64", "usr", "etc",
                                               "proc", "dev", "tmp", "data", "grading", "submission"}
    assert seen["children"] < 32
    if os.geteuid() == 0:
        assert seen["uid"] in sandbox.SANDBOX_UIDS


def test_the_deadline_kills_every_process_of_the_sandbox(tmp_path):
    started = time.monotonic()
    outcome = run_inside(tmp_path, "import os, subprocess, time\n"
                         "print(os.getuid(), flush=True)\n"
                         "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
                         "time.sleep(600)", seconds=3)
    assert outcome.timed_out and time.monotonic() - started < 30
    time.sleep(1)
    if os.geteuid() == 0:
        uid = int(outcome.stdout)
        left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and p.stat().st_uid == uid]
        assert left == []


def test_no_two_sandboxes_share_a_user_id_or_a_process_limit(tmp_path):
    """Two sandboxes at once (as two gradings would run them): each its own user and limit."""
    from concurrent.futures import ThreadPoolExecutor
    script = ("import os, subprocess\nchildren = []\ntry:\n"
              "    for _ in range(100):\n        children.append(subprocess.Popen(['sleep', '3']))\n"
              "except OSError:\n    pass\nprint(os.getuid(), len(children))")
    works = [tmp_path / "one", tmp_path / "two"]
    for work in works:
        work.mkdir()
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda work: run_inside(work, script), works))
    seen = [tuple(map(int, o.stdout.split())) for o in outcomes]
    assert all(20 < children < 32 for _, children in seen), seen  # neither ate the other's share
    if os.geteuid() == 0:
        assert seen[0][0] != seen[1][0] and all(uid in sandbox.SANDBOX_UIDS for uid, _ in seen)
