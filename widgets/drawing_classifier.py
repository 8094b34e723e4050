"""DrawingClassifier: a drawing pad bound to a classify function, with the answer and bars."""
from __future__ import annotations

import html
import io
from typing import Callable

import ipywidgets as w
import numpy as np

from .drawing_pad import DrawingPad
from .probability_bars import ProbabilityBars


def notice(text) -> str:
    """The HTML of a one-sentence notice ('' for no text)."""
    return f'<p style="font-size:15px;color:#a33">{html.escape(str(text))}</p>' if str(text) else ""


def message(text: str) -> w.HTML:
    """A one-sentence notice (used instead of a traceback)."""
    box = w.HTML(notice(text))
    box.add_class("mlexp-message")
    return box


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray((255 * (1 - np.clip(image, 0, 1))).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


class DrawingClassifier(w.HBox):
    """Draw on the pad; after each stroke `classify(strokes)` runs and the result shows.

    `classify` returns a label -> probability mapping, or an object with `.probabilities`
    (and optionally `.input`, the image the model saw); a ValueError it raises is shown as
    its one-sentence message.
    """

    def __init__(self, labels, classify: Callable, top: int | None = None, prompt="Draw a digit.",
                 caption: str = ""):
        self.classify, self.prompt = classify, prompt
        self._listeners: list[Callable] = []
        self.pad = DrawingPad()
        self.answer = w.HTML()
        self.answer.add_class("mlexp-answer")
        self.status = message("")
        self.bars = ProbabilityBars(labels, top=top)
        self.seen = w.Image(format="png", layout=w.Layout(width="84px", height="84px",
                                                          border="1px solid #ccc"))
        self.seen.add_class("mlexp-seen")
        self.pad.on_drawing(self.update)
        side = w.VBox([self.answer, self.status, self.bars,
                       w.HBox([w.Label("What the model sees:"), self.seen]),
                       w.HTML(f'<small>{html.escape(caption)}</small>')])
        self.pad.layout.flex = "0 0 auto"  # never squeeze the pad: wrap the results below it
        super().__init__([self.pad, side], layout=w.Layout(flex_flow="row wrap"))
        self.update([])

    def _show(self, big: str, note: str, probabilities=None, seen: np.ndarray | None = None) -> None:
        """Show the answer, a note (or none), the input the model saw (blank if none) and the
        bars. The bars go last: they are what tests and benchmarks wait for."""
        self.seen.value = _png(np.zeros((28, 28)) if seen is None else seen)
        self.answer.value = f'<div style="font-size:64px;line-height:72px;font-weight:bold">{html.escape(big)}</div>'
        self.status.value = notice(note)
        self.bars.show(probabilities or {})

    def on_result(self, callback: Callable) -> None:
        """Call `callback(label, probabilities)` after each update: the best label and all
        probabilities, or (None, {}) when there is nothing to classify."""
        self._listeners.append(callback)

    def update(self, strokes) -> None:
        """Classify the strokes and show the result, or say why not."""
        label, probabilities = None, {}
        if not strokes:
            self._show("?", self.prompt)
        else:
            try:
                result = self.classify(strokes)
                probabilities = getattr(result, "probabilities", result)
                label = max(probabilities, key=probabilities.get)
                self._show(label, "", probabilities, getattr(result, "input", None))
            except ValueError as error:
                self._show("?", str(error))
            except Exception as error:  # keep the dashboard alive whatever happens
                self._show("?", f"Something went wrong while recognizing the drawing: {error}")
        for callback in self._listeners:
            callback(label, probabilities)
