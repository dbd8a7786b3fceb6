"""Chapter 6's explorer: gradient descent against mini-batch SGD on two-parameter costs.

Left, the cost surface with both walks; right, the cost of all the examples
against the examples processed so far (log scale). The controls choose the cost,
the batch size (1, 10, 100 or all), the learning rate, the seed and how many
steps to show; a play button walks the steps. There is no wall-time axis: it
would change from build to build.

Every walk is computed here once, for every learning rate of a log-spaced grid
(``rates_per_decade`` per factor of ten, always including the problem's usual
rate), every batch size and every seed, and cut to the chosen number of steps
in the browser. A walk that blows up stops there and the figure says so.
"""
from __future__ import annotations

import numpy as np
import traitlets
from threadpoolctl import threadpool_limits

from .. import descent
from .base import Explorer, checked_choice, front_end, pack, unpack
from .inputs import check_digit_network, check_sgd_problems, check_whole_numbers

BATCH_SIZES = (1, 10, 100, 0)  # 0 = all the examples: gradient descent
SHADES = 12  # bands of the cost surface, like contour lines


def sgd_problems(net, X, Y) -> dict:
    """Chapter 6's two costs, each with its learning rates ``(lowest, highest, usual)``.

    A line fitted to 1,000 noisy points (a bowl), and the slice of ``net``'s cost
    through two weights into neuron 3 of its second hidden layer, over ``X, Y``.
    """
    check_digit_network(net, "network slice of chapter 6")
    piece = descent.NetworkSlice(net, X, Y, first=(1, 3, 0), second=(1, 3, 1))
    return {"line fit: a bowl": (descent.LineFit(n_examples=1000, seed=0), (0.01, 3.0, 0.3)),
            "network: two weights": (piece, (3.0, 3000.0, 100.0))}


def rate_grid(lowest: float, highest: float, usual: float, per_decade: int) -> np.ndarray:
    """Log-spaced learning rates from ``lowest`` to ``highest`` that include ``usual`` exactly."""
    below = int(np.floor(np.log10(usual / lowest) * per_decade + 1e-9))
    above = int(np.floor(np.log10(highest / usual) * per_decade + 1e-9))
    return usual * 10.0 ** (np.arange(-below, above + 1) / per_decade)


def walks(problem, rates, max_steps: int, seeds: int) -> dict:
    """Every walk, as ``[x, y, cost]`` per step, NaN after a walk diverged.

    ``gd[r]`` is gradient descent at ``rates[r]``; ``sgd[r, b, s]`` SGD with
    ``BATCH_SIZES[b]`` and seed ``s``; ``*_diverged`` the step a walk blew up (-1: never).
    """
    shape = (len(rates), 3, seeds)
    sgd = np.full(shape + (max_steps + 1, 3), np.nan)
    gd = np.full((len(rates), max_steps + 1, 3), np.nan)
    sgd_diverged, gd_diverged = np.full(shape, -1), np.full(len(rates), -1)
    for r, rate in enumerate(rates):
        gd_diverged[r] = _store(gd[r], descent.descend(problem, rate, max_steps))
        for b, s in np.ndindex(3, seeds):
            batch = BATCH_SIZES[b] if BATCH_SIZES[b] < problem.n_examples else None
            sgd_diverged[r, b, s] = _store(sgd[r, b, s],
                                           descent.descend(problem, rate, max_steps, batch, s))
    return {"gd": gd, "sgd": sgd, "gd_diverged": gd_diverged, "sgd_diverged": sgd_diverged}


def _store(out: np.ndarray, walk: descent.Trajectory) -> int:
    n = len(walk.costs)
    out[:n, :2], out[:n, 2] = walk.params, walk.costs
    return -1 if walk.diverged_at is None else walk.diverged_at


def surface(problem, points: int) -> dict:
    """The cost over the problem's extent as shade bands 0..1 (log cost when it spans decades),
    and the range of the cost axis."""
    x0, x1, y0, y1 = problem.extent
    costs = descent.cost_grid(problem, np.linspace(x0, x1, points), np.linspace(y0, y1, points))
    top, bottom = problem.cost(problem.start), float(costs.min())
    log = top > 10 * bottom and bottom > 0
    levels = np.log10(costs) if log else costs
    shade = np.floor(SHADES * (levels - levels.min()) / np.ptp(levels)) / SHADES
    span = top - bottom
    limits = (bottom / 1.2, top * 3) if log else (bottom - 0.1 * span, top + 0.5 * span)
    return {"shade": pack(np.minimum(shade, 1)), "cost_limits": list(limits), "log_cost": bool(log)}


