"""Chapter 6's explorer: gradient descent and mini-batch SGD on two-parameter costs.

Built on the shared :class:`~backprop.explorer.Explorer` and the drawings of
:mod:`backprop.descent_plots`: drawn once, then only the paths and cost curves move.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from . import descent
from .descent_plots import (GD_COLOR, SGD_COLOR, batch_name, divergence_note, draw_cost_curve,
                            draw_cost_surface, draw_path)
from .explorer import Explorer, new_figure
from .network import Network
from .training import train

def sgd_problems(net, X, Y) -> dict:
    """Chapter 6's two costs, each with its learning-rate slider ``(lowest, highest, start)``.

    A line fitted to 1,000 noisy points (a bowl), and the slice of ``net``'s cost
    through two weights into neuron 3 of its second hidden layer, over ``X, Y``.
    """
    piece = descent.NetworkSlice(net, X, Y, first=(1, 3, 0), second=(1, 3, 1))
    return {"line fit: a bowl": (descent.LineFit(n_examples=1000, seed=0), (0.01, 3.0, 0.3)),
            "network: two weights": (piece, (3.0, 3000.0, 100.0))}


def sgd_explorer(problems: dict, max_steps: int = 100, grid_points: int = 41) -> Explorer:
    """Gradient descent and mini-batch SGD walking down a choice of two-parameter costs.

    ``problems`` maps a name to ``(problem, (lowest, highest, start) learning rate)``.
    Controls: ``problem``, ``batch_size`` (1, 10, 100 or all), ``learning_rate``,
    ``steps`` and ``seed``. Left, the cost surface with both walks; right, the cost
    after each step against examples processed and against wall time. Walks are
    computed once for ``max_steps`` steps and cut to the chosen length.
    """
    if not problems:
        raise ValueError("give at least one problem")
    first = next(iter(problems))
    lo, hi, start = problems[first][1]
    c = {"problem": W.Dropdown(options=list(problems), value=first, description="cost"),
         "batch_size": W.ToggleButtons(options=[("1", 1), ("10", 10), ("100", 100), ("all", 0)],
                                       value=10, description="batch size"),
         "learning_rate": W.FloatLogSlider(value=start, min=np.log10(lo), max=np.log10(hi),
                                           description="learning rate"),
         "steps": W.IntSlider(value=50, min=1, max=max_steps, description="steps"),
         "seed": W.IntSlider(value=0, min=0, max=20, description="seed")}
    fig = new_figure(10, 4.8)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.1, 1))
    ax_surface = fig.add_subplot(grid[:, 0])
    ax_cost = {"examples": fig.add_subplot(grid[0, 1]), "seconds": fig.add_subplot(grid[1, 1])}
    paths = [draw_path(_EMPTY, ax_surface, color, name)
             for color, name in ((GD_COLOR, "gradient descent"), (SGD_COLOR, "SGD"))]
    note = ax_surface.text(0.02, 0.02, "", transform=ax_surface.transAxes, color="white",
                           backgroundcolor="tab:red")
    curves = {x: [draw_cost_curve(_EMPTY, x, ax_cost[x], color) for color in (GD_COLOR, SGD_COLOR)]
              for x in ax_cost}
    for x, label in (("examples", "examples processed"), ("seconds", "wall time (milliseconds)")):
        ax_cost[x].set(xscale="log", xlabel=label, ylabel="cost")
    ax_cost["examples"].set_title("cost of all examples, against work done", fontsize=10)
    walks, shown = {}, {"problem": None, "surface": []}

    def walk(v, batch):
        problem = problems[v["problem"]][0]
        batch = None if not batch or batch >= problem.n_examples else batch
        key = (v["problem"], v["learning_rate"], batch, v["seed"] if batch else None)
        if key not in walks:
            walks[key] = descent.descend(problem, v["learning_rate"], max_steps, batch, v["seed"])
        return descent.first_steps(walks[key], v["steps"])

    def surface(problem) -> tuple:
        x0, x1, y0, y1 = problem.extent
        xs, ys = np.linspace(x0, x1, grid_points), np.linspace(y0, y1, grid_points)
        return xs, ys, descent.cost_grid(problem, xs, ys)

    # every surface is computed once, up front: switching problems then only redraws
    surfaces = {name: surface(problem) for name, (problem, _) in problems.items()}

    def show_problem(name) -> None:
        problem = problems[name][0]
        for artist in shown["surface"]:
            artist.remove()
        xs, ys, costs = surfaces[name]
        shown.update(problem=name, surface=draw_cost_surface(xs, ys, costs, ax_surface, problem.names))
        ax_surface.legend(handles=paths, loc="upper right", fontsize=8)
        top, bottom = problem.cost(problem.start), costs.min()
        log, span = top > 10 * bottom, top - bottom
        limits = (bottom / 1.2, top * 3) if log else (bottom - 0.1 * span, top + 0.5 * span)
        usual = {**controls(), "problem": name, "learning_rate": problems[name][1][2]}
        fastest = walk({**usual, "steps": 1}, 1)
        slowest = walk({**usual, "steps": max_steps}, None)
        for ax in ax_cost.values():
            ax.set(yscale="log" if log else "linear", ylim=limits)
        ax_cost["examples"].set_xlim(0.7, 2 * max_steps * problem.n_examples)
        ax_cost["seconds"].set_xlim(fastest.seconds[1] * 300, slowest.seconds[-1] * 3000)

    def controls():
        return {name: control.value for name, control in c.items()}

    def apply(v) -> bool:
        full = v["problem"] != shown["problem"]
        if full:
            show_problem(v["problem"])
        gd, sgd = walk(v, None), walk(v, v["batch_size"])
        for line, tr in zip(paths, (gd, sgd)):
            draw_path(tr, line=line)
        for x in curves:
            for line, tr in zip(curves[x], (gd, sgd)):
                draw_cost_curve(tr, x, line=line)
        notes = [divergence_note(gd, "gradient descent"), divergence_note(sgd, "SGD")]
        note.set_text("\n".join(n for n in notes if n))
        note.set_visible(any(notes))
        name = batch_name(sgd, problems[v["problem"]][0].n_examples)
        ax_surface.set_title(f"{name} vs gradient descent: rate {v['learning_rate']:.3g}, "
                             f"{v['steps']} steps, seed {v['seed']}", fontsize=10)
        return full

    explorer = Explorer(c, fig, apply, own=("problem",))
    explorer.set_moving({"paths": paths, "examples": curves["examples"],
                         "seconds": curves["seconds"], "note": note, "title": ax_surface.title})

    def problem_changed(change) -> None:
        low, high, begin = problems[change["new"]][1]
        rate = c["learning_rate"]
        with explorer.hold():
            rate.min, rate.max, rate.value = -20.0, 20.0, begin
            rate.min, rate.max = np.log10(low), np.log10(high)
    c["problem"].observe(problem_changed, names="value")
    explorer.update()
    return explorer


def benchmark_explorer(X, Y) -> Explorer:
    """The chapter-6 explorer as the chapter builds it, for the project's latency benchmark."""
    net = Network(seed=0)
    train(net, X[:10000], Y[:10000], epochs=3, learning_rate=3.0, progress=False)
    return sgd_explorer(sgd_problems(net, X[:1000], Y[:1000]))


_EMPTY = descent.Trajectory(np.zeros((1, 2)), np.ones(1), np.zeros(1), np.zeros(1), 1, None)
