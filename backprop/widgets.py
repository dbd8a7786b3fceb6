"""Interactive explorers for chapters 2-4 (ipywidgets around the drawings of :mod:`plots`).

Each explorer is an :class:`~backprop.explorer.Explorer`: set a value in
``explorer.controls[name]`` from Python and the figure follows, exactly as when
the learner moves the control.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from . import lesson, plots
from .explorer import Explorer, new_figure
from .network import Network


# ----- chapter 2 ---------------------------------------------------------------------
def sensitivity_explorer(net: Network, X, Y, wiggle_range: float = 0.5, points: int = 11,
                         ranks=(0, 1, 2, 3, 4, 9, 31, 99, 299, 999, 2999)) -> Explorer:
    """Pick two parameters, wiggle them by the same amount, compare the cost's response.

    Controls: ``parameter`` (jump to a parameter of the sensitivity ranking; sets
    the next four), ``layer``, ``kind``, ``neuron``, ``source`` (the weight's input
    neuron k), ``compare_with`` (parameter B) and ``wiggle``. Panels: |dC/dw| of
    A's layer with A marked; measured cost change against the gradient's
    prediction for A and B; the two changes at the chosen wiggle and their ratio.
    """
    gradient = net.gradient(X, Y)
    ranking = lesson.sensitivity_ranking(gradient, max(ranks) + 1)
    picks = {f"#{r + 1}: {ranking[r][0].label} ({ranking[r][1]:+.2e})": ranking[r][0]
             for r in ranks}
    a0, b0 = ranking[ranks[0]][0], ranking[ranks[-1]][0]
    c = {"parameter": W.Dropdown(options=picks, value=a0, description="ranked A"),
         "layer": W.Dropdown(options=range(1, len(net.sizes)), value=a0.layer, description="layer"),
         "kind": W.ToggleButtons(options=["weight", "bias"], value=a0.kind),
         "neuron": W.IntSlider(value=a0.index[0], max=net.sizes[a0.layer] - 1,
                               description="neuron j"),
         "source": W.IntSlider(value=a0.index[-1] if a0.kind == "weight" else 0,
                               max=net.sizes[a0.layer - 1] - 1, description="from k",
                               disabled=a0.kind == "bias"),
         "compare_with": W.Dropdown(options=picks, value=b0, description="B"),
         "wiggle": W.FloatSlider(value=wiggle_range / 5, min=-wiggle_range, max=wiggle_range,
                                 step=wiggle_range / 50, description="wiggle",
                                 readout_format=".3f")}
    wiggles, curves = np.linspace(-wiggle_range, wiggle_range, points), {}

    def curve(p):
        if p not in curves:
            curves[p] = lesson.cost_change_curve(net, X, Y, p, wiggles)
        return curves[p]

    fig = new_figure(13, 4.3)
    ax_heat, ax_curve, ax_bars = fig.subplots(1, 3, width_ratios=[1, 1.2, 0.9])
    lines = [plots.draw_wiggle_curve(wiggles, curve(p), lesson.sensitivity(gradient, p), 0.0,
                                     ax_curve, name, color)
             for p, name, color in ((a0, "A", plots.UP), (b0, "B", "#e08214"))]
    bars = plots.draw_change_bars(["A", "B"], [0, 0], [0, 0], ax_bars)
    names = ax_curve.text(0.98, 0.03, "", transform=ax_curve.transAxes, ha="right", va="bottom")
    ratio = ax_bars.text(0.5, 0.97, "", transform=ax_bars.transAxes, ha="center", va="top")
    state: dict = {"layer": None, "limit": 0.0}

    def apply(v) -> bool:
        index = (v["neuron"], v["source"]) if v["kind"] == "weight" else (v["neuron"],)
        a, b = lesson.Param(v["layer"], v["kind"], index), v["compare_with"]
        slopes = [lesson.sensitivity(gradient, p) for p in (a, b)]
        measured = [lesson.measured_cost_change(net, X, Y, p, v["wiggle"]) for p in (a, b)]
        predicted = [g * v["wiggle"] for g in slopes]
        for (line, tangent, point), p, g, m in zip(lines, (a, b), slopes, measured):
            line.set_ydata(curve(p))
            tangent.set_ydata(g * wiggles)
            point.set_data([v["wiggle"]], [m])
        for container, heights in zip(bars, (measured, predicted)):
            for bar, h in zip(container, heights):
                bar.set_height(h)
        names.set_text(f"A = {a.label}\nB = {b.label}")
        ratio.set_text("B does not move the cost at all" if 0 in (measured[1], predicted[1]) else
                       f"A moves the cost {measured[0] / measured[1]:.3g} times as much as B\n"
                       f"(the gradient predicts {predicted[0] / predicted[1]:.3g})")
        needed = plots.symmetric_limit([curve(a), curve(b), wiggle_range * np.array(slopes)])
        rescale = not state["limit"] / 5 < needed <= state["limit"]  # only for a new scale
        if rescale:
            state["limit"] = 1.2 * needed
            ax_curve.set_ylim(-state["limit"], state["limit"])
            ax_bars.set_ylim(-state["limit"], state["limit"])
        full = rescale or state["layer"] != a.layer
        if state["layer"] != a.layer:
            state["layer"] = a.layer
            ax_heat.clear()
            plots.draw_sensitivity_heatmap(gradient.weights[a.layer - 1], a.layer, ax_heat,
                                           colorbar=False)
            (state["marker"],) = ax_heat.plot([0], [0], "s", mfc="none", mec="#00e5ff", ms=9, mew=2)
            explorer.set_moving({"marker": state["marker"], "names": names, "ratio": ratio,
                                 "bars": bars, "curves": lines})
        if a.kind == "weight":
            row, col = plots.mosaic_position(*a.index) if a.layer == 1 else a.index
            state["marker"].set_data([col], [row])
        state["marker"].set_visible(a.kind == "weight")
        return full

    def on_layer(change):  # keep the sliders inside the chosen layer
        with explorer.hold():
            c["neuron"].max = net.sizes[change["new"]] - 1
            c["source"].max = net.sizes[change["new"] - 1] - 1

    def on_ranked(change):
        p = change["new"]
        with explorer.hold():
            c["layer"].value, c["kind"].value, c["neuron"].value = p.layer, p.kind, p.index[0]
            c["source"].value = p.index[-1] if p.kind == "weight" else c["source"].value

    def on_kind(change):
        c["source"].disabled = change["new"] == "bias"
        explorer.update()

    explorer = Explorer(c, fig, apply, own=("parameter", "layer", "kind"))
    for name, handler in (("layer", on_layer), ("parameter", on_ranked), ("kind", on_kind)):
        c[name].observe(handler, names="value")
    explorer.update(full=True)
    return explorer


def _examples(images, labels, most: int = 50) -> tuple[np.ndarray, np.ndarray, W.Dropdown]:
    """Checked images and labels, and a dropdown to pick one of them."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 2 or labels.shape != (images.shape[0],) or not 1 <= len(labels) <= most:
        raise ValueError(f"give 1 to {most} images (n, 784) with n labels; "
                         f"got shapes {images.shape} and {labels.shape}")
    picker = W.Dropdown(options=[(f"example {i}: a {int(d)}", i) for i, d in enumerate(labels)],
                        value=0, description="image")
    return images, labels, picker


