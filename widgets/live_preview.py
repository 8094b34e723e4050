"""LivePreview: the camera's preview and, beside it (below it on a phone), what the trained model
says of each frame: the class in big letters and every class's probability; a hand's box and
skeleton are drawn over the preview."""
from __future__ import annotations

import html

import ipywidgets as w

from .common import hand_overlay, html_box
from .probability_bars import ProbabilityBars

WAITING = '<span class="none">Train a model to see its answer here.</span>'


class LivePreview(w.HBox):
    """`camera` is a `widgets.Camera` (or a fake with `overlay`: tests use a bare one, not shown);
    `connections` the hand skeleton's pairs of landmark indices."""

    def __init__(self, camera, labels, connections=()):
        self.camera = camera
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
        no hand in it); the hand's box and skeleton over the preview."""
        probabilities, label = {}, "none"
        if reading is not None and head is not None:
            p = head.probabilities(reading.features[None])[0]
            probabilities = dict(zip(head.labels, p.tolist()))
            label = max(probabilities, key=probabilities.get)
        if head is not None and reading is None:
            self.answer.value = '<span class="none">No hand in view</span>'
        elif head is not None:
            self.answer.value = f'<span class="big">{html.escape(label)}</span>'
            self.bars.labels = list(head.labels)
            self.bars.show(probabilities)
        hand = getattr(reading, "hand", None)
        result = {"box": None if hand is None else hand.box,
                  "landmarks": None if hand is None else hand.landmarks[:, :2]}
        self.camera.overlay = hand_overlay(frame.shape, label, probabilities, result, self.connections)
        if hasattr(self.camera, "seen"):  # nobody in view for minutes: the camera stops
            self.camera.seen(reading is not None)
