"""Leave out imports that grading never uses and that cost time in every process.

Three are left out:

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
- ``setuptools.archive_util``, which ``nbgrader.utils`` imports (with all of setuptools)
  for ``nbgrader zip_collect`` alone: about 0.1 s in every process that imports
  nbgrader. A stand-in holds the three functions nbgrader takes from it, each importing
  the real module at its first call and handing over to it, so nothing is refused.

``skip_unused_imports`` must run before nbformat or nbgrader is imported. It runs inside
the sandbox too (``run_notebook.py``), so it imports nothing but the standard library.
"""
import importlib
import sys
import types

UNUSED = ("rfc3987_syntax",)
SERVER_EXTENSIONS = tuple(f"nbgrader.server_extensions.{name}" for name in
                          ("assignment_list", "course_list", "validate_assignment", "formgrader"))
DEFERRED = {"setuptools.archive_util": ("unpack_archive", "unpack_tarfile", "unpack_zipfile")}


def real(module: str) -> types.ModuleType:
    """The real ``module``, imported now if only its stand-in was there."""
    if getattr(sys.modules.get(module), "stands_in", False):
        del sys.modules[module]
    return importlib.import_module(module)


def deferred(module: str, name: str):
    """A stand-in for ``module.name`` that imports the real module when first called."""
    def call(*args, **kwargs):
        return getattr(real(module), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    return call


def not_loaded(app) -> None:
    """The stand-in extensions' ``load_jupyter_server_extension``: refuses, saying why."""
    raise RuntimeError("this process left out nbgrader's Jupyter server extensions "
                       "(coursework/grading/quick_start.py); start the server elsewhere")


def skip_unused_imports() -> None:
    """Mark the ``UNUSED`` packages absent and stand in for the ``SERVER_EXTENSIONS`` and
    the ``DEFERRED`` modules in this process (those not yet imported)."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)
    for name in SERVER_EXTENSIONS:
        if name not in sys.modules:
            stand_in = types.ModuleType(name, "A stand-in left by grading/quick_start.py.")
            stand_in.load_jupyter_server_extension = not_loaded
            sys.modules[name] = stand_in
    for module, names in DEFERRED.items():
        if module not in sys.modules:
            stand_in = types.ModuleType(module, "A stand-in left by grading/quick_start.py.")
            stand_in.stands_in = True
            for name in names:
                setattr(stand_in, name, deferred(module, name))
            sys.modules[module] = stand_in
