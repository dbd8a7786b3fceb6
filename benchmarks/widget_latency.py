"""Redraw time of every explorer widget for single control changes (median, max).

Each control is moved through a cycle of different values, one change at a time,
as a learner would; setting ``.value`` redraws synchronously, so the time of that
assignment is the redraw time (numbers, drawing and PNG encoding included).
"""
from __future__ import annotations

import statistics
import time

import numpy as np

import backprop as bp


def control_values(control, count: int) -> tuple[str, list]:
    """Which trait to set (``index`` of a menu, else ``value``) and ``count`` settings,
    each different from the one before."""
    if getattr(control, "options", None):
        trait, values = "index", list(range(len(control.options)))
    else:
        trait, values = "value", list(np.linspace(control.min, control.max, 7))
        if hasattr(control, "base"):  # a log slider: min and max are exponents
            values = list(control.base ** np.array(values))
        if isinstance(control.value, int):
            values = sorted({int(round(v)) for v in values})
    current = getattr(control, trait)
    values = [v for v in values if v != current] + [current]
    return trait, [values[i % len(values)] for i in range(count)]


def time_control(explorer, name: str, changes: int = 12) -> tuple[float, float]:
    """Median and maximum seconds of one change of ``explorer.controls[name]``."""
    control, seconds = explorer.controls[name], []
    trait, values = control_values(control, changes)
    for value in values:
        started = time.perf_counter()
        setattr(control, trait, value)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def explorers(X, y) -> dict:
    """The course's explorers on a partly trained digit network, as the chapters build them."""
    from backprop import widgets

    net = bp.Network(seed=0)
    bp.train(net, X[:10000], y[:10000], epochs=3, learning_rate=3.0, progress=False)
    made = {
        "sensitivity explorer (ch 2)": widgets.sensitivity_explorer(net, X[:500], y[:500]),
        "nudge explorer (ch 3)": widgets.nudge_explorer(net, X[:12], y[:12]),
        "backward stepper (ch 4)": widgets.backward_stepper(net, X[:12], y[:12]),
    }
    from backprop import sgd_widget

    made["SGD trajectories (ch 6)"] = sgd_widget.benchmark_explorer(X, y)
    return made


def widget_table() -> None:
    (X, y), _ = bp.load_mnist(progress=False)
    print("\n== Widget redraw time for one control change (median / max, ms) ==")
    for title, explorer in explorers(X, y).items():
        explorer.update()  # the first draw lays the figure out; not a control change
        for name in explorer.controls:
            if getattr(explorer.controls[name], "disabled", False):
                continue
            median, worst = time_control(explorer, name)
            print(f"{title:<30}{name:<16}{1000 * median:7.1f} {1000 * worst:7.1f}")


if __name__ == "__main__":
    widget_table()
