"""Any picture as pixels, and the few ways a model reads them: the one place where pictures
become RGB uint8 arrays.

`rgb_array(picture)` takes
- a PIL image of any mode (`photos.upright_rgb`: EXIF rotation applied, transparency on white,
  16-bit and float pictures scaled to 8 bits, greyscale, palette and CMYK to RGB);
- an array of any numeric dtype, grey (H, W) or (H, W, 1), RGB (H, W, 3) or RGBA (H, W, 4), such
  as a camera frame: values scaled by the same rule as the images' (`photos.eight_bits`: uint16
  from 0-65535, floats of at most 1.0 from 0-1, the rest rounded and clipped to 0-255), grey
  repeated into three channels, transparency composited on white;
- the bytes of an image file (an upload, a camera's JPEG frame) or a file path (`photos.read_photo`)
and gives an (H, W, 3) uint8 RGB array. `grey=False` refuses a greyscale array (where a colour
frame is expected, one channel is a mistake) and `min_side` a picture smaller than that; what
is not a picture is one `PhotoError` sentence.

Then the geometry, each a function of a picture: `square_image` (the shorter side padded to a
square by repeating the edge pixels, Lanczos resize: the rock-paper-scissors photos and hand
crops), `square_crop` (a square region that may leave the picture, edges repeated), `letterbox`
(scaled to fit a square, aspect kept, black around it: the detector and the palm detector),
`crop_box` and `model_input` (a square region resized bilinearly: the ImageNet crop)."""
from __future__ import annotations

import os

import numpy as np
from PIL import Image

from mlexp.inputs.photos import PhotoError, eight_bits, read_photo, upright_rgb

CROP = 0.875  # the usual ImageNet evaluation crop: the centre 224 of a photo's shorter side resized to 256


def _refuse(shape, min_side: int) -> PhotoError:
    least = f", at least {min_side} pixels high and wide" if min_side > 1 else ""
    return PhotoError(f"An image of shape {tuple(shape)} is not a photo "
                      f"(expected an RGB image, height x width x 3{least}).")


def _pixels(picture, min_side: int, grey: bool) -> np.ndarray:
    """An array picture as (H, W, 3) uint8 RGB."""
    a = np.asarray(picture)
    if a.dtype.kind not in "biuf":
        raise PhotoError(f"An array of {a.dtype} values is not a picture (expected numbers: height x width x 3).")
    shape = a.shape
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 and grey or a.ndim == 3 and a.shape[2] in (3, 4)) or min(a.shape[:2]) < max(min_side, 1):
        raise _refuse(shape, min_side)
    a = eight_bits(a, a.dtype == np.uint16)
    if a.ndim == 2:
        return np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:
        return np.asarray(upright_rgb(Image.fromarray(np.ascontiguousarray(a))))
    return np.ascontiguousarray(a)


def rgb_image(picture, min_side: int = 1, grey: bool = True) -> Image.Image:
    """Any picture (see the module) as an upright RGB PIL image."""
    if isinstance(picture, (bytes, bytearray, memoryview, str, os.PathLike)):
        picture = read_photo(picture)
    if isinstance(picture, Image.Image):
        photo = upright_rgb(picture)
        if min(photo.size) < max(min_side, 1):
            raise _refuse((photo.height, photo.width, 3), min_side)
        return photo
    return Image.fromarray(_pixels(picture, min_side, grey))


def rgb_array(picture, min_side: int = 1, grey: bool = True) -> np.ndarray:
    """Any picture (see the module) as an (H, W, 3) uint8 RGB array; an RGB uint8 array (a camera
    frame) is returned as it is (made contiguous)."""
    if isinstance(picture, np.ndarray) or not isinstance(picture, (Image.Image, bytes, bytearray, memoryview,
                                                                   str, os.PathLike)):
        return _pixels(picture, min_side, grey)
    return np.asarray(rgb_image(picture, min_side, grey))


