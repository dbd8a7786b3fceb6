"""Students get the course package as a wheel that holds no coursework and no solutions."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_student_wheel_holds_only_the_package(tmp_path):
    pytest.importorskip("build", reason="pip install -r requirements-instructor.txt")
    done = subprocess.run([sys.executable, str(REPO / "coursework" / "student_package.py"),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "backprop/__init__.py" in names and "backprop/network.py" in names
    outside = [n for n in names if not n.startswith(("backprop/", "backprop_nudge-"))]
    assert outside == []
    assert not [n for n in names if "coursework" in n or n.endswith(".ipynb")]
    assert "backprop/__init__.py" in done.stdout  # the tool lists what it built


def test_the_check_refuses_a_wheel_with_coursework_in_it(tmp_path):
    sys.path.insert(0, str(REPO / "coursework"))
    from student_package import problems
    wheel = tmp_path / "bad-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as whl:
        whl.writestr("backprop/__init__.py", "")
        whl.writestr("backprop/hidden.py", "### BEGIN SOLUTION\n")
        whl.writestr("coursework/source/a1/a1.ipynb", "{}")
    assert problems(wheel) == [f"{wheel.name}: backprop/hidden.py holds a solution or hidden-test marker",
                               f"{wheel.name}: coursework/source/a1/a1.ipynb"]
