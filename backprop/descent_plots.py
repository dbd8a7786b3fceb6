"""Drawings for chapters 5-8 and the stochastic-gradient-descent explorer.

Every drawing takes plain values and an optional matplotlib Axes and returns the
artists it made. The explorer widget calls the same drawings once, then only
moves their data when a control changes.
"""
from __future__ import annotations

import ast
import inspect
import io
import textwrap
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import descent

GD_COLOR, SGD_COLOR = "black", "tab:red"


def _axes(ax, figsize=(6, 4)):
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


# ----- chapter 5 ---------------------------------------------------------------------
def draw_prediction_counts(predictions, ax=None, title: str = "", highlight: int | None = None):
    """Bars: how many examples the network calls each digit."""
    ax = _axes(ax)
    counts = np.bincount(np.asarray(predictions), minlength=10)
    colors = ["tab:orange" if d == highlight else "tab:blue" for d in range(10)]
    bars = ax.bar(np.arange(10), counts, color=colors)
    ax.set(xticks=range(10), xlabel="digit the network answers", ylabel="number of test images",
           title=title)
    return bars


def draw_nudges(nudges, labels, digit: int, ax=None, title: str = ""):
    """Each example's wished-for nudge of one parameter, and their average.

    ``nudges`` holds one number per example; examples showing ``digit`` are
    drawn in orange, the others in blue.
    """
    ax = _axes(ax)
    nudges, labels = np.asarray(nudges), np.asarray(labels)
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, nudges.size)
    is_digit = labels == digit
    dots = [ax.scatter(nudges[mask], jitter[mask], s=12, alpha=0.7, color=color, label=text)
            for mask, color, text in [(is_digit, "tab:orange", f"images of a {digit}"),
                                      (~is_digit, "tab:blue", "other digits")]]
    mean = ax.axvline(nudges.mean(), color="black", lw=2, label="average nudge")
    zero = ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.set(yticks=[], xlabel="wished-for nudge (minus the example's partial derivative)",
           title=title)
    ax.legend(loc="upper left", fontsize=8)
    return dots + [mean, zero]


# ----- chapter 6: descent on two parameters ---------------------------------------------
def draw_cost_surface(xs, ys, grid, ax=None, names=("parameter 1", "parameter 2"), title=""):
    """Filled contours of a cost over two parameters (log-spaced levels)."""
    ax = _axes(ax)
    levels = np.geomspace(grid.min(), grid.max(), 25)
    filled = ax.contourf(xs, ys, grid, levels=levels, cmap="viridis")
    lines = ax.contour(xs, ys, grid, levels=levels[::3], colors="white", linewidths=0.4)
    ax.set(xlabel=names[0], ylabel=names[1], title=title,
           xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]))
    return [filled, lines]


def draw_path(trajectory, ax=None, color=SGD_COLOR, label="", line=None):
    """The points a walk downhill visited, joined in order (reuses ``line`` if given)."""
    if line is not None:
        line.set_data(trajectory.params[:, 0], trajectory.params[:, 1])
        return line
    return _axes(ax).plot(trajectory.params[:, 0], trajectory.params[:, 1], ".-", color=color,
                          lw=1.2, ms=4, label=label)[0]


def divergence_note(trajectory, name: str) -> str:
    """``"<name> diverged after k steps"``, or an empty string if it did not."""
    if trajectory.diverged_at is None:
        return ""
    return f"{name} diverged after {trajectory.diverged_at} steps"


def batch_name(trajectory, n_examples: int, short: bool = False) -> str:
    """``"gradient descent (all examples)"`` for full batches, else ``"SGD, batch b"``."""
    b = trajectory.batch_size
    if b == n_examples:
        return "all examples" if short else "gradient descent (all examples)"
    return f"batch {b}" if short else f"SGD, batch {b}"


def draw_cost_curve(trajectory, x: str = "examples", ax=None, color=SGD_COLOR, label="",
                    line=None):
    """Full cost after each step against examples processed or seconds spent.

    The starting point is left out so the x-axis can be logarithmic.
    """
    if x not in ("examples", "seconds"):
        raise ValueError(f"x must be 'examples' or 'seconds'; got {x!r}")
    xs = trajectory.examples if x == "examples" else trajectory.seconds * 1000.0
    if line is not None:
        line.set_data(xs[1:], trajectory.costs[1:])
        return line
    return _axes(ax).plot(xs[1:], trajectory.costs[1:], "-", color=color, lw=1.5, label=label)[0]


