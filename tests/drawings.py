"""Generated drawings for tests: digits as strokes in a unit box, placed anywhere."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def _arc(cx, cy, rx, ry, start, stop, n=24):
    t = np.radians(np.linspace(start, stop, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# Each digit: strokes of (x, y) in [0, 1], y growing downward, drawn as a person would.
DIGITS = {
    "0": [_arc(0.5, 0.5, 0.36, 0.5, -90, 275)],
    "1": [[(0.35, 0.15), (0.55, 0.0), (0.55, 1.0)]],
    "3": [_arc(0.5, 0.25, 0.4, 0.25, -160, 90) + _arc(0.5, 0.75, 0.45, 0.25, -90, 160)],
    "4": [[(0.6, 0.0), (0.0, 0.65), (1.0, 0.65)], [(0.75, 0.3), (0.75, 1.0)]],
    "7": [[(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)]],
}


def place(strokes, left: float, top: float, size: float):
    """The strokes scaled to `size` pixels and moved to (left, top)."""
    return [[(left + x * size, top + y * size) for x, y in stroke] for stroke in strokes]


def render(strokes, canvas=(280, 280), width=14, ink=0, paper=255) -> Image.Image:
    """A picture of strokes as the pad would show it: dark ink on a light background."""
    img = Image.new("L", canvas, paper)
    draw = ImageDraw.Draw(img)
    for stroke in strokes:
        draw.line(stroke, fill=ink, width=width, joint="curve")
        for x, y in stroke:
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return img
