"""nbgrader settings for the course "Backpropagation, Nudge by Nudge".

Run every nbgrader command from this folder (coursework/): the course root, the
gradebook database and the release/submitted/autograded/feedback folders live here.
Grade with ``python grade.py <assignment>`` (see README.md); a plain
``nbgrader autograde`` uses the same sandbox.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grading.preprocessors import autograde_preprocessors, sanitize_preprocessors  # noqa: E402
from grading.collect import SafeCollect  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "backprop-nudge"
# Database: sqlite file in the course root (ignored by git); change it to keep grades elsewhere.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Students write these lines in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding runs student code only inside the bubblewrap sandbox (grading/sandbox.py):
# CheckStructure first fails a submission with a duplicated or missing test cell (or an
# odd student id), nbgrader's Execute step is replaced by SandboxedExecute, and
# FlagForReview marks the submissions a person should look at.
c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
c.Autograde.autograde_preprocessors = autograde_preprocessors()
# One time limit per notebook (seconds, kernel start included); the fresh re-run of the
# tests gets as long again. Assignment 3 trains the network: the reference needs ~10 s.
c.SandboxedExecute.notebook_timeout = 300
c.SandboxedExecute.memory_mb = 3072       # address space of each process in the sandbox
c.SandboxedExecute.max_processes = 64     # processes and threads inside one sandbox
c.SandboxedExecute.max_open_files = 256
# Only where bubblewrap cannot run, and only for submissions you trust:
# c.SandboxedExecute.allow_unsandboxed = True

# The exchange through which `release_assignment` / `fetch_assignment` / `submit` /
# `collect` pass notebooks when students work on the same machine (JupyterHub). The
# students' own nbgrader configuration must name the same folder and course id.
# c.Exchange.root = "/srv/nbgrader/exchange"
# `collect` copies regular files only: a link or special file in a submission (or a
# submission that is a link) is left out and reported (grading/collect.py).
c.ExchangeFactory.collect = SafeCollect