class SGDExplorer(Explorer):
    """Gradient descent and mini-batch SGD walking down a choice of two-parameter costs.

    Parameters
    ----------
    problems : name -> ``(problem, (lowest, highest, usual) learning rate)``,
        e.g. :func:`sgd_problems`. A problem offers ``cost``, ``gradient``,
        ``start``, ``extent``, ``n_examples`` and ``names`` (see :mod:`backprop.descent`).
    max_steps : the longest walk shown (1 to 200).
    grid_points : the cost surface is measured on grid_points x grid_points points.
    rates_per_decade, seeds : how fine the learning-rate grid is; how many seeds.

    Controls (synced traits): ``problem`` (a name), ``batch_size`` (1, 10, 100 or
    0 = all), ``rate`` (position in the problem's ``rates``; choosing a problem
    resets it to that problem's usual rate), ``seed`` and ``steps``.
    """

    _esm = front_end("sgd.js")
    problem = traitlets.Unicode("").tag(sync=True)
    batch_size = traitlets.Int(10).tag(sync=True)
    rate = traitlets.Int(0).tag(sync=True)
    seed = traitlets.Int(0).tag(sync=True)
    steps = traitlets.Int(50).tag(sync=True)

    def __init__(self, problems: dict, max_steps: int = 100, grid_points: int = 61,
                 rates_per_decade: int = 4, seeds: int = 4, **kwargs) -> None:
        check_whole_numbers(max_steps=(max_steps, 1, 200), grid_points=(grid_points, 11, 201),
                     rates_per_decade=(rates_per_decade, 1, 20), seeds=(seeds, 1, 20))
        check_sgd_problems(problems)
        self._problems = dict(problems)
        with threadpool_limits(limits=1, user_api="blas"):  # faster for these small matrices
            packed = [self._pack_problem(name, max_steps, grid_points, rates_per_decade, seeds)
                      for name in problems]
        super().__init__(**kwargs)
        self.data = {"problems": packed, "batch_sizes": list(BATCH_SIZES),
                     "max_steps": max_steps, "seeds": seeds}
        self.caption = ("Compare a careful walker (gradient descent) with a quick stumbler "
                        "(SGD): change the batch size, learning rate and seed, or press play.")
        self.problem = next(iter(problems))
        self.steps = min(50, max_steps)

    def _pack_problem(self, name: str, max_steps: int, points: int, per_decade: int,
                      seeds: int) -> dict:
        problem, (lowest, highest, usual) = self._problems[name]
        rates = rate_grid(lowest, highest, usual, per_decade)
        found = walks(problem, rates, max_steps, seeds)
        return {"name": name, "axes": list(problem.names), "extent": list(problem.extent),
                "n_examples": int(problem.n_examples), "rates": pack(rates),
                "usual": int(np.argmin(np.abs(rates - usual))), **surface(problem, points),
                "gd": pack(found["gd"]), "sgd": pack(found["sgd"]),
                "gd_diverged": found["gd_diverged"].tolist(),
                "sgd_diverged": found["sgd_diverged"].tolist()}

    def _packed(self) -> dict:
        return next(p for p in self.data["problems"] if p["name"] == self.problem)

    @traitlets.validate("problem")
    def _valid_problem(self, proposal):
        if proposal["value"] not in getattr(self, "_problems", {}):
            raise traitlets.TraitError(f"problem must be one of {list(self._problems)}; "
                                       f"got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.observe("problem")
    def _usual_rate(self, change):
        self.rate = self._packed()["usual"]

    @traitlets.validate("batch_size")
    def _valid_batch(self, proposal):
        if proposal["value"] not in BATCH_SIZES or isinstance(proposal["value"], bool):
            raise traitlets.TraitError(f"batch_size must be 1, 10, 100 or 0 (all examples); "
                                       f"got {proposal['value']!r}")
        return int(proposal["value"])

    @traitlets.validate("rate")
    def _valid_rate(self, proposal):
        count = self._packed()["rates"]["shape"][0] if self.problem else 1
        return checked_choice("rate", proposal["value"], count)

    @traitlets.validate("seed")
    def _valid_seed(self, proposal):
        return checked_choice("seed", proposal["value"], self.data.get("seeds", 1))

    @traitlets.validate("steps")
    def _valid_steps(self, proposal):
        value, most = proposal["value"], self.data.get("max_steps", 200)
        if isinstance(value, bool) or not 1 <= value <= most:
            raise traitlets.TraitError(f"steps must be 1 to {most}; got {value!r}")
        return int(value)

    def shown(self) -> dict:
        """Both walks cut to ``steps``: points, costs, examples processed, where they diverged."""
        packed, n = self._packed(), self._problems[self.problem][0].n_examples
        b = BATCH_SIZES.index(self.batch_size)
        gd = _walk(unpack(packed["gd"])[self.rate], packed["gd_diverged"][self.rate], n, self.steps)
        if self.batch_size == 0:
            sgd = gd
        else:
            batch = self.batch_size if self.batch_size < n else n
            sgd = _walk(unpack(packed["sgd"])[self.rate, b, self.seed],
                        packed["sgd_diverged"][self.rate][b][self.seed], batch, self.steps)
        return {"problem": self.problem, "batch_size": min(self.batch_size or n, n),
                "learning_rate": float(unpack(packed["rates"])[self.rate]),
                "seed": self.seed, "steps": self.steps, "gd": gd, "sgd": sgd}


def _walk(rows: np.ndarray, diverged: int, batch: int, steps: int) -> dict:
    kept = rows[:steps + 1]
    kept = kept[np.isfinite(kept[:, 2])]
    return {"params": kept[:, :2], "costs": kept[:, 2], "examples": batch * np.arange(len(kept)),
            "diverged_at": diverged if 0 < diverged <= steps else None}
