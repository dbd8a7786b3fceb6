"""A digit drawn on the pad, made into the 28 x 28 image the network reads.

The reader draws strokes on a square pad ``PAD`` units wide. MNIST's digits were
prepared in a known way (LeCun et al.): each handwritten digit was scaled so that
it fits a 20 x 20 box, keeping its proportions, with grey levels where the scaling
cut through the pen's edge; then it was placed in a 28 x 28 image with its centre of
mass at the centre. The network only ever saw digits prepared like that, so the pad
prepares a drawing the same way:

1. :func:`ink` draws the strokes with a round pen, ``PEN`` units wide, into a
   ``PAD`` x ``PAD`` grid (soft at the pen's edge);
2. :func:`fit_in_box` crops that grid to the ink and scales it into 20 x 20, each
   new pixel the average of the ink it covers;
3. :func:`centred` puts the result in a 28 x 28 image with its centre of mass at
   pixel (14, 14), where MNIST's centres of mass are (13.997 and 14.006 on average,
   within half a pixel: they were moved by whole pixels, and so is the drawing).

The browser does the same in ``drawing.js``, which follows these functions line by
line; ``tests/test_pad.py`` compares the two on recorded strokes.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from ..network import Network

PAD = 280           # the pad's side, in pad units (strokes' coordinates lie in [0, PAD])
PEN = 22            # the pen's width, in pad units
BOX = 20            # MNIST: the digit is scaled to fit a BOX x BOX square...
SIDE = 28           # ... inside a SIDE x SIDE image...
CENTRE = 14         # ... with its centre of mass at pixel (CENTRE, CENTRE)

#: The pad's network: the book's best recipe on all 60,000 MNIST training images,
#: made by ``tools/train_pad_network.py``.
PAD_NETWORK_FILE = Path(__file__).with_name("pad_network.npy")


def pad_network() -> Network:
    """The trained network the pad reads drawings with (784-16-16-10, sigmoid, quadratic)."""
    vector = np.load(PAD_NETWORK_FILE)
    return Network((784, 16, 16, 10), "sigmoid", "quadratic").load_vector(vector.astype(np.float64))


def checked_strokes(strokes) -> list[np.ndarray]:
    """``strokes`` as a list of ``(n, 2)`` arrays of (x, y) pad points, or a clear error."""
    if not isinstance(strokes, (list, tuple)):
        raise ValueError("strokes must be a list of strokes, each a list of (x, y) points")
    checked = []
    for n, stroke in enumerate(strokes):
        points = np.asarray(stroke, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(f"strokes[{n}] must be a non-empty list of (x, y) points; "
                             f"got shape {points.shape}")
        if not np.all(np.isfinite(points)):
            raise ValueError(f"strokes[{n}] holds a point that is not a finite number")
        checked.append(points)
    return checked


def ink_segment(grid: np.ndarray, p: Sequence[float], q: Sequence[float]) -> None:
    """Draw the pen from ``p`` to ``q`` into ``grid``, keeping the darker ink where strokes cross.

    A pixel whose centre lies at distance ``d`` from the segment gets ink
    ``PEN / 2 + 0.5 - d``, clipped to [0, 1]: full inside the pen, a one-pixel soft edge.
    """
    radius = PEN / 2
    (px, py), (qx, qy) = p, q
    vx, vy = qx - px, qy - py
    length2 = vx * vx + vy * vy
    top = max(0, math.floor(min(py, qy) - radius - 1))
    bottom = min(PAD - 1, math.ceil(max(py, qy) + radius + 1))
    left = max(0, math.floor(min(px, qx) - radius - 1))
    right = min(PAD - 1, math.ceil(max(px, qx) + radius + 1))
    if top > bottom or left > right:
        return
    y = np.arange(top, bottom + 1, dtype=np.float64)[:, None] + 0.5
    x = np.arange(left, right + 1, dtype=np.float64)[None, :] + 0.5
    if length2 > 0:
        t = np.clip(((x - px) * vx + (y - py) * vy) / length2, 0, 1)
    else:
        t = np.zeros((len(y), x.shape[1]))
    dx, dy = x - (px + t * vx), y - (py + t * vy)
    shade = np.clip(radius + 0.5 - np.sqrt(dx * dx + dy * dy), 0, 1)
    window = grid[top:bottom + 1, left:right + 1]
    np.maximum(window, shade, out=window)


def ink(strokes) -> np.ndarray:
    """The strokes drawn with the round pen: a ``PAD x PAD`` grid of ink in [0, 1]."""
    grid = np.zeros((PAD, PAD))
    for points in checked_strokes(strokes):
        ink_segment(grid, points[0], points[0])
        for p, q in zip(points[:-1], points[1:]):
            ink_segment(grid, p, q)
    return grid


def averaging_weights(count: int, size: int) -> np.ndarray:
    """``(size, count)``: row i averages the part of ``count`` cells that new cell i covers."""
    span = count / size
    weights = np.zeros((size, count))
    for i in range(size):
        start, end = i * span, (i + 1) * span
        for k in range(math.floor(start), min(count, math.ceil(end))):
            weights[i, k] = (min(end, k + 1) - max(start, k)) / span
    return weights


def fit_in_box(grid: np.ndarray) -> np.ndarray:
    """Crop ``grid`` to its ink and scale it to fit ``BOX x BOX``, keeping its proportions."""
    rows, cols = np.flatnonzero(grid.max(axis=1) > 0), np.flatnonzero(grid.max(axis=0) > 0)
    if len(rows) == 0:
        return np.zeros((0, 0))
    crop = grid[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    height, width = crop.shape
    scale = BOX / max(height, width)
    new_height = max(1, math.floor(height * scale + 0.5))
    new_width = max(1, math.floor(width * scale + 0.5))
    return averaging_weights(height, new_height) @ crop @ averaging_weights(width, new_width).T


def snapped(value: float) -> float:
    """``value`` rounded to 6 decimals (halves up, the same in the browser)."""
    return math.floor(value * 1e6 + 0.5) / 1e6


def centred(small: np.ndarray) -> np.ndarray:
    """``small`` in a ``SIDE x SIDE`` image, moved by whole pixels so that its centre of
    mass lands on pixel (CENTRE, CENTRE); ink pushed past the edge is cut off."""
    image = np.zeros((SIDE, SIDE))
    total = small.sum()
    if total <= 0:
        return image
    cy = (small.sum(axis=1) @ np.arange(small.shape[0])) / total
    cx = (small.sum(axis=0) @ np.arange(small.shape[1])) / total
    # (rounded to 1e-6 first, so that the last bit of a sum, which the browser may add up
    # in another order, cannot move a symmetric drawing by a whole pixel)
    top = math.floor(CENTRE - snapped(cy) + 0.5)
    left = math.floor(CENTRE - snapped(cx) + 0.5)
    for i in range(small.shape[0]):
        for j in range(small.shape[1]):
            if 0 <= top + i < SIDE and 0 <= left + j < SIDE:
                image[top + i, left + j] = small[i, j]
    return image


def mnist_image(strokes) -> np.ndarray:
    """The 784 pixels the network reads for a drawing: inked, fitted into 20 x 20, centred."""
    return centred(fit_in_box(ink(strokes))).ravel()
