"""Camera: the browser's camera as a live preview in the page, its frames sent to Python.

The preview is a `<video>` in the page (smooth, local, mirrored for a front camera). Frames cross
to the kernel as JPEG bytes in the binary buffer of a custom message; Python acknowledges each
one after its callbacks ran, and the browser keeps at most one frame in flight, so a slow model
lowers the frame rate instead of queueing frames. Python can draw over the preview by setting
`overlay` (boxes, points, lines, a caption); no picture is ever sent back to the page.

The kernel keeps each camera to a fair share of the server's CPU (`frame_rate`): it lowers `rate`
(frames/s, at most `fps`) when the machine is busy and this camera uses more than its share,
and the browser sends no faster than `rate` (also sent in each ack). A hidden page sends nothing;
a dashboard that says what it sees (`seen`) lets the camera stop when nobody is in view.
"""
from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Callable

import anywidget
import numpy as np
from ipywidgets import CallbackDispatcher
from PIL import Image
from traitlets import Bool, Dict, Float, Int, List, Unicode, observe

from .common import log
from .frame_rate import ActiveCameras, FrameRateGovernor, MachineLoad, cpu_capacity

HERE = Path(__file__).parent
BAD_IMAGE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)  # what PIL raises


def decode_jpeg(data: bytes) -> np.ndarray:
    """(H, W, 3) uint8 RGB pixels of a JPEG (or any image PIL reads); OSError/ValueError if not."""
    with Image.open(io.BytesIO(data)) as image:
        return np.array(image.convert("RGB"))  # a writable array (np.asarray's would be read-only)


