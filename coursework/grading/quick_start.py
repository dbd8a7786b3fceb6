"""Leave out an import that grading never uses and that costs about a second each time.

nbformat checks notebooks against its JSON schemas with jsonschema. When the optional
package ``rfc3987_syntax`` is installed, jsonschema imports it to check strings of the
``"iri"`` format, and that import builds a whole grammar: about 1 s of CPU on these
machines, in every process that reads a notebook (each student's grading, and the
notebook's runner inside the sandbox). No nbformat schema checks any format, so
nothing needs it. ``skip_unused_imports`` marks it absent before nbformat is imported:
``sys.modules[name] = None`` makes ``import name`` raise ImportError, which jsonschema
catches, as it does when the package is not installed.

It runs inside the sandbox too (``run_notebook.py``), so it imports nothing else.
"""
import sys

UNUSED = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Mark the ``UNUSED`` packages absent in this process (those not yet imported)."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)
