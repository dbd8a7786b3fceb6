"""nbgrader settings for the course "Backpropagation, Nudge by Nudge".

Run every nbgrader command from this folder (coursework/): the course root, the
gradebook database and the release/submitted/autograded/feedback folders live here.
"""
c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "backprop-nudge"
# Database: sqlite file in the course root (ignored by git); change it to keep grades elsewhere.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Students write these lines in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: each cell may run this long (seconds) before it is interrupted and scored 0.
# Task 4 of assignment 3 trains the network; the reference settings need a few seconds.
c.Execute.timeout = 120

# The shared folder through which `release_assignment` / `fetch_assignment` /
# `submit` / `collect` pass notebooks when students work on the same machine (JupyterHub).
# c.Exchange.root = "/srv/nbgrader/exchange"
