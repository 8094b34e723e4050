"""DrawingClassifier: a drawing pad bound to a classify function, with the answer and bars."""
from __future__ import annotations

import html
from typing import Callable

import ipywidgets as w
import numpy as np

from .common import expected, html_box, ink_png, notice, sentence, stylesheet
from .drawing_pad import DrawingPad
from .probability_bars import ProbabilityBars


class DrawingClassifier(w.HBox):
    """Draw on the pad; after each stroke `classify(strokes)` runs and the result shows.

    `classify` returns a label -> probability mapping, or an object with `.probabilities`
    (and optionally `.input`, the image the model saw); a ValueError it raises is shown as
    its one-sentence message. `prompt` is the sentence shown while the pad is empty.
    """

    def __init__(self, labels, classify: Callable, top: int | None = None, prompt: str = "Draw something.",
                 caption: str = ""):
        self.classify, self.prompt = classify, prompt
        self._result_callbacks = w.CallbackDispatcher()
        self.pad = DrawingPad()
        self.answer = html_box("mlexp-answer")
        self.status = html_box("mlexp-message")
        self.bars = ProbabilityBars(labels, top=top)
        self.seen = w.Image(format="png", layout=w.Layout(width="84px", height="84px"))
        self.seen.add_class("mlexp-seen")
        self.pad.on_drawing(self.update)
        side = w.VBox([self.answer, self.status, self.bars,
                       w.HBox([w.Label("What the model sees:"), self.seen]),
                       w.HTML(f"<small>{html.escape(caption)}</small>")])
        self.pad.layout.flex = "0 0 auto"  # never squeeze the pad: wrap the results below it
        super().__init__([stylesheet(), self.pad, side], layout=w.Layout(flex_flow="row wrap"))
        self.add_class("mlexp-classifier")
        self.update([])

    def _show(self, big: str, note: str, probabilities=None, seen: np.ndarray | None = None) -> None:
        """Show the answer, a note (or none), the input the model saw (blank if none) and the
        bars. The bars go last: they are what tests and benchmarks wait for."""
        self.seen.value = ink_png(np.zeros((28, 28)) if seen is None else seen)
        self.answer.value = f'<div class="big">{html.escape(big)}</div>'
        self.status.value = notice(note)
        self.bars.show(probabilities or {})

    def on_result(self, callback: Callable, remove: bool = False) -> None:
        """Call `callback(label, probabilities)` after each update: the best label and all
        probabilities, or (None, {}) when there is nothing to classify. `remove=True`
        unregisters it."""
        self._result_callbacks.register_callback(callback, remove=remove)

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
            except Exception as error:  # keep the dashboard alive whatever happens (a bug is logged)
                said = sentence(error)
                self._show("?", f"{said}." if expected(error) else
                           f"Something went wrong while recognizing the drawing: {said}.")
        self._result_callbacks(label, probabilities)
