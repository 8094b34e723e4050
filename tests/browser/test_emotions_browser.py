"""The emotions dashboard in real Chromium through Voila, its fake camera playing a y4m the test
writes: a real face photo in a real room (boxed, its expression named, the heat map shown, the
game asking for a face, nothing wider than a phone), the room alone ("no face in view"), and a denied camera."""
from __future__ import annotations

import pytest

import mlexp

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
from voila_server import picture_and_phone

pytestmark = pytest.mark.browser
SIZE, AT, WIDTH = (640, 480), (230, 40), 200  # the frame, where the face photo goes, its width


def face_in_room(data_dir):
    """The camera's picture: Grace Hopper's photo in a room where the finder sees no face."""
    return hand_in_room(data_dir, data_dir / "images" / "grace_hopper.bmp", AT, WIDTH, SIZE)[0]


def test_a_face_is_boxed_with_its_expression_and_what_the_model_looks_at(data_dir, server, playwright, tmp_path):
    picture = face_in_room(data_dir)
    (face,) = mlexp.load("emotions").classify_frame(as_sent(picture)).faces  # what the kernel will say
    x1, x2 = face.box[0] / 320, face.box[2] / 320
    left, right = 1 - x2, 1 - x1  # the front camera's preview is mirrored
    video = tmp_path / "face.y4m"
    write_y4m(video, [picture] * 10)
    browser = chromium(playwright, video)
    try:
        page, problems = open_dashboard(browser, server, "emotions")
        wait_for_label_and_box(page, face.label, left - 0.03, right + 0.03)
        assert box_pixels(page, 0, left - 0.08) == 0 and box_pixels(page, right + 0.08, 1) == 0
        assert page.locator(".mlexp-bars").is_visible()
        page.locator(".mlexp-heat img").wait_for(state="visible")
        assert face.label in page.locator(".mlexp-heat").inner_text()
        page.locator("button.mlexp-play").click()
        page.wait_for_function("() => /Make an? .+ face \\(1\\/5\\)/.test("
                               "document.querySelector('.mlexp-face-prompt').innerText)")
        picture_and_phone(page, "emotions", ".mlexp-face-game", shrink=True)  # on a phone the bars go under
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()


def test_no_face_in_view_is_said_and_nothing_is_guessed(data_dir, server, playwright, tmp_path):
    video = tmp_path / "room.y4m"  # people far away, their backs turned: no face
    write_y4m(video, [hand_in_room(data_dir, None, size=SIZE)[0]] * 10)
    browser = chromium(playwright, video)
    try:
        page, problems = open_dashboard(browser, server, "emotions")
        wait_for_frames(page)
        assert shown(page) == "No face in view"
        assert not page.locator(".mlexp-bars").is_visible() and not page.locator(".mlexp-heat img").is_visible()
        assert box_pixels(page, 0, 1) == 0
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()


def test_a_denied_camera_says_so_in_one_sentence(server, playwright):
    browser = chromium(playwright, None)
    try:
        page, _ = open_dashboard(browser, server, "emotions")
        message = page.locator(".mlexp-camera-message")
        message.wait_for(state="visible")
        assert "permission was denied" in message.inner_text()
        assert shown(page) == "Show your face to the camera."
    finally:
        browser.close()
