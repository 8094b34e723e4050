"""DigitStrip: a row of digits drawn as a model makes them, each with a caption; StylePad: a
square to drag a dot through (x and y, each -1..1)."""
from __future__ import annotations

import base64
from pathlib import Path

import anywidget
import numpy as np
from traitlets import Float, Int, List, Unicode

from .common import ink_png

HERE = Path(__file__).parent


def sheet(frames: np.ndarray) -> str:
    """A data: URL of a PNG of pictures (frames, count, h, w) in [0, 1] (ink high), a row per
    frame, drawn dark on white."""
    frames = np.clip(np.asarray(frames, np.float32), 0, 1)
    if frames.ndim == 3:
        frames = frames[None]
    f, n, h, w = frames.shape
    grid = frames.transpose(0, 2, 1, 3).reshape(f * h, n * w)
    return "data:image/png;base64," + base64.b64encode(ink_png(grid)).decode()


class DigitStrip(anywidget.AnyWidget):
    """Shows `count` digits from `sheet` (see `sheet()`), playing its `frames` rows `ms` apart,
    then each caption ([{"text", "right"}]; a wrong one is marked). `show(frames, captions)`."""

    _esm = HERE / "digit_strip.js"
    sheet = Unicode("").tag(sync=True)
    count = Int(0).tag(sync=True)
    frames = Int(1).tag(sync=True)
    cell = Int(28).tag(sync=True)
    scale = Int(2).tag(sync=True)
    ms = Int(90).tag(sync=True)
    captions = List().tag(sync=True)
    empty = Unicode("").tag(sync=True)

    def show(self, frames: np.ndarray, captions=()) -> None:
        """Play pictures (frames, count, 28, 28), or show (count, 28, 28), with their captions
        ((text, right) pairs)."""
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        with self.hold_sync():
            self.frames, self.count = int(frames.shape[0]), int(frames.shape[1])
            self.captions = [{"text": text, "right": bool(right)} for text, right in captions]
            self.sheet = sheet(frames)

    def clear(self, empty: str = "") -> None:
        """Show no digits, only the sentence `empty`."""
        with self.hold_sync():
            self.count, self.captions, self.sheet, self.empty = 0, [], "", empty


class StylePad(anywidget.AnyWidget):
    """A `size`-pixel square; dragging its dot sets `x` and `y` (-1..1, y up) as it moves."""

    _esm = HERE / "style_pad.js"
    x = Float(0.0).tag(sync=True)
    y = Float(0.0).tag(sync=True)
    size = Int(168).tag(sync=True)
