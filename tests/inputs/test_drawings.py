"""Drawing preprocessing: the same digit anywhere, any size or thickness, gives the same input."""
import numpy as np
import pytest
from PIL import Image

from mlexp.inputs.drawings import BadDrawing, image_to_mnist, open_image, strokes_to_mnist

from drawings import DIGITS, place, render


def centre_of_mass(x):
    total = x.sum()
    return (x.sum(1) @ np.arange(28)) / total, (x.sum(0) @ np.arange(28)) / total


def ink_box(x):
    rows, cols = np.nonzero(x > 0.05)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("digit", sorted(DIGITS))
def test_strokes_anywhere_any_size_give_the_same_input(digit):
    reference = strokes_to_mnist(place(DIGITS[digit], 40, 40, 200))
    for left, top, size in [(0, 0, 60), (200, 190, 70), (10, 150, 30), (5, 5, 270)]:
        other = strokes_to_mnist(place(DIGITS[digit], left, top, size))
        assert np.abs(other - reference).mean() < 0.002  # only rounding at stroke edges differs
        assert np.abs(other - reference).max() < 0.2
    cy, cx = centre_of_mass(reference)
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5
    assert max(ink_box(reference)) in (19, 20, 21)
    assert reference.min() >= 0 and reference.max() <= 1 and reference.dtype == np.float32


@pytest.mark.parametrize("digit", sorted(DIGITS))
def test_images_shifted_shrunk_thick_thin_are_centred_alike(digit):
    variants = [
        render(place(DIGITS[digit], 40, 40, 200), width=14),
        render(place(DIGITS[digit], 170, 10, 90), width=6),  # small, off-centre
        render(place(DIGITS[digit], 20, 130, 120), width=3),  # thin
        render(place(DIGITS[digit], 30, 30, 200), width=30),  # thick
        render(place(DIGITS[digit], 60, 40, 500), canvas=(640, 600), width=20),  # another canvas
    ]
    inputs = [image_to_mnist(v) for v in variants]
    for x in inputs:
        cy, cx = centre_of_mass(x)
        assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5
        assert max(ink_box(x)) in (19, 20, 21)
    # the same thickness at another place and size gives nearly the same input
    assert np.abs(inputs[0] - image_to_mnist(render(place(DIGITS[digit], 60, 20, 200), width=14))).mean() < 0.01


def test_mnist_digit_light_on_dark_is_kept_as_it_is():
    rng = np.random.default_rng(0)
    x = np.zeros((28, 28), np.uint8)
    x[4:24, 12:16] = 255  # a "1": 20 px tall, centred
    x[4:24, 11] = rng.integers(60, 200, 20)
    out = image_to_mnist(Image.fromarray(x))
    assert np.abs(out - x / 255.0).mean() < 0.03


def test_empty_dot_and_odd_strokes():
    with pytest.raises(BadDrawing, match="empty"):
        strokes_to_mnist([])
    with pytest.raises(BadDrawing, match="empty"):
        strokes_to_mnist([[], []])
    with pytest.raises(BadDrawing, match="dot"):
        strokes_to_mnist([[(100, 100)]])
    with pytest.raises(BadDrawing, match="dot"):
        strokes_to_mnist([[(100, 100), (102, 101)]], min_extent=8)
    # points that are not numbers are ignored; a single-point stroke is a dot of ink
    x = strokes_to_mnist([[(0, 0), (0, 100)], [(float("nan"), 3)], [(50, 50)]])
    assert x.sum() > 10


def test_blank_image_is_refused():
    with pytest.raises(BadDrawing, match="blank"):
        image_to_mnist(Image.new("L", (200, 200), 255))
    with pytest.raises(BadDrawing, match="blank"):
        image_to_mnist(Image.new("RGB", (50, 80), (20, 20, 20)))


def test_open_image_refuses_non_images_truncated_and_huge_files(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with pytest.raises(BadDrawing, match="not an image"):
        open_image(text)
    good = tmp_path / "good.png"
    render(place(DIGITS["7"], 40, 40, 200)).save(good)
    assert open_image(good).size == (280, 280)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BadDrawing, match="could not be read"):
        open_image(truncated)
    for size in [(20000, 20000), (6000, 5000)]:  # refused by Pillow itself, and by our own limit
        huge = tmp_path / f"huge-{size[0]}.png"
        Image.new("1", size, 1).save(huge)
        with pytest.raises(BadDrawing, match="too large"):
            open_image(huge)


def test_a_scribble_filling_the_pad_is_refused():
    scribble = [[(0, y), (279, y + 3)] for y in range(0, 280, 6)]
    with pytest.raises(BadDrawing, match="scribble"):
        strokes_to_mnist(scribble)
    with pytest.raises(BadDrawing, match="scribble"):
        image_to_mnist(render(place(scribble, 40, 40, 0.7)))  # scribbled over most of a photo
