"""``nbgrader collect`` that never follows a link out of the exchange.

The exchange's ``inbound`` folder is written by students. nbgrader's own collect copies
each submission with ``shutil.copytree``, which follows symbolic links: a submission
holding ``data.csv -> /home/instructor/course/gradebook.db`` (or whose folder is itself
a link) would arrive in ``submitted/`` as a copy of a file only the instructor can
read. ``SafeCollect`` (set as ``c.ExchangeFactory.collect`` in ``nbgrader_config.py``)
collects as nbgrader does, except that:

- a submission whose folder in ``inbound`` is a link, or not a folder, is not collected;
- in a submission, only regular files and folders are copied (``files.copy_regular``,
  which opens each file with ``O_NOFOLLOW``); a link, a device, a named pipe or a socket
  is left out.

Each of these is reported as an error in collect's output, naming the student and
the file, and the other students are collected as usual.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from .files import copy_regular, odd_files


class SafeCollect(ExchangeCollect):
    """nbgrader's collect, copying regular files and folders only, reporting the rest."""

    def copy_files(self) -> None:
        """Leave out (and report) every submission whose folder is a link or no folder."""
        kept = []
        for record in self.src_records:
            path = Path(self.inbound_path, record["filename"])
            if path.is_symlink() or not path.is_dir():
                kind = "a symbolic link" if path.is_symlink() else "not a folder"
                self.log.error("Not collected: %s's submission %s is %s, which collect never follows",
                               record["username"], record["filename"], kind)
            else:
                kept.append(record)
        self.src_records = kept
        super().copy_files()

    def do_copy(self, src: str, dest: str, log=None) -> None:
        """Copy the regular files and folders of ``src`` (through a staging folder) to ``dest``."""
        student = Path(src).name.split("+", 1)[0]
        for odd in odd_files(src):
            self.log.error("Not collected from %s's submission: %s, which collect never follows",
                           student, odd)
        limit = 1000 * self.coursedir.max_dir_size
        size = sum(os.lstat(Path(root, name)).st_size for root, _, files in os.walk(src) for name in files)
        if size > limit:  # (checked before anything is copied; nbgrader checks after)
            self.log.error("Directory size is too big")
            raise RuntimeError(f"Directory size is too big. Size is {size}, maximum size is {limit}")
        with tempfile.TemporaryDirectory(prefix="collect-") as staging:
            copy_regular(src, staging)
            super().do_copy(staging, dest, log)
