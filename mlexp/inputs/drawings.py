"""Model inputs from what people make: drawn strokes or images -> 28x28 arrays, made the way
each dataset's own images were made (RECIPES: "mnist", "quickdraw").

MNIST digits were made by scaling each digit's ink to fit a 20x20 box (keeping the aspect
ratio, anti-aliased) and placing it so its centre of mass sits at the centre of a 28x28 frame.
Strokes are re-drawn here with a fixed relative pen width, so the result does not depend on the
canvas size, the brush size, or where and how big the person drew.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from mlexp.core.errors import MlexpError
from mlexp.inputs.photos import PhotoError, open_photo
from mlexp.inputs.pictures import rgb_image

Stroke = Sequence[Sequence[float]]  # [(x, y), ...] in any units, y growing downward

FRAME = 28  # output side
BOX = 20  # side of the box the ink is scaled into
PEN = 2.2  # pen width in output pixels: gives the mean ink of MNIST digits (~102 of 784)
SUPERSAMPLE = 4
SCRIBBLE_INK = 330.0  # total ink of a 28x28 input above that of every MNIST digit (max 312)


class BadDrawing(MlexpError, ValueError):
    """A drawing or image that cannot be turned into a model input; the message says why."""


def _points(strokes: Iterable[Stroke]) -> list[np.ndarray]:
    arrays = []
    for stroke in strokes:
        a = np.asarray(stroke, dtype=np.float64).reshape(-1, 2) if len(stroke) else None
        if a is not None and np.isfinite(a).all():
            arrays.append(a)
    return arrays


def _center_of_mass_frame(ink: np.ndarray) -> np.ndarray:
    """Place a small ink image in a 28x28 frame with its centre of mass at the centre."""
    h, w = ink.shape
    total = ink.sum()
    cy = (ink.sum(axis=1) @ np.arange(h)) / total
    cx = (ink.sum(axis=0) @ np.arange(w)) / total
    top = int(round(FRAME / 2 - 0.5 - cy))
    left = int(round(FRAME / 2 - 0.5 - cx))
    frame = np.zeros((FRAME, FRAME), np.float32)
    # Clip the paste to the frame (only matters for extreme centres of mass).
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, FRAME), min(left + w, FRAME)
    frame[y0:y1, x0:x1] = ink[y0 - top : y1 - top, x0 - left : x1 - left]
    return frame


def _fit(strokes: Iterable[Stroke], box: float, pen: float, size: int, min_extent: float, what: str):
    """The strokes drawn white on black in a `size` square image: scaled so the drawing's longer
    side spans `box`, centred, with round `pen`-wide lines. Refuses empty drawings and dots."""
    arrays = _points(strokes)
    if not arrays:
        raise BadDrawing(f"The pad is empty: draw {what} first.")
    allpts = np.concatenate(arrays)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    extent = float((hi - lo).max())
    if extent <= min_extent or extent == 0:
        raise BadDrawing(f"That is only a dot: draw {what}.")
    scale = box / extent
    offset = (size - (hi - lo) * scale) / 2
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    r = pen / 2
    for a in arrays:
        pts = [tuple(p) for p in (a - lo) * scale + offset]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=int(round(pen)), joint="curve")
        for x, y in pts:  # round caps and joins
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return img


def strokes_to_mnist(strokes: Iterable[Stroke], min_extent: float = 0.0) -> np.ndarray:
    """28x28 float32 image in [0, 1] (1 = ink) from strokes, MNIST-style.

    `min_extent` is the smallest drawing size (in the strokes' units) that is not a dot.
    """
    s = SUPERSAMPLE
    img = _fit(strokes, (BOX - PEN) * s, PEN * s, BOX * s, min_extent, "a whole digit")
    return _crop_and_frame(np.asarray(img.reduce(s), np.float32) / 255.0)


def _crop_and_frame(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, scale the longer side to 20 px (anti-aliased), centre by mass; refuse
    a drawing with more ink than any digit."""
    rows, cols = np.nonzero(ink > 0.02)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = ink.shape
    if max(h, w) != BOX:
        k = BOX / max(h, w)
        size = (max(1, round(w * k)), max(1, round(h * k)))
        ink = np.asarray(
            Image.fromarray(ink, mode="F").resize(size, Image.Resampling.LANCZOS), np.float32
        )
        ink = np.clip(ink, 0, 1)
    frame = _center_of_mass_frame(ink)
    if frame.sum() > SCRIBBLE_INK:
        raise BadDrawing("That looks like a scribble, not a digit: clear the pad and try again.")
    return frame


def open_image(path) -> Image.Image:
    """Open an image file safely, as stored (`photos.open_photo`); BadDrawing says why it cannot."""
    try:
        return open_photo(path)
    except PhotoError as error:
        raise BadDrawing(str(error)) from None


def _ink(img: Image.Image) -> np.ndarray:
    """The ink of a picture of a drawing (either polarity) as floats in [0, 1], 1 = ink."""
    grey = np.asarray(rgb_image(img).convert("L"), np.float32) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) >= 0.5:  # a light background: dark ink
        grey, border = 1.0 - grey, 1.0 - border
    ink = grey - np.median(border)
    ink = np.clip(ink / max(float(ink.max()), 1e-6), 0, 1)
    ink[ink < 0.15] = 0
    if ink.max() == 0 or (ink > 0.5).sum() < 3:
        raise BadDrawing("The image is blank: there is no drawing in it.")
    return ink


