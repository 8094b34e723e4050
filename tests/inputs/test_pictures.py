"""mlexp.inputs.pictures: every kind of picture gives the same RGB pixels; the square, letterbox
and box geometry; what is not a picture is one PhotoError sentence."""
import io

import numpy as np
import pytest
from PIL import Image

from mlexp.inputs.photos import PhotoError
from mlexp.inputs.pictures import crop_box, fit, letterbox, model_input, rgb_array, rgb_image, square_crop, square_image

RGB = np.random.default_rng(0).integers(0, 256, (12, 20, 3), dtype=np.uint8)
GREY = RGB[..., 0]


def png(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


def test_every_kind_of_colour_picture_gives_the_same_pixels(tmp_path):
    opaque = np.dstack([RGB, np.full(RGB.shape[:2], 255, np.uint8)])
    (tmp_path / "photo.png").write_bytes(png(Image.fromarray(RGB)))
    turned = Image.fromarray(np.rot90(RGB, 1))  # stored turned left; its EXIF tag says turn it right
    exif = turned.getexif()
    exif[0x0112] = 6
    kinds = {
        "RGB array": RGB, "PIL RGB": Image.fromarray(RGB), "PIL RGBA": Image.fromarray(opaque),
        "RGBA array": opaque, "float array 0-255": RGB.astype(np.float32), "float array 0-1": RGB / 255.0,
        "uint16 array": RGB.astype(np.uint16) * 257, "int64 array": RGB.astype(np.int64),
        "PNG bytes": png(Image.fromarray(RGB)), "file path": tmp_path / "photo.png",
        "file name": str(tmp_path / "photo.png"), "EXIF-turned PIL": Image.open(io.BytesIO(png(turned, exif=exif))),
        "non-contiguous array": np.asfortranarray(RGB),
    }
    for kind, picture in kinds.items():
        got = rgb_array(picture)
        assert got.dtype == np.uint8 and got.flags.c_contiguous, kind
        assert np.array_equal(got, RGB), kind
        assert np.array_equal(np.asarray(rgb_image(picture)), RGB), kind
    assert rgb_array(RGB) is RGB  # a camera frame is not copied


def test_every_kind_of_grey_picture_gives_the_same_pixels():
    expected = np.repeat(GREY[..., None], 3, axis=2)
    kinds = {"HxW": GREY, "HxWx1": GREY[..., None], "PIL L": Image.fromarray(GREY),
             "PIL I;16": Image.fromarray(GREY.astype(np.uint16) * 257), "uint16 HxW": GREY.astype(np.uint16) * 257,
             "PIL F 0-1": Image.fromarray(GREY.astype(np.float32) / 255), "float HxW 0-1": GREY / 255.0,
             "PIL F 0-255": Image.fromarray(GREY.astype(np.float32)), "float HxWx1": GREY[..., None] * 1.0}
    for kind, picture in kinds.items():
        assert np.array_equal(rgb_array(picture), expected), kind
    assert np.array_equal(rgb_array(GREY > 127), np.repeat(np.where(GREY > 127, 255, 0)[..., None], 3, 2))


def test_transparency_is_white_for_images_and_arrays_alike():
    rgba = np.dstack([RGB, np.linspace(0, 255, RGB.shape[1]).astype(np.uint8)[None].repeat(RGB.shape[0], 0)])
    from_image, from_array = rgb_array(Image.fromarray(rgba)), rgb_array(rgba)
    assert np.array_equal(from_image, from_array)
    assert (from_array[:, 0] == 255).all() and np.array_equal(from_array[:, -1], RGB[:, -1])
    assert square_image(Image.new("RGBA", (30, 20), (10, 20, 30, 0)), 16)[0, 0].tolist() == [255, 255, 255]


def test_square_image_pads_with_the_edges_and_keeps_the_middle():
    tall = np.zeros((90, 30, 3), np.uint8)
    tall[:, 0], tall[:, -1], tall[:, 1:-1] = (200, 0, 0), (0, 0, 200), (0, 200, 0)
    out = square_image(tall, 90)
    assert out.shape == (90, 90, 3) and out.dtype == np.uint8
    assert (out[:, :31] == (200, 0, 0)).all() and (out[:, -30:] == (0, 0, 200)).all()  # edges repeated
    assert (out[:, 31:59] == (0, 200, 0)).all()  # the picture itself, centred
    assert square_image(tall, 45).shape == (45, 45, 3)
    assert np.array_equal(square_image(Image.fromarray(tall), 45), square_image(tall, 45))
    assert np.array_equal(square_image(RGB[:5, :5], 5), RGB[:5, :5])  # square at size: as it is


def test_square_crop_repeats_the_edge_outside_the_picture():
    assert (square_crop(RGB, -30, -30, 10, 8) == RGB[0, 0]).all()  # wholly above-left: the corner pixel
    assert np.array_equal(square_crop(RGB, 2, 3, 5, 5), RGB[3:8, 2:7])
    inside = square_crop(RGB, 15, 0, 10, 10)  # half outside on the right: the last column repeated
    assert np.array_equal(inside[:, :5], RGB[:10, 15:]) and (inside[:, 5:] == inside[:, 4:5]).all()


def test_letterbox_fits_the_picture_at_a_corner_or_centred():
    wide = np.full((50, 100, 3), 90, np.uint8)
    square, scale = letterbox(wide, 64)
    assert square.shape == (64, 64, 3) and scale == 0.64
    assert (square[:32] == 90).all() and (square[32:] == 0).all()  # top-left, black below
    centred, same = letterbox(wide, 64, centre=True)
    assert same == scale and (centred[16:48] == 90).all() and (centred[:16] == 0).all() and (centred[48:] == 0).all()
    assert fit(100, 50, 64, centre=True) == (0.64, (64, 32), (0, 16)) and fit(100, 50, 64)[2] == (0, 0)
    assert fit(1, 1000, 10) == (0.01, (1, 10), (0, 0))  # never narrower than a pixel
    assert np.array_equal(letterbox(RGB, 20)[0][:12], RGB)  # already fits: not resized


def test_crop_box_and_model_input():
    assert crop_box(200, 100) == (56.25, 6.25, 143.75, 93.75)  # 87.5% of the shorter side, centred
    assert crop_box(200, 100, 1.0, -1, -1) == (0, 0, 100, 100) and crop_box(200, 100, 1.0, 1, 1) == (100, 0, 200, 100)
    photo = np.random.default_rng(1).integers(0, 256, (100, 200, 3), dtype=np.uint8)
    box = crop_box(200, 100, 1.0)
    pixels = model_input(photo, 32, box)
    assert pixels.shape == (32, 32, 3) and pixels.dtype == np.uint8
    assert np.array_equal(pixels, model_input(Image.fromarray(photo), 32, box))
    assert np.array_equal(model_input(photo, 100, (50, 0, 150, 100)), photo[:, 50:150])


@pytest.mark.parametrize("bad, says", [
    (np.zeros((4, 4, 2), np.uint8), "shape (4, 4, 2)"), (np.zeros(5), "shape (5,)"),
    (np.zeros((0, 5, 3)), "shape (0, 5, 3)"), (np.zeros((2, 2, 3, 1)), "shape (2, 2, 3, 1)"),
    (np.array([["a", "b"]]), "not a picture"), (None, "not a picture"), (3.5, "shape ()"),
    (b"not an image", "not an image file"),
])
def test_what_is_not_a_picture_is_one_sentence(bad, says):
    for function in (rgb_array, rgb_image, lambda x: square_image(x, 8), lambda x: letterbox(x, 8)):
        with pytest.raises(PhotoError, match=says.replace("(", r"\(").replace(")", r"\)")) as refused:
            function(bad)
        message = str(refused.value)
        assert isinstance(refused.value, ValueError) and "\n" not in message and message.endswith(".")
        assert message.count(". ") == 0, message


def test_a_colour_frame_can_be_required_and_a_smallest_size():
    for grey in (GREY, GREY[..., None]):
        with pytest.raises(PhotoError, match="expected an RGB image"):
            rgb_array(grey, grey=False)
    with pytest.raises(PhotoError, match="at least 2 pixels high and wide"):
        rgb_array(RGB[:1], min_side=2)
    with pytest.raises(PhotoError, match="at least 2 pixels"):
        rgb_image(Image.fromarray(RGB[:, :1]), min_side=2)
    assert rgb_array(RGB[:2, :2], min_side=2, grey=False).shape == (2, 2, 3)
