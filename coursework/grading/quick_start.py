"""Leave out imports that grading never uses and that cost time in every process.

Two are left out:

- ``rfc3987_syntax``. nbformat checks notebooks against its JSON schemas with
  jsonschema. When this optional package is installed, jsonschema imports it to check
  strings of the ``"iri"`` format, and that import builds a whole grammar: about 1 s of
  CPU on these machines, in every process that reads a notebook (each student's
  grading, and the notebook's runner inside the sandbox). No nbformat schema checks any
  format, so nothing needs it. ``sys.modules[name] = None`` makes ``import name`` raise
  ImportError, which jsonschema catches, as it does when the package is not installed.
- nbgrader's four Jupyter server extensions (the assignment list, course list,
  validate button and formgrader). ``import nbgrader`` imports them so that a Jupyter
  server can load them, and with them jupyter_server: about 0.4 s in every grading
  process, and in ``grade.py`` itself, before a batch starts. Grading runs no server,
  so each is replaced by a stand-in module whose only function refuses to load.

``skip_unused_imports`` must run before nbformat or nbgrader is imported. It runs inside
the sandbox too (``run_notebook.py``), so it imports nothing but the standard library.
"""
import sys
import types

UNUSED = ("rfc3987_syntax",)
SERVER_EXTENSIONS = tuple(f"nbgrader.server_extensions.{name}" for name in
                          ("assignment_list", "course_list", "validate_assignment", "formgrader"))


def not_loaded(app) -> None:
    """The stand-in extensions' ``load_jupyter_server_extension``: refuses, saying why."""
    raise RuntimeError("this process left out nbgrader's Jupyter server extensions "
                       "(coursework/grading/quick_start.py); start the server elsewhere")


def skip_unused_imports() -> None:
    """Mark the ``UNUSED`` packages absent and stand in for the ``SERVER_EXTENSIONS``
    in this process (those not yet imported)."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)
    for name in SERVER_EXTENSIONS:
        if name not in sys.modules:
            stand_in = types.ModuleType(name, "A stand-in left by grading/quick_start.py.")
            stand_in.load_jupyter_server_extension = not_loaded
            sys.modules[name] = stand_in
