"""The fresh re-run decides each verdict in a process the student's code never shares.

The plain-data framing (``grading/plain.py``) round-trips exactly what may cross and
refuses everything else; the stand-ins (``grading/calls.py``) carry calls, call-backs,
random generators and in-place changes between the tests' process and the student's;
and in the real sandboxes the student's process cannot see, signal or write into the
tests' process. Then the hostile submissions of ``example_class.py`` are graded with a
plain ``nbgrader autograde`` (``test_coursework.py`` grades them with ``grade.py``).
"""
import json
import math
import os
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

COURSE = Path(__file__).resolve().parents[1] / "coursework"
sys.path.insert(0, str(COURSE))

from grading import calls, plain  # noqa: E402


def crossed(value):
    """``value`` after a trip through a frame."""
    return plain.decode(b"".join(bytes(c) for c in plain.encode(value)))


def same(a, b) -> bool:
    """Equal, with exactly the same types all the way down (and the same dtypes and flags)."""
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return (a.dtype == b.dtype and a.shape == b.shape and a.flags.writeable == b.flags.writeable
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    return a == b


def read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


PLAIN = [None, True, False, 0, -7, 2**200, 0.1, -0.0, float("inf"), float("nan"), 1e-310, 3 - 4j,
         "", "ünïcode ✓", np.float64(0.5), np.float32(1.25), np.int64(-3), np.uint8(200), np.bool_(True),
         np.complex128(1j), np.arange(12.0).reshape(3, 4), np.arange(6, dtype=np.int32),
         np.array([True, False]), np.zeros((0, 5)), np.array(2.5), np.arange(4, dtype=">f8"),
         np.arange(6.0).reshape(2, 3)[:, ::2], read_only(np.ones((2, 2), np.float16)),
         [1, [2.0, (3, None)], ()], (np.zeros(2), [np.ones(1)]), {"a": 1, 2: [np.int8(1)], (1, "x"): None}]


@pytest.mark.parametrize("value", PLAIN, ids=[f"{type(v).__name__}-{i}" for i, v in enumerate(PLAIN)])
def test_plain_values_cross_exactly(value):
    assert same(crossed(value), value if type(value) is not np.ndarray or value.flags.c_contiguous
                else np.ascontiguousarray(value))


def test_random_generators_cross_in_their_state():
    for rng in (np.random.default_rng(5), np.random.Generator(np.random.MT19937(2))):
        rng.random(3)
        copy = crossed(rng)
        assert type(copy) is np.random.Generator and copy is not rng
        assert np.array_equal(copy.random(10), rng.random(10))


def test_a_network_crosses_as_its_arrays_and_is_rebuilt():
    import backprop as bp
    net = bp.Network([5, 4, 3], activation="relu", seed=2)
    copy = crossed(net)
    assert type(copy) is bp.Network and copy is not net and copy.sizes == net.sizes
    assert copy.activation.name == "relu" and copy.dtype == net.dtype
    assert all(same(a, b) for a, b in zip(copy.weights + copy.biases, net.weights + net.biases))
    X = np.random.default_rng(0).random((2, 5))
    assert np.array_equal(copy.output(X), net.output(X))
    kept = net.weights[0]
    copy.weights[0][0, 0] = 9.0
    assert calls.update(net, copy) is net and net.weights[0] is kept and kept[0, 0] == 9.0
    with pytest.raises(plain.ProtocolError, match="do not fit"):
        copy.biases = copy.biases[:1]
        crossed(copy)


class Sneaky(float):
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Matrixish(np.ndarray):
    pass


NOT_PLAIN = [Sneaky(1.0), type("Str", (str,), {})("x"), type("Int", (int,), {})(3),
             np.array([object()], dtype=object), np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]),
             np.array(["text"]), np.zeros(2, dtype="M8[s]"), np.zeros(3).view(Matrixish),
             type("Float64", (np.float64,), {})(1.0), lambda x: x, print, range(3), {1, 2},
             iter([1]), b"bytes", np.random.RandomState(0), [1, [2, Sneaky(3.0)]], {"k": object()},
             2**5000]


@pytest.mark.parametrize("value", NOT_PLAIN, ids=[type(v).__name__ for v in NOT_PLAIN])
def test_anything_else_is_refused(value):
    with pytest.raises(plain.NotPlain):
        plain.encode(value)


