"""A learner's function is contained: a hang, an exit, a flood of output, a crash or a
process it starts gets a short, clear report in seconds, and the notebook carries on.
"""
import os
import sys
import time

import numpy as np
import pytest

from backprop import exercises as ex
from backprop.exercises import answers as outcomes, containment as sandbox
from exercise_solutions import CHECKERS, mini_batches, sigmoid


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
    tmp_path.chmod(0o777)  # the learner's code may run as another user: let it write here
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
    assert ex.check_sigmoid(lambda z: sigmoid(z) + 0j) is False  # complex, even if the parts are 0
    assert "even if 0" in capsys.readouterr().out


def test_a_slow_function_is_stopped_by_the_checkers_overall_budget(monkeypatch, capsys):
    from backprop.exercises import cases as checking
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


@pytest.mark.parametrize("returns", [lambda: np.zeros(10 ** 8 // 8),
                                     lambda: [np.zeros(10 ** 7), (np.zeros(10 ** 7),)]])
def test_an_answer_over_the_reply_limit_is_reported_not_sent(returns):
    outcome = sandbox.contained_call(returns, ())
    assert outcome.value is None
    assert outcome.problem == "your function returned something too big to check (over 64 MB)"
    assert sandbox.contained_call(lambda: np.zeros(10 ** 6), ()).value.shape == (10 ** 6,)
