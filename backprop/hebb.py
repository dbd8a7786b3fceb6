"""Chapter 3's comparison: the pure Hebbian rule, and how alike two weight changes are.

Hebb's rule strengthens a connection by how active the neurons at both ends are;
:func:`backprop.lesson.compare_with_hebbian` holds its update against one example's
weight nudges (minus that example's gradient).
"""
from __future__ import annotations

import numpy as np


def hebbian_update(pre, post) -> np.ndarray:
    """Pure Hebbian rule: strengthen ``j <- k`` by ``j``'s activation (post) times ``k``'s (pre)."""
    return np.outer(np.asarray(post, dtype=np.float64), np.asarray(pre, dtype=np.float64))


def hebbian_similarity(a, b) -> float:
    """How alike two weight changes are (Hebb's update and an example's weight nudges,
    say): the cosine of the angle between them (1 = same direction)."""
    a = np.ravel(np.asarray(a, dtype=np.float64))
    b = np.ravel(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.size} and {b.size} entries")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("a and b must hold finite numbers (no NaN or inf)")
    if not (np.any(a) and np.any(b)):
        raise ValueError("a and b: cosine similarity is undefined where one is all zeros")
    a, b = a / np.max(np.abs(a)), b / np.max(np.abs(b))  # the angle is the same; no overflow
    return float(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))


def sign_agreement(a, b) -> float:
    """Fraction of entries where two weight changes move a weight the same way."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    return float(np.mean(np.sign(a) == np.sign(b)))
