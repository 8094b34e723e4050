"""Reading photos safely: a file path or the bytes of an upload -> a decoded PIL image, with one
sentence (`PhotoError`) for what cannot be read: an empty file, a file that is not an image, a
truncated or damaged one, an upload over the byte limit, or a picture over the pixel limit
(refused from its header, before anything is decoded: a decompression bomb never allocates).

`open_photo` keeps the picture as it is stored (mode, EXIF orientation); `upright_rgb` turns any
picture into what a model reads: EXIF rotation applied, transparency composited on white,
16-bit and float pictures scaled to 8 bits, greyscale, palette and CMYK converted to RGB.
`read_photo` is both. Animated GIF, WebP and multi-page TIFF files give their first frame."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mlexp.core.errors import MlexpError
from mlexp.core.files import byte_size

MAX_BYTES = 50 * 2**20  # uploads and files larger than this are refused before being read
MAX_PIXELS = 25_000_000  # pictures with more pixels are refused before decoding (JPEGs: read smaller)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}  # files taken for pictures
FORMATS = ("JPEG", "PNG", "BMP", "GIF", "WEBP", "TIFF")  # a phone's MPO file opens as JPEG


class PhotoError(MlexpError, ValueError):
    """A file or upload that cannot be read as a photo; the message says why, in one sentence."""


def _source(source, name: str | None, max_bytes: int):
    """(what Image.open reads, the name used in messages), refusing empty and oversized input."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = name or "The upload"
        size = len(source)
        opened = io.BytesIO(bytes(source))
    else:
        path = Path(source)
        name = name or str(path)
        try:
            size = path.stat().st_size
        except OSError as error:
            raise PhotoError(f"{name} could not be read ({error.strerror or error}).") from None
        opened = path
    if size == 0:
        raise PhotoError(f"{name} is empty (0 bytes): it holds no image.")
    if size > max_bytes:
        raise PhotoError(f"{name} is too large to read safely ({byte_size(size)}; "
                         f"the limit is {byte_size(max_bytes)}).")
    return opened, name


def open_photo(source, name: str | None = None, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
               min_side: int | None = None) -> Image.Image:
    """The picture in a file (path) or an upload (bytes), decoded, as stored (its first frame).

    A JPEG over `max_pixels` is decoded at 1/2, 1/4 or 1/8 scale by the JPEG decoder itself
    (a phone's 48-megapixel photo is read as 12); any other picture over it is refused from
    its header. With `min_side`, a JPEG is also decoded at the smallest of these scales that
    keeps its shorter side at least `min_side` (several times faster for a big photo); then
    `info["scale"]` is the number of the file's pixels per pixel of the picture returned.
    `name` is what messages call the input (default: the path, or "The upload")."""
    opened, name = _source(source, name, max_bytes)
    limit = f"over {max_pixels / 1e6:g} megapixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # ours is below
            with Image.open(opened, formats=FORMATS) as img:
                width, height = img.size
                if img.format in ("JPEG", "MPO"):
                    scale = next((s for s in (1, 2, 4, 8) if width * height / s**2 <= max_pixels), 8)
                    if min_side:
                        fits = [s for s in (2, 4, 8) if min(width, height) / s >= min_side]
                        scale = max([scale, *fits])
                    if scale > 1:
                        img.draft(img.mode, (width // scale, height // scale))
                if img.size[0] * img.size[1] > max_pixels:
                    raise PhotoError(f"{name} is too large to read safely ({width} x {height} pixels; "
                                     f"the limit is {max_pixels / 1e6:g} megapixels).")
                img.load()
                photo = img.copy()
                if photo.size != (width, height):
                    photo.info["scale"] = width / photo.width
                return photo
    except Image.DecompressionBombError:  # Pillow's own, at open, for far larger pictures
        raise PhotoError(f"{name} is too large to read safely ({limit}).") from None
    except UnidentifiedImageError:
        raise PhotoError(f"{name} is not an image file this program can read "
                         f"(JPEG, PNG, BMP, GIF, WebP, TIFF).") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        if isinstance(error, PhotoError):
            raise
        raise PhotoError(f"{name} could not be read as an image: it is truncated or damaged ({error}).") from None


def eight_bits(values: np.ndarray, sixteen_bit: bool = False) -> np.ndarray:
    """Pixel values as uint8, the rule of every picture here: 16-bit values (`sixteen_bit`, or
    integers over 255) scaled from 0-65535 (from their maximum if larger), floats of at most
    1.0 from 0-1, booleans to 0 or 255; the rest rounded and clipped to 0-255."""
    if values.dtype == np.uint8:
        return values
    a = np.asarray(values, dtype=np.float64)
    top = a.max(initial=0)
    if sixteen_bit or (values.dtype.kind in "iu" and top > 255):
        a = a / (65535.0 if top <= 65535 else top) * 255.0
    elif values.dtype.kind in "fb" and top <= 1.0:
        a = a * 255.0
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _eight_bits(img: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or float single-channel picture scaled to 8 bits ("L")."""
    return Image.fromarray(eight_bits(np.asarray(img), img.mode.startswith("I;16")), "L")


def upright_rgb(image: Image.Image) -> Image.Image:
    """Any picture as an upright RGB image: EXIF orientation applied, transparent parts made
    white, 16-bit or float pixels scaled to 8 bits, greyscale, palette and CMYK to RGB."""
    img = ImageOps.exif_transpose(image)
    if img.mode.startswith("I") or img.mode == "F":
        img = _eight_bits(img)
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img if img.mode == "RGB" else img.convert("RGB")


def read_photo(source, name: str | None = None, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
               min_side: int | None = None) -> Image.Image:
    """An upright RGB photo from a file path or the bytes of an upload (see `open_photo`)."""
    stored = open_photo(source, name, max_bytes, max_pixels, min_side)
    photo = upright_rgb(stored)
    if "scale" in stored.info:
        photo.info["scale"] = stored.info["scale"]
    return photo
