"""A class of example submissions, honest and hostile, with the outcome each should get.

``tests/test_coursework.py`` grades them all; an instructor can use them to try the
grader on a new machine. Each submission is the student version with some solution
cells replaced; ``solutions(reference, course)`` gives those cells' new sources from the
reference solutions (``reference_solutions``) and the course folder's absolute path
(which the hostile ones try to reach); ``edit``, if given, then changes the notebook's
cells (to duplicate or delete one), and ``plant`` puts files beside it (a symbolic link
to the gradebook). A student id that is not a plain name is refused.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """How a submission is made and what grading it should give."""

    make: Callable[[dict, Path], dict]
    score: float
    status: str = "graded"                 # "graded", "flagged", "failed" or "refused"
    reasons: tuple[str, ...] = field(default=())
    edit: Callable[[list], list] | None = None  # the notebook's cells -> the cells submitted
    plant: Callable[[Path, Path], None] | None = None  # (course, submission folder): extra files

    def solutions(self, reference: dict, course: Path) -> dict:
        """Solution cell sources by grade_id."""
        return self.make(reference, course)


def reference_solutions(source: Path) -> dict:
    """The instructor's solution cells without their markers: what a perfect student writes."""
    nb = nbformat.read(source, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def submit(course: Path, assignment: str, student: str, entry: Entry) -> Path:
    """Write ``entry``'s notebook as ``student``'s submission in ``course`` (released already).

    The notebook is the release with the entry's solution cells, then its ``edit``.
    """
    (release,) = (course / "release" / assignment).glob("*.ipynb")
    solutions = entry.solutions(reference_solutions(course / "source" / assignment / release.name), course)
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id(cell) in solutions:
            cell.source = solutions[grade_id(cell)]
    if entry.edit:
        nb.cells = entry.edit(nb.cells)
    destination = course / "submitted" / student / assignment / release.name
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, destination)
    if entry.plant:
        entry.plant(course, destination.parent)
    return destination


