"""EmotionView: every face in the camera boxed with its expression, the bars of the largest face,
and what the network looks at on that face (a heat map over the face it read)."""
from __future__ import annotations

import html
import io
import time
from typing import Callable

import ipywidgets as w
import numpy as np
from PIL import Image

from .common import html_box, sentence
from .gesture_view import GestureView

HEAT_SIDE = 144  # pixels: the face and its heat map as shown


def heat_picture(face: np.ndarray, heat: np.ndarray, side: int = HEAT_SIDE) -> bytes:
    """JPEG of a grey face (H, W) with `heat` (a coarse grid of values in [0, 1], over the face's
    centre the network reads, leaving `border` of 1/12 of the side) laid over it in red."""
    face = Image.fromarray(np.asarray(face, np.uint8)).convert("RGB").resize((side, side), Image.Resampling.BILINEAR)
    border = round(side / 12)
    inner = side - 2 * border
    grid = Image.fromarray(np.uint8(255 * np.clip(heat, 0, 1))).resize((inner, inner), Image.Resampling.BILINEAR)
    alpha = np.zeros((side, side), np.float32)
    alpha[border:border + inner, border:border + inner] = 0.7 * np.asarray(grid, np.float32) / 255
    pixels = np.asarray(face, np.float32)
    red = np.array([230, 40, 30], np.float32)
    blended = pixels * (1 - alpha[..., None]) + red * alpha[..., None]
    out = io.BytesIO()
    Image.fromarray(np.uint8(blended)).save(out, "JPEG", quality=85)
    return out.getvalue()


class EmotionView(GestureView):
    """A GestureView for faces. `classify(frame)` also gives "face": the largest face as the
    network read it (48x48 grey), and `heat_map(face, label)` the grid of how much each part of it
    changes the answer; the map is refreshed at most every `heat_seconds`."""

    def __init__(self, camera, classify: Callable, labels, heat_map: Callable | None = None, caption: str = "",
                 heat_seconds: float = 0.3, clock: Callable[[], float] = time.monotonic):
        super().__init__(camera, classify, labels, caption=caption, clock=clock, subject="face")
        self.heat_map, self.heat_seconds = heat_map, heat_seconds
        self._heat_at = float("-inf")
        self.heat_image = w.Image(format="jpeg", layout=w.Layout(width=f"{HEAT_SIDE}px", height=f"{HEAT_SIDE}px"))
        self.heat_caption = html_box("mlexp-caption")
        self.heat_box = w.VBox([self.heat_caption, self.heat_image], layout=w.Layout(display="none"))
        self.heat_box.add_class("mlexp-heat")
        if heat_map is not None:
            self.side.children += (self.heat_box,)
        self.on_result(self._refresh_heat)

    def _refresh_heat(self, label: str, result) -> None:
        face = result.get("face")
        if self.heat_map is None or label == "none" or face is None:
            self.heat_box.layout.display = "none"
            return
        now = self.clock()
        if now - self._heat_at < self.heat_seconds:
            return
        self._heat_at = now
        try:
            heat = self.heat_map(face, label)
        except Exception as error:  # the label and bars stay; the map says why it is missing
            self.heat_caption.value = f"<small>No heat map: {html.escape(sentence(error))}.</small>"
            self.heat_image.value = b""  # not the last face's map under that sentence
            self.heat_box.layout.display = "flex"
            return
        self.heat_image.value = heat_picture(face, heat)
        self.heat_caption.value = (f"<small>What changes <b>{html.escape(label)}</b> most: covering the red "
                                   "parts of the face lowers its probability most.</small>")
        self.heat_box.layout.display = "flex"
