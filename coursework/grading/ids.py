"""Student ids and cell ids the grader accepts: plain names, nothing a program reads as more.

A student id becomes a folder name, a command-line argument of nbgrader (which reads
``-h`` as an option and ``[v]00_victim`` as a pattern matching ``v00_victim``) and a key
in the gradebook; a cell id (``grade_id``) a key in the gradebook and the report. A
plain name is letters, digits, ``_``, ``.``, ``@`` and ``-``, at most 64 of them, and
starts with a letter, a digit or ``_``.
"""
from __future__ import annotations

import re

PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}")
RULE = ("letters, digits, _ . @ and -, at most 64, starting with a letter, a digit or _")


def not_plain(ids) -> list[str]:
    """The ids in ``ids`` that are not plain names, in their order."""
    return [i for i in ids if not (isinstance(i, str) and PLAIN.fullmatch(i))]
