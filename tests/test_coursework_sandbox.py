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

pytestmark = pytest.mark.skipif(sandbox.sandbox_problem() is not None,
                                reason=f"no sandbox here: {sandbox.sandbox_problem()}")

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


def run_inside(work: Path, script: str, *args: str, seconds: int = 60, uid: int = 0) -> sandbox.Outcome:
    """Run a Python script in the sandbox, working folder ``work``."""
    limits = sandbox.Limits(seconds=seconds, processes=32, uid=uid)
    return sandbox.run([sys.executable, "-c", script, *args], work, b"", limits)


def test_a_command_inside_sees_no_course_no_network_and_has_limits(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    outcome = run_inside(tmp_path, PROBE, str(REPO), str(port))
    listener.close()
    assert outcome.returncode == 0, outcome.stderr
    seen = json.loads(outcome.stdout)
    assert seen["network"] in {"ConnectionRefusedError", "OSError", "TimeoutError"}
    assert set(seen["repo"] or []) <= {".venv", ".ci-venv", "venv", "backprop"}  # no coursework
    assert seen["cwd"] == sandbox.INSIDE_WORK and seen["usr"] in {"OSError", "PermissionError"}
    python_tops = {Path(p).resolve().parts[1] for p in (sys.prefix, sys.base_prefix, REPO)}
    assert set(seen["root"]) - python_tops <= {"bin", "sbin", "lib", "lib32", "lib64", "usr", "etc",
                                               "proc", "dev", "tmp", "data", "grading", "submission"}
    assert seen["children"] < 32
    if os.geteuid() == 0:
        assert seen["uid"] in sandbox.FRESH_UIDS


def test_the_deadline_kills_every_process_of_the_sandbox(tmp_path):
    uid = 1_150_000 + os.getpid() % 1000
    started = time.monotonic()
    outcome = run_inside(tmp_path, "import subprocess, time\n"
                         "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
                         "time.sleep(600)", seconds=3, uid=uid)
    assert outcome.timed_out and time.monotonic() - started < 30
    time.sleep(1)
    if os.geteuid() == 0:
        left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and p.stat().st_uid == uid]
        assert left == []
