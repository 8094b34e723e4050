"""The teach dashboard in real Chromium through Voila: the fake camera plays a video whose first
half shows one real object (a cat) and whose second half another (a coffee cup); each is recorded
as a class by holding its button while it is in view, the model is trained in the page, and the
preview names what the camera shows. A long training (1,000 epochs) leaves the camera's frames
answered all along, and Stop ends one within a second. A denied camera still lets a person upload
pictures."""
from __future__ import annotations

from contextlib import contextmanager

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


def record_both(page, means) -> None:
    """Name the two classes after the objects and record each (its button held 1.8 s while the
    video shows it): about 10 samples a second."""
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


@contextmanager
def recorded(server, playwright, tmp_path):
    """(page, problems, the two objects' mean colours): the teach dashboard in Chromium, whose fake
    camera shows the two objects in turn, with both recorded as classes; the browser closes after."""
    pictures, means = frames()
    video = tmp_path / "two_objects.y4m"
    write_y4m(video, pictures, fps=FPS)
    browser = chromium(playwright, video)
    try:
        page, problems = open_dashboard(browser, server, "teach", ".mlexp-camera[data-state='live']")
        record_both(page, means)
        yield page, problems, means
    finally:
        browser.close()


def test_record_two_objects_train_and_the_preview_names_each(server, playwright, tmp_path):
    with recorded(server, playwright, tmp_path) as (page, problems, means):
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


# In the page: each time the message line changes, its text and when (performance.now(), the clock
# of the camera's frame timings).
WATCH_MESSAGES = """() => {
    const line = document.querySelector('.mlexp-teach > .mlexp-message');
    window.teachSaid = [];
    new MutationObserver(() => window.teachSaid.push({at: performance.now(), text: line.innerText}))
        .observe(line, {childList: true, subtree: true, characterData: true});
}"""
PRESS = """(label) => {  // press a button of the teach view; when it was pressed
    const button = [...document.querySelectorAll('.mlexp-teach button')].find(b => b.innerText.trim() === label);
    const at = performance.now();
    button.click();
    return at;
}"""


def said_at(page, pattern: str) -> tuple[float, str]:
    """Wait for the message line to match `pattern` (a JS regular expression); when it first did, and what."""
    found = f"(window.teachSaid || []).find(m => /{pattern}/.test(m.text))"
    page.wait_for_function(f"() => {found}", timeout=300_000)
    entry = page.evaluate(f"() => {found}")
    return entry["at"], entry["text"]


def acked_between(page, start: float, end: float) -> list[float]:
    """When the kernel acknowledged each camera frame it acknowledged between `start` and `end`."""
    return page.evaluate("([s, e]) => window.mlexpCameraTimings.filter(t => t.acked >= s && t.acked <= e)"
                         ".map(t => t.acked)", [start, end])


def test_a_long_training_leaves_the_camera_answered_and_stop_ends_it_within_a_second(server, playwright, tmp_path):
    """1,000 epochs train in slices on the kernel's event loop: the camera's frames keep being
    acknowledged all along (a kernel that trained in one go would answer none, and after 30 s the
    camera would turn itself off), and Stop ends the next training within a second."""
    with recorded(server, playwright, tmp_path) as (page, problems, _):
        page.locator(".mlexp-teach .widget-accordion", has_text="Advanced settings").locator(
            "text=Advanced settings").click()
        epochs = page.locator(".mlexp-teach .widget-inline-hbox", has_text="Epochs").locator("input")
        epochs.fill("1000")
        epochs.press("Enter")
        page.evaluate(WATCH_MESSAGES)

        started = page.evaluate(PRESS, "Train")
        ended, text = said_at(page, "Trained in|Stopped after|Something went wrong")
        assert text.startswith("Trained in"), text
        seconds = (ended - started) / 1000
        acked = acked_between(page, started, ended)
        gaps = np.diff([started, *acked, ended]) / 1000
        print(f"1,000 epochs in {seconds:.1f} s ({text}); {len(acked)} frames acknowledged meanwhile "
              f"({len(acked) / seconds:.1f}/s), the longest wait {gaps.max():.2f} s")
        assert seconds > 2, "the training was too short to tell"
        assert len(acked) >= 4 * seconds and gaps.max() < 1.0
        assert page.locator(".mlexp-camera").get_attribute("data-state") == "live"

        page.evaluate("() => { window.teachSaid = []; }")
        started = page.evaluate(PRESS, "Train")
        page.wait_for_timeout(800)  # well into the training (a model of the last one previews each frame)
        pressed = page.evaluate(PRESS, "Stop")
        stopped, text = said_at(page, "Trained in|Stopped after|Something went wrong")
        assert "of 1000 epochs" in text and "the model of epoch" in text, text
        print(f"Stop pressed {(pressed - started) / 1000:.1f} s into the training; stopped "
              f"{stopped - pressed:.0f} ms later: {text}")
        assert stopped - pressed < 1000
        acked = acked_between(page, started, stopped)
        assert len(acked) >= 3, f"{len(acked)} frames acknowledged while training"
        page.close()
        assert not problems, "\n".join(problems)


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