def test_deep_nesting_and_oversized_values_are_refused(monkeypatch):
    nested = []
    for _ in range(plain.MAX_DEPTH + 5):
        nested = [nested]
    with pytest.raises(plain.NotPlain, match="nested"):
        plain.encode(nested)
    monkeypatch.setattr(plain, "MAX_FRAME", 1000)
    with pytest.raises(plain.NotPlain, match="larger than the limit"):
        plain.encode(np.zeros(200))


def frame(header, data: bytes = b"") -> bytes:
    """A hand-made payload: this JSON header, then these bytes."""
    text = json.dumps(header).encode()
    text += b" " * (plain.padded(4 + len(text)) - 4 - len(text))
    return struct.pack(">I", len(text)) + text + data


@pytest.mark.parametrize("payload, words", [
    (frame(["pickle", "gASV"]), "does not accept"),
    (frame(["array", "|O8", [1], False], bytes(16)), "dtype"),
    (frame(["array", "|V8", [1], False], bytes(16)), "dtype"),
    (frame(["array", "<f8", [4], False], bytes(16)), "larger than the bytes"),
    (frame(["array", "<f8", [-1], False], bytes(16)), "shape"),
    (frame(["array", "<f8", [True], False], bytes(16)), "shape"),
    (frame(["array", "<f8", [1], False], bytes(32)), "left over"),
    (frame(["scalar", "<U4"], bytes(16)), "dtype"),
    (frame(["callable", 0]), "does not accept"),
    (frame(["int", "1" * 5000]), "malformed"),
    (frame(["dict", [[["list", []], ["int", "1"]]]]), "malformed"),
    (frame(["v", 1]), "does not accept"),
    (frame(["rng", ["dict", [[["v", "bit_generator"], ["v", "os.system"]]]]]), "unknown kind"),
    (b"\x00\x00\x00\x10{not json}      ", "unreadable"),
])
def test_malformed_frames_are_refused(payload, words):
    with pytest.raises(plain.ProtocolError, match=words):
        plain.decode(payload)


def test_an_oversized_frame_is_refused_before_it_is_read():
    read_end, write_end = os.pipe()
    os.write(write_end, struct.pack(">Q", plain.MAX_FRAME + 1))
    with pytest.raises(plain.ProtocolError, match="larger than the limit"):
        plain.read_frame(read_end, deadline=None)
    os.close(write_end)
    with pytest.raises(plain.ChannelClosed):
        plain.read_frame(read_end, deadline=None)
    os.close(read_end)


def test_update_brings_changed_arguments_up_to_date_in_place():
    array, frozen, rng = np.zeros(3), read_only(np.zeros(2)), np.random.default_rng(0)
    items, table = [np.zeros(2), 1.0], {"a": np.zeros(1)}
    moved = np.random.default_rng(0)
    moved.random(4)
    kept = items[0]
    assert calls.update(array, np.array([1.0, 2.0, 3.0])) is array and array.tolist() == [1, 2, 3]
    assert calls.update(frozen, np.ones(2)) is frozen and frozen.tolist() == [0, 0]
    assert calls.update(items, [np.ones(2), 5.0, "new"]) is items
    assert items[0] is kept and kept.tolist() == [1, 1] and items[1:] == [5.0, "new"]
    assert calls.update(table, {"a": np.ones(1), "b": 2}) is table and table["a"][0] == 1 and table["b"] == 2
    assert calls.update(rng, crossed(moved)) is rng and rng.random() == moved.random()
    assert calls.update(7, None) == 7 and calls.update(7, 8) == 8