# ----- chapter 3 ---------------------------------------------------------------------
def nudge_explorer(net: Network, images, labels) -> Explorer:
    """One example's wishes: output nudges, three avenues, backprop beside Hebb.

    Controls: ``example`` (which of the given images) and ``neuron`` (which
    output neuron to zoom into). Everything is computed up front for every image,
    so the axes keep one scale and a control change only redraws data.
    """
    images, labels, picker = _examples(images, labels)
    outputs = net.output(images)
    avenues = [[lesson.three_avenues(net, x, d, j) for j in range(net.sizes[-1])]
               for x, d in zip(images, labels)]
    pushes = np.array([[av.push for av in row] for row in avenues])
    compared = [lesson.compare_with_hebbian(net, x, d) for x, d in zip(images, labels)]
    c = {"example": picker, "neuron": W.Dropdown(options=range(net.sizes[-1]), value=int(labels[0]),
                                                 description="output neuron")}
    span = lambda arrays: 1.1 * plots.symmetric_limit(list(arrays))  # noqa: E731
    fig = new_figure(13, 7.2)
    grid = fig.subplots(2, 4, width_ratios=[0.8, 1, 1.2, 1.2])
    digit = plots.draw_digit(images[0], grid[0, 0], "image")
    nudges = plots.draw_nudges(np.zeros(net.sizes[-1]), grid[0, 1], "Desired nudges", 1.05)
    (dots,) = grid[0, 1].plot(np.arange(net.sizes[-1]), outputs[0], "o", mfc="w", mec="0.2",
                              label="output activation")
    grid[0, 1].legend(loc="lower left", fontsize="small")
    routes = plots.draw_avenues(avenues[0][0], grid[0, 2], grid[0, 3], (
        span(np.r_[av.bias, av.weights] for row in avenues for av in row),
        span(av.previous_activations for row in avenues for av in row)))
    heat_b, frame_b = plots.draw_update_heatmap(compared[0].backprop, grid[1, 0],
                                                "Backprop: -dC/dw",
                                                span(k.backprop for k in compared) / 1.1, 0)
    heat_h, frame_h = plots.draw_update_heatmap(compared[0].hebbian, grid[1, 1],
                                                "Hebbian: post x pre",
                                                span(k.hebbian for k in compared) / 1.1, 0)
    factors = plots.draw_update_factors(outputs[0], pushes[0], grid[1, 2], span([outputs, pushes]))
    grid[1, 3].axis("off")
    note = grid[1, 3].text(0, 1, "", va="top", ha="left", transform=grid[1, 3].transAxes)
    titles = [ax.title for ax in (grid[0, 0], grid[0, 2], grid[0, 3])]

    def apply(v) -> bool:
        i, j = v["example"], v["neuron"]
        chosen, k = avenues[i][j], compared[i]
        digit.set_data(images[i].reshape(28, 28))
        plots.set_bars(nudges, lesson.desired_nudges(outputs[i], labels[i]))
        for n, bar in enumerate(nudges):
            bar.set(edgecolor="k" if n == j else "none", linewidth=2.5 if n == j else 0)
        dots.set_ydata(outputs[i])
        plots.set_bars(routes[0], np.r_[chosen.bias, chosen.weights])
        plots.set_bars(routes[1], chosen.previous_activations)
        heat_b.set_data(k.backprop)
        heat_h.set_data(k.hebbian)
        for frame in (frame_b, frame_h):
            frame.set(y=j - 0.5, visible=True)
        for bar, h in zip(factors[0], outputs[i]):
            bar.set_height(h)
        plots.set_bars(factors[1], pushes[i])
        for title, text in zip(titles, (f"example {i}: a {labels[i]}",
                                        f"Avenues 1, 2 for neuron {j}",
                                        f"Avenue 3 for neuron {j}")):
            title.set_text(text)
        note.set_text(f"Whole update, backprop vs Hebb:\n  cosine similarity  {k.similarity:+.3f}\n"
                      f"  same sign          {k.agreement:.0%} of weights\n\n"
                      f"Neuron {j} (target {'up' if j == labels[i] else 'down'}):\n"
                      f"  Hebb's row factor  {outputs[i][j]:+.3f}\n    (its own activity)\n"
                      f"  backprop's factor  {chosen.push:+.3f}\n    (2 f'(z) x desired nudge)")
        return False

    explorer = Explorer(c, fig, apply)
    explorer.set_moving({"digit": digit, "nudges": nudges, "outputs": dots, "avenues": routes,
                         "backprop": heat_b, "hebbian": heat_h, "frames": [frame_b, frame_h],
                         "factors": factors, "titles": titles, "note": note})
    explorer.update(full=True)
    return explorer


