"""PhotoClassifierView: a photo (uploaded, a camera snapshot, or the camera live) classified,
with the region the model read drawn on the photo, the most likely classes as bars and a
slider that hides the classes below a probability."""
from __future__ import annotations

import html
from typing import Callable

import ipywidgets as w

from .common import REGION_COLOR, first_line, html_box, notice, picture, sentence, stylesheet
from .photo_picker import PhotoPicker
from .probability_bars import ProbabilityBars


class PhotoClassifierView(w.VBox):
    """`read(data: bytes, name: str)` -> a PIL image (raises ValueError with one sentence for a
    file it refuses); `classify(image)` -> {"label", "top": [(label, p), ...], "box": [x1, y1,
    x2, y2] or None} for a PIL image or an RGB array (a camera frame); `max_bytes`: the largest
    file the picker sends (larger ones are refused in the browser). `camera`: a
    `widgets.Camera` for snapshots and live mode (it may start with `running=False`: the browser
    then asks for the camera only at the first snapshot or Live), or None."""

    def __init__(self, read: Callable, classify: Callable, labels, camera=None, top: int = 5, caption: str = "",
                 max_bytes: int = 50 * 2**20):
        self.read, self.classify, self.camera = read, classify, camera
        self.upload = PhotoPicker(max_bytes=max_bytes)
        self.upload.on_file(self._uploaded)
        self.upload.on_problem(self._say)
        self.snapshot = w.Button(description="Take a snapshot", icon="camera", disabled=camera is None)
        self.snapshot.on_click(lambda _: self._snapshot())
        self.live = w.ToggleButton(description="Live", icon="video-camera", disabled=camera is None)
        self.live.observe(self._live, "value")
        self.minimum = w.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.01, readout_format=".0%",
                                     description="Hide below", style={"description_width": "initial"})
        self.minimum.observe(lambda _: self._show_bars(), "value")
        self.photo = w.Image(format="jpeg", layout=w.Layout(max_width="100%", width="auto"))
        self.photo.layout.display = "none"
        self.answer = html_box("mlexp-answer", '<span class="none">Choose a photo, or use the camera.</span>')
        self.bars = ProbabilityBars(labels, top=top)
        self.status = html_box("mlexp-message")
        self.caption = html_box("mlexp-caption", f"<small>{html.escape(caption)}</small>" if caption else "")
        self._top: list = []
        controls = w.HBox([self.upload] + ([self.snapshot, self.live] if camera is not None else []),
                          layout=w.Layout(flex_flow="row wrap", grid_gap="8px"))
        side = w.VBox([self.answer, self.bars, self.minimum, self.status, self.caption],
                      layout=w.Layout(min_width="260px"))
        views = ([camera] if isinstance(camera, w.Widget) else []) + [self.photo]
        if isinstance(camera, w.Widget) and not camera.running:
            camera.layout.display = "none"  # shown once started (first snapshot or Live)
        row = w.HBox([w.VBox(views, layout=w.Layout(flex="0 1 auto")), side],
                     layout=w.Layout(flex_flow="row wrap", grid_gap="16px"))
        super().__init__([stylesheet(), controls, row])
        self.add_class("mlexp-photo-view")

    def _say(self, text: str = "") -> None:
        self.status.value = notice(text)

    def show_photo(self, image) -> None:
        """Classify a PIL image or an RGB array and show it, its region and the classes."""
        try:
            result = self.classify(image)
        except Exception as error:  # one sentence, and the next photo tries again (a bug is logged)
            return self._say(f"Could not classify this photo: {sentence(error)}.")
        box = result.get("box")
        self.photo.value = picture(image, [(*box, "", REGION_COLOR)] if box is not None else [])
        self.photo.layout.display = ""
        self._top = [(str(label), float(p)) for label, p in result.get("top", [])]
        self.answer.value = f'<span class="big">{html.escape(str(result.get("label", "")))}</span>'
        self._show_bars()
        self._say()

    def _show_bars(self) -> None:
        self.bars.minimum = self.minimum.value
        if self._top:
            self.bars.show(dict(self._top))

    def _uploaded(self, data: bytes, name: str) -> None:
        try:
            image = self.read(data, name)
        except ValueError as error:
            return self._say(first_line(error) + ".")
        self.live.value = False
        self.show_photo(image)

    def _snapshot(self) -> None:
        """The camera's latest frame; a camera not started yet is started and its first frame taken."""
        self.live.value = False
        frame = self.camera.snapshot() if getattr(self.camera, "running", True) else None
        if frame is not None:
            return self.show_photo(frame)
        self._start_camera()
        self._say("Starting the camera: the snapshot is taken as soon as it sends a picture.")
        self.camera.on_frame(self._first_frame)

    def _start_camera(self) -> None:
        self.camera.running = True
        if isinstance(self.camera, w.Widget):
            self.camera.layout.display = ""

    def _first_frame(self, frame) -> None:
        self.camera.on_frame(self._first_frame, remove=True)
        self.show_photo(frame)

    def _frame(self, frame) -> None:
        self.show_photo(frame)

    def _live(self, change) -> None:
        if self.camera is None:
            return
        if change["new"]:
            self._start_camera()
        self.camera.on_frame(self._frame, remove=not change["new"])

    def close(self) -> None:
        """Stop listening to the camera (which the demo owns)."""
        if self.camera is not None and self.live.value:
            self.camera.on_frame(self._frame, remove=True)
        super().close()