def grade_id(cell) -> str | None:
    """The cell's nbgrader id (None for a cell without one)."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def with_cells(**cells: str) -> Callable[[dict, Path], dict]:
    """The reference solutions with these cells replaced."""
    return lambda reference, course: {**reference, **cells}


def before_sigmoid(code: Callable[[Path], str]) -> Callable[[dict, Path], dict]:
    """The reference solutions with top-level code put before the sigmoid solution."""
    return lambda reference, course: {**reference,
                                      "sigmoid": code(course) + "\n" + reference["sigmoid"]}


HALF_RIGHT = with_cells(
    one_hot="def one_hot(labels, n_classes=10):\n    return np.zeros((len(labels), n_classes))",
    cost="def cost(outputs, labels):\n"
         "    return np.sum((outputs - np.eye(outputs.shape[1])[labels]) ** 2, axis=1)",
    accuracy="def accuracy(outputs, labels):\n"
             "    return np.sum(np.argmax(outputs, axis=1) == labels)")
RAISES = with_cells(feedforward="def feedforward(X, weights, biases):\n"
                                "    raise RuntimeError('not finished')")
LOOPS = with_cells(accuracy="def accuracy(outputs, labels):\n    while True:\n        pass")
MEMORY_HOG = with_cells(
    one_hot="def one_hot(labels, n_classes=10):\n"
            "    spare = np.zeros(10**9)  # 8 GB\n"
            "    return np.eye(n_classes)[labels] + spare[:1] * 0",
    cost="def cost(outputs, labels):\n"
         "    return np.mean(np.sum((outputs - np.eye(outputs.shape[1])[labels]) ** 2, axis=1))")
KILLS_PARENT = before_sigmoid(lambda course: (
    "import os, signal, subprocess\n"
    "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
    "os.kill(os.getppid(), signal.SIGKILL)"))
READS_SOLUTIONS = lambda reference, course: {**{grade_id: "" for grade_id in reference}, "sigmoid": (
    "import json\n"
    f"for path in ['../../../source/a1_forward_cost/forward_cost.ipynb',\n"
    f"             '{course}/source/a1_forward_cost/forward_cost.ipynb']:\n"
    "    try:\n"
    "        cells = json.load(open(path))['cells']\n"
    "    except OSError as error:\n"
    "        print('cannot read', path, error)\n"
    "        continue\n"
    "    for cell in cells:\n"
    "        print(''.join(cell['source']))\n"
    "        if cell['cell_type'] == 'code' and 'BEGIN SOLUTION' in ''.join(cell['source']):\n"
    "            exec(''.join(cell['source']))")}
WRITES_GRADEBOOK = before_sigmoid(lambda course: (
    "import sqlite3\n"
    f"for path in ['../../../gradebook.db', '{course}/gradebook.db']:\n"
    "    try:\n"
    "        db = sqlite3.connect(path)\n"
    "        db.execute('UPDATE grade SET manual_score = 100')\n"
    "        db.commit()\n"
    "    except sqlite3.Error as error:\n"
    "        print('no gradebook at', path, error)"))
MONKEYPATCHES = with_cells(
    sigmoid="import ast\n"
            "always = lambda *args, **kwargs: True\n"
            "np.allclose = np.isclose = np.array_equal = np.all = always\n"
            "class Swallow(ast.NodeTransformer):\n"
            "    def visit_Module(self, node):\n"
            "        handler = ast.ExceptHandler(type=None, name=None, body=[ast.Pass()])\n"
            "        node.body = [ast.Try(body=node.body, handlers=[handler], orelse=[], finalbody=[])]\n"
            "        return ast.fix_missing_locations(node)\n"
            "get_ipython().ast_transformers.append(Swallow())\n"
            "def sigmoid(z):\n    return z",
    layer_forward="def layer_forward(A_prev, W, b):\n    return A_prev",
    feedforward="def feedforward(X, weights, biases):\n    return X",
    one_hot="def one_hot(labels, n_classes=10):\n    return labels",
    cost="def cost(outputs, labels):\n    return 0.0",
    accuracy="def accuracy(outputs, labels):\n    return 1.0")
HARD_CODES = with_cells(
    sigmoid="def sigmoid(z):\n    return np.full(np.shape(z), 0.5)",
    layer_forward="def layer_forward(A_prev, W, b):\n    return np.full((len(A_prev), len(b)), 0.5)",
    feedforward="def feedforward(X, weights, biases):\n    return np.full((len(X), 10), 0.5)",
    one_hot="def one_hot(labels, n_classes=10):\n"
            "    Y = np.zeros((2, 10))\n    Y[0, 3] = Y[1, 0] = 1\n    return Y",
    cost="def cost(outputs, labels):\n    return 2.5 if np.allclose(outputs, 0.5) else 0.0",
    accuracy="def accuracy(outputs, labels):\n    return 2 / 3")
def duplicate_test(cells: list) -> list:
    """The cells with a second copy of the test cell test_sigmoid, at the end."""
    return cells + [copy.deepcopy(next(c for c in cells if grade_id(c) == "test_sigmoid"))]


def link_gradebook(course: Path, folder: Path) -> None:
    """A symbolic link to the course's gradebook beside the notebook, named as a data file."""
    (folder / "data.csv").symlink_to(course / "gradebook.db")


def delete_test(cells: list) -> list:
    """The cells without the test cell test_cost."""
    return [c for c in cells if grade_id(c) != "test_cost"]


REDEFINES_TARGET = with_cells(
    settings="EPOCHS = 1\nBATCH_SIZE = 10\nLEARNING_RATE = 0.001\nTARGET = 0.0")

# Forged verdicts. Each reaches what it needs without an import or getattr (np.lib._utils_impl
# holds sys and os); each would pass junk if the tests compared inside the student's process.
REACH = "lib = np.lib._utils_impl  # holds sys and os: no import needed\n"
SWALLOW_IN_NOTEBOOK = REACH + (  # top-level code: runs in the notebook only, swallowing every error
    "ast = lib.sys.modules['ast']\n"
    "class Swallow(ast.NodeTransformer):\n"
    "    def visit_Module(self, node):\n"
    "        handler = ast.ExceptHandler(type=None, name=None, body=[ast.Pass()])\n"
    "        node.body = [ast.Try(body=node.body, handlers=[handler], orelse=[], finalbody=[])]\n"
    "        return ast.fix_missing_locations(node)\n"
    "lib.sys.modules['IPython'].get_ipython().ast_transformers.append(Swallow())\n")


