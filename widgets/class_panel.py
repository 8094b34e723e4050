"""ClassPanel: one class of the teach view: its name, the hold-to-record button, the upload
button, remove, and the strip of its samples."""
from __future__ import annotations

import ipywidgets as w

from .hold_button import HoldButton
from .photo_picker import PhotoPicker
from .sample_strip import SampleStrip, Thumbnails


class ClassPanel(w.VBox):
    """The widgets of one class; `ClassList` wires them to the project."""

    def __init__(self, name: str):
        self.name = w.Text(name, placeholder="class name", layout=w.Layout(width="160px"))
        self.record = HoldButton(label="Hold to record")
        self.upload = PhotoPicker(label="Upload pictures", multiple=True)
        self.remove = w.Button(description="Remove class", icon="trash", layout=w.Layout(width="auto"))
        self.strip = SampleStrip()
        bar = w.HBox([self.name, self.record, self.upload, self.remove],
                     layout=w.Layout(flex_flow="row wrap", align_items="center", grid_gap="8px"))
        super().__init__([bar, self.strip])
        self.add_class("mlexp-class-row")

    def show(self, samples: list, thumbnails: Thumbnails) -> None:
        """The strip's count and the page of thumbnails it is on (newest first)."""
        offset = min(self.strip.offset, max(len(samples) - 1, 0))
        shown = list(reversed(samples))[offset:offset + self.strip.page]
        self.strip.thumbnails = [thumbnails.item(s, s.source) for s in shown]
        self.strip.count = len(samples)
