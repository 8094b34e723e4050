"""The digit-writing dashboard driven as the browser drives it, on the shipped generator: a
digit picked plays a row drawn step by step with the recognizer's verdicts, the pad and the
morph, ten digits in the handwriting of a drawing, the mistakes hunted, and errors in one sentence."""
import base64
import io
import logging

import numpy as np
import pytest
from PIL import Image

import mlexp
from widgets import DigitWriterView, DrawingPad
from widgets.digit_strip import DigitStrip, sheet
from widgets.digit_writer_view import FRAMES

from drawings import DIGITS, place
from helpers import send


@pytest.fixture(scope="module")
def model():
    return mlexp.load("digits_generator")


@pytest.fixture
def view(model):
    return DigitWriterView(model, caption=model.describe())


def picture(url: str) -> np.ndarray:
    """The PNG of a data: URL as a grey array."""
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("L"))


def draw(view, digit: str, width: int) -> None:
    for stroke in place(DIGITS[digit], 40, 30, 130):
        send(view.drawing.canvas, type="stroke", points=[list(p) for p in stroke], width=width)


def test_a_sheet_has_a_row_per_step_and_a_column_per_digit():
    frames = np.zeros((3, 5, 28, 28))
    frames[2, 4, 10:12, 10:12] = 1
    grey = picture(sheet(frames))
    assert grey.shape == (3 * 28, 5 * 28) and grey[2 * 28 + 10, 4 * 28 + 10] == 0 and grey[0, 0] == 255


def test_picking_a_digit_plays_a_row_of_new_ones_with_their_verdicts(view, model):
    view.pick(7)
    assert (view.strip.count, view.strip.frames) == (8, FRAMES) and model.steps + 1 > FRAMES
    assert picture(view.strip.sheet).shape == (FRAMES * 28, 8 * 28)
    rows = picture(view.strip.sheet).reshape(FRAMES, 28, 8 * 28)
    assert np.abs(rows[0].astype(int) - rows[-1]).mean() > 5  # from noise to the digits
    captions = view.strip.captions
    assert len(captions) == 8 and sum(c["right"] for c in captions) >= 7
    assert all(c["text"].startswith("7 ") for c in captions if c["right"])
    assert "as 7s" in view.verdicts.value and view.status.value == ""
    first = view.strip.sheet
    view.more.click()
    second, seed = view.strip.sheet, view.seed
    assert second != first and view.label == 7  # fresh ones of the same digit
    view.buttons[7].click()
    assert view.strip.sheet not in (first, second)  # every press: fresh ones
    view.pick(7, seed=seed)
    assert view.strip.sheet == second  # the same seed, the same row


def test_the_pad_redraws_the_digit_where_the_dot_is(view):
    view.pick(2)
    centre = view.at_pad.value
    view.style_pad.x = 0.9
    assert view.at_pad.value != centre
    view.style_pad.x, view.style_pad.y = 0.0, 0.0
    assert view.at_pad.value == centre
    assert "A 2" in view.pad_note.value


def test_morph_shows_nine_steps_to_the_other_digit(view):
    view.pick(1)
    view.morph_to.value = "8"
    view.morph_button.click()
    captions = view.morph_strip.captions
    assert view.morph_strip.count == 9
    assert captions[0]["text"].startswith("1 ") and captions[-1]["text"].startswith("8 ")


def test_a_drawing_gets_ten_digits_in_its_handwriting(view):
    draw(view, "7", 18)
    assert view.handwriting.count == 10
    assert "reads your digit as a 7" in view.handwriting_note.value
    assert sum(c["right"] for c in view.handwriting.captions) >= 9
    view.drawing.clear()
    assert view.handwriting.count == 0 and "Draw one digit" in view.handwriting.empty


def test_the_hunt_shows_the_recognizers_mistakes_with_what_it_said(view):
    view.hunt(seed=3)
    assert "of 200 new digits fooled the recognizer" in view.hunt_note.value
    fooled = int(view.hunt_note.value.split("<p>")[1].split(" ")[0])
    assert view.mistakes.count == min(fooled, 8)
    for caption in view.mistakes.captions:
        asked, said = caption["text"].split(" ")[0], caption["text"].split(" ")[2]
        assert asked != said and not caption["right"]


class Broken:
    """A writer whose every method fails, as a bug or as odd input would."""

    def __init__(self, error):
        self.error = error

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise self.error
        return fail


def test_a_bug_is_one_sentence_on_the_page_and_a_traceback_in_the_log(caplog):
    with caplog.at_level(logging.ERROR, logger="mlexp.widgets"):
        view = DigitWriterView(Broken(RuntimeError("boom")))
        view.pick(4)
        view.hunt()
    assert "Something went wrong: boom." in view.status.value and "boom" in view.hunt_note.value
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)


def test_odd_input_is_its_own_sentence():
    view = DigitWriterView(Broken(ValueError("The label must be one digit, 0 to 9 (not 'x')")))
    view.pick(4)
    assert view.status.value.endswith(">The label must be one digit, 0 to 9 (not &#x27;x&#x27;).</p>")


def test_a_dot_is_said_and_nothing_is_written(model):
    view = DigitWriterView(model)
    send(view.drawing.canvas, type="stroke", points=[[100, 100], [102, 103]], width=14)  # a click
    assert view.handwriting.count == 0 and "only a dot" in view.handwriting_note.value


def test_the_pad_picture_keeps_the_pen_width():
    thin, thick = DrawingPad(size=200), DrawingPad(size=200)
    for pad, width in ((thin, 6), (thick, 24)):
        send(pad.canvas, type="stroke", points=[[40, 40], [160, 40], [90, 170]], width=width)
    dark = [(np.asarray(p.picture()) < 128).sum() for p in (thin, thick)]
    assert dark[1] > 3 * dark[0]


def test_a_strip_cleared_says_its_sentence():
    strip = DigitStrip()
    strip.show(np.zeros((2, 28, 28)), [("1 90%", True), ("2 50%", False)])
    assert strip.count == 2 and strip.captions[1] == {"text": "2 50%", "right": False}
    strip.clear("Nothing yet.")
    assert (strip.count, strip.sheet, strip.empty) == (0, "", "Nothing yet.")
