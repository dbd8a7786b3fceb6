"""The exercise checkers: right answers pass, wrong ones are explained.

The correct solutions and typical mistakes come from exercise_solutions.py, beside this
file; test_exercises_containment.py checks that a misbehaving function cannot escape.
"""
import warnings

import numpy as np
import pytest

from backprop import exercises as ex
from exercise_solutions import CHECKERS, NAMES, mini_batches, sigmoid


def wrong_shape(name):
    if name == "mini_batches":
        return lambda n, size, seed: [np.zeros((2, 2), dtype=int)]
    return lambda *args: np.zeros((7, 3))


def not_written(*args):
    raise NotImplementedError


def test_every_checker_in_the_brief_is_covered():
    public = {n[len("check_"):] for n in dir(ex) if n.startswith("check_")}
    assert public == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_correct_solution_passes_every_case(name, capsys):
    check, correct, _, _ = CHECKERS[name]
    assert check(correct) is True
    out = capsys.readouterr().out
    assert out.startswith(f"check_{name}: all ") and "cases passed." in out


@pytest.mark.parametrize("name", NAMES)
def test_typical_mistake_fails_naming_the_first_failing_case(name, capsys):
    check, _, wrong, first_failure = CHECKERS[name]
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert f"First failing case: {first_failure}, with" in out
    assert "Hint: " in out


@pytest.mark.parametrize("name", [n for n in NAMES if n != "mini_batches"])
def test_failure_shows_expected_and_got(name, capsys):
    check, _, wrong, _ = CHECKERS[name]
    check(wrong)
    out = capsys.readouterr().out
    assert "\n  expected " in out and "\n  got      " in out


@pytest.mark.parametrize("name", NAMES)
def test_raising_function_is_reported_not_raised(name, capsys):
    check = CHECKERS[name][0]
    assert check(lambda *args: 1 / 0) is False
    out = capsys.readouterr().out
    assert "0 of " in out and "your function raised ZeroDivisionError: division by zero" in out


@pytest.mark.parametrize("name", NAMES)
def test_wrong_shape_is_reported(name, capsys):
    check = CHECKERS[name][0]
    assert check(wrong_shape(name)) is False
    out = capsys.readouterr().out
    assert "First failing case:" in out
    if name == "mini_batches":
        assert "each batch should be a 1-D array of indices; batch 0 has shape (2, 2)" in out
    else:
        assert "wrong shape: expected" in out and "got shape (7, 3)" in out


@pytest.mark.parametrize("name", NAMES)
def test_unwritten_function_is_reported_as_not_written_yet(name, capsys):
    assert CHECKERS[name][0](not_written) is False
    assert capsys.readouterr().out == (
        f"check_{name}: not written yet (your function raises NotImplementedError). "
        "Replace the `raise` line with your code and run the cell again.\n")


@pytest.mark.parametrize("name", NAMES)
def test_function_returning_none_is_reported(name, capsys):
    assert CHECKERS[name][0](lambda *args: None) is False
    assert "your function returned None: did you forget the `return` line?" in capsys.readouterr().out


def test_passed_cases_are_named_before_the_failure(capsys):
    ex.check_sigmoid(CHECKERS["sigmoid"][2])
    out = capsys.readouterr().out
    assert out.startswith("check_sigmoid: 3 of 4 cases passed (a single number, small numbers, a 2-d array).")


def test_nan_in_the_result_is_pointed_out(capsys):
    ex.check_sigmoid(CHECKERS["sigmoid"][2])
    out = capsys.readouterr().out
    assert "your result contains NaN" in out
    assert "exp(z) / (1 + exp(z)) is inf / inf = nan" in out  # the case's own hint


def test_first_wrong_entry_is_located(capsys):
    ex.check_desired_nudges(CHECKERS["desired_nudges"][2])
    assert "first wrong entry [0]: expected -0.5, got 0.5" in capsys.readouterr().out


def test_result_of_the_wrong_type_is_reported(capsys):
    assert ex.check_accuracy(lambda out, labels: "ninety percent") is False
    assert "expected numbers (a single number), got str: 'ninety percent'" in capsys.readouterr().out


def test_passing_a_call_instead_of_a_function_is_explained(capsys):
    assert ex.check_sigmoid(0.5) is False
    assert "expected a function, got float" in capsys.readouterr().out


def test_naive_sigmoid_overflow_warnings_stay_quiet(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ex.check_sigmoid(sigmoid) is True


def test_solution_that_changes_its_inputs_in_place_still_passes(capsys):
    def step_in_place(params, grad, rate):
        params -= rate * grad
        return params

    assert ex.check_sgd_step(step_in_place) is True
    assert ex.check_sgd_step(step_in_place) is True  # the references were not touched


def test_mini_batches_must_follow_the_seed(capsys):
    unseeded = lambda n, size, seed: mini_batches(n, size, None)  # noqa: E731
    assert ex.check_mini_batches(unseeded) is False
    assert "two calls with seed 0 gave different batches" in capsys.readouterr().out


def test_mini_batches_must_cover_every_index_once(capsys):
    repeated = lambda n, size, seed: [np.zeros(min(size, n - i), dtype=int) for i in range(0, n, size)]  # noqa: E731
    assert ex.check_mini_batches(repeated) is False
    assert "every index 0..9 exactly once" in capsys.readouterr().out


def test_mini_batch_sizes_are_checked(capsys):
    halves = lambda n, size, seed: np.array_split(np.random.default_rng(seed).permutation(n), 2)  # noqa: E731
    assert ex.check_mini_batches(halves) is False
    assert "batch sizes: expected [3 3 3 1], got [5 5]" in capsys.readouterr().out
