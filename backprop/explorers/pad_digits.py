"""Hand-designed strokes of the digits 0-9, to draw on the pad as a reader would.

Each digit is one or two strokes, written as a reader writes it, in a unit square
(x to the right, y down). :func:`drawing` places a digit in a box on the pad and
samples its strokes as a pointer would report them: a point every ``spacing`` pad
units (about 2 for a slow hand, 12 for a fast one, as a browser merges pointer
moves into one per frame at about 700 pixels per second).
"""
from __future__ import annotations

import numpy as np

from .drawing import PAD


def _arc(cx, cy, rx, ry, start, end, n=200):
    """Points on an ellipse from angle ``start`` to ``end`` (degrees; 0 = right, 90 = down)."""
    t = np.radians(np.linspace(start, end, n))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def _line(*points, n=100):
    """A polyline through ``points``, densely sampled."""
    parts = [np.linspace(a, b, n, endpoint=False) for a, b in zip(points[:-1], points[1:])]
    return np.vstack(parts + [np.asarray(points[-1:], dtype=float)])


def _eight():
    t = np.linspace(0, 2 * np.pi, 400)
    return np.column_stack([0.5 - 0.28 * np.sin(2 * t) / 1.1, 0.5 - 0.45 * np.sin(t)])[::-1]


DIGITS = {
    0: [_arc(0.5, 0.5, 0.3, 0.45, -90, -450)],
    1: [_line((0.58, 0.03), (0.45, 0.97))],
    2: [np.vstack([_arc(0.5, 0.32, 0.3, 0.27, 190, 370), _line((0.8, 0.32), (0.18, 0.95), (0.85, 0.95))])],
    3: [np.vstack([_arc(0.48, 0.27, 0.3, 0.23, 210, 450), _arc(0.48, 0.72, 0.32, 0.23, -90, 150)])],
    4: [_line((0.25, 0.03), (0.15, 0.58), (0.85, 0.58)), _line((0.68, 0.05), (0.66, 0.97))],
    5: [np.vstack([_line((0.8, 0.04), (0.28, 0.04), (0.24, 0.44)),
                   _arc(0.48, 0.67, 0.32, 0.27, -125, 150)])],
    6: [np.vstack([_line((0.7, 0.03), (0.28, 0.5)), _arc(0.5, 0.71, 0.27, 0.25, 200, 560)])],
    7: [_line((0.15, 0.06), (0.85, 0.06), (0.42, 0.97))],
    8: [_eight()],
    9: [np.vstack([_arc(0.5, 0.3, 0.27, 0.25, 0, -360), _line((0.77, 0.3), (0.68, 0.97))])],
}

#: Where a digit is drawn: (left, top, height, slant) in fractions of the pad. "large"
#: is centred and fills most of the pad; "small" sits towards the top left; "offset"
#: is mid-sized, towards the bottom right; "slanted" leans right as in running hand.
PLACES = {"large": (0.2, 0.06, 0.86, 0.0), "small": (0.08, 0.08, 0.4, 0.0),
          "offset": (0.4, 0.38, 0.56, 0.0), "slanted": (0.12, 0.1, 0.75, 0.3)}
#: Pointer spacing in pad units: a slow hand and a fast one.
SPEEDS = {"slow": 2.0, "fast": 12.0}


def resample(points: np.ndarray, spacing: float) -> np.ndarray:
    """Points along the polyline ``spacing`` apart (first and last point kept)."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0], np.cumsum(steps)])
    marks = np.append(np.arange(0, along[-1], spacing), along[-1])
    return np.column_stack([np.interp(marks, along, points[:, 0]), np.interp(marks, along, points[:, 1])])


def drawing(digit: int, place: str = "large", speed: str = "slow") -> list[list[tuple[float, float]]]:
    """The strokes of ``digit`` at ``place``, sampled at ``speed``, in pad units."""
    left, top, height, slant = PLACES[place]
    strokes = []
    for stroke in DIGITS[digit]:
        leaning = stroke + np.c_[slant * (1 - stroke[:, 1]), np.zeros(len(stroke))]
        on_pad = (leaning * height + [left, top]) * PAD
        strokes.append([tuple(p) for p in resample(on_pad, SPEEDS[speed])])
    return strokes


def all_drawings():
    """(digit, place, speed, strokes) for every digit, place and speed."""
    return [(d, place, speed, drawing(d, place, speed))
            for d in DIGITS for place in PLACES for speed in SPEEDS]
