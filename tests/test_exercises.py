"""The exercise checkers: right answers pass, wrong ones are explained, nothing escapes.

The correct solutions below are written out by hand, independently of the
package the checkers take their reference answers from.
"""
import warnings

import numpy as np
import pytest

from backprop import exercises as ex


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def central_gradient(f, x, eps):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def forward_gradient(f, x, eps):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = eps
        grad[i] = (f(x + step) - f(x)) / eps
    return grad


def mini_batches(n, batch_size, seed):
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def chain_rule(w, b, a_prev, y):
    a = sigmoid(w * a_prev + b)
    return 2 * (a - y) * a * (1 - a) * a_prev


def line_fit_gradient(m, c, x, y):
    r = m * x + c - y
    return np.mean(2 * r * x), np.mean(2 * r)


# checker, a correct solution, a typical mistake, the first case the mistake fails
CHECKERS = {
    "sigmoid": (ex.check_sigmoid, sigmoid,
                lambda z: np.exp(z) / (1 + np.exp(z)), "large |z|"),
    "example_cost": (ex.check_example_cost, lambda out, label: np.sum((out - np.eye(10)[label]) ** 2),
                     lambda out, label: np.mean((out - np.eye(10)[label]) ** 2), "all outputs 0.5"),
    "sigmoid_prime": (ex.check_sigmoid_prime, lambda z: sigmoid(z) * (1 - sigmoid(z)),
                      lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "large |z|"),
    "wiggle_estimate": (ex.check_wiggle_estimate, lambda f, p, eps: (f(p + eps) - f(p - eps)) / (2 * eps),
                        lambda f, p, eps: (f(p + eps) - f(p)) / eps, "a cube with a big eps"),
    "desired_nudges": (ex.check_desired_nudges, lambda out, label: np.eye(10)[label] - out,
                       lambda out, label: out - np.eye(10)[label], "all outputs 0.5"),
    "weight_nudges": (ex.check_weight_nudges, lambda a, push: a * push,
                      lambda a, push: a + push, "a positive push"),
    "layer_backward": (ex.check_layer_backward,
                       lambda d, W, z: (W.T @ d) * sigmoid(z) * (1 - sigmoid(z)),
                       lambda d, W, z: W.T @ d, "3 neurons back to 3"),
    "sum_of_wishes": (ex.check_sum_of_wishes, lambda W, v: W.T @ v,
                      lambda W, v: W.T @ v / len(v), "two outputs that disagree"),
    "average_gradient": (ex.check_average_gradient, lambda grads: sum(grads) / len(grads),
                         lambda grads: sum(grads), "three 2x3 gradients"),
    "numerical_gradient": (ex.check_numerical_gradient, central_gradient, forward_gradient,
                           "sum of squares"),
    "mini_batches": (ex.check_mini_batches, mini_batches,
                     lambda n, size, seed: [np.arange(i, min(i + size, n)) for i in range(0, n, size)],
                     "10 examples in batches of 5"),
    "sgd_step": (ex.check_sgd_step, lambda params, grad, rate: params - rate * grad,
                 lambda params, grad, rate: params + rate * grad, "a 2-3-1 network, rate 0.5"),
    "accuracy": (ex.check_accuracy, lambda out, labels: np.mean(np.argmax(out, axis=1) == labels),
                 lambda out, labels: np.sum(np.argmax(out, axis=1) == labels), "every prediction right"),
    "chain_rule": (ex.check_chain_rule, chain_rule,
                   lambda w, b, a_prev, y: chain_rule(w, b, a_prev, y) / a_prev, "the lesson's neuron"),
    "line_fit_gradient": (ex.check_line_fit_gradient, line_fit_gradient,
                          lambda m, c, x, y: tuple(g / 2 for g in line_fit_gradient(m, c, x, y)),
                          "a flat line, rising points"),
}
NAMES = sorted(CHECKERS)


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


# ------------------------------------------------- a learner's function is contained

import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from backprop import outcomes, sandbox  # noqa: E402


def loops_forever(*args):
    while True:
        pass


def sleeps(*args):
    time.sleep(60)


def exits(*args):
    sys.exit(3)


def ends_the_process(*args):
    os._exit(1)


def prints_megabytes(*args):
    print("x" * 5_000_000)
    return 0.0


class Unshowable:
    def __repr__(self):
        raise RuntimeError("no repr")

    __str__ = __repr__


class UnshowableError(Exception):
    def __str__(self):
        raise RuntimeError("no str")


def raises_unshowable(*args):
    raise UnshowableError()


MISBEHAVIOURS = [
    (loops_forever, "did not finish within 3 seconds"),
    (sleeps, "did not finish within 3 seconds"),
    (exits, "called sys.exit()"),
    (ends_the_process, "ended the whole process"),
    (prints_megabytes, "characters, beginning: xxx"),
    (lambda *args: Unshowable(), "got Unshowable: <a Unshowable whose repr fails: RuntimeError>"),
    (raises_unshowable, "raised UnshowableError: <a UnshowableError that cannot be shown"),
    (lambda *args: np.ones(10 ** 10), "ran out of memory"),
    (lambda *args: ["x"] * 10 ** 7 and 1 / 0, "raised ZeroDivisionError"),
]