def draw_batch_sizes(problem, grid, xs, ys, trajectories, axes=None):
    """One cost surface per trajectory (same seed and steps): batch size side by side.

    The gradient-descent path (the last trajectory if it used every example, else
    none) is drawn faintly in every panel for comparison.
    """
    if axes is None:
        axes = plt.subplots(1, len(trajectories), figsize=(4 * len(trajectories), 4))[1]
    full = [t for t in trajectories if t.batch_size == problem.n_examples]
    artists = []
    for ax, tr in zip(np.ravel(axes), trajectories):
        title = f"{batch_name(tr, problem.n_examples, short=True)}, {len(tr.costs) - 1} steps\n" \
                f"cost {tr.costs[-1]:.3g}"
        artists += draw_cost_surface(xs, ys, grid, ax, problem.names)
        ax.set_title(title, fontsize=10)
        if full and tr is not full[0]:
            artists.append(draw_path(full[0], ax, "white"))
            artists[-1].set_alpha(0.6)
        artists.append(draw_path(tr, ax, SGD_COLOR if tr.batch_size < problem.n_examples else GD_COLOR))
        if tr.diverged_at is not None:
            artists.append(ax.text(0.5, 0.5, f"diverged after\n{tr.diverged_at} steps",
                                   transform=ax.transAxes, ha="center", va="center",
                                   color="white", backgroundcolor="tab:red"))
    return artists


# ----- chapter 7 ---------------------------------------------------------------------
def draw_learning_curve(history, ax=None):
    """Training and test accuracy after each epoch."""
    ax = _axes(ax)
    epochs = np.arange(1, len(history.train_accuracy) + 1)
    lines = ax.plot(epochs, 100 * np.asarray(history.train_accuracy), label="training images")
    if history.test_accuracy:
        lines += ax.plot(epochs, 100 * np.asarray(history.test_accuracy), label="test images")
    ax.set(xlabel="epoch (one pass through the training images)", ylabel="accuracy (%)",
           title="learning curve")
    ax.legend()
    return lines


def draw_digits(images, captions, axes=None):
    """Show 28x28 images side by side, each with its caption."""
    images = np.asarray(images).reshape(-1, 28, 28)
    if axes is None:
        axes = plt.subplots(1, len(images), figsize=(1.6 * len(images), 2.1))[1]
    artists = []
    for ax, image, caption in zip(np.ravel(axes), images, captions):
        artists.append(ax.imshow(image, cmap="gray_r"))
        ax.set(xticks=[], yticks=[], title=caption)
    return artists


def draw_accuracy_vs_size(sizes, accuracies, ax=None):
    """Test accuracy against the number of labeled training examples (log scale)."""
    ax = _axes(ax)
    line, = ax.plot(sizes, 100 * np.asarray(accuracies), "o-")
    for n, a in zip(sizes, accuracies):
        ax.annotate(f"{100 * a:.1f}%", (n, 100 * a), textcoords="offset points", xytext=(0, 8),
                    ha="center")
    ax.set(xscale="log", xlabel="labeled training images", ylabel="test accuracy (%)",
           title="more labeled data, better recognition")
    return [line]


# ----- chapter 8 ---------------------------------------------------------------------
def draw_line_fit(x, y, lines, ax=None, labels=None):
    """Points and one or more lines ``y = m x + c`` given as ``(m, c)`` pairs."""
    ax = _axes(ax)
    artists = [ax.scatter(x, y, s=8, alpha=0.4, color="grey", label="data")]
    grid = np.linspace(np.min(x), np.max(x), 2)
    for i, (m, c) in enumerate(lines):
        label = labels[i] if labels else f"y = {m:.2f} x + {c:.2f}"
        artists += ax.plot(grid, m * grid + c, lw=2, label=label)
    ax.set(xlabel="x", ylabel="y")
    ax.legend(fontsize=8)
    return artists


def code_beside_ideas(function, ideas: dict) -> str:
    """A markdown table: each source line of ``function`` (docstring left out) beside its idea.

    ``ideas`` maps a piece of a line to the idea; every piece must match a line,
    so the table cannot silently drift from the code.
    """
    source = textwrap.dedent(inspect.getsource(function))
    body = ast.parse(source).body[0].body
    skip = set()
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        skip = set(range(body[0].lineno - 1, body[0].end_lineno))   # the docstring
    lines = [ln for i, ln in enumerate(source.splitlines()) if ln.strip() and i not in skip]
    missing = [piece for piece in ideas if not any(piece in ln for ln in lines)]
    if missing:
        raise ValueError(f"these pieces match no line of {function.__qualname__}: {missing}")
    rows = ["| code | idea |", "| --- | --- |"]
    for ln in lines:
        idea = next((text for piece, text in ideas.items() if piece in ln), "")
        code = ln.replace("|", "\\|").replace(" ", "\u00a0")
        rows.append(f"| `{code}` | {idea} |")
    return "\n".join(rows)


