"""``nbgrader collect`` with the course's configuration follows no link out of the exchange.

A student writes a submission into the exchange's ``inbound`` folder holding a symbolic
link to a file only the instructor should read, and a named pipe; another student's
submission folder is itself a link to a secret folder. nbgrader's own collect copies
what the links point to (checked here, so the test can tell); the course's
``SafeCollect`` copies the notebook and leaves out the link, the pipe and the linked
folder, and names each in its output.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

COURSE = Path(__file__).resolve().parents[1] / "coursework"
SECRET = "the instructor's secret\n"
STAMP = "2026-12-01 10:00:00.000000 UTC"
CONFIG = """
import sys
sys.path.insert(0, {course!r})
c = get_config()
c.CourseDirectory.course_id = "course"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.Exchange.root = {exchange!r}
c.CollectApp.check_owner = False
"""


@pytest.fixture
def exchange(tmp_path) -> tuple[Path, Path]:
    """An exchange with alice's submission (a link and a pipe inside) and mallory's (a link
    to a secret folder); the instructor's secret file and folder beside it."""
    secret = tmp_path / "private" / "gradebook.db"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    (tmp_path / "private" / "solutions").mkdir()
    (tmp_path / "private" / "solutions" / "answers.ipynb").write_text(SECRET)
    inbound = tmp_path / "exchange" / "course" / "inbound"
    inbound.mkdir(parents=True)
    alice = inbound / f"alice+a1+{STAMP}+abc"
    alice.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), alice / "work.ipynb")
    (alice / "timestamp.txt").write_text(STAMP)
    (alice / "data.csv").symlink_to(secret)
    (alice / "sub").mkdir()
    (alice / "sub" / "more.csv").symlink_to(secret)
    os.mkfifo(alice / "pipe")
    (inbound / f"mallory+a1+{STAMP}+def").symlink_to(tmp_path / "private" / "solutions")
    return tmp_path, tmp_path / "exchange"


def collect(folder: Path, exchange: Path, safe: bool) -> subprocess.CompletedProcess:
    """``nbgrader collect a1`` in a course folder of its own, with or without SafeCollect."""
    course = folder / ("safe" if safe else "plain")
    course.mkdir()
    config = CONFIG.format(course=str(COURSE), exchange=str(exchange))
    if safe:
        config += "from grading.collect import SafeCollect\nc.ExchangeFactory.collect = SafeCollect\n"
    (course / "nbgrader_config.py").write_text(config)
    return subprocess.run([sys.executable, "-m", "nbgrader", "collect", "a1"], cwd=course,
                          capture_output=True, text=True, timeout=300)


def test_plain_collect_copies_what_a_link_points_to(exchange):
    folder, root = exchange
    done = collect(folder, root, safe=False)
    submitted = folder / "plain" / "submitted"
    assert (submitted / "alice" / "a1" / "data.csv").read_text() == SECRET, done.stderr
    assert (submitted / "mallory" / "a1" / "answers.ipynb").read_text() == SECRET


def test_safe_collect_copies_regular_files_only_and_names_the_rest(exchange):
    folder, root = exchange
    done = collect(folder, root, safe=True)
    assert done.returncode == 0, done.stderr
    alice = folder / "safe" / "submitted" / "alice" / "a1"
    copied = sorted(str(p.relative_to(alice)) for p in alice.rglob("*"))
    assert copied == ["sub", "timestamp.txt", "work.ipynb"]
    assert not any(p.is_symlink() for p in alice.rglob("*"))
    assert nbformat.read(alice / "work.ipynb", as_version=4).cells[0].source == "x = 1"
    assert not (folder / "safe" / "submitted" / "mallory").exists()
    said = done.stderr + done.stdout
    for odd in ("data.csv (a symbolic link)", "pipe (a named pipe)", "sub/more.csv (a symbolic link)"):
        assert f"Not collected from alice's submission: {odd}" in said
    assert f"Not collected: mallory's submission mallory+a1+{STAMP}+def is a symbolic link" in said
    assert SECRET.strip() not in said


def test_the_course_configuration_collects_with_safe_collect():
    sys.path.insert(0, str(COURSE))
    from grading.collect import SafeCollect
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    assert config.ExchangeFactory.collect is SafeCollect
