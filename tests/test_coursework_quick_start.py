"""quick_start: the imports grading skips are ones that no notebook check uses.

Skipping ``rfc3987_syntax`` saves about a second of CPU in each grading process, and
nbgrader's server extensions about 0.4 s more (printed by ``coursework/time_grading.py``'s
timings, not asserted here). What is checked: the package is skipped in both processes
that read notebooks, and nbformat's validation is unchanged, because no nbformat schema
checks a string format; the grading process never imports jupyter_server, and a stand-in
extension refuses to load; setuptools is imported only when nbgrader unpacks an archive.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

GRADING = Path(__file__).resolve().parents[1] / "coursework" / "grading"


def formats_in(schema) -> set[str]:
    """Every string ``"format"`` keyword anywhere in a JSON schema."""
    if isinstance(schema, dict):
        own = {schema["format"]} if isinstance(schema.get("format"), str) else set()
        return own.union(*(formats_in(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(formats_in(v) for v in schema))
    return set()


def test_no_nbformat_schema_checks_a_string_format():
    schemas = sorted(Path(nbformat.__file__).parent.rglob("*.schema.json"))
    assert len(schemas) >= 8
    found = {s.name: formats_in(json.loads(s.read_text())) for s in schemas}
    assert not any(found.values()), found


CHECK = """
import sys
{setup}
import nbformat
bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
bad.cells[0]["outputs"] = [{{"output_type": "no such type"}}]
try:
    nbformat.validate(bad)
    print("valid")
except nbformat.ValidationError:
    print("invalid")
print(sys.modules.get("rfc3987_syntax", "absent"))
"""


def run(setup: str, *, where: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", CHECK.format(setup=setup)], cwd=where,
                          capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_notebook_runner_skips_the_import_and_still_finds_a_broken_notebook():
    assert run("from quick_start import skip_unused_imports; skip_unused_imports()",
               where=GRADING) == ["invalid", "None"]


def test_the_grading_process_skips_it_before_nbgrader_reads_a_notebook():
    pytest.importorskip("nbgrader")
    assert run("import grading.autograde", where=GRADING.parent) == ["invalid", "None"]


SERVER = """
import sys
import grading.autograde
from nbgrader.server_extensions import formgrader
print("jupyter_server" in sys.modules)
try:
    formgrader.load_jupyter_server_extension(None)
except RuntimeError as error:
    print("refused:", "quick_start.py" in str(error))
"""


def test_the_grading_process_leaves_out_the_server_and_its_stand_ins_refuse():
    pytest.importorskip("nbgrader")
    done = subprocess.run([sys.executable, "-c", SERVER], cwd=GRADING.parent,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "refused:", "True"]


ARCHIVE = """
import sys, zipfile
import grading.autograde
print("setuptools" in sys.modules)
from nbgrader.utils import unpack_archive, unpack_tarfile, unpack_zipfile
with zipfile.ZipFile("{folder}/sent.zip", "w") as archive:
    archive.writestr("alice/notebook.ipynb", "{{}}")
unpack_archive("{folder}/sent.zip", "{folder}/out", drivers=(unpack_zipfile, unpack_tarfile))
print(open("{folder}/out/alice/notebook.ipynb").read(), "setuptools" in sys.modules)
"""


def test_setuptools_is_imported_only_when_nbgrader_unpacks_an_archive(tmp_path):
    pytest.importorskip("nbgrader")
    done = subprocess.run([sys.executable, "-c", ARCHIVE.format(folder=tmp_path)], cwd=GRADING.parent,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "{}", "True"]
