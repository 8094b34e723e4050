"""Photo files for tests, made on the spot: every kind of bad input, and real photos (the data
mirror's, else scikit-image's, found by path) in odd forms; the mirror's photos with and without faces."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from mlexp.predictors.photo_classifier import real_photos

PEOPLE = {"face.jpg": 4, "grace_hopper.bmp": 1}  # faces in view (face.jpg: a group of four)
NO_FACE = ["bird.bmp", "cat.bmp", "cat_720p.jpg", "dog_segmentation.bmp", "dragonfly.bmp", "hot_dog.jpg", "owl.jpg",
           "parrot.jpg", "pets.jpg", "sunflower.bmp", "kite_and_cold.jpg"]  # kite: people far away, their backs turned


def photo(data_dir, name):
    """A photo of the mirror's images/ as an RGB array."""
    return np.asarray(Image.open(data_dir / "images" / name).convert("RGB"))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny real PNG whose header (IHDR) claims width x height pixels: a decompression bomb's
    header without its pixels (decoding it would fail as truncated, so a refusal that says "too
    large" was made from the header alone)."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    assert data[12:16] == b"IHDR"
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def bad_files(folder: Path, photo: Image.Image) -> dict[str, str]:
    """Write every kind of bad input into `folder`; {file name: a phrase its refusal must hold}."""
    (folder / "notes.jpg").write_text("this is not a picture")
    (folder / "empty.png").write_bytes(b"")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "bomb.png").write_bytes(png_claiming(20000, 20000))
    (folder / "big.png").write_bytes(png_claiming(6000, 5000))  # over our limit, under Pillow's own
    return {"notes.jpg": "not an image file", "empty.png": "empty (0 bytes)",
            "truncated.jpg": "truncated or damaged", "bomb.png": "too large to read safely (over 25 megapixels)",
            "big.png": "(6000 x 5000 pixels; the limit is 25 megapixels)"}


def real_photo(*names: str) -> tuple[str, Path] | None:
    """The first of `names` ("images/parrot.jpg", "skimage/chelsea.png") that is here, or None."""
    photos = real_photos()
    return next(((name, photos[name]) for name in names if name in photos), None)
