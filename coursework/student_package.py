"""Build the course package for students: a wheel with no coursework in it.

    python coursework/student_package.py            # into coursework/student-package/
    python coursework/student_package.py --out DIR

The build starts from a copy of the files git tracks (so nothing untracked slips in),
then lists every file of the wheel and refuses (exit status 1) if any of them is
coursework, a chapter, a test, a notebook, or holds a solution or hidden-test marker.
Hand the ``.whl`` to students: ``pip install backprop_nudge-<version>-py3-none-any.whl``.
(No sdist: setuptools puts the repository's tests/ into one.)
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN_PATH = re.compile(r"(^|/)(coursework|chapters|tests)(/|$)|\.ipynb$")
FORBIDDEN_TEXT = (b"BEGIN SOLUTION", b"BEGIN HIDDEN TESTS")


def tracked_copy(destination: Path) -> Path:
    """The files git tracks in the repository, copied to ``destination``."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return destination


def build(out: Path) -> list[Path]:
    """Build the wheel into ``out``; return its path (a list, to check every archive built)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = tracked_copy(Path(scratch) / "src")
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out),
                        str(source)], check=True, capture_output=True)
    return sorted(out.glob("*.whl"))


def members(archive: Path) -> dict[str, bytes]:
    """Every file in a wheel, by name, with its content."""
    with zipfile.ZipFile(archive) as whl:
        return {name: whl.read(name) for name in whl.namelist()}


def problems(archive: Path) -> list[str]:
    """Files of the archive that must not reach students."""
    found = []
    for name, content in members(archive).items():
        if FORBIDDEN_PATH.search(name):
            found.append(f"{archive.name}: {name}")
        elif any(marker in content for marker in FORBIDDEN_TEXT):
            found.append(f"{archive.name}: {name} holds a solution or hidden-test marker")
    return found


def main(argv=None) -> int:
    """Build, list, check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "coursework" / "student-package")
    out = parser.parse_args(argv).out
    found = []
    for archive in build(out):
        print(f"{archive.name}:")
        print("".join(f"  {name}\n" for name in sorted(members(archive))), end="")
        found += problems(archive)
    if found:
        print("REFUSED: these files must not go to students:\n  " + "\n  ".join(found), file=sys.stderr)
        return 1
    print(f"No coursework, notebooks or solutions in the wheel in {out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