HANGS = (loops_forever, sleeps)  # each costs a full deadline: tried on one checker only


@pytest.mark.parametrize("name, misbehave, words", [
    (name, misbehave, words) for name in ["sigmoid", "mini_batches", "numerical_gradient"]
    for misbehave, words in MISBEHAVIOURS if name == "sigmoid" or misbehave not in HANGS])
def test_misbehaving_function_gets_a_short_clear_report_in_seconds(name, misbehave, words, capsys):
    if name == "mini_batches" and "got Unshowable" in words:
        words = "expected a list of index arrays, one per mini-batch; got Unshowable: <a Unshowable"
    started = time.monotonic()
    assert CHECKERS[name][0](misbehave) is False
    assert time.monotonic() - started < 8
    out = capsys.readouterr().out
    assert words in out and out.count("First failing case") == 1
    assert len(out) < 2000
    if misbehave is prints_megabytes:
        assert f"your function printed {5_000_001 * (name == 'mini_batches') + 5_000_001:,}" in out


def test_a_hang_stops_the_checker_at_that_case(capsys):
    calls = []

    def hangs_on_arrays(z):
        calls.append(z)  # in the child: the parent's list stays empty
        while np.ndim(z):
            pass
        return sigmoid(z)

    started = time.monotonic()
    assert ex.check_sigmoid(hangs_on_arrays) is False
    assert time.monotonic() - started < 5  # one deadline, not one per case
    out = capsys.readouterr().out
    assert out.startswith("check_sigmoid: 1 of 4 cases passed (a single number).")
    assert calls == []


def test_processes_the_function_starts_are_ended(tmp_path, capsys):
    marker = tmp_path / "still_running"

    def starts_a_process(z):
        import subprocess
        subprocess.Popen([sys.executable, "-c",
                          f"import time, pathlib; time.sleep(1.5); pathlib.Path({str(marker)!r}).touch()"])
        return sigmoid(z)

    assert ex.check_sigmoid(starts_a_process) is True
    time.sleep(2.5)
    assert not marker.exists()


def test_generator_results_are_materialised_before_judging(capsys):
    def seeded_generator(n, size, seed):
        order = np.random.default_rng(seed).permutation(n)
        return (order[i:i + size] for i in range(0, n, size))

    def unseeded_generator(n, size, seed):
        return (b for b in mini_batches(n, size, None))

    assert ex.check_mini_batches(seeded_generator) is True
    assert ex.check_mini_batches(unseeded_generator) is False
    assert "two calls with seed 0 gave different batches" in capsys.readouterr().out


def test_map_objects_and_lists_of_numbers_count_as_numbers(capsys):
    assert ex.check_sigmoid(lambda z: map(float, np.ravel(sigmoid(z)))) is False  # flattened
    assert ex.check_weight_nudges(lambda a, push: map(lambda v: v * push, a)) is True


def test_materialise_turns_nested_iterators_into_lists():
    value = outcomes.materialise((iter([1, 2]), [x for x in range(2)], (i for i in "ab")))
    assert value == ([1, 2], [0, 1], ["a", "b"])


def test_an_endless_generator_is_refused():
    def endless():
        while True:
            yield 0

    with pytest.raises(outcomes.EndlessResult, match="more than 1,000,000 items"):
        outcomes.materialise(endless())


def test_contained_call_returns_plain_copies_and_leaves_arguments_alone():
    args = (np.arange(3.0),)

    def doubles_in_place(a):
        a *= 2
        return a

    outcome = sandbox.contained_call(doubles_in_place, args)
    np.testing.assert_array_equal(outcome.value, [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(args[0], [0.0, 1.0, 2.0])
    assert outcome.problem is None and outcome.printed_chars == 0


def test_without_fork_the_direct_call_still_reports(monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "CAN_FORK", False)
    assert ex.check_sigmoid(exits) is False
    assert ex.check_sigmoid(sigmoid) is True
    assert "called sys.exit()" in capsys.readouterr().out


def test_a_process_that_keeps_the_answer_pipe_open_does_not_delay_the_answer(capsys):
    def forks_and_lingers(z):
        if os.fork() == 0:  # a grandchild that holds every inherited file open for a while
            time.sleep(20)
            os._exit(0)
        return sigmoid(z)

    started = time.monotonic()
    assert ex.check_sigmoid(forks_and_lingers) is True
    assert time.monotonic() - started < 2


def test_complex_results_are_refused_even_when_their_real_part_is_right(capsys):
    assert ex.check_sigmoid(lambda z: sigmoid(z) + 1e-3j) is False
    assert "your result has complex numbers" in capsys.readouterr().out
    assert ex.check_sigmoid(lambda z: sigmoid(z) + 0j) is True  # no imaginary part: right


def test_a_slow_function_is_stopped_by_the_checkers_overall_budget(monkeypatch, capsys):
    from backprop import checking
    monkeypatch.setattr(checking, "BUDGET", 2.0)

    def slow_but_right(z):
        time.sleep(0.8)
        return sigmoid(z)

    started = time.monotonic()
    assert ex.check_sigmoid(slow_but_right) is False
    assert time.monotonic() - started < 3
    out = capsys.readouterr().out
    assert "2 of 4 cases passed" in out
    assert "not finished: your function took over 2 seconds on the cases so far" in out
