"""The emotion view and the "make this face" game, with a fake camera and a fake clock: every
face boxed with its number, no face said, the heat map's refresh, and the game's scoring."""
import random
import re

import numpy as np
import pytest

from widgets import EmotionView, FaceGame
from widgets.common import camera_overlay
from widgets.face_game import FACE_WORDS

from helpers import FakeCamera, FakeTime

LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
FRAME = np.zeros((100, 200, 3), np.uint8)  # 100 rows, 200 columns
FACE = np.full((48, 48), 120, np.uint8)


def result(label, faces=1):
    """What the classifier gives for a frame showing `faces` faces, the largest making `label`."""
    if label == "none":
        return {"label": "none", "probabilities": {}, "box": None, "landmarks": [], "note": "", "boxes": [],
                "face": None}
    probabilities = {m: 0.7 if m == label else 0.05 for m in LABELS}
    boxes = [{"box": [20 + 60 * i, 10, 60 + 60 * i, 60], "label": label if i == 0 else "neutral", "score": 0.7,
              "number": i + 1} for i in range(faces)]
    return {"label": label, "probabilities": probabilities, "box": boxes[0]["box"], "landmarks": [], "note": "",
            "boxes": boxes, "face": FACE}


@pytest.fixture
def setup():
    camera, clock, shown, heat_calls = FakeCamera(), FakeTime(), [("happy", 1)], []

    def heat_map(face, label):
        heat_calls.append((clock.now, label))
        return np.linspace(0, 1, 25).reshape(5, 5)

    view = EmotionView(camera, lambda frame: result(*shown[0]), LABELS, heat_map=heat_map, clock=lambda: clock.now)
    return camera, clock, shown, heat_calls, view


def test_every_face_is_boxed_with_its_number_and_the_largest_gets_the_bars(setup):
    camera, clock, shown, _, view = setup
    shown[0] = ("surprise", 3)
    camera.send(FRAME)
    boxes = camera.overlay["boxes"]
    assert [b["label"] for b in boxes] == ["1: surprise", "2: neutral", "3: neutral"]
    assert boxes[0]["box"] == [0.1, 0.1, 0.3, 0.6]  # pixels -> 0-1 of the frame's width and height
    assert "surprise" in view.answer.value and view.bars.layout.visibility == "visible"
    assert 'data-label="surprise"' in view.bars.value and "70.0%" in view.bars.value


def test_no_face_is_said_and_nothing_is_drawn_or_guessed(setup):
    camera, clock, shown, heat_calls, view = setup
    camera.send(FRAME)
    shown[0] = ("none", 0)
    camera.send(FRAME)
    assert "No face in view" in view.answer.value and view.bars.layout.visibility == "hidden"
    assert camera.overlay["boxes"] == [] and view.heat_box.layout.display == "none"


def test_the_heat_map_is_refreshed_a_few_times_a_second(setup):
    camera, clock, shown, heat_calls, view = setup
    for _ in range(8):  # 8 frames in 1 s (0.125 s apart: exact in binary)
        camera.send(FRAME)
        clock.advance(0.125)
    assert [t - 100 for t, _ in heat_calls] == [0.0, 0.375, 0.75]  # at most every 0.3 s
    assert view.heat_box.layout.display == "flex" and view.heat_image.value[:2] == b"\xff\xd8"
    assert "happy" in view.heat_caption.value


def test_a_failing_heat_map_leaves_the_answer_and_says_why(setup):
    camera, clock, shown, heat_calls, view = setup

    def broken(face, label):
        raise ValueError("The face is too small")

    camera.send(FRAME)  # a map is shown
    assert view.heat_image.value and view.heat_box.layout.display == "flex"
    view.heat_map = broken
    clock.advance(1.0)
    camera.send(FRAME)
    assert "happy" in view.answer.value and "No heat map: The face is too small." in view.heat_caption.value
    assert view.heat_box.layout.display == "flex" and view.heat_image.value == b""  # said, not the old map


@pytest.mark.parametrize("options, said", [({"asked": []}, "one expression"), ({"hold_seconds": 0}, "held"),
                                           ({"hold_seconds": 10}, "held"), ({"asked": ["bored"]}, "'bored'")])
