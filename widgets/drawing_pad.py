"""DrawingPad: a pad for mouse, touch and pen whose ink the page draws at once; the kernel gets
each stroke, whole, when the pen lifts."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import anywidget
import ipywidgets as w
from PIL import Image, ImageDraw
from traitlets import Int, List, Unicode

from .common import log, stylesheet

HERE = Path(__file__).parent
Strokes = list[list[tuple[float, float]]]
MAX_POINTS = 20_000  # a stroke longer than this is no drawing (a page gone wrong): ignored


class PadCanvas(anywidget.AnyWidget):
    """The `<canvas class="mlexp-pad">` (`drawing_pad.js`). The page draws the stroke under the pen
    and, when the pen lifts, sends `{"type": "stroke", "points": [[x, y], ...], "width": w}` (pad
    pixels). `drawing` is the kernel's drawing, which every view draws ([{"points", "width"}]);
    `received` counts the stroke messages taken, so a view knows which of its strokes the kernel
    has (the others stay drawn, in order, until it has them)."""

    _esm = HERE / "drawing_pad.js"
    size = Int(280).tag(sync=True)
    brush = Int(14).tag(sync=True)  # the pen's width for new strokes (the page follows the slider)
    ink = Unicode("#111").tag(sync=True)
    paper = Unicode("white").tag(sync=True)
    drawing = List().tag(sync=True)
    received = Int(0).tag(sync=True)


def _stroke(content) -> tuple[list[tuple[float, float]], float] | None:
    """The points and width of a stroke message, or None if it is not one."""
    if not isinstance(content, dict) or content.get("type") != "stroke":
        return None
    points, width = content.get("points"), content.get("width")
    if not isinstance(points, list) or not 0 < len(points) <= MAX_POINTS:
        return None
    try:
        stroke = [(float(x), float(y)) for x, y in points]
        width = float(width)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for point in stroke for v in point) or not (math.isfinite(width) and width > 0):
        return None
    return stroke, width


class DrawingPad(w.VBox):
    """Draw with the mouse, a finger or a pen; brush size, Undo and Clear.

    `on_drawing(callback)` calls `callback(strokes)` whenever the drawing changes: a stroke
    ended, or Undo or Clear was pressed (`on_drawing(callback, remove=True)` stops that).
    `strokes` is a list of strokes, each a list of (x, y) pad pixels. The page draws the ink
    itself (no round trip to the kernel under the pen); the kernel's strokes are the truth,
    which every view, opened now or later, draws.
    """

    def __init__(self, size: int = 280, brush: int = 14, ink: str = "#111", paper: str = "white"):
        self.size, self.ink, self.paper = size, ink, paper
        self.strokes: Strokes = []
        self._widths: list[float] = []  # brush width of each stroke, for redrawing
        self._drawing_callbacks = w.CallbackDispatcher()
        self.canvas = PadCanvas(size=size, brush=brush, ink=ink, paper=paper)
        self.canvas.on_msg(self._on_message)
        self.brush = w.IntSlider(value=brush, min=2, max=40, description="Brush",
                                 layout=w.Layout(width=f"{size}px"))
        # the slider moves the page's pen in the page (no round trip); the page saves it here too
        self._brush_link = w.jsdlink((self.brush, "value"), (self.canvas, "brush"))
        self.undo_button = w.Button(description="Undo", icon="undo", layout=w.Layout(width="auto"))
        self.clear_button = w.Button(description="Clear", icon="trash", layout=w.Layout(width="auto"))
        self.undo_button.add_class("mlexp-undo")
        self.clear_button.add_class("mlexp-clear")
        self.undo_button.on_click(lambda _: self.undo())
        self.clear_button.on_click(lambda _: self.clear())
        super().__init__([stylesheet(), self.canvas, self.brush, w.HBox([self.undo_button, self.clear_button])])

    def on_drawing(self, callback: Callable[[Strokes], None], remove: bool = False) -> None:
        """Call `callback(strokes)` whenever the drawing changes (`remove=True`: no longer)."""
        self._drawing_callbacks.register_callback(callback, remove=remove)

    def close(self) -> None:
        """Close the pad, its page-side pen and the slider's link to it (not among the children)."""
        self._brush_link.close()
        self.canvas.close()
        super().close()

    # Events -----------------------------------------------------------------------------
    def _on_message(self, _widget, content, buffers) -> None:
        """A stroke from the page (see PadCanvas); anything else is ignored, with a line in the log."""
        stroke = _stroke(content)
        with self.canvas.hold_sync():
            self.canvas.received += 1
            if stroke is not None:
                self.strokes.append(stroke[0])
                self._widths.append(stroke[1])
                self._sync()
        if stroke is None:
            log.warning("The drawing pad ignored a message that is not a stroke: %.200r", content)
            return
        self._changed()

    def picture(self) -> Image.Image:
        """The drawing as the person sees it: dark ink on white, `size` pixels square, each
        stroke with its own pen width (so a thick pen gives thick ink)."""
        image = Image.new("L", (self.size, self.size), 255)
        draw = ImageDraw.Draw(image)
        for stroke, width in zip(self.strokes, self._widths):
            points = [tuple(p) for p in stroke]
            r = width / 2
            draw.line(points, fill=0, width=max(1, round(width)), joint="curve")
            for x, y in (points[0], points[-1]):  # round ends, as the page draws them
                draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
        return image

    # Commands ---------------------------------------------------------------------------
    def undo(self) -> None:
        """Remove the last stroke."""
        if self.strokes:
            self.strokes.pop()
            self._widths.pop()
            self._sync()
            self._changed()

    def clear(self) -> None:
        """Remove every stroke."""
        self.strokes, self._widths = [], []
        self._sync()
        self._changed()

    def _sync(self) -> None:
        """Send the drawing to the page (every view draws it again)."""
        self.canvas.drawing = [{"points": [list(p) for p in stroke], "width": width}
                               for stroke, width in zip(self.strokes, self._widths)]

    def _changed(self) -> None:
        self._drawing_callbacks([list(s) for s in self.strokes])
