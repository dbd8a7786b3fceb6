"""What a JupyterLab session leaves behind changes neither the test run nor git.

JupyterLab saves ``.ipynb_checkpoints/`` copies beside the chapters, and outputs into
the chapters themselves. The test command must not collect the copies (pyproject's
``norecursedirs`` keeps pytest's default of skipping hidden folders), and git must
store the chapters without outputs (the nbstripout filter that
tools/strip_outputs_in_git.sh sets up, applied by .gitattributes).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
def notebooks() -> list[Path]:
    """The committed notebooks: the chapters and the coursework sources."""
    return sorted(ROOT.glob("chapters/[0-9][0-9]_*.ipynb")) \
        + sorted(ROOT.glob("coursework/source/*/*.ipynb"))


def collected(folder: Path) -> list[str]:
    """The test ids ``pytest --nbval-lax`` collects in ``folder``, with the repository's settings."""
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "--nbval-lax"], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return sorted(line for line in run.stdout.splitlines() if "::" in line)


def test_a_checkpoint_folder_beside_the_chapters_changes_nothing_collected(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for folder, name in (("tests", "test_one.py"), ("chapters", "01_one.ipynb")):
        (tmp_path / folder / ".ipynb_checkpoints").mkdir(parents=True)
    (tmp_path / "tests" / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1 + 1")]
    nbformat.write(notebook, tmp_path / "chapters" / "01_one.ipynb")
    # What JupyterLab saves beside them: copies that a collection would run twice.
    shutil.copy(tmp_path / "chapters" / "01_one.ipynb",
                tmp_path / "chapters" / ".ipynb_checkpoints" / "01_one-checkpoint.ipynb")
    shutil.copy(tmp_path / "tests" / "test_one.py",
                tmp_path / "tests" / ".ipynb_checkpoints" / "test_one-checkpoint.py")
    assert collected(tmp_path) == ["chapters/01_one.ipynb::Cell 0", "tests/test_one.py::test_one"]


def saved_by_jupyterlab(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` as JupyterLab saves it after a run: outputs, counts, kernel details."""
    ran = nbformat.from_dict(notebook)
    ran.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.2"}
    ran.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    count = 0
    for cell in ran.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.1Z"}
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n"),
                            nbformat.v4.new_output("display_data",
                                                   data={"image/png": "iVBORw0KGgo="})]
    return ran


@pytest.mark.slow  # git runs nbstripout once per notebook and command: ~2 s each
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_stores_a_notebook_saved_by_jupyterlab_exactly_as_committed(tmp_path):
    pytest.importorskip("nbstripout")
    repo = tmp_path / "clone"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git + ["init", "-q"], cwd=repo, check=True)
    setup = subprocess.run(["bash", str(ROOT / "tools" / "strip_outputs_in_git.sh")], cwd=repo,
                           capture_output=True, text=True, env=_with_this_python())
    assert setup.returncode == 0, setup.stderr
    shutil.copy(ROOT / ".gitattributes", repo)
    # a chapter and a coursework source (nbgrader's cell metadata must survive)
    sources = [ROOT / "chapters" / "01_network_and_cost.ipynb", sorted(
        ROOT.glob("coursework/source/*/*.ipynb"))[0]]
    committed = {path.name: path.read_bytes() for path in sources}
    for name, text in committed.items():
        (repo / name).write_bytes(text)
    subprocess.run(git + ["add", "."], cwd=repo, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "notebooks"], cwd=repo, check=True)

    for name in committed:  # a learner runs the notebook and saves it
        ran = saved_by_jupyterlab(nbformat.reads(committed[name].decode(), as_version=4))
        (repo / name).write_text(nbformat.writes(ran) + "\n")
        assert (repo / name).read_bytes() != committed[name]
    diff = subprocess.run(git + ["diff"], cwd=repo, capture_output=True, text=True, check=True)
    assert diff.stdout == "", "git diff shows outputs as changes"
    subprocess.run(git + ["add", "."], cwd=repo, check=True)
    status = subprocess.run(git + ["status", "--porcelain"], cwd=repo, capture_output=True,
                            text=True, check=True)
    assert status.stdout == "", "there is something to commit"
    for name, text in committed.items():
        stored = subprocess.run(git + ["show", f":{name}"], cwd=repo, capture_output=True,
                                check=True).stdout
        assert stored == text, name


def _with_this_python() -> dict:
    """The environment with this interpreter's folder first on PATH (``python`` = this one)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_every_committed_notebook_is_already_stripped():
    """Installing the filter makes no notebook look changed (it would strip nothing)."""
    pytest.importorskip("nbstripout")
    paths = notebooks()
    assert paths
    run = subprocess.run([sys.executable, "-m", "nbstripout", "--keep-id", "--verify",
                          *map(str, paths)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_test_the_slow_list_names_exists(request):
    """A renamed test would silently join the fast loop again."""
    conftest = next(plugin for plugin in request.config.pluginmanager.get_plugins()
                    if Path(getattr(plugin, "__file__", "") or "") == ROOT / "tests" / "conftest.py")
    for name in conftest.SLOW_TESTS:
        file, test = name.split("::")
        assert f"def {test}(" in (ROOT / "tests" / file).read_text(), name
    for pattern in conftest.SLOW_FILES:
        assert list((ROOT / "tests").glob(pattern)), pattern
