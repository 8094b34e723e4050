"""The rock-paper-scissors dashboards in real Chromium through Voila, with Chromium's fake camera
playing a y4m the test writes: a held-out photo of a hand pasted into a real photo (one video
per gesture), the same photo with no hand, and a denied camera."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import mlexp
from mlexp.data.rps import RPS_LABELS, rps_files

from camera_page import (
    as_sent,
    box_pixels,
    chromium,
    hand_in_room,
    open_dashboard,
    shown,
    wait_for_frames,
    wait_for_label_and_box,
    write_y4m,
)
from voila_server import screenshot_folder, small_picture

pytestmark = pytest.mark.browser
RPS = [name for name, e in mlexp.EXPERIMENTS.items() if e.task == "hand-gesture"]
SIZE, AT, SIDE = (640, 480), (220, 130), 240  # the frame, where the hand goes, its size
PICTURED = {"rps_cnn": "scissors", "rps_mobilenet_v2": "rock", "rps_hand": "paper"}  # the gallery's pictures


def frame(data_dir, photo: Path | None) -> np.ndarray:
    """The camera's picture: the room with the hand photo pasted at AT, SIDE wide (or none)."""
    return hand_in_room(data_dir, photo, AT, SIDE, SIZE)[0]


def recognized_by_all(data_dir, label: str) -> Path:
    """A held-out photo of `label` that every variant names right when pasted into the room
    (the browser test checks the dashboard shows what the pipeline says, for each gesture)."""
    models = [mlexp.load(name) for name in RPS]
    for photo, index in rps_files("testing"):
        if RPS_LABELS[index] != label:
            continue
        sent = as_sent(frame(data_dir, photo))
        if all(_fresh(m).classify_frame(sent).label == label for m in models):
            return photo
    pytest.fail(f"no held-out {label} photo is recognized by every variant in the room")


def _fresh(model):
    model.finder.reset()
    return model


@pytest.mark.parametrize("label", RPS_LABELS)
def test_each_dashboard_names_the_gesture_and_boxes_the_hand(label, data_dir, server, playwright, tmp_path):
    video = tmp_path / f"{label}.y4m"
    write_y4m(video, [frame(data_dir, recognized_by_all(data_dir, label))] * 10)
    browser = chromium(playwright, video)
    try:
        for name in RPS:
            page, problems = open_dashboard(browser, server, name)
            # The front camera's preview is mirrored: the hand, pasted at x 220-460 of 640, shows at 180-420.
            mirrored = (1 - (AT[0] + SIDE) / SIZE[0], 1 - AT[0] / SIZE[0])
            wait_for_label_and_box(page, label, mirrored[0] - 0.05, mirrored[1] + 0.05)
            assert box_pixels(page, 0, mirrored[0] - 0.1) == 0 and box_pixels(page, mirrored[1] + 0.1, 1) == 0, name
            assert page.locator(".mlexp-bars").is_visible()
            if screenshot_folder() and PICTURED[name] == label:
                screenshot_folder().mkdir(parents=True, exist_ok=True)
                page.locator(".mlexp-rps").screenshot(path=str(screenshot_folder() / f"{name}.png"))
                small_picture(screenshot_folder() / f"{name}.png")
            if label == "rock" and name == RPS[0]:
                play_a_round(page, label)
            page.close()
            assert not problems, "\n".join(problems)
    finally:
        browser.close()


def play_a_round(page, label: str) -> None:
    """Press Play: the countdown runs, the computer's move shows at "shoot", the round ends."""
    page.locator("button.mlexp-play").click()
    page.wait_for_function("() => document.querySelector('.mlexp-rps-countdown').innerText.includes('shoot')")
    page.wait_for_function("() => /You: /.test(document.querySelector('.mlexp-rps-moves').innerText)")
    moves = page.locator(".mlexp-rps-moves").inner_text()
    assert f"You: {label}" in moves and "Computer: " in moves
    result = page.locator(".mlexp-result").inner_text()
    assert "A draw." in result or "win this round" in result
    score = page.locator(".mlexp-score").inner_text().split("best of")[0]
    assert sum(int(n) for n in re.findall(r"\d+", score)) == 1  # you + computer + draws: one round played
    expected = page.locator(".mlexp-rps-expected").inner_text()
    assert "I expected" in expected or "no guess" in expected


def test_no_hand_in_view_is_said_and_nothing_is_guessed(data_dir, server, playwright, tmp_path):
    video = tmp_path / "room.y4m"
    write_y4m(video, [frame(data_dir, None)] * 10)
    browser = chromium(playwright, video)
    try:
        for name in RPS:
            page, problems = open_dashboard(browser, server, name)
            wait_for_frames(page)
            assert shown(page) == "No hand in view"
            assert not page.locator(".mlexp-bars").is_visible()
            assert box_pixels(page, 0, 1) == 0
            page.close()
            assert not problems, "\n".join(problems)
    finally:
        browser.close()


def test_a_denied_camera_says_so_in_one_sentence(server, playwright):
    browser = chromium(playwright, None)
    try:
        page, _ = open_dashboard(browser, server, RPS[0])
        message = page.locator(".mlexp-camera-message")
        message.wait_for(state="visible")
        assert "permission was denied" in message.inner_text()
        page.locator("button.mlexp-play").click()  # the game says why no move was read, and carries on
        page.wait_for_function("() => /round not counted/.test(document.querySelector('.mlexp-result').innerText)")
    finally:
        browser.close()
