"""GestureView: a camera's frames recognized live (the label, the bars, the hand's box and
skeleton, or every face's box, drawn over the preview)."""
from __future__ import annotations

import html
import time
from collections import deque
from typing import Callable

import ipywidgets as w

from .common import camera_overlay, html_box, notice, sentence, stylesheet
from .probability_bars import ProbabilityBars


class GestureView(w.VBox):
    """Calls `classify(frame)` on each camera frame (an RGB uint8 array) and shows the result.

    `classify` returns {"label": a gesture or "none", "probabilities": {label: p}, "box":
    [x1, y1, x2, y2] or None, "landmarks": [[x, y], ...], "note": ""}, coordinates in the
    frame's pixels; the view draws the box and the skeleton (`connections`: pairs of landmark
    indices) over the preview, and `caption` (a line about the model) under the bars. The last
    `keep` labels are kept with their times (`recent`). A result may instead list "boxes" (every
    face, say: [{"box", "label", "score", "number"}]); `subject` names what is looked for ("hand",
    "face") in what the view says when there is none."""

    def __init__(self, camera, classify: Callable, labels, connections=(), caption: str = "", keep: int = 30,
                 clock: Callable[[], float] = time.monotonic, subject: str = "hand"):
        self.camera, self.classify, self.clock = camera, classify, clock
        self.connections = [[int(i), int(j)] for i, j in connections]
        self.recent: deque[tuple[float, str]] = deque(maxlen=keep)
        self.label: str | None = None
        self._callbacks = w.CallbackDispatcher()
        self._failure = ""
        self.subject = subject
        self.answer = html_box("mlexp-gesture", f'<span class="none">Show your {subject} to the camera.</span>')
        self.bars = ProbabilityBars(labels)
        self.bars.layout.visibility = "hidden"
        self.status = html_box("mlexp-message")
        camera.on_frame(self._frame)
        self._listening = True
        self.caption = html_box("mlexp-caption", f"<small>{html.escape(caption)}</small>" if caption else "")
        self.side = w.VBox([self.answer, self.bars, self.status, self.caption], layout=w.Layout(min_width="260px"))
        preview = [camera] if isinstance(camera, w.Widget) else []  # tests use a bare fake
        row = w.HBox(preview + [self.side], layout=w.Layout(flex_flow="row wrap", grid_gap="16px"))
        row.add_class("mlexp-gesture-row")
        super().__init__([stylesheet(), row])
        self.add_class("mlexp-gesture-view")
        self._status()

    def on_result(self, callback: Callable, remove: bool = False) -> None:
        """Call `callback(label, result)` after each frame is classified (`remove=True` unregisters)."""
        self._callbacks.register_callback(callback, remove=remove)

    def labels_since(self, since: float) -> list[str]:
        """The labels of the frames classified at or after time `since` (of this view's clock)."""
        return [label for t, label in self.recent if t >= since]

    def _frame(self, frame) -> None:
        try:
            result = self.classify(frame)
            label = str(result.get("label") or "none")
            probabilities = {str(k): float(p) for k, p in (result.get("probabilities") or {}).items()}
            overlay = camera_overlay(frame.shape, label, probabilities, result, self.connections, self.subject)
        except Exception as error:  # one sentence, and the next frame tries again (a bug is logged)
            self._failure = f"Could not recognize the last frame: {sentence(error)}."
            return self._status()
        self._failure = ""
        if label == "none":
            self.answer.value = f'<span class="none">No {self.subject} in view</span>'
            self.bars.layout.visibility = "hidden"
        else:
            note = result.get("note") or ""
            self.answer.value = (f'<span class="big">{html.escape(label)}</span>'
                                 + (f'<span class="note">{html.escape(note)}</span>' if note else ""))
            self.bars.show(probabilities)
            self.bars.layout.visibility = "visible"
        self.camera.overlay = overlay
        if hasattr(self.camera, "seen"):  # nobody in view for minutes: the camera stops (tests: a bare fake)
            self.camera.seen(label != "none")
        self._status()
        self.label = label
        self.recent.append((self.clock(), label))
        self._callbacks(label, result)

    def _status(self) -> None:
        """The last classification failure, or nothing (the camera shows its own errors)."""
        self.status.value = notice(self._failure)

    def close(self) -> None:
        """Stop listening to the camera (which the demo owns and may reuse)."""
        if self._listening:
            self._listening = False
            self.camera.on_frame(self._frame, remove=True)
        super().close()