# ----- the chapter-6 widget -------------------------------------------------------------
class SGDExplorer:
    """Gradient descent and mini-batch SGD on a choice of two-parameter costs.

    ``problems`` maps a display name to ``(problem, (smallest, largest, default)
    learning rate)``. :meth:`set` changes controls and redraws; ``show()`` returns
    the ipywidgets front end. A redraw only re-renders what moves: the paths, the
    cost curves and the texts are drawn over a saved picture of everything else,
    and walks are computed once for ``MAX_STEPS`` and cut to the chosen length.
    """

    BATCHES = (("1", 1), ("10", 10), ("100", 100), ("all", "all"))
    MAX_STEPS = 100

    def __init__(self, problems: dict, grid_points: int = 41, dpi: int = 72) -> None:
        if not problems:
            raise ValueError("give at least one problem")
        self.problems, self.grid_points, self.dpi = problems, grid_points, dpi
        first = next(iter(problems))
        self.controls = {"problem": first, "batch_size": 10, "steps": 50, "seed": 0,
                         "learning_rate": problems[first][1][2]}
        self._walks, self._background, self._surface_artists, self.widget = {}, None, [], None
        self.figure = Figure(figsize=(10, 4.8))
        FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.11, top=0.92, wspace=0.3,
                                    hspace=0.45)
        grid = self.figure.add_gridspec(2, 2, width_ratios=(1.1, 1))
        self.ax_surface = self.figure.add_subplot(grid[:, 0])
        self.ax_examples = self.figure.add_subplot(grid[0, 1])
        self.ax_seconds = self.figure.add_subplot(grid[1, 1])
        self.paths = [draw_path(_EMPTY, self.ax_surface, c, label)
                      for c, label in ((GD_COLOR, "gradient descent"), (SGD_COLOR, "SGD"))]
        self.note = self.ax_surface.text(0.02, 0.02, "", transform=self.ax_surface.transAxes,
                                         color="white", backgroundcolor="tab:red")
        self.curves = {}
        for ax, x, xlabel in [(self.ax_examples, "examples", "examples processed"),
                              (self.ax_seconds, "seconds", "wall time (milliseconds)")]:
            self.curves[x] = [draw_cost_curve(_EMPTY, x, ax, c, label)
                              for c, label in ((GD_COLOR, "gradient descent"), (SGD_COLOR, "SGD"))]
            ax.set(xscale="log", xlabel=xlabel, ylabel="cost")
        self.ax_examples.set_title("cost of all examples, against work done", fontsize=10)
        self.moving = self.paths + self.curves["examples"] + self.curves["seconds"] + \
            [self.note, self.ax_surface.title]
        for artist in self.moving:
            artist.set_animated(True)
        self._show_problem()

    def walk(self, batch_size, controls=None):
        """One walk (``batch_size=None``: gradient descent) for the given or current controls."""
        c = {**self.controls, **(controls or {})}
        problem = self.problems[c["problem"]][0]
        full = batch_size in (None, "all") or batch_size >= problem.n_examples
        batch = None if full else batch_size
        key = (c["problem"], c["learning_rate"], batch, c["seed"] if batch else None)
        if key not in self._walks:
            self._walks[key] = descent.descend(problem, c["learning_rate"], self.MAX_STEPS,
                                               batch, c["seed"])
        return descent.first_steps(self._walks[key], c["steps"])

    def _show_problem(self) -> None:
        """Draw the still parts for the chosen problem and save them as the background."""
        name = self.controls["problem"]
        problem = self.problems[name][0]
        for artist in self._surface_artists:
            artist.remove()
        x0, x1, y0, y1 = problem.extent
        xs, ys = np.linspace(x0, x1, self.grid_points), np.linspace(y0, y1, self.grid_points)
        grid = descent.cost_grid(problem, xs, ys)
        self._surface_artists = draw_cost_surface(xs, ys, grid, self.ax_surface, problem.names)
        self.ax_surface.legend(handles=self.paths, loc="upper right", fontsize=8)
        start, bottom = problem.cost(problem.start), grid.min()
        log = start > 10 * bottom
        span = start - bottom
        low, top = (bottom / 1.2, start * 3) if log else (bottom - 0.1 * span, start + 0.5 * span)
        slowest = self.walk(None, {"steps": self.MAX_STEPS})
        fastest = self.walk(1, {"steps": 1})
        for ax in (self.ax_examples, self.ax_seconds):
            ax.set(yscale="log" if log else "linear", ylim=(low, top))
        self.ax_examples.set_xlim(0.7, 2 * self.MAX_STEPS * problem.n_examples)
        self.ax_seconds.set_xlim(fastest.seconds[1] * 300, slowest.seconds[-1] * 3000)
        self.figure.canvas.draw()
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        self._redraw()

    def _redraw(self) -> None:
        gd = self.walk(None)
        sgd = self.walk(self.controls["batch_size"])
        problem = self.problems[self.controls["problem"]][0]
        for line, tr in zip(self.paths, (gd, sgd)):
            draw_path(tr, line=line)
        for x in ("examples", "seconds"):
            for line, tr in zip(self.curves[x], (gd, sgd)):
                draw_cost_curve(tr, x, line=line)
        notes = [divergence_note(gd, "gradient descent"), divergence_note(sgd, "SGD")]
        self.note.set_text("\n".join(n for n in notes if n))
        self.note.set_visible(any(notes))
        c = self.controls
        self.ax_surface.set_title(f"{batch_name(sgd, problem.n_examples)} vs gradient descent: "
                                  f"rate {c['learning_rate']:.3g}, {c['steps']} steps, "
                                  f"seed {c['seed']}", fontsize=10)
        self.last_walks = (gd, sgd)
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        for artist in self.moving:
            self.figure.draw_artist(artist)

    def png(self) -> bytes:
        """The current picture as PNG bytes (what the widget shows)."""
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.figure.canvas.buffer_rgba())).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def set(self, **controls) -> None:
        """Change controls (problem, batch_size, learning_rate, steps, seed) and redraw."""
        unknown = set(controls) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; known: {sorted(self.controls)}")
        name = controls.get("problem", self.controls["problem"])
        if name not in self.problems:
            raise ValueError(f"unknown problem {name!r}; choose one of {list(self.problems)}")
        if not 1 <= controls.get("steps", 1) <= self.MAX_STEPS:
            raise ValueError(f"steps must be between 1 and {self.MAX_STEPS}")
        changed_problem = name != self.controls["problem"]
        self.controls.update(controls)
        self._show_problem() if changed_problem else self._redraw()
        if self.widget is not None:
            self._image.value = self.png()

    def show(self):
        """Build (once) and return the widget: controls above the live picture."""
        import ipywidgets as w
        if self.widget is not None:
            return self.widget
        c = self.controls
        lo, hi, _ = self.problems[c["problem"]][1]
        self.sliders = s = {
            "problem": w.Dropdown(options=list(self.problems), value=c["problem"], description="cost"),
            "batch_size": w.ToggleButtons(options=self.BATCHES, value=c["batch_size"],
                                          description="batch size"),
            "learning_rate": w.FloatLogSlider(value=c["learning_rate"], min=np.log10(lo),
                                              max=np.log10(hi), description="learning rate"),
            "steps": w.IntSlider(value=c["steps"], min=1, max=self.MAX_STEPS, description="steps"),
            "seed": w.IntSlider(value=c["seed"], min=0, max=20, description="seed")}
        self._image, self._syncing = w.Image(value=self.png(), format="png"), False

        def on_change(change, name):
            if self._syncing:
                return
            if name != "problem":
                return self.set(**{name: change["new"]})
            lo, hi, default = self.problems[change["new"]][1]
            self._syncing = True
            rate = s["learning_rate"]
            rate.min, rate.max, rate.value = -20, 20, default
            rate.min, rate.max = np.log10(lo), np.log10(hi)
            self._syncing = False
            self.set(problem=change["new"], learning_rate=default)
        for name, slider in s.items():
            slider.observe(lambda change, name=name: on_change(change, name), names="value")
        self.widget = w.VBox([w.HBox([s["problem"], s["batch_size"]]),
                              w.HBox([s["learning_rate"], s["steps"], s["seed"]]), self._image])
        return self.widget

    def time_control_change(self, **controls) -> float:
        """Seconds one control change takes: compute, redraw and encode the picture."""
        started = time.perf_counter()
        self.set(**controls)
        if self.widget is None:
            self.png()
        return time.perf_counter() - started


_EMPTY = descent.Trajectory(np.zeros((1, 2)), np.ones(1), np.zeros(1), np.zeros(1), 1, None)
