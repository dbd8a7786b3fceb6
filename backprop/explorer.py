"""The machinery behind every explorer widget: a figure, its controls, fast redraws.

An explorer draws its figure once and then, when a control moves, only changes
the data of the artists that follow the controls. The figure is shown as a PNG
in an ``ipywidgets.Image``; a control change redraws only those moving artists
over a saved background (blitting), so it stays fast without a matplotlib widget
backend. Setting ``explorer.controls[name].value`` from Python redraws exactly as
when the learner moves the control, which is how tests and benchmarks drive it.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Callable

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from threadpoolctl import threadpool_limits

_BLAS_ONE_THREAD = {"limits": 1, "user_api": "blas"}


class Explorer:
    """A figure plus the controls that drive it.

    Attributes
    ----------
    controls : dict of name -> ipywidgets control; setting ``.value`` redraws.
    figure : the matplotlib Figure (its artists hold the current data).
    artists : dict of name -> the artists that follow the controls.
    image : the ``ipywidgets.Image`` showing the latest PNG.
    view : the whole widget (controls above the image), displayed by Jupyter.
    redraws : how many times the figure has been rendered.
    """

    def __init__(self, controls: dict, figure: Figure, apply: Callable[[dict], bool],
                 own: tuple = ()) -> None:
        """``apply(values)`` updates the artists and returns True if all must be redrawn.

        Controls named in ``own`` have their own handlers and are not observed here.
        """
        self.controls, self.figure, self._apply = controls, figure, apply
        self.artists, self._moving, self._background, self._holds, self.redraws = {}, [], None, 0, 0
        self.image = W.Image(format="png")
        self.view = W.VBox([W.HBox(list(controls.values()),
                                   layout=W.Layout(flex_flow="row wrap")), self.image])
        for name, control in controls.items():
            if name not in own:
                control.observe(lambda change: self.update(), names="value")

    def set_moving(self, artists: dict) -> None:
        """Name the artists a control change may alter; all others form the saved background.

        They stay reachable as ``explorer.artists[name]`` (lists and bar containers allowed).
        """
        self.artists = artists
        self._moving = list(flatten_artists(artists.values()))
        for artist in self._moving:
            artist.set_animated(True)

    def update(self, full: bool = False) -> None:
        """Read every control, update the artists and render (fully if anything needs it)."""
        if self._holds:
            return
        with threadpool_limits(**_BLAS_ONE_THREAD):
            values = {name: control.value for name, control in self.controls.items()}
            full = self._apply(values) or full
        if self.redraws == 0:  # lay the figure out once; afterwards the axes stay put
            self.figure.canvas.draw()
            self.figure.set_layout_engine("none")
        self.image.value = self._render(full)
        self.redraws += 1

    @contextmanager
    def hold(self):
        """Change several controls at once, with a single redraw at the end."""
        self._holds += 1
        try:
            yield self
        finally:
            self._holds -= 1
        self.update()

    def _render(self, full: bool) -> bytes:
        canvas = self.figure.canvas
        if full or self._background is None:
            canvas.draw()  # everything except the moving artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._moving:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        pixels = np.asarray(canvas.buffer_rgba())[..., :3]
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.view)


def new_figure(width: float, height: float) -> Figure:
    """A figure outside pyplot (so notebooks never show it twice), on the Agg canvas."""
    figure = Figure(figsize=(width, height), dpi=72, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def flatten_artists(items):
    """Every artist in nested lists, tuples and bar containers (None skipped)."""
    for item in items:
        if isinstance(item, (list, tuple)):  # bar containers are tuples too
            yield from flatten_artists(item)
        elif item is not None:
            yield item