def notebook(steps: list):
    """A notebook of code cells marked as nbgrader marks them: (kind, grade_id, code)."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    for kind, grade_id, code in steps:
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": kind == "solution",
                                     "grade": kind == "test", "locked": kind != "solution"}
        nb.cells.append(cell)
    return nb


def fresh(steps: list, sandboxed: bool = False, seconds: int = 60) -> dict:
    """Verdicts of the fresh re-run of these cells: both sides as the grader starts them."""
    pytest.importorskip("nbgrader")
    from grading import fresh_run, sandbox
    from grading.screen import layout
    nb = notebook(steps)

    def run(script: str, stdin: bytes, pipes: tuple):
        with tempfile.TemporaryDirectory() as work:
            return sandbox.run([sys.executable, f"{sandbox.INSIDE_SCRIPTS}/{script}", *map(str, pipes)],
                               Path(work), stdin, sandbox.Limits(seconds), sandboxed=sandboxed,
                               pass_fds=pipes)
    outcome = fresh_run.run_both(*fresh_run.plans(nb, layout(nb), seconds), run)
    assert outcome.returncode == 0, outcome.stderr
    return json.loads(outcome.stdout)


SETUP = ("given", "setup", "import numpy as np\nTARGET = 0.9\nDATA = np.arange(3.0)")


def test_stand_ins_carry_calls_constants_call_backs_generators_and_changes():
    verdicts = fresh([
        SETUP,
        ("solution", "defs", "TARGET = 0.0\nK = 3\ndef double(x):\n    return 2 * x\n"
                             "def slope(f, x):\n    return np.array([f(x + 1) - f(x)])\n"
                             "def shuffle(rng):\n    return rng.permutation(4)\n"
                             "def fill(a, value):\n    a[0] = value\n    a_list.append(1)\n"
                             "a_list = []\n"
                             "def all(values):\n    return True\n"
                             "def target():\n    return TARGET\n"
                             "def sneaky():\n    np.allclose = lambda *a, **k: True\n    return 0"),
        ("test", "values", "assert np.allclose(double(DATA), [0, 2, 4]) and type(double(DATA)) is np.ndarray\n"
                           "assert type(double(2.5)) is float and type(double(np.float64(1))) is np.float64\n"
                           "assert K == 3 and TARGET == 0.9 and target() == 0.9"),
        ("test", "call_back", "assert np.allclose(slope(lambda v: np.sum(v ** 2), np.array([1.0])), [3.0])"),
        ("test", "generator", "r = np.random.default_rng(0)\na, b = shuffle(r), shuffle(r)\n"
                              "expected = np.random.default_rng(0)\n"
                              "assert np.array_equal(a, expected.permutation(4))\n"
                              "assert np.array_equal(b, expected.permutation(4))"),
        ("test", "changes", "x = np.zeros(2)\nfill(x, 7)\nassert x[0] == 7\nfill(DATA, 7)"),
        ("test", "builtins", "assert not all([False]), 'the student defined all, the test uses its own'"),
        ("test", "patching", "sneaky()\nassert not np.allclose(1, 2)"),
    ])
    assert {k: v["passed"] for k, v in verdicts.items()} == {
        "values": True, "call_back": True, "generator": True, "changes": False, "builtins": True,
        "patching": True}
    assert "fill raised ValueError: assignment destination is read-only" in verdicts["changes"]["error"]


def test_a_misbehaving_student_process_fails_only_its_own_answers():
    forge = ("def forge():\n"
             "    import sys, os\n"
             "    plain = sys.modules['plain']\n"
             "    for fd in map(int, os.listdir('/proc/self/fd')):\n"
             "        for message in (['return', {'passed': True, 'error': ''}, [], {}], ['gone', 'x']):\n"
             "            try:\n"
             "                plain.write_frame(fd, plain.encode(message))\n"
             "                os.write(fd, b'{\"passed\": true, \"error\": \"\"}')\n"
             "            except OSError:\n"
             "                pass\n"
             "    return {'passed': True}\n")
    verdicts = fresh([
        SETUP,
        ("solution", "defs", forge + "def raises():\n    raise RuntimeError('not finished')\n"
                             "def opaque():\n    return object()\n"
                             "def leaves():\n    np.lib._utils_impl.os._exit(3)\n"),
        ("test", "raises", "raises()"),
        ("test", "opaque", "opaque()"),
        ("test", "leaves", "leaves()"),
        ("test", "still_fine", "assert TARGET == 0.9"),
        ("test", "forged", "assert forge() is None"),
        ("test", "after", "assert True"),
    ])
    assert verdicts["raises"]["error"] == "StudentError: raises raised RuntimeError: not finished"
    assert "it returned a object is not plain data" in verdicts["opaque"]["error"]
    assert "process ended during leaves()" in verdicts["leaves"]["error"]
    assert verdicts["still_fine"]["passed"]
    assert not verdicts["forged"]["passed"] and not verdicts["after"]["passed"]
    assert "not run: the student's process stopped answering in forged" in verdicts["after"]["error"]


def test_the_tests_plan_holds_no_student_code_and_the_students_no_test():
    from grading import fresh_run
    from grading.screen import layout
    nb = notebook([SETUP, ("solution", "defs", "def f(x):\n    return x  # STUDENT CODE\nprint('top')"),
                   ("test", "t", "assert f(1) == 1  # TEST CODE"),
                   ("given", "later", "out = f(2)\ndef helper():\n    return 1")])
    tests, student = (json.loads(p) for p in fresh_run.plans(nb, layout(nb), 10))
    assert "STUDENT CODE" not in json.dumps(tests) and "TEST CODE" not in json.dumps(student)
    assert tests["steps"][1] == {"kind": "solution", "id": "defs", "names": ["f"]}
    assert student["steps"][3]["code"] == "def helper():\n    return 1"


def test_the_students_process_cannot_see_signal_or_write_into_the_tests_process():
    """In the real sandboxes: the student's function lists every process it can see,
    signals each one and tries to open their file descriptors; the tests' process lives on
    and reports. Its own sandbox's processes are all it sees."""
    from grading.preflight import sandbox_problem
    if sandbox_problem(None, None):
        pytest.skip("bubblewrap cannot run here")
    probe = ("def probe():\n"
             "    import os, signal\n"
             "    seen, reached = [], []\n"
             "    for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
             "        try:\n"
             "            seen.append(open(f'/proc/{pid}/cmdline', 'rb').read().decode())\n"
             "            fds = os.listdir(f'/proc/{pid}/fd') if int(pid) != os.getpid() else []\n"
             "        except OSError:\n"
             "            continue\n"
             "        for fd in fds:\n"
             "            try:\n"
             "                os.close(os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY))\n"
             "                reached.append(f'{pid}/{fd}')\n"
             "            except OSError:\n"
             "                pass\n"
             "    return seen, reached, os.getpid()\n"
             "def kill_all():\n"
             "    import os, signal\n"
             "    for pid in range(1, 2**16):\n"
             "        if pid not in (os.getpid(), os.getppid()):  # all but itself and its server\n"
             "            try:\n"
             "                os.kill(pid, signal.SIGKILL)\n"
             "            except OSError:\n"
             "                pass\n"
             "    return 'done'\n")
    verdicts = fresh([SETUP, ("solution", "defs", probe),
                      ("test", "sees", "seen, reached, me = probe()\n"
                                       "assert seen and not any('rerun_tests' in c for c in seen), seen\n"
                                       "assert all('student_side' in c or 'bwrap' in c or 'prlimit' in c\n"
                                       "           for c in seen), seen"),
                      ("test", "kills", "assert kill_all() == 'done'"),
                      ("test", "after", "assert True")], sandboxed=True, seconds=120)
    assert verdicts["sees"] == {"passed": True, "error": ""}
    assert verdicts["kills"] == {"passed": True, "error": ""}, "the tests' process survived and compared"
    assert verdicts["after"] == {"passed": True, "error": ""}


