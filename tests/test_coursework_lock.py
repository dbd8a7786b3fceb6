"""The gradebook lock of ``grading.autograde`` is held exactly while a gradebook is open.

Each check runs in a process of its own (``lock_while_open`` changes nbgrader's
``Gradebook`` for the rest of its process), which opens and closes real sqlite gradebooks
and, after each step, asks from another file descriptor whether the course's ``flock``
is free. The timing effect (gradings side by side wait less for each other) is printed
by ``coursework/time_grading.py``, not asserted here.
"""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

COURSEWORK = Path(__file__).resolve().parents[1] / "coursework"

STEPS = """
import fcntl, os, sys
sys.path.insert(0, {coursework!r})
os.chdir({course!r})
from grading.autograde import lock_while_open
from nbgrader.api import Gradebook

def free():
    probe = os.open(".gradebook.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return "free"
    except BlockingIOError:
        return "held"
    finally:
        os.close(probe)

url = "sqlite:///gradebook.db"
lock_while_open(".", None)
print("before", free())
first = Gradebook(url)
print("one open", free())
with Gradebook(url) as second:
    print("two open", free())
print("one closed of two", free())
first.close()
print("both closed", free())
first.close()  # (closing twice changes nothing)
with Gradebook(url) as again:
    print("open again", free())
print("closed again", free())
try:
    Gradebook("sqlite:///no/such/folder/gradebook.db")
except Exception as error:
    print("failed to open", free())
"""


def test_the_lock_is_held_from_the_first_gradebook_opened_to_the_last_closed(tmp_path):
    done = subprocess.run([sys.executable, "-c", STEPS.format(coursework=str(COURSEWORK), course=str(tmp_path))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines())
    assert said == {"before": "free", "one open": "held", "two open": "held",
                    "one closed of two": "held", "both closed": "free", "open again": "held",
                    "closed again": "free", "failed to open": "free"}
