"""The drawing pad: MNIST's preprocessing in Python and in the browser, and the pad's network.

``drawing.js`` runs in Node.js on the same strokes as ``drawing.py`` (the file the
page ships); the two must agree to 1e-6. The strokes are hand-designed digits
(``pad_digits.py``) at three places and two pointer speeds, plus awkward cases.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop.explorers import drawing
from backprop.explorers.base import HERE
from backprop.explorers.pad_digits import all_drawings, drawing as digit_drawing

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="needs Node.js (apt-get install nodejs)")
ROOT = Path(__file__).resolve().parents[1]

RUN = """
const drawings = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(drawings.map((strokes) => Array.from(mnistImage(strokes)))));
"""

AWKWARD = {
    "one click": [[(140.0, 140.0)]],
    "a dot at the corner": [[(0.0, 0.0)]],
    "a stroke leaving the pad": [[(200.0, 100.0), (320.0, 300.0)]],
    "a centred vertical line": [[(140.0, 40.0), (140.0, 240.0)]],
    "a horizontal line": [[(30.0, 140.0), (250.0, 140.0)]],
    "two far dots": [[(10.0, 10.0)], [(270.0, 270.0)]],
}


def browser_images(drawings: list) -> np.ndarray:
    """What drawing.js makes of each drawing, run in Node.js."""
    script = (HERE / "drawing.js").read_text() + RUN
    done = subprocess.run([NODE, "-e", script], input=json.dumps(drawings), capture_output=True,
                          text=True, timeout=120, check=True)
    return np.array(json.loads(done.stdout))


@needs_node
def test_browser_preprocessing_equals_python_on_drawn_digits_and_awkward_strokes():
    drawings = [strokes for *_, strokes in all_drawings()] + list(AWKWARD.values())
    expected = np.array([drawing.mnist_image(s) for s in drawings])
    got = browser_images(drawings)
    gap = np.max(np.abs(got - expected))
    print(f"\nPython vs browser preprocessing, {len(drawings)} drawings: largest gap {gap:.1e}")
    assert gap < 1e-6
    assert np.all(expected.reshape(len(drawings), -1).sum(axis=1) > 0)


def test_the_pen_is_round_with_a_soft_edge():
    grid = drawing.ink([[(40.0, 100.0), (200.0, 100.0)]])
    column = grid[:, 120]                    # across the stroke, far from its ends
    centres = np.arange(drawing.PAD) + 0.5
    expected = np.clip(drawing.PEN / 2 + 0.5 - np.abs(centres - 100.0), 0, 1)
    np.testing.assert_allclose(column, expected, atol=1e-12)
    # the end is a half disc: 11 units right of the end point the pen has gone
    assert grid[100, 200 + drawing.PEN // 2 + 1] == 0 and grid[100, 200 + drawing.PEN // 2 - 2] == 1
    # slow and fast pointers give the same line: the pen joins successive points
    np.testing.assert_allclose(drawing.ink([[(40.0, 100.0), (120.0, 100.0), (200.0, 100.0)]]), grid)


def test_fitting_keeps_proportions_and_the_average_ink():
    grid = drawing.ink([[(50.0, 30.0), (90.0, 250.0)]])  # a tall, narrow stroke
    rows, cols = np.flatnonzero(grid.max(1) > 0), np.flatnonzero(grid.max(0) > 0)
    crop = grid[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    small = drawing.fit_in_box(grid)
    assert small.shape[0] == drawing.BOX
    assert small.shape[1] == round(drawing.BOX * crop.shape[1] / crop.shape[0])
    # each new pixel averages the ink it covers, so the mean ink is kept
    assert small.mean() == pytest.approx(crop.mean(), rel=1e-12)
    assert drawing.fit_in_box(np.zeros((drawing.PAD, drawing.PAD))).size == 0


@pytest.mark.parametrize("digit, place", [(0, "small"), (4, "offset"), (7, "large"), (1, "large")])
def test_the_image_is_centred_like_mnist(digit, place):
    image = drawing.mnist_image(digit_drawing(digit, place)).reshape(28, 28)
    total = image.sum()
    cy = image.sum(1) @ np.arange(28) / total
    cx = image.sum(0) @ np.arange(28) / total
    assert abs(cy - drawing.CENTRE) <= 0.5 and abs(cx - drawing.CENTRE) <= 0.5
    rows, cols = np.flatnonzero(image.max(1) > 0), np.flatnonzero(image.max(0) > 0)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == drawing.BOX


def test_the_same_digit_anywhere_on_the_pad_gives_nearly_the_same_image():
    # MNIST's recipe takes the place and size out: what is left is the pen's width
    large, small = (drawing.mnist_image(digit_drawing(7, p, "slow")) for p in ("large", "small"))
    unprepared = [drawing.ink(digit_drawing(7, p, "slow")) for p in ("large", "small")]
    overlap = lambda a, b: (a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum())  # noqa: E731
    assert overlap(large, small) > 0.75 > overlap(*unprepared)


@pytest.mark.parametrize("strokes, words", [
    ("not strokes", "list of strokes"), ([[]], r"strokes\[0\] must be a non-empty"),
    ([[(1.0, 2.0, 3.0)]], r"strokes\[0\]"), ([[(1.0, float("nan"))]], "finite"),
])
def test_bad_strokes_get_one_clear_error(strokes, words):
    with pytest.raises(ValueError, match=words):
        drawing.mnist_image(strokes)


def recognition(net) -> dict:
    """(place, speed) -> list of (digit, guess) for the hand-designed drawings."""
    read = {}
    for digit, place, speed, strokes in all_drawings():
        guess = int(np.argmax(net.output(drawing.mnist_image(strokes))))
        read.setdefault((place, speed), []).append((digit, guess))
    return read


def test_the_pad_network_reads_the_hand_designed_digits():
    read = recognition(drawing.pad_network())
    right = sum(d == g for pairs in read.values() for d, g in pairs)
    total = sum(len(pairs) for pairs in read.values())
    print(f"\npad network, drawings preprocessed in Python: {right}/{total} read right")
    for (place, speed), pairs in read.items():
        print(f"  {place:6} {speed}: " + " ".join(f"{d}{'' if d == g else '->' + str(g)}" for d, g in pairs))
    assert right >= 0.8 * total   # a sanity floor; the figure itself is printed


def test_the_pad_network_file_is_the_small_float32_network(mnist):
    vector = np.load(drawing.PAD_NETWORK_FILE)
    assert vector.dtype == np.float32 and vector.shape == (13_002,)
    assert drawing.PAD_NETWORK_FILE.stat().st_size < 55_000
    net = drawing.pad_network()
    _, (X_test, y_test) = mnist
    accuracy = np.mean(np.argmax(net.output(X_test), axis=1) == y_test)
    print(f"\npad network: {accuracy:.2%} on the 10,000 MNIST test images")
    assert accuracy >= 0.95


@pytest.mark.slow
def test_the_training_script_makes_the_same_file(mnist, tmp_path):
    out = tmp_path / "pad.npy"
    subprocess.run([sys.executable, str(ROOT / "tools" / "train_pad_network.py"), "--out", str(out)],
                   check=True, timeout=600, cwd=ROOT)
    np.testing.assert_allclose(np.load(out), np.load(drawing.PAD_NETWORK_FILE), atol=1e-5)
