"""Drawings for tests: generated digits as strokes in a unit box, placed anywhere; real
Quick, Draw! strokes from the mirror; scaling strokes onto the pad."""
from __future__ import annotations

import gzip
import json

import numpy as np
from PIL import Image, ImageDraw

from mlexp.data.quickdraw import drawing_strokes


def arc(cx, cy, rx, ry, start, stop, n=24):
    """`n` points on an ellipse arc from angle `start` to `stop` (degrees; with y growing
    downward, increasing angles turn clockwise)."""
    t = np.radians(np.linspace(start, stop, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# Each digit: strokes of (x, y) in [0, 1], y growing downward, drawn as a person would.
DIGITS = {
    "0": [arc(0.5, 0.5, 0.36, 0.5, -90, 275)],
    "1": [[(0.35, 0.15), (0.55, 0.0), (0.55, 1.0)]],
    "3": [arc(0.5, 0.25, 0.4, 0.25, -160, 90) + arc(0.5, 0.75, 0.45, 0.25, -90, 160)],
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


def to_pad(strokes, size=280, margin=40):
    """Strokes in any units scaled to fit the pad, as a person would draw them there."""
    pts = np.concatenate([np.asarray(s, float)[:, :2] for s in strokes])
    lo, extent = pts.min(0), max(float((pts.max(0) - pts.min(0)).max()), 1.0)
    k = (size - 2 * margin) / extent
    return [[tuple(np.round((np.asarray(p[:2], float) - lo) * k + margin, 1)) for p in s] for s in strokes]


def quickdraw_strokes(data_dir, category: str, raw: bool = False) -> list[dict]:
    """Real drawings of a category from the mirror, each a dict with "strokes" [[(x, y), ...]]
    and, for the raw format, "times" [[t_ms, ...]] per stroke and "recognized"."""
    folder = data_dir / "quickdraw_strokes" / ("raw" if raw else "simplified")
    path = folder / (category.replace(" ", "_") + (".ndjson.gz" if raw else ".ndjson"))
    with (gzip.open(path, "rt") if raw else open(path)) as f:
        records = [json.loads(line) for line in f]
    return [{"strokes": drawing_strokes(r),
             "times": [s[2] for s in r["drawing"]] if raw else None,
             "recognized": r.get("recognized", True)} for r in records]
