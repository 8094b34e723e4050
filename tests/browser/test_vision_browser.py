"""The photo-classification and object-detection dashboards in real Chromium through Voila: a
real photo uploaded through the file chooser, and Chromium's fake camera playing a y4m made
from a real photo."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from test_rps_browser import box_pixels, chromium

import mlexp

from camera_page import photo, write_y4m
from voila_server import screenshot_folder, small_picture, watch

pytestmark = pytest.mark.browser


def open_dashboard(browser, server, name, ready: str):
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.set_default_timeout(60_000)
    problems = watch(page, server.url)
    page.goto(f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}")
    page.locator(ready).wait_for()
    return page, problems


def choose_file(page, selector: str, files) -> None:
    """Click the picker's button and pick `files` in the file chooser it opens."""
    with page.expect_file_chooser() as chooser:
        page.locator(f"{selector} .mlexp-photo-picker-button").click()
    chooser.value.set_files(files)


def drop_file(page, selector: str, data: bytes, name: str) -> None:
    """Drop a file on the picker, as a file dragged from the desktop arrives."""
    transfer = page.evaluate_handle("""([bytes, name]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], name, { type: "image/jpeg" }));
        return transfer; }""", [list(data), name])
    page.dispatch_event(f"{selector} .mlexp-photo-picker", "drop", {"dataTransfer": transfer})


def noise_png(side: int) -> bytes:
    """A PNG of random pixels: about 3 bytes a pixel, as no compression helps."""
    out = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (side, side, 3), np.uint8)).save(out, "PNG")
    return out.getvalue()


def wait_for_text(page, selector: str, pattern: str) -> None:
    page.wait_for_function(f"() => /{pattern}/.test(document.querySelector('{selector}').innerText)")


def picture(page, selector: str, name: str) -> None:
    if screenshot_folder():
        screenshot_folder().mkdir(parents=True, exist_ok=True)
        page.locator(selector).screenshot(path=str(screenshot_folder() / f"{name}.png"))
        small_picture(screenshot_folder() / f"{name}.png")


def test_an_uploaded_photo_is_named_with_the_region_it_read(data_dir, server, playwright):
    browser = chromium(playwright, None)  # a denied camera: uploads still work
    try:
        page, problems = open_dashboard(browser, server, "image_classification", ".mlexp-photo-view")
        choose_file(page, ".mlexp-photo-view", str(data_dir / "images" / "parrot.jpg"))
        answer, message = ".mlexp-photo-view .mlexp-answer", ".mlexp-photo-view .mlexp-message"
        page.wait_for_function(f"() => document.querySelector('{answer}').innerText.includes('macaw')")
        rows = page.locator(".mlexp-photo-view .mlexp-bars tr")
        assert rows.count() == 5 and "macaw" in rows.first.inner_text()
        assert page.locator(".mlexp-photo-view img").first.is_visible()  # the photo, with its region outlined
        picture(page, ".mlexp-photo-view", "image_classification")
        not_a_photo = {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}
        choose_file(page, ".mlexp-photo-view", [not_a_photo])
        page.wait_for_function(f"() => document.querySelector('{message}').innerText.length > 0")
        assert "not an image file" in page.locator(message).inner_text()
        assert "macaw" in page.locator(answer).inner_text()  # nothing lost
        drop_file(page, ".mlexp-photo-view", (data_dir / "images" / "cat.bmp").read_bytes(), "cat.bmp")
        wait_for_text(page, answer, "cat")
        assert page.locator(message).inner_text() == ""
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()


def test_the_camera_sees_the_dogs_boxed_over_the_preview(data_dir, server, playwright, tmp_path):
    video = tmp_path / "pets.y4m"
    write_y4m(video, [photo(data_dir / "images" / "pets.jpg")] * 10)
    browser = chromium(playwright, video)
    try:
        page, problems = open_dashboard(browser, server, "object_detection", ".mlexp-camera")
        counts = ".mlexp-detection-view .mlexp-answer"
        page.wait_for_function(f"() => /2\\s*dog/.test(document.querySelector('{counts}').innerText)")
        assert box_pixels(page, 0, 1) > 100  # the boxes are drawn over the preview
        picture(page, ".mlexp-detection-view", "object_detection")
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()


def test_a_photo_over_the_websocket_limit_arrives_and_one_over_the_upload_limit_is_refused(server, playwright,
                                                                                           tmp_path):
    browser = chromium(playwright, None)
    try:
        page, problems = open_dashboard(browser, server, "image_classification", ".mlexp-photo-view")
        answer, message = ".mlexp-photo-view .mlexp-answer", ".mlexp-photo-view .mlexp-message"
        large = noise_png(2000)
        assert len(large) > 11 * 2**20  # over the 10 MiB a websocket message may carry
        choose_file(page, ".mlexp-photo-view", [{"name": "noise.png", "mimeType": "image/png", "buffer": large}])
        page.wait_for_function(f"() => !document.querySelector('{answer}').innerText.includes('Choose a photo')",
                               timeout=120_000)
        shown = page.locator(answer).inner_text()  # a guess for noise, but an answer
        assert page.locator(message).inner_text() == ""
        huge = tmp_path / "huge.png"
        with huge.open("wb") as out:  # a file (Playwright passes buffers of at most 50 MB)
            out.truncate(60 * 2**20)
        choose_file(page, ".mlexp-photo-view", str(huge))
        wait_for_text(page, message, "too large")
        said = page.locator(message).inner_text()
        assert said == "huge.png is too large to read safely (60 MiB; the limit is 50 MiB)."
        assert page.locator(answer).inner_text() == shown  # nothing lost
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()
