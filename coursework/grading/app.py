"""Any other ``nbgrader`` command as ``grade.py`` runs it (the feedback pages, say).

    cd coursework && python -m grading.app generate_feedback a1_forward_cost --force

The same as ``nbgrader generate_feedback ...``, without the import nothing here uses
(``quick_start``): about 1.4 s less for each command.
"""
import sys

from .quick_start import skip_unused_imports

skip_unused_imports()

from nbgrader.apps import NbGraderApp  # noqa: E402

if __name__ == "__main__":
    NbGraderApp.launch_instance(argv=sys.argv[1:])
