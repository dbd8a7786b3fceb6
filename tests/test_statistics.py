"""The standard error of the mean, and two means compared in standard errors."""
import math

import numpy as np
import pytest

from backprop import statistics


def test_standard_error_by_hand():
    # mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, sd sqrt(5/3), n = 4
    assert statistics.standard_error([1, 2, 3, 4]) == pytest.approx(math.sqrt(5 / 3) / 2)


def test_standard_error_is_the_spread_of_means():
    # the means of many groups of n draws scatter by about sd / sqrt(n)
    rng = np.random.default_rng(0)
    groups = rng.normal(10.0, 2.0, size=(20000, 5))
    scatter_of_means = groups.mean(axis=1).std()
    typical_se = np.mean([statistics.standard_error(g) ** 2 for g in groups]) ** 0.5
    assert scatter_of_means == pytest.approx(2.0 / math.sqrt(5), rel=0.02)
    assert typical_se == pytest.approx(scatter_of_means, rel=0.02)


def test_compare_means_by_hand():
    a, b = [1.0, 2.0, 3.0], [4.0, 6.0, 8.0]
    se_a, se_b = 1 / math.sqrt(3), 2 / math.sqrt(3)
    result = statistics.compare_means(a, b)
    assert result.difference == pytest.approx(4.0)
    assert result.standard_error == pytest.approx(math.sqrt(se_a ** 2 + se_b ** 2))
    assert result.in_standard_errors == pytest.approx(4.0 / math.sqrt(se_a ** 2 + se_b ** 2))
    assert statistics.compare_means(b, a).in_standard_errors == pytest.approx(
        -result.in_standard_errors)


def test_compare_means_without_noise():
    assert statistics.compare_means([1, 1], [2, 2]).in_standard_errors == math.inf
    assert statistics.compare_means([1, 1], [1, 1]).in_standard_errors == 0.0


def test_compare_paired_by_hand():
    a, b = [1.0, 2.0, 3.0], [2.0, 4.0, 5.0]      # differences 1, 2, 2: mean 5/3
    result = statistics.compare_paired(a, b)      # their sd is 1/sqrt(3), so their se is 1/3
    assert result.difference == pytest.approx(5 / 3)
    assert result.standard_error == pytest.approx(1 / 3)
    assert result.in_standard_errors == pytest.approx(5.0)
    assert statistics.compare_paired(b, a).in_standard_errors == pytest.approx(-5.0)
    assert statistics.compare_paired([1, 2], [3, 4]).in_standard_errors == math.inf


def test_pairing_removes_what_both_runs_of_a_seed_share():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1.0, size=(4000, 5))        # each seed's luck, in both recipes
    a = shared + rng.normal(0, 0.1, size=shared.shape)
    b = shared + 0.2 + rng.normal(0, 0.1, size=shared.shape)
    scatter_of_differences = np.std(b.mean(axis=1) - a.mean(axis=1), ddof=1)
    paired = [statistics.compare_paired(x, y) for x, y in zip(a, b)]
    typical_se = np.mean([r.standard_error ** 2 for r in paired]) ** 0.5
    assert typical_se == pytest.approx(scatter_of_differences, rel=0.03)
    assert scatter_of_differences == pytest.approx(0.1 * math.sqrt(2 / 5), rel=0.03)
    # taken as independent, the shared luck widens the standard error about tenfold
    independent = np.mean([statistics.compare_means(x, y).standard_error ** 2
                           for x, y in zip(a, b)]) ** 0.5
    assert independent > 5 * typical_se


def test_paired_runs_must_match():
    with pytest.raises(ValueError, match="^b: paired runs need one result per run of a; b has 3, a has 2"):
        statistics.compare_paired([1, 2], [1, 2, 3])


@pytest.mark.parametrize("values, message", [
    ([0.9], "at least two runs"),
    ([0.9, float("nan")], "NaN"),
    (["a", "b"], "real numbers"),
])
def test_bad_values_are_named(values, message):
    with pytest.raises(ValueError, match=message):
        statistics.standard_error(values)
    with pytest.raises(ValueError, match="^b"):
        statistics.compare_means([1, 2], values)
    with pytest.raises(ValueError, match="^b"):
        statistics.compare_paired([1, 2], values)