def test_a_game_that_cannot_be_played_is_refused_in_one_sentence(setup, options, said):
    camera, clock, shown, _, view = setup
    options = {"asked": LABELS, **options}
    with pytest.raises(ValueError, match=said):
        FaceGame(view, options.pop("asked"), **options)


def game(setup, **options):
    camera, clock, shown, _, view = setup
    return FaceGame(view, LABELS, clock=lambda: clock.now, call_later=clock.call_later, rng=random.Random(0),
                    **options)


def hold(camera, clock, seconds, fps=8):
    for _ in range(round(seconds * fps)):
        camera.send(FRAME)
        clock.advance(1 / fps)


def test_holding_the_face_for_a_second_scores(setup):
    camera, clock, shown, _, view = setup
    face_game = game(setup)
    face_game.play()
    target = face_game.target
    assert target in LABELS and re.search(r"Make an? <b[^>]*>\w+</b> face \(1/5\)", face_game.prompt.value)
    assert FACE_WORDS.get(target, target) in face_game.prompt.value
    shown[0] = (target, 1)
    hold(camera, clock, 0.5)  # frames at 0, 0.125, 0.25, 0.375 s
    assert face_game.score == 0 and "width:38%" in face_game.hold.value
    hold(camera, clock, 0.625)  # ... 0.5 to 1.0 s
    assert face_game.score == 1 and face_game.results[0] == (target, 1.0)
    assert "made in 1.0 s" in face_game.result.value and face_game.phase == "pause"
    clock.advance(1.0)
    assert face_game.phase == "asking" and "(2/5)" in face_game.prompt.value


def test_another_face_or_no_face_starts_the_hold_again(setup):
    camera, clock, shown, _, view = setup
    face_game = game(setup)
    face_game.play()
    target = face_game.target
    other = next(label for label in LABELS if label != target)
    for interruption in (other, "none"):
        shown[0] = (target, 1)
        hold(camera, clock, 0.875)
        shown[0] = (interruption, 1 if interruption != "none" else 0)
        hold(camera, clock, 0.125)
    assert face_game.score == 0 and "width:0%" in face_game.hold.value


def test_a_face_not_made_in_time_is_missed_and_a_round_has_five(setup):
    camera, clock, shown, _, view = setup
    face_game = game(setup, limit_seconds=5.0)
    face_game.play()
    asked = list(face_game.targets)
    assert len(asked) == 5 and len(set(asked)) == 5  # no repeats while there are enough expressions
    shown[0] = ("none", 0)
    clock.advance(5.0)
    assert face_game.results == [(asked[0], None)] and "not made in 5 s" in face_game.result.value
    clock.advance(1.0)
    for target in asked[1:]:  # the other four made at once
        shown[0] = (target, 1)
        hold(camera, clock, 1.125)
        clock.advance(1.0)
    assert face_game.score == 4 and face_game.phase == "idle"
    assert "You made 4 of 5 faces." in face_game.result.value and face_game.play_button.description == "Play again"
    face_game.play()
    assert face_game.results == [] and face_game.phase == "asking"


def test_closing_the_game_stops_its_timer_and_listening(setup):
    camera, clock, shown, _, view = setup
    face_game = game(setup)
    face_game.play()
    face_game.close()
    assert clock.timers == []
    shown[0] = (face_game.targets[0], 1)
    hold(camera, clock, 2)
    assert face_game.results == []


def test_a_game_needs_turns_and_expressions(setup):
    with pytest.raises(ValueError, match="at least one turn"):
        game(setup, turns=0)


@pytest.mark.parametrize("asked, said", [("angry", "Make an <b"), ("surprise", "surprised</b>"),
                                         ("happy", "Make a <b")])
def test_the_prompt_reads_as_english(setup, asked, said):
    camera, clock, shown, _, view = setup
    face_game = FaceGame(view, [asked], clock=lambda: clock.now, call_later=clock.call_later)
    face_game.play()
    assert said in face_game.prompt.value


def test_a_box_found_before_any_label_is_named_for_what_was_looked_for():
    overlay = camera_overlay((100, 200, 3), "none", {}, {"box": [20, 10, 60, 60]}, subject="face")
    assert [b["label"] for b in overlay["boxes"]] == ["face"]