def square_image(picture, size: int) -> np.ndarray:
    """Any picture -> (size, size, 3) uint8 RGB: the shorter side padded to a square, centred, by
    repeating the edge pixels (no black bars and no mirrored fingers), then resized with a Lanczos
    filter. The rock-paper-scissors photos (training, evaluation, the CLI) and live hand crops
    all go through this one function."""
    a = rgb_array(picture)
    h, w = a.shape[:2]
    if h != w:
        top, left = (w - h) // 2 if w > h else 0, (h - w) // 2 if h > w else 0
        a = np.pad(a, ((top, max(h, w) - h - top), (left, max(h, w) - w - left), (0, 0)), mode="edge")
    if a.shape[0] != size:
        a = np.asarray(Image.fromarray(a).resize((size, size), Image.Resampling.LANCZOS))
    return np.ascontiguousarray(a)


def square_crop(picture, x: int, y: int, side: int, size: int) -> np.ndarray:
    """(size, size, 3) uint8: the side x side square whose top-left corner is (x, y), the
    picture's edge pixels repeated where it leaves the picture, resized by `square_image`."""
    a = rgb_array(picture)
    n = max(int(side), 1)
    rows = np.clip(np.arange(y, y + n), 0, a.shape[0] - 1)
    cols = np.clip(np.arange(x, x + n), 0, a.shape[1] - 1)
    return square_image(a[rows][:, cols], size)


def rotated_crop(image: np.ndarray, cx: float, cy: float, side: float, angle: float, size: int) -> Image.Image:
    """The size x size picture of the side x side square of an (H, W, 3) uint8 image centred on (cx, cy)
    and turned by `angle` (radians, image y down): crop pixel (u, v) is the image's point
    centre + R(angle) ((u, v) - size/2) side/size (bilinear; black outside the image)."""
    c, s, k = np.cos(angle), np.sin(angle), side / size
    half = size / 2 * k
    affine = (c * k, -s * k, cx - half * (c - s), s * k, c * k, cy - half * (s + c))
    return Image.fromarray(image).transform((size, size), Image.AFFINE, affine, Image.BILINEAR)


def fit(width: int, height: int, size: int, centre: bool = False):
    """How a width x height picture fits a size x size square, aspect kept: (scale (square pixels
    per picture pixel), (width, height) scaled, (left, top) where it goes: the top-left corner,
    or centred)."""
    scale = size / max(width, height)
    scaled = (max(1, round(width * scale)), max(1, round(height * scale)))
    corner = ((size - scaled[0]) // 2, (size - scaled[1]) // 2) if centre else (0, 0)
    return scale, scaled, corner


def letterbox(picture, size: int, centre: bool = False) -> tuple[np.ndarray, float]:
    """The picture scaled (aspect kept, bilinear) to fit a size x size square, at its top-left
    corner (or centred), the rest black; and the scale (square pixels per picture pixel)."""
    rgb = rgb_array(picture)
    h, w = rgb.shape[:2]
    scale, (sw, sh), (left, top) = fit(w, h, size, centre)
    square = np.zeros((size, size, 3), np.uint8)
    square[top:top + sh, left:left + sw] = rgb if (sw, sh) == (w, h) else np.asarray(
        Image.fromarray(rgb).resize((sw, sh), Image.Resampling.BILINEAR))
    return square, scale


def crop_box(width: int, height: int, fraction: float = CROP, dx: float = 0.0,
             dy: float = 0.0) -> tuple[float, float, float, float]:
    """(x1, y1, x2, y2) of a square `fraction` of the shorter side, centred, or shifted by dx, dy
    (-1: against the left/top edge, 1: the right/bottom edge)."""
    side = min(width, height) * fraction
    x = (width - side) / 2 * (1 + dx)
    y = (height - side) / 2 * (1 + dy)
    return (x, y, x + side, y + side)


def model_input(picture, size: int, box) -> np.ndarray:
    """(size, size, 3) uint8: the `box` (x1, y1, x2, y2, in the upright picture's pixels) of a
    picture resized with a bilinear filter (which averages over every pixel it shrinks, so
    nothing aliases). An RGB PIL image is read as it is (no copy)."""
    photo = picture if isinstance(picture, Image.Image) and picture.mode == "RGB" else rgb_image(picture)
    return np.asarray(photo.resize((size, size), Image.Resampling.BILINEAR, box=tuple(box)))
