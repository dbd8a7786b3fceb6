"""MNIST's pixels written once per batch and mapped read-only by every sandbox (shared_mnist.py)."""
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "coursework"))

from grading import sandbox  # noqa: E402
from grading.preflight import sandbox_problem  # noqa: E402
from grading.shared_mnist import shared_mnist  # noqa: E402

REAL = os.environ.get("BACKPROP_DATA_DIR")
PROBLEM = sandbox_problem()
pytestmark = [pytest.mark.skipif(not REAL, reason="BACKPROP_DATA_DIR is not set: the real MNIST is needed"),
              pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")]

PROBE = """
import json, os
from backprop import load_mnist
(x, y), (xt, yt) = load_mnist(progress=False)
maps = open("/proc/self/maps").read()
try:
    open(os.path.join("/data/pixels", os.listdir("/data/pixels")[0]), "r+b")
    written = "opened"
except OSError as error:
    written = type(error).__name__
print(json.dumps({"variable": os.environ.get("BACKPROP_SHARED_PIXELS"), "mapped": "/data/pixels/" in maps,
                  "sum": float(xt.sum()), "labels": int(y.sum()), "written": written}))
"""


def inside(work: Path, pixels: Path | None) -> dict:
    """What the probe saw in a sandbox given these shared pixels (or none)."""
    from backprop.mnist import cache_dir, data_folder
    outcome = sandbox.run([sys.executable, "-c", PROBE], work, b"", sandbox.Limits(seconds=60),
                          data_dir=data_folder(None), cache_dir=cache_dir(), pixels_dir=pixels)
    assert outcome.returncode == 0, outcome.stderr
    return json.loads(outcome.stdout)


@pytest.fixture(scope="module")
def made():
    from backprop import load_mnist
    (x, y), (xt, yt) = load_mnist(progress=False)
    return float(xt.sum()), int(y.sum())


def test_a_sandbox_maps_the_shared_pixels_and_cannot_change_them(tmp_path, made):
    with shared_mnist() as folder:
        assert folder and len(os.listdir(folder)) == 4
        seen = inside(tmp_path, Path(folder))
    assert seen["variable"] == "/data/pixels" and seen["mapped"]
    assert (seen["sum"], seen["labels"]) == made
    assert seen["written"] in {"PermissionError", "OSError"}
    assert not Path(folder).exists()  # (removed when the batch ends)


def test_without_them_a_sandbox_makes_its_own(tmp_path, made):
    seen = inside(tmp_path, None)
    assert seen["variable"] is None and not seen["mapped"]
    assert (seen["sum"], seen["labels"]) == made


def test_where_mnist_is_missing_the_batch_goes_on_without_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BACKPROP_DATA_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with shared_mnist() as folder:
        assert folder == ""
    assert "each sandbox makes its own MNIST pixels" in capsys.readouterr().err
    assert list((tmp_path / "tmp").iterdir()) == []