# ----- chapter 4 ---------------------------------------------------------------------
def backward_stepper(net: Network, images, labels) -> Explorer:
    """Walk one example's wishes from the output layer back to the pixels.

    Controls: ``example`` and ``step`` (0 = the output layer, each step one layer
    further back). The network diagram shows the summed wishes (activation
    nudges) of every layer reached so far; the panels show that ``f'(z)`` times
    those wishes equals minus backprop's error term ``delta`` of that layer.
    """
    images, labels, picker = _examples(images, labels)
    walks = [lesson.backward_steps(net, x, d) for x, d in zip(images, labels)]
    depth = len(net.sizes) - 1
    c = {"example": picker, "step": W.IntSlider(value=0, max=depth, description="steps back")}
    fig = new_figure(13, 6.6)
    grid = fig.add_gridspec(2, 3, width_ratios=[2.3, 1, 1])
    ax_net = fig.add_subplot(grid[:, 0])
    panels = [fig.add_subplot(grid[i // 2, 1 + i % 2]) for i in range(depth + 1)]
    scale = [plots.symmetric_limit([w[depth - layer].activation_nudges for w in walks])
             for layer in range(depth + 1)]
    first = walks[0][::-1]  # input layer first, as the drawing wants
    art = plots.draw_network(net.sizes, [s.activations for s in first], net.weights, ax_net,
                             [s.activation_nudges for s in first], scale)
    push_limit = [1.15 * plots.symmetric_limit([w[depth - s.layer].input_nudges for w in walks])
                  for s in walks[0][:-1]]
    checks = [plots.draw_wish_check(s.input_nudges, -s.delta, ax, s.layer, limit, legend=False)
              for s, ax, limit in zip(walks[0][:-1], panels, push_limit)]
    fig.legend(handles=list(checks[0]), loc="outside lower right", fontsize="small",
               labels=["bars: f'(z) x sum of weighted wishes (output: x 2(y - a))",
                       "dots: minus the error term delta from net.errors"])
    pixels = plots.draw_digit(first[0].activation_nudges, panels[-1], "Layer 0: wishes for pixels",
                              plots.SIGNED, scale[0])
    fig.colorbar(pixels, ax=panels[-1], shrink=0.8)
    waiting = [ax.text(0.5, 0.5, "not reached yet", transform=ax.transAxes, ha="center",
                       color="0.4") for ax in panels]
    status = ax_net.text(0.02, 0.01, "", transform=ax_net.transAxes, va="bottom", fontsize="small")

    def apply(v) -> bool:
        walk, reached = walks[v["example"]], depth - v["step"]
        art["image"].set_data(images[v["example"]].reshape(28, 28))
        for s in walk[:-1]:
            art["neurons"][s.layer - 1].set_array(s.activations)
            plots.set_network_nudges(art["nudges"][s.layer], s.activation_nudges, scale[s.layer])
            for bar in art["nudges"][s.layer]:
                bar.set_visible(s.layer >= reached)
        for s, (bars, dots), text in zip(walk[:-1], checks, waiting):
            plots.set_bars(bars, s.input_nudges)
            dots.set_ydata(-s.delta)
            for artist in (*bars, dots):
                artist.set_visible(s.layer >= reached)
            text.set_visible(s.layer < reached)
        pixels.set(data=walk[-1].activation_nudges.reshape(28, 28), visible=reached == 0)
        waiting[-1].set_visible(reached > 0)
        plots.show_network_step(art, reached)
        status.set_text(_step_note(walk[v["step"]], depth))
        return False

    explorer = Explorer(c, fig, apply)
    explorer.set_moving({"network": [art["highlight"], art["image"], art["connections"],
                                     art["neurons"], art["nudges"]],
                         "checks": checks, "pixels": pixels, "waiting": waiting, "status": status})
    explorer.update(full=True)
    return explorer


def _step_note(step, depth: int) -> str:
    if step.layer == 0:
        return ("Layer 0: the wishes reach the pixels. Pixels are data, not parameters,\n"
                "so the walk stops; layer 1's weights learn from layer 1's delta.")
    gap = np.max(np.abs(step.input_nudges + step.delta))
    if step.layer == depth:
        what = "Output layer: each neuron wishes for 2 x (target - activation).\n"
    else:
        what = (f"Layer {step.layer}: each neuron adds up the wishes of layer "
                f"{step.layer + 1}, weighted by its connections.\n")
    return what + f"f'(z) x wish = -delta: largest gap {gap:.1e}"
