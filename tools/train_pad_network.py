"""Train the drawing pad's network and save it beside the explorers.

The whole-network explorer reads what a reader draws with a network trained by the
book's best recipe (chapter 7: ``recipes.RECIPES["best"]``, seed 0) on all 60,000
MNIST training images. Training takes about half a minute, too long to repeat in
every chapter that shows the pad, so this script trains it once and writes its
13,002 parameters as float32 to ``backprop/explorers/pad_network.npy`` (about 51 KB),
which the package ships. ``tests/test_pad.py`` checks that the saved network scores
at least 95% on the MNIST test set and (marked slow) that this script makes the same
file again::

    BACKPROP_DATA_DIR=/path/to/mnist python tools/train_pad_network.py
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backprop import recipes  # noqa: E402
from backprop.explorers.drawing import PAD_NETWORK_FILE  # noqa: E402

RECIPE, SEED = "best", 0


def train_pad_network() -> tuple[np.ndarray, float]:
    """The pad network's parameters (float32, in ``Network.to_vector`` order) and its
    accuracy on the 10,000 MNIST test images."""
    net, history = recipes.train_digit_recogniser(RECIPE, seed=SEED)
    if history.diverged:
        raise RuntimeError(f"recipe {RECIPE!r}, seed {SEED} diverged; the pad needs a trained network")
    return net.to_vector().astype(np.float32), float(history.test_accuracy[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PAD_NETWORK_FILE,
                        help="where to write the parameters (default: the package's file)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    vector, accuracy = train_pad_network()
    np.save(args.out, vector)
    print(f"recipe {RECIPE!r}, seed {SEED}: test accuracy {accuracy:.2%}; "
          f"{time.perf_counter() - start:.0f} s; wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
