"""The teach dashboard in real Chromium through Voila: the fake camera plays a video whose first
half shows one real object (a cat) and whose second half another (a coffee cup); each is recorded
as a class by holding its button while it is in view, the model is trained in the page, and the
preview names what the camera shows. A denied camera still lets a person upload pictures."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from test_rps_browser import chromium
from test_vision_browser import choose_file, open_dashboard, picture

from mlexp.inputs.photos import read_photo
from mlexp.predictors.photo_classifier import real_photos

from camera_page import write_y4m

pytestmark = pytest.mark.browser
FPS, SECONDS = 10, 3  # each object shows for 3 s, then the other; the video loops
SIZE = (320, 240)
OBJECTS = {"cat": "skimage/chelsea.png", "cup": "skimage/coffee.png"}

# In the page: which object the preview shows now, by the mean colour of the video's frame.
SHOWS = """(means) => {
    const video = document.querySelector('.mlexp-camera-video');
    if (!video || video.readyState < 2) return -1;
    const canvas = document.createElement('canvas');
    canvas.width = 32; canvas.height = 24;
    const context = canvas.getContext('2d');
    context.drawImage(video, 0, 0, 32, 24);
    const pixels = context.getImageData(0, 0, 32, 24).data;
    const mean = [0, 0, 0];
    for (let i = 0; i < pixels.length; i += 4) for (let c = 0; c < 3; c++) mean[c] += pixels[i + c] / (32 * 24);
    const distance = (m) => m.reduce((sum, v, c) => sum + (v - mean[c]) ** 2, 0);
    return distance(means[0]) < distance(means[1]) ? 0 : 1;
}"""


def frames() -> tuple[list[np.ndarray], list[list[float]]]:
    photos = real_photos()
    if not all(key in photos for key in OBJECTS.values()):
        pytest.skip("scikit-image's photos are not installed")
    pictures = [np.asarray(read_photo(photos[key]).resize(SIZE, Image.BILINEAR)) for key in OBJECTS.values()]
    means = [p.reshape(-1, 3).mean(0).tolist() for p in pictures]
    return [p for p in pictures for _ in range(FPS * SECONDS)], means


def wait_until_shown(page, means, index: int) -> None:
    """Wait for the start of the video's half showing object `index` (the other one first)."""
    page.wait_for_function(f"() => ({SHOWS})({means}) === {1 - index}", timeout=20_000)
    page.wait_for_function(f"() => ({SHOWS})({means}) === {index}", timeout=20_000)


def said(page) -> str:
    return page.locator(".mlexp-teach > .mlexp-message").inner_text()


def test_record_two_objects_train_and_the_preview_names_each(server, playwright, tmp_path):
    pictures, means = frames()
    video = tmp_path / "two_objects.y4m"
    write_y4m(video, pictures, fps=FPS)
    browser = chromium(playwright, video)
    try:
        page, problems = open_dashboard(browser, server, "teach", ".mlexp-camera[data-state='live']")
        rows = page.locator(".mlexp-class-row")
        assert rows.count() == 2
        for index, name in enumerate(OBJECTS):
            rows.nth(index).locator("input[type='text']").fill(name)
            rows.nth(index).locator("input[type='text']").press("Enter")
            wait_until_shown(page, means, index)
            button = rows.nth(index).locator(".mlexp-hold-button")
            button.hover()
            page.mouse.down()
            page.wait_for_timeout(1800)  # within the 3 s the object shows
            page.mouse.up()
            page.wait_for_function("() => /has \\d+ samples/.test(document.querySelector("
                                   "'.mlexp-teach > .mlexp-message').innerText)")
            count = int(rows.nth(index).locator(".mlexp-samples-count").inner_text().split()[0])
            assert 8 <= count <= 22, f"{name}: {count} samples in 1.8 s (about 10 a second expected)"
            assert rows.nth(index).locator(".mlexp-sample img").count() == count
        page.locator(".mlexp-teach button", has_text="Train").click()
        page.wait_for_function("() => /Trained in/.test(document.querySelector('.mlexp-teach > .mlexp-message')"
                               ".innerText)", timeout=60_000)
        assert page.locator(".mlexp-curves svg polyline").count() == 4
        assert page.locator(".mlexp-confusion").count() == 1
        for index, name in enumerate(OBJECTS):  # the preview names what the camera shows, live
            page.wait_for_function(f"""() => ({SHOWS})({means}) === {index} &&
                document.querySelector('.mlexp-teach .mlexp-gesture').innerText.trim() === '{name}'""",
                                   timeout=20_000)
        picture(page, ".mlexp-teach .mlexp-gesture-row", "teach")  # the gallery's picture
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()


def test_a_denied_camera_still_lets_a_person_upload_pictures(server, playwright, tmp_path):
    photos = real_photos()
    if "skimage/chelsea.png" not in photos:
        pytest.skip("scikit-image's photos are not installed")
    browser = chromium(playwright, None)
    try:
        page, problems = open_dashboard(browser, server, "teach", ".mlexp-camera[data-state='error']")
        assert "permission was denied" in page.locator(".mlexp-camera-message").inner_text()
        first = page.locator(".mlexp-class-row").first
        files = [str(photos["skimage/chelsea.png"]), str(photos["skimage/coffee.png"])]
        choose_file(page, ".mlexp-class-row:first-child", files)  # two files at once
        page.wait_for_function("() => document.querySelector('.mlexp-class-row .mlexp-samples-count')"
                               ".innerText === '2 samples'", timeout=60_000)
        assert first.locator(".mlexp-sample img").count() == 2
        first.locator(".mlexp-sample-remove").first.click()
        page.wait_for_function("() => document.querySelector('.mlexp-class-row .mlexp-samples-count')"
                               ".innerText === '1 sample'")
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()