class Camera(anywidget.AnyWidget):
    """A live camera: preview, front/back toggle and camera chooser, frames to Python.

    `on_frame(callback, decoded=True)` registers `callback(frame)`: with `decoded=True` the frame
    is a numpy (H, W, 3) uint8 RGB array as the camera sees it (not mirrored like the preview),
    at most `max_width` pixels wide; with `decoded=False` it is the JPEG bytes (decode them
    yourself, or not at all). The browser sends at most `fps` frames per second and waits for
    the previous frame's callbacks to finish before sending the next one.

    `overlay` is drawn over the preview, coordinates from 0 to 1 of the frame:
    `{"boxes": [{"box": [x1, y1, x2, y2], "label": "rock", "score": 0.93, "color": "#1f6fc5"}],
    "points": [[x, y], ...], "lines": [[i, j], ...] (indices into points), "text": "caption"}`;
    `{}` clears it. `state` (starting | live | paused (page hidden) | stopped | error) and `error`
    (one sentence, shown in the widget) come from the browser. A frame that cannot be decoded reaches no callback: its
    sentence goes to `last_problem` and to the `on_problem` callbacks. `frames_received` counts
    every frame that arrived, skipped ones included.

    `rate` is the frames/s the kernel allows now (at most `fps`; `adaptive=False`, or the
    environment's MLEXP_CAMERA_GOVERNOR=0, keeps it at `fps`); each ack carries it too:
    `{"type": "ack", "id", "rate"}`. `seen(found)` after each frame says whether something was in
    view; after `away_after` seconds (0: never) with nothing, the camera stops and `notice` says
    so, with a button to start again.
    """

    _esm = HERE / "camera.js"
    running = Bool(True).tag(sync=True)           # False stops the camera, True starts it again
    facing_mode = Unicode("user").tag(sync=True)  # "user" (front, preview mirrored) | "environment"
    device_id = Unicode("").tag(sync=True)        # the chosen camera ("" = by facing_mode)
    devices = List().tag(sync=True)               # [{"id", "label"}] listed by the browser
    max_width = Int(320).tag(sync=True)           # frames are scaled down to at most this width
    fps = Float(15).tag(sync=True)                # at most this many frames per second are sent
    quality = Float(0.8).tag(sync=True)           # JPEG quality, 0 to 1
    state = Unicode("starting").tag(sync=True)    # set by the browser
    error = Unicode("").tag(sync=True)            # set by the browser: one sentence, "" when fine
    overlay = Dict().tag(sync=True)               # drawn by the browser over the preview
    rate = Float(15).tag(sync=True)               # frames/s the kernel allows now (<= fps)
    notice = Unicode("").tag(sync=True)           # set by Python: why it stopped ("" when not)
    adaptive = Bool(os.environ.get("MLEXP_CAMERA_GOVERNOR", "1") != "0")  # False: rate = fps (no governor)
    away_after = Float(180.0)                     # seconds with nothing seen before it stops (0: never)
    clock = time.monotonic                        # injectable: seconds (the governor, `seen`)
    cpu_clock = time.process_time                 # injectable: a frame's cost, CPU seconds

    def __init__(self, **kwargs):
        kwargs.setdefault("rate", kwargs.get("fps", Camera.fps.default_value))
        super().__init__(**kwargs)
        self.governor = FrameRateGovernor(self.fps, cpu_capacity(), clock=lambda: self.clock())
        self.machine = MachineLoad()                     # .busy(): the server's busy fraction
        self.cameras = ActiveCameras(self.model_id)      # .beat(), .count(), .leave()
        self._seen_at: float | None = None
        self._decoded = CallbackDispatcher()
        self._jpeg = CallbackDispatcher()
        self._problems = CallbackDispatcher()
        self._latest: bytes | None = None            # the latest JPEG received
        self._latest_array: np.ndarray | None = None  # ... decoded, once someone asked
        self.frames_received = 0
        self.last_problem = ""
        self.on_msg(self._on_message)

    def on_frame(self, callback: Callable, remove: bool = False, decoded: bool = True) -> None:
        """Call `callback(frame)` for every frame (an RGB array, or the JPEG bytes when
        `decoded=False`); `remove=True` unregisters it."""
        (self._decoded if decoded else self._jpeg).register_callback(callback, remove=remove)

    def on_problem(self, callback: Callable[[str], None], remove: bool = False) -> None:
        """Call `callback(sentence)` when a frame cannot be decoded."""
        self._problems.register_callback(callback, remove=remove)

    def seen(self, found: bool) -> None:
        """The last frame had something in view (a hand, a face, an object), or not; nothing in
        view for `away_after` seconds stops the camera with a sentence (`notice`)."""
        now = self.clock()
        if found or self._seen_at is None:
            self._seen_at = now
        elif self.away_after > 0 and self.running and now - self._seen_at >= self.away_after:
            self.notice = (f"Nobody has been in view for {_duration(self.away_after)}, so the camera was "
                           "turned off to leave the server to others: press Start again to go on.")
            self.running = False

    @observe("running")
    def _running_changed(self, change) -> None:
        if change["new"]:
            self.notice, self._seen_at = "", None

    @observe("fps", "adaptive")
    def _fps_changed(self, change) -> None:
        if hasattr(self, "governor"):
            self.governor.set_ceiling(self.fps)
            self.rate = self.governor.rate if self.adaptive else self.fps

    def close(self) -> None:
        if hasattr(self, "cameras"):
            self.cameras.leave()
        super().close()

    def snapshot(self) -> np.ndarray | None:
        """The latest frame received as an RGB array; None before the first one."""
        if self._latest_array is None and self._latest is not None:
            try:
                self._latest_array = decode_jpeg(self._latest)
            except BAD_IMAGE as error:
                self._latest = None
                self._problem(f"The latest camera frame could not be decoded ({type(error).__name__}).")
        return self._latest_array

    def _on_message(self, _widget, content, buffers) -> None:
        """The browser's custom messages: {"type": "frame", "id", "width", "height"} + a JPEG."""
        if not isinstance(content, dict) or content.get("type") != "frame":
            return
        started = self.cpu_clock()
        try:
            self._frame(bytes(buffers[0]) if buffers else b"")
        finally:  # always answer, or the browser waits for its safety timeout
            self._govern(self.cpu_clock() - started)
            self.send({"type": "ack", "id": content.get("id"), "rate": self.rate})

    def _govern(self, seconds: float) -> None:
        """Count the frame's cost; every few seconds, reconsider `rate` (frame_rate's rule)."""
        if not self.adaptive:
            return
        try:
            self.governor.frame(seconds)
            if self.governor.due():
                self.cameras.beat()
                rate = self.governor.check(self.machine.busy(), self.cameras.count())
                if rate != self.rate:
                    self.rate = rate
        except Exception:  # never lose the ack over the governor (a bug goes to the log)
            log.exception("The camera's frame-rate governor failed")

    def _frame(self, data: bytes) -> None:
        self.frames_received += 1
        try:
            if not data.startswith(b"\xff\xd8"):  # every JPEG starts so; cheap when nobody decodes
                raise ValueError("not a JPEG")
            array = decode_jpeg(data) if self._decoded.callbacks else None
        except BAD_IMAGE as error:
            self._problem(f"A camera frame was skipped: it could not be decoded as a JPEG ({type(error).__name__}).")
            return
        self._latest, self._latest_array = data, array
        self._jpeg(data)
        if array is not None:
            self._decoded(array)

    def _problem(self, sentence: str) -> None:
        self.last_problem = sentence
        self._problems(sentence)


def _duration(seconds: float) -> str:
    """"3 minutes", "90 seconds"."""
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} seconds"
