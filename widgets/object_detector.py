"""DetectionView: objects boxed live over the camera's preview (or on an uploaded photo), with
a score threshold, a class filter and a count per class."""
from __future__ import annotations

import html
from typing import Callable

import ipywidgets as w

from .common import first_line, html_box, notice, picture, sentence, stylesheet
from .photo_picker import PhotoPicker

COLORS = ("#1f6fc5", "#d9534f", "#2e8b57", "#e08e0b", "#7b4fc9", "#0f9bb3")


class DetectionView(w.VBox):
    """`detect(image, threshold, classes)` -> [{"label", "score", "box": [x1, y1, x2, y2]}] in
    the image's pixels, for a PIL image or an RGB array (a camera frame); `read(data, name)` ->
    a PIL image (ValueError with one sentence for a file it refuses); `labels`: the classes the
    filter offers; `threshold`: the slider's start; `max_bytes`: the largest file the picker
    sends. Each class keeps one colour, on the preview, on photos and in the counts."""

    def __init__(self, detect: Callable, read: Callable, labels, camera=None, threshold: float = 0.3,
                 caption: str = "", max_bytes: int = 50 * 2**20):
        self.detect, self.read, self.camera = detect, read, camera
        self.threshold = w.FloatSlider(value=threshold, min=0.05, max=0.95, step=0.05, description="Score at least",
                                       readout_format=".2f", style={"description_width": "initial"})
        self.classes = w.TagsInput(value=[], allowed_tags=list(labels), allow_duplicates=False,
                                   placeholder="only these classes (empty: all)")
        self.upload = PhotoPicker(max_bytes=max_bytes)
        self.upload.on_file(self._uploaded)
        self.upload.on_problem(lambda sentence: setattr(self.status, "value", notice(sentence)))
        self.photo = w.Image(format="jpeg", layout=w.Layout(max_width="100%", width="auto", display="none"))
        self.counts = html_box("mlexp-answer", '<span class="none">Nothing found yet.</span>')
        self.status = html_box("mlexp-message")
        self.caption = html_box("mlexp-caption", f"<small>{html.escape(caption)}</small>" if caption else "")
        self._colors: dict[str, str] = {}
        if camera is not None:
            camera.on_frame(self._frame)
        views = ([camera] if isinstance(camera, w.Widget) else []) + [self.photo]
        side = w.VBox([self.threshold, w.HTML("Classes:"), self.classes, self.upload, self.counts, self.status,
                       self.caption], layout=w.Layout(min_width="260px", max_width="420px"))
        row = w.HBox([w.VBox(views, layout=w.Layout(flex="0 1 auto", max_width="600px")), side],
                     layout=w.Layout(flex_flow="row wrap", grid_gap="16px"))
        super().__init__([stylesheet(), row])
        self.add_class("mlexp-detection-view")

    def _color(self, label: str) -> str:
        return self._colors.setdefault(label, COLORS[len(self._colors) % len(COLORS)])

    def _boxes(self, image) -> list[dict] | None:
        try:
            return list(self.detect(image, self.threshold.value, list(self.classes.value) or None))
        except Exception as error:  # one sentence, and the next frame tries again (a bug is logged)
            self.status.value = notice(f"Could not look at this picture: {sentence(error)}.")
            return None

    def _show_counts(self, boxes: list[dict]) -> None:
        counts: dict[str, int] = {}
        for b in boxes:
            counts[b["label"]] = counts.get(b["label"], 0) + 1
        self.counts.value = ("".join(f'<div><span class="swatch" style="background:{self._color(label)}"></span>'
                                     f'<b>{n}</b> {html.escape(label)}</div>' for label, n in
                                     sorted(counts.items(), key=lambda kv: -kv[1]))
                             or '<span class="none">Nothing above the threshold.</span>')
        self.status.value = ""

    def _frame(self, frame) -> None:
        boxes = self._boxes(frame)
        if boxes is None:
            return
        height, width = frame.shape[:2]
        size = (width, height) * 2
        self.camera.overlay = {"boxes": [{"box": [min(max(v / n, 0.0), 1.0) for v, n in zip(b["box"], size)],
                                          "label": b["label"], "score": float(b["score"]),
                                          "color": self._color(b["label"])} for b in boxes],
                               "points": [], "lines": [], "text": ""}
        if hasattr(self.camera, "seen"):  # nothing found for minutes: the camera stops
            self.camera.seen(bool(boxes))
        self._show_counts(boxes)

    def _uploaded(self, data: bytes, name: str) -> None:
        try:
            image = self.read(data, name)
        except ValueError as error:
            self.status.value = notice(first_line(error) + ".")
            return
        boxes = self._boxes(image)
        if boxes is None:
            return
        drawn = [(*b["box"], f'{b["label"]} {b["score"]:.2f}', self._color(b["label"])) for b in boxes]
        self.photo.value = picture(image, drawn)
        self.photo.layout.display = ""
        self._show_counts(boxes)

    def close(self) -> None:
        """Stop listening to the camera (which the demo owns)."""
        if self.camera is not None:
            self.camera.on_frame(self._frame, remove=True)
        super().close()