FORGERS = ("patches_numpy_internals", "forges_reply_pipe", "swaps_backprop", "restores_numpy_in_profile_hook")


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    """The forgers and two honest students graded by a plain ``nbgrader autograde`` (no grade.py)."""
    pytest.importorskip("nbgrader")
    import shutil
    from example_class import CLASS, submit
    from grading.preflight import sandbox_problem
    data = os.environ.get("BACKPROP_DATA_DIR")
    if not data or not Path(data, "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST not found: set BACKPROP_DATA_DIR to the folder of the .gz files")
    if sandbox_problem():
        pytest.fail("the sandbox cannot run here; .ci/run installs bubblewrap")
    course = tmp_path_factory.mktemp("verdict") / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(
        "gradebook.db", "release", "submitted", "autograded", "feedback", "grading-*", "__pycache__"))
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    nbgrader = [sys.executable, "-m", "nbgrader"]
    import subprocess
    subprocess.run([*nbgrader, "generate_assignment", "a1_forward_cost", "--force"], cwd=course, env=env,
                   check=True, capture_output=True, timeout=300)
    entries = CLASS["a1_forward_cost"]
    for student in ("reference", "v00_victim", *FORGERS):
        submit(course, "a1_forward_cost", student, entries[student])
    done = subprocess.run([*nbgrader, "autograde", "a1_forward_cost", "--force"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        found = {}
        for student in ("reference", "v00_victim", *FORGERS):
            nb = gb.find_submission_notebook("forward_cost", "a1_forward_cost", student)
            found[student] = (nb.score, nb.flagged, " ".join(c.auto_comment or "" for c in nb.comments))
    return found


@pytest.mark.parametrize("student", FORGERS)
def test_a_forged_verdict_scores_zero_and_is_flagged_with_its_reason(autograded, student):
    score, flagged, reasons = autograded[student]
    assert (score, flagged) == (0, True), reasons
    assert "passed in the notebook but fails when run again" in reasons


def test_honest_students_beside_the_forgers_keep_full_marks(autograded):
    assert autograded["reference"][:2] == autograded["v00_victim"][:2] == (10, False)
