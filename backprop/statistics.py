"""Chapters 6 and 7: how far a mean over a few seeds can be trusted.

Training with another seed gives another result. The standard deviation of several
seeds' results says how far *one run* typically lands from their mean. A mean of
``n`` runs wobbles less: its typical error, the **standard error of the mean**, is
the standard deviation divided by ``sqrt(n)`` (:func:`standard_error`). Two recipes'
means differ by chance alone by about the standard error of their difference,
``sqrt(se_a**2 + se_b**2)``, when their runs are independent; :func:`compare_means`
says how many of those the measured difference is. When the runs come in pairs (each
seed gives both recipes the same starting network), :func:`compare_paired` measures the
difference seed by seed and takes the standard error of those differences instead.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .arguments import real_numbers


def _runs(values, name: str) -> np.ndarray:
    """``values`` as a flat float array of at least two runs, or a clear error."""
    values = real_numbers(values, name).astype(np.float64).ravel()
    if values.size < 2:
        raise ValueError(f"{name}: a standard error needs at least two runs; got {values.size}")
    return values


def standard_error(values: Sequence[float]) -> float:
    """Standard error of the mean of ``values``: their sample standard deviation
    (``ddof=1``) divided by the square root of how many there are.

    Parameters
    ----------
    values : at least two results, e.g. the test accuracy of each seed.

    Returns
    -------
    The typical distance of the mean of such ``values`` from the mean that infinitely
    many runs would give.
    """
    values = _runs(values, "values")
    return float(values.std(ddof=1) / np.sqrt(values.size))


class MeanDifference(NamedTuple):
    """The difference of two means, ``mean(b) - mean(a)``, measured in standard errors."""

    difference: float
    standard_error: float     # of the difference (how it is found depends on the design)
    in_standard_errors: float  # difference / standard_error


def compare_means(a: Sequence[float], b: Sequence[float]) -> MeanDifference:
    """How far the mean of ``b`` lies above the mean of ``a``, in standard errors,
    for independent runs: the standard error of the difference is ``sqrt(se_a**2 + se_b**2)``.

    Parameters
    ----------
    a, b : the results of two recipes, at least two runs each (e.g. one per seed).

    Returns
    -------
    :class:`MeanDifference`. A difference of two or more standard errors is rarely
    chance alone; one of less than one easily is.
    """
    a, b = _runs(a, "a"), _runs(b, "b")
    se = float(np.hypot(standard_error(a), standard_error(b)))
    return _measured_in(float(b.mean() - a.mean()), se)


def compare_paired(a: Sequence[float], b: Sequence[float]) -> MeanDifference:
    """How far the mean of ``b`` lies above the mean of ``a``, in standard errors,
    for paired runs: ``a[i]`` and ``b[i]`` share something, such as a seed's starting
    network, so the standard error is that of the differences ``b[i] - a[i]``.

    Parameters
    ----------
    a, b : the results of two recipes, one per seed, in the same order of seeds;
        at least two seeds.

    Returns
    -------
    :class:`MeanDifference`, with the same difference of means as
    :func:`compare_means` but the standard error of the mean of the differences.
    """
    a, b = _runs(a, "a"), _runs(b, "b")
    if a.size != b.size:
        raise ValueError(f"b: paired runs need one result per run of a; b has {b.size}, "
                         f"a has {a.size}")
    differences = b - a
    return _measured_in(float(differences.mean()), standard_error(differences))


def _measured_in(difference: float, se: float) -> MeanDifference:
    """``difference`` with its standard error ``se`` and their ratio."""
    if se == 0:                        # no noise to measure: every run (or pair) agreed
        ratio = 0.0 if difference == 0 else float(np.copysign(np.inf, difference))
    else:
        ratio = difference / se
    return MeanDifference(difference, se, ratio)
