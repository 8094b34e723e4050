"""DrawingPad: an ipycanvas pad for mouse and touch that reports strokes when a stroke ends."""
from __future__ import annotations

from typing import Callable

import ipywidgets as w
from ipycanvas import Canvas, hold_canvas

Strokes = list[list[tuple[float, float]]]


class DrawingPad(w.VBox):
    """Draw with the mouse or a finger; brush size, Undo and Clear.

    `on_drawing(callback)` calls `callback(strokes)` whenever the drawing changes: a stroke
    ended, or Undo or Clear was pressed (`on_drawing(callback, remove=True)` stops that).
    `strokes` is a list of strokes, each a list of (x, y) canvas pixels. Nothing is drawn
    before the browser view is ready (a Voila trap).
    """

    def __init__(self, size: int = 280, brush: int = 14, ink: str = "#111", paper: str = "white"):
        self.size, self.ink, self.paper = size, ink, paper
        self.strokes: Strokes = []
        self._current: list[tuple[float, float]] | None = None
        self._drawing_callbacks = w.CallbackDispatcher()
        self._ready = False
        self._styled: int | None = None  # brush width last sent to the browser
        self._widths: list[int] = []  # brush width of each stroke, for redrawing
        self.canvas = Canvas(width=size, height=size, layout=w.Layout(width=f"{size}px", height=f"{size}px"))
        self.canvas.add_class("mlexp-pad")
        self.brush = w.IntSlider(value=brush, min=2, max=40, description="Brush",
                                 layout=w.Layout(width=f"{size}px"))
        self.undo_button = w.Button(description="Undo", icon="undo", layout=w.Layout(width="auto"))
        self.clear_button = w.Button(description="Clear", icon="trash", layout=w.Layout(width="auto"))
        self.undo_button.add_class("mlexp-undo")
        self.clear_button.add_class("mlexp-clear")
        self.undo_button.on_click(lambda _: self.undo())
        self.clear_button.on_click(lambda _: self.clear())
        c = self.canvas
        c.on_client_ready(self._client_ready)
        c.on_mouse_down(self._start)
        c.on_mouse_move(self._move)
        c.on_mouse_up(lambda x, y: self._end())
        c.on_mouse_out(lambda x, y: self._end())
        c.on_touch_start(lambda touches: touches and self._start(*touches[0]))
        c.on_touch_move(lambda touches: touches and self._move(*touches[0]))
        c.on_touch_end(lambda touches: self._end())
        c.on_touch_cancel(lambda touches: self._end())
        super().__init__([c, self.brush, w.HBox([self.undo_button, self.clear_button])])

    def on_drawing(self, callback: Callable[[Strokes], None], remove: bool = False) -> None:
        """Call `callback(strokes)` whenever the drawing changes (`remove=True`: no longer)."""
        self._drawing_callbacks.register_callback(callback, remove=remove)

    # Events -----------------------------------------------------------------------------
    def _client_ready(self) -> None:
        self._ready = True
        self._redraw()

    def _start(self, x: float, y: float) -> None:
        self._current = [(float(x), float(y))]
        self._dot(x, y)

    def _move(self, x: float, y: float) -> None:
        if self._current is None:
            return
        x0, y0 = self._current[-1]
        self._current.append((float(x), float(y)))
        self._segment(x0, y0, x, y)

    def _end(self) -> None:
        if self._current is None:
            return
        stroke, self._current = self._current, None
        self.strokes.append(stroke)
        self._widths.append(self.brush.value)
        self._changed()

    # Commands ---------------------------------------------------------------------------
    def undo(self) -> None:
        """Remove the last stroke."""
        if self.strokes:
            self.strokes.pop()
            self._widths.pop()
            self._redraw()
            self._changed()

    def clear(self) -> None:
        """Remove every stroke."""
        self.strokes, self._widths = [], []
        self._current = None
        self._redraw()
        self._changed()

    def _changed(self) -> None:
        self._drawing_callbacks([list(s) for s in self.strokes])

    # Drawing (only once the browser view is ready) -------------------------------------
    def _style(self, width: int) -> None:
        """Send the pen style to the browser when it changed (each setting is a message)."""
        c = self.canvas
        if self._styled != width:
            c.stroke_style = c.fill_style = self.ink
            c.line_width = width
            c.line_cap = c.line_join = "round"
            self._styled = width

    def _dot(self, x, y, width: int | None = None) -> None:
        if self._ready:
            width = width or self.brush.value
            self._style(width)
            self.canvas.fill_circle(x, y, width / 2)

    def _segment(self, x0, y0, x1, y1) -> None:
        if self._ready:
            self._style(self.brush.value)
            self.canvas.stroke_line(x0, y0, x1, y1)

    def _redraw(self) -> None:
        if not self._ready:
            return
        with hold_canvas():
            self.canvas.clear()
            self.canvas.fill_style = self.paper
            self.canvas.fill_rect(0, 0, self.size, self.size)
            self._styled = None
            for stroke, width in zip(self.strokes, self._widths):
                self._dot(*stroke[0], width)
                if len(stroke) > 1:
                    self.canvas.stroke_lines(stroke)
