"""Reading photos safely: every format a person may drop, odd colour modes, EXIF rotation, and one
sentence for every file that cannot be read."""
import io
import os

import numpy as np
import pytest
from PIL import Image

from mlexp.inputs.drawings import BadDrawing, open_image
from mlexp.inputs.photos import MAX_BYTES, PhotoError, open_photo, read_photo, upright_rgb

from photo_files import bad_files, png_claiming

RED, BLUE = (220, 30, 30), (30, 30, 220)


def halves(size=(64, 48)) -> Image.Image:
    """Left half red, right half blue."""
    img = Image.new("RGB", size, BLUE)
    img.paste(RED, (0, 0, size[0] // 2, size[1]))
    return img


def colour(img: Image.Image, x: float, y: float) -> np.ndarray:
    """The mean colour around a point given as fractions of the width and height."""
    a = np.asarray(img, np.float64)
    h, w = a.shape[:2]
    return a[int(y * h) - 2 : int(y * h) + 3, int(x * w) - 2 : int(x * w) + 3].reshape(-1, 3).mean(0)


def near(a, b, tolerance=25):
    return np.abs(np.asarray(a, float) - np.asarray(b, float)).max() <= tolerance


@pytest.mark.parametrize("fmt, suffix", [("JPEG", "jpg"), ("PNG", "png"), ("BMP", "bmp"), ("GIF", "gif"),
                                         ("WEBP", "webp"), ("TIFF", "tif")])
def test_every_format_from_a_path_or_bytes(fmt, suffix, tmp_path):
    path = tmp_path / f"photo.{suffix}"
    halves().save(path, fmt)
    for source in (path, path.read_bytes()):
        photo = read_photo(source)
        assert photo.mode == "RGB" and photo.size == (64, 48)
        assert near(colour(photo, 0.25, 0.5), RED) and near(colour(photo, 0.75, 0.5), BLUE)


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (40, 30), c) for c in (RED, (30, 200, 30), BLUE)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:], duration=100)
    for name in ("anim.gif", "anim.webp"):
        assert near(colour(read_photo(tmp_path / name), 0.5, 0.5), RED)


def test_exif_rotation_is_applied(tmp_path):
    sideways = halves((60, 40)).transpose(Image.Transpose.ROTATE_90)  # red at the bottom, 40 x 60
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": red on the left again
    sideways.save(tmp_path / "phone.jpg", exif=exif.tobytes())
    stored = open_photo(tmp_path / "phone.jpg")
    assert stored.size == (40, 60)  # open_photo keeps the picture as stored
    photo = read_photo(tmp_path / "phone.jpg")
    assert photo.size == (60, 40)
    assert near(colour(photo, 0.25, 0.5), RED) and near(colour(photo, 0.75, 0.5), BLUE)


def test_cmyk_jpeg(tmp_path):
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")  # red ink
    assert open_photo(tmp_path / "cmyk.jpg").mode == "CMYK"
    assert near(colour(read_photo(tmp_path / "cmyk.jpg"), 0.5, 0.5), (255, 0, 0))


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (16, 1))
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    assert open_photo(tmp_path / "deep.png").mode.startswith("I")
    grey = np.asarray(read_photo(tmp_path / "deep.png"))[..., 0].astype(float)
    assert grey[:, 0].max() == 0 and grey[:, -1].min() == 255 and abs(grey[:, 32].mean() - 130) < 5


def test_transparency_is_composited_on_white(tmp_path):
    palette = Image.new("P", (40, 40), 0)
    palette.putpalette([0, 0, 0, *RED] + [0] * 762)
    palette.paste(1, (10, 10, 30, 30))  # a red square on transparent (black) index 0
    palette.save(tmp_path / "palette.png", transparency=0)
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    rgba.paste((*RED, 255), (10, 10, 30, 30))
    rgba.save(tmp_path / "rgba.png")
    for name in ("palette.png", "rgba.png"):
        photo = read_photo(tmp_path / name)
        assert near(colour(photo, 0.1, 0.1), (255, 255, 255), 0) and near(colour(photo, 0.5, 0.5), RED, 0)


def test_greyscale_and_bilevel(tmp_path):
    for mode, value in (("L", 100), ("1", 1), ("LA", (100, 255)), ("F", 0.5)):
        photo = upright_rgb(Image.new(mode, (20, 20), value))
        assert photo.mode == "RGB" and np.ptp(np.asarray(photo)[0, 0]) == 0


def test_bad_files_give_one_sentence_each(tmp_path):
    photo = halves((200, 150))
    for name, phrase in bad_files(tmp_path, photo).items():
        for source in (tmp_path / name, (tmp_path / name).read_bytes()):
            with pytest.raises(PhotoError) as refused:
                read_photo(source)
            message = str(refused.value)
            assert phrase in message and message.count(".") <= 3 and "\n" not in message, message
        with pytest.raises(BadDrawing, match=phrase.replace("(", r"\(").replace(")", r"\)")):
            open_image(tmp_path / name)  # the drawings' reader says the same
    assert "The upload is empty" in str(pytest.raises(PhotoError, read_photo, b"").value)


def test_too_large_uploads_and_files_are_refused_before_reading(tmp_path):
    data = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(data, "PNG")
    with pytest.raises(PhotoError, match=r"too large to read safely \(\d+ KiB; the limit is 1 KiB\)"):
        read_photo(data.getvalue(), max_bytes=1024)
    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as f:  # sparse: takes no disk space, and is never read
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(PhotoError, match=r"the limit is 50 MiB"):
        read_photo(huge)
    assert os.path.getsize(huge) > MAX_BYTES


def test_pixel_limit_refuses_from_the_header_but_reads_big_jpegs_smaller(tmp_path):
    with pytest.raises(PhotoError, match="20000 x 20000|over 25 megapixels"):
        read_photo(png_claiming(20000, 20000))
    halves((400, 300)).save(tmp_path / "big.png")
    with pytest.raises(PhotoError, match=r"400 x 300 pixels; the limit is 0.05 megapixels"):
        read_photo(tmp_path / "big.png", max_pixels=50_000)
    halves((400, 300)).save(tmp_path / "big.jpg")
    small = read_photo(tmp_path / "big.jpg", max_pixels=50_000)  # decoded at half scale by the JPEG decoder
    assert small.size == (200, 150) and near(colour(small, 0.25, 0.5), RED)


def test_big_jpegs_can_be_decoded_smaller_for_speed(tmp_path):
    halves((1200, 900)).save(tmp_path / "photo.jpg")
    full = read_photo(tmp_path / "photo.jpg")
    assert full.size == (1200, 900) and "scale" not in full.info
    small = read_photo(tmp_path / "photo.jpg", min_side=256)  # 1/4 would leave 225 < 256 pixels
    assert small.size == (600, 450) and small.info["scale"] == 2
    assert near(colour(small, 0.25, 0.5), RED) and near(colour(small, 0.75, 0.5), BLUE)
    halves((1200, 900)).save(tmp_path / "photo.png")
    assert read_photo(tmp_path / "photo.png", min_side=256).size == (1200, 900)  # only JPEGs
