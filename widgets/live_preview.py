"""LivePreview: the camera's preview and, beside it (below it on a phone), what the trained model
says of each frame: the class in big letters and every class's probability; a hand's box and
skeleton, or a face's box, are drawn over the preview."""
from __future__ import annotations

import html

import ipywidgets as w

from .common import camera_overlay, html_box
from .probability_bars import ProbabilityBars

WAITING = '<span class="none">Train a model to see its answer here.</span>'


class LivePreview(w.HBox):
    """`camera` is a `widgets.Camera` (or a fake with `overlay`: tests use a bare one, not shown);
    `connections` the hand skeleton's pairs of landmark indices; `subject` what the features are
    read from ("hand", "face", "" for the whole picture)."""

    def __init__(self, camera, labels, connections=(), subject: str = "hand"):
        self.camera, self.subject = camera, subject
        self.connections = [[int(i), int(j)] for i, j in connections]
        self.answer = html_box("mlexp-gesture", WAITING)
        self.bars = ProbabilityBars(labels)
        preview = [camera] if isinstance(camera, w.Widget) else []
        super().__init__(preview + [w.VBox([self.answer, self.bars], layout=w.Layout(min_width="240px"))],
                         layout=w.Layout(flex_flow="row wrap", grid_gap="16px"))
        self.add_class("mlexp-gesture-row")  # the preview and, beside it (or below on a phone), the answer

    def classes(self, labels, clear: bool = True) -> None:
        """The bars' classes (with `clear`, at 0)."""
        self.bars.labels = list(labels)
        if clear:
            self.bars.show({})

    def waiting(self) -> None:
        """No model yet: say how to get one; nothing over the preview."""
        self.answer.value = WAITING
        self.camera.overlay = {}

    def show(self, frame, reading, head) -> None:
        """What `head` (or None: no model yet) says of `reading` (the frame's features, or None:
        nothing to read in it); the hand's box and skeleton, or the face's box, over the preview."""
        probabilities, label = {}, "none"
        if reading is not None and head is not None:
            p = head.probabilities(reading.features[None])[0]
            probabilities = dict(zip(head.labels, p.tolist()))
            label = max(probabilities, key=probabilities.get)
        if head is not None and reading is None:
            self.answer.value = f'<span class="none">No {self.subject or "picture"} in view</span>'
        elif head is not None:
            self.answer.value = f'<span class="big">{html.escape(label)}</span>'
            self.bars.labels = list(head.labels)
            self.bars.show(probabilities)
        hand, face = getattr(reading, "hand", None), getattr(reading, "face", None)
        found = hand or face
        result = {"box": None if found is None else found.box,
                  "landmarks": None if hand is None else hand.landmarks[:, :2]}
        self.camera.overlay = camera_overlay(frame.shape, label, probabilities, result, self.connections,
                                             self.subject or "picture")
        if hasattr(self.camera, "seen"):  # nobody in view for minutes: the camera stops
            self.camera.seen(reading is not None)
