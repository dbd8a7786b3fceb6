"""A submission's files as the grader takes them: regular files and folders, nothing else.

A symbolic link, a device, a named pipe or a socket in a submission is never followed
nor opened: a link to the gradebook, the solutions or a classmate's notebook would be
read with the grader's rights and handed to the student's code. ``odd_files`` names
them and ``unsafe_submission`` says why a submission holds any (the batch refuses such a
submission up front, ``CheckStructure`` fails it), and
``copy_regular`` copies a folder for the sandbox without ever following one.
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

KINDS = {stat.S_IFLNK: "a symbolic link", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
         stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket"}


def odd_files(folder: str | os.PathLike) -> list[str]:
    """'name (a symbolic link)' for everything below ``folder`` that is not a regular file or folder."""
    folder, found = Path(folder), []
    for root, dirs, files in os.walk(folder):  # (never descends through a link)
        for name in sorted(dirs + files):
            mode = Path(root, name).lstat().st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                kind = KINDS.get(stat.S_IFMT(mode), "a special file")
                found.append(f"{Path(root, name).relative_to(folder)} ({kind})")
    return sorted(found)


def unsafe_submission(folder: str | os.PathLike) -> str | None:
    """Why grading must not read the submission in ``folder`` (submitted/<student>/<assignment>),
    or None: it, its student's folder or anything in it is not a regular file or folder."""
    folder = Path(folder)
    odd = [f"{p.name} (a symbolic link)" for p in (folder.parent, folder) if p.is_symlink()]
    odd = odd or odd_files(folder)
    if not odd:
        return None
    return "the submission holds what grading never follows nor opens: " + ", ".join(odd)


def copy_regular(source: str | os.PathLike, destination: str | os.PathLike, skip=lambda name: False) -> None:
    """Copy the regular files and folders below ``source`` into ``destination`` (which exists).

    Anything else, and every name ``skip`` accepts, is left out; a file is opened with
    ``O_NOFOLLOW``, so one swapped for a link after the check is not followed either.
    """
    for entry in os.scandir(source):
        if skip(entry.name):
            continue
        target = Path(destination, entry.name)
        if entry.is_dir(follow_symlinks=False):
            target.mkdir()
            copy_regular(entry.path, target, skip)
        elif entry.is_file(follow_symlinks=False):
            descriptor = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(descriptor, "rb") as data, open(target, "xb") as out:
                if stat.S_ISREG(os.fstat(data.fileno()).st_mode):
                    shutil.copyfileobj(data, out)