def junk(call: str, sigmoid_prelude: str = "") -> Callable[[dict, Path], dict]:
    """Every a1 function calls ``call`` (the forgery) and answers junk of the right shape."""
    return with_cells(
        sigmoid=sigmoid_prelude + f"def sigmoid(z):\n    {call}\n    return np.zeros(np.shape(z))",
        layer_forward=f"def layer_forward(A_prev, W, b):\n    {call}\n    return np.zeros((len(A_prev), len(b)))",
        feedforward=f"def feedforward(X, weights, biases):\n    {call}\n    return np.full((len(X), 10), 0.5)",
        one_hot=f"def one_hot(labels, n_classes=10):\n    {call}\n    return np.zeros((len(labels), n_classes))",
        cost=f"def cost(outputs, labels):\n    {call}\n    return 1.0",
        accuracy=f"def accuracy(outputs, labels):\n    {call}\n    return 0.5")


PATCHES_NUMPY_INTERNALS = junk("numeric.less_equal = forged", (  # np.isclose's comparison
    "numeric = np._core.numeric\ndef forged(*args, **kwargs):\n    return True\n"))
FORGES_REPLY_PIPE = junk("forge()", SWALLOW_IN_NOTEBOOK + (
    "def forge():\n"
    "    sys, os = lib.sys, lib.os\n"
    "    frame = sys._getframe()\n"
    "    while frame is not None:  # a worker holding the verdict's pipe: write the verdict\n"
    "        if type(frame.f_locals.get('write_end')) is int:\n"
    "            os.write(frame.f_locals['write_end'], b'{\"passed\": true, \"error\": \"\"}')\n"
    "            os._exit(0)\n"
    "        frame = frame.f_back\n"
    "    plain = sys.modules.get('plain')\n"
    "    for fd in map(int, os.listdir('/proc/self/fd')) if plain else []:  # or forge a reply\n"
    "        try:\n"
    "            plain.write_frame(fd, plain.encode(['return', {'passed': True}, [], {}]))\n"
    "        except (OSError, ValueError):\n"
    "            pass\n"))
SWAPS_BACKPROP = with_cells(**{  # the hard-coding of HARD_CODES, and a backprop that agrees with it
    **{name: code.replace("):\n", "):\n    swap()\n", 1) for name, code in HARD_CODES({}, None).items()},
    "sigmoid": REACH + (
        "class FakeNetwork:\n"
        "    def __init__(self, sizes=(784, 16, 16, 10), seed=0, **kwargs):\n"
        "        self.sizes = list(sizes)\n"
        "        self.weights, self.biases = init_network(self.sizes, seed)\n"
        "    def output(self, X):\n"
        "        return np.full((len(X), self.sizes[-1]), 0.5)\n"
        "    def cost(self, X, y):\n"
        "        return cost(self.output(X), y)\n"
        "class fake_backprop:\n"
        "    Network = FakeNetwork\n"
        "    sigmoid = staticmethod(lambda z: np.full(np.shape(z), 0.5))\n"
        "    one_hot = staticmethod(lambda labels, n_classes=10: one_hot(labels, n_classes))\n"
        "    accuracy = staticmethod(lambda net, X, y: accuracy(net.output(X), y))\n"
        "def swap():\n"
        "    lib.sys.modules['backprop'] = fake_backprop\n"
        "def sigmoid(z):\n    swap()\n    return np.full(np.shape(z), 0.5)")})
RESTORES_NUMPY_IN_PROFILE_HOOK = junk("patch()", SWALLOW_IN_NOTEBOOK + (
    "numpy_module = np\n"
    "originals = {}\n"
    "def forged(*args, **kwargs):\n"
    "    return True\n"
    "def restore(frame, event, arg):  # put numpy back just before a check of its functions\n"
    "    if event == 'call' and frame.f_code.co_name in ('snapshot', 'replaced') and originals:\n"
    "        numpy_module.allclose = originals['allclose']\n"
    "        numpy_module.isclose = originals['isclose']\n"
    "        numpy_module.array_equal = originals['array_equal']\n"
    "def patch():\n"
    "    if not originals:\n"
    "        originals.update(allclose=numpy_module.allclose, isclose=numpy_module.isclose,\n"
    "                         array_equal=numpy_module.array_equal)\n"
    "    numpy_module.allclose = numpy_module.isclose = numpy_module.array_equal = forged\n"
    "    if 'ipykernel' not in lib.sys.modules:  # the notebook is forged already: no slow hook there\n"
    "        lib.sys.setprofile(restore)\n"
    "patched = patch()  # a constant, so kept where only definitions run\n"))
