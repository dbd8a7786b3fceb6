"""A submission's files: links and special files are named, never followed nor copied."""
import os
import sys
from pathlib import Path

COURSE = Path(__file__).resolve().parents[1] / "coursework"
sys.path.insert(0, str(COURSE))

from grading.files import copy_regular, odd_files, unsafe_submission  # noqa: E402


def submission(tmp_path: Path) -> tuple[Path, Path]:
    """A course folder with a gradebook and a student's submission folder beside it."""
    course = tmp_path / "course"
    (course / "gradebook.db").parent.mkdir()
    (course / "gradebook.db").write_text("every student's scores")
    folder = course / "submitted" / "alice" / "a1"
    (folder / "data").mkdir(parents=True)
    (folder / "answer.ipynb").write_text("{}")
    (folder / "data" / "points.csv").write_text("1,2")
    return course, folder


def test_a_plain_submission_is_safe_and_copied_whole(tmp_path):
    course, folder = submission(tmp_path)
    assert odd_files(folder) == [] and unsafe_submission(folder) is None
    copy = tmp_path / "copy"
    copy.mkdir()
    copy_regular(folder, copy, skip=lambda name: name.endswith(".ipynb"))
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*")) == ["data", "data/points.csv"]
    assert (copy / "data" / "points.csv").read_text() == "1,2"


def test_links_pipes_and_a_linked_folder_are_named_and_never_copied(tmp_path):
    course, folder = submission(tmp_path)
    (folder / "notes.csv").symlink_to(course / "gradebook.db")
    (folder / "data" / "up").symlink_to(course, target_is_directory=True)
    os.mkfifo(folder / "pipe")
    assert odd_files(folder) == ["data/up (a symbolic link)", "notes.csv (a symbolic link)",
                                 "pipe (a named pipe)"]
    assert "notes.csv (a symbolic link)" in unsafe_submission(folder)
    copy = tmp_path / "copy"
    copy.mkdir()
    copy_regular(folder, copy)  # (would hang on the pipe, or copy the gradebook, if it followed them)
    copied = sorted(str(p.relative_to(copy)) for p in copy.rglob("*"))
    assert copied == ["answer.ipynb", "data", "data/points.csv"]
    assert "every student's scores" not in "".join(p.read_text() for p in copy.rglob("*") if p.is_file())


def test_a_linked_submission_or_student_folder_is_unsafe(tmp_path):
    course, folder = submission(tmp_path)
    elsewhere = course / "submitted" / "bob"
    elsewhere.symlink_to(course / "submitted" / "alice", target_is_directory=True)
    assert unsafe_submission(elsewhere / "a1") == ("the submission holds what grading never follows "
                                                   "nor opens: bob (a symbolic link)")