def image_to_mnist(img: Image.Image) -> np.ndarray:
    """28x28 float32 image in [0, 1] from a picture of a digit (either polarity), MNIST-style."""
    return _crop_and_frame(_ink(img))


def strokes_to_quickdraw(strokes: Iterable[Stroke], min_extent: float = 0.0) -> np.ndarray:
    """28x28 float32 image in [0, 1] (1 = ink) from strokes, the way Google made Quick, Draw!'s
    bitmaps: the drawing scaled so its longer side spans 255 (as the simplified strokes do),
    centred in a 256 box, drawn with 16 px round strokes, padded by 24 px on every side
    (304x304) and box-filtered down to 28x28."""
    img = _fit(strokes, 255, 16, 304, min_extent, "the whole thing")
    return np.asarray(img.resize((FRAME, FRAME), Image.Resampling.BOX), np.float32) / 255.0


QUICKDRAW_SPAN = 271  # a Quick, Draw! drawing's ink spans 255 + a 16 px pen, in a 304 px frame
QUICKDRAW_PEN = 16


def _stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: a line of width w loses half its ink after w / 4
    erosions by one pixel on every side (blobs where strokes cross do not bias this much)."""
    solid = Image.fromarray(((ink > 0.5) * 255).astype(np.uint8))
    counts = [np.count_nonzero(np.asarray(solid))]
    while counts[-1] > counts[0] / 2 and len(counts) < 40:  # beyond 160 px it is a blot
        solid = solid.filter(ImageFilter.MinFilter(3))
        counts.append(np.count_nonzero(np.asarray(solid)))
    k = len(counts) - 1  # between k - 1 and k erosions: interpolate
    return 4.0 * (k - 1 + (counts[k - 1] - counts[0] / 2) / max(counts[k - 1] - counts[k], 1))


def _scaled(ink: np.ndarray, k: float) -> np.ndarray:
    size = (max(1, round(ink.shape[1] * k)), max(1, round(ink.shape[0] * k)))
    return np.clip(np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.Resampling.BILINEAR)), 0, 1)


def image_to_quickdraw(img: Image.Image) -> np.ndarray:
    """28x28 float32 image in [0, 1] from a picture of a sketch (either polarity), made like the
    strokes' recipe: the lines' span scaled to 255 px, their width changed to the 16 px pen,
    centred in 304 px, box-filtered to 28x28."""
    ink = _ink(img)
    rows, cols = np.nonzero(ink)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    blot = BadDrawing("The image holds only a dot or a blot: there is no sketch made of lines in it.")
    if max(ink.shape) < 8:
        raise blot
    ink = _scaled(ink, QUICKDRAW_SPAN / max(ink.shape))  # measure the lines at about Google's scale
    width = _stroke_width(ink)
    if width > QUICKDRAW_SPAN / 3:
        raise blot
    k = 255 / max(max(ink.shape) - width, QUICKDRAW_SPAN / 2)  # the lines, not their ink, span 255 px
    ink = _scaled(ink, k)
    frame = Image.new("F", (304, 304), 0)
    frame.paste(Image.fromarray(ink.astype(np.float32), mode="F"),
                ((304 - ink.shape[1]) // 2, (304 - ink.shape[0]) // 2))
    change = round(np.clip(QUICKDRAW_PEN - width * k, -32, 32))  # a blot stays a blot
    if abs(change) >= 2:  # a rank filter of size n moves each edge by (n - 1) / 2
        frame = frame.filter((ImageFilter.MaxFilter if change > 0 else ImageFilter.MinFilter)(abs(change) // 2 * 2 + 1))
    frame = np.clip(np.asarray(frame.resize((FRAME, FRAME), Image.Resampling.BOX), np.float32), 0, 1)
    if frame.mean() > 0.5:
        raise blot
    return frame


RECIPES = {"mnist": strokes_to_mnist, "quickdraw": strokes_to_quickdraw}
IMAGE_RECIPES = {"mnist": image_to_mnist, "quickdraw": image_to_quickdraw}