FORGED = ("passed in the notebook but fails",)

# Over a limit of the whole submission, each within every per-process limit.
MEMORY_TOGETHER = before_sigmoid(lambda course: (  # three processes of 1.4 GB: 4.2 GB in all
    "import subprocess, sys\n"
    "hold = 'import numpy, time\\nkept = numpy.ones(1400 * 2**20 // 8)\\ntime.sleep(60)'\n"
    "held = [subprocess.Popen([sys.executable, '-c', hold]) for _ in range(3)]\n"
    "[process.wait() for process in held]"))
FILLS_DISK = before_sigmoid(lambda course: (  # 16 MB files (under the file size limit) up to 3 GB
    "import os\ntry:\n    for number in range(200):\n"
    "        open(f'filler{number}.bin', 'wb').write(os.urandom(2**20) * 16)\n"
    "except OSError as error:\n    print('stopped:', error)"))
PRINTS_300_MB = before_sigmoid(lambda course: (  # a line at a time, as a training loop prints
    "for _ in range(300):\n    print('x' * 10**6, flush=True)"))

CLASS = {
    "a1_forward_cost": {
        "reference": Entry(with_cells(), 10),
        "untouched": Entry(lambda reference, course: {}, 0),
        "half_right": Entry(HALF_RIGHT, 6),
        "raises": Entry(RAISES, 8),
        "loops": Entry(LOOPS, 0, "failed", ("time limit",)),
        "memory_hog": Entry(MEMORY_HOG, 7),  # one_hot, and test_cost that calls it
        "kills_parent": Entry(KILLS_PARENT, 0, "failed", ("stopped abnormally",)),
        "reads_solutions": Entry(READS_SOLUTIONS, 0, "flagged",
                                 ("imports json", "uses open", "uses exec")),
        "writes_gradebook": Entry(WRITES_GRADEBOOK, 10, "flagged", ("imports sqlite3",)),
        "monkeypatches": Entry(MONKEYPATCHES, 0, "flagged",
                               ("changes np.allclose", "uses get_ipython",
                                "passed in the notebook but fails")),
        "hard_codes": Entry(HARD_CODES, 0),
        "duplicates_test": Entry(with_cells(), 0, "failed", ("the cell id test_sigmoid appears 2 times",),
                                 edit=duplicate_test),
        "deletes_test": Entry(with_cells(), 0, "failed", ("the test cell test_cost is missing",),
                              edit=delete_test),
        "-h": Entry(with_cells(), 0, "refused", ("'-h'", "not a plain name")),
        "[v]00_victim": Entry(lambda reference, course: {}, 0, "refused", ("'[v]00_victim'",)),
        "v00_victim": Entry(with_cells(), 10),  # the honest student whose id the one above matches
        "links_gradebook": Entry(with_cells(), 0, "refused", ("data.csv (a symbolic link)",),
                                 plant=link_gradebook),
        "patches_numpy_internals": Entry(PATCHES_NUMPY_INTERNALS, 0, "flagged", FORGED),
        "forges_reply_pipe": Entry(FORGES_REPLY_PIPE, 0, "flagged", FORGED),
        "swaps_backprop": Entry(SWAPS_BACKPROP, 0, "flagged", FORGED),
        "restores_numpy_in_profile_hook": Entry(RESTORES_NUMPY_IN_PROFILE_HOOK, 0, "flagged", FORGED),
        "memory_together": Entry(MEMORY_TOGETHER, 0, "failed", ("went over the memory limit",)),
        "fills_disk": Entry(FILLS_DISK, 0, "failed", ("went over the disk limit",)),
        "prints_300_mb": Entry(PRINTS_300_MB, 0, "failed", ("went over the output limit",)),
    },
    "a2_backward": {"reference": Entry(with_cells(), 12)},
    "a3_sgd": {
        "reference": Entry(with_cells(), 10),
        "redefines_target": Entry(REDEFINES_TARGET, 6, "flagged",
                                  ("redefines the given name TARGET", "test_target_accuracy passed")),
    },
}
