"""`mlexp class` in real Chromium, as a student on another machine sees it: the server reached by a
made-up host name (mapped to 127.0.0.1 inside Chromium, so traffic stays on loopback) over https
with its self-signed certificate, the camera working there (a secure context that is not localhost),
nothing asked of the internet, and a page that says so when its kernel is stopped."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from mlexp.data.rps import RPS_LABELS, rps_files

from camera_page import CHROMIUM_CAMERA, GRANTED, hand_in_room, write_y4m
from class_server import TOKEN, class_server
from voila_server import CHROMIUM, CHROMIUM_ARGS, screenshot_folder, small_picture

pytestmark = pytest.mark.browser
HOST = "classroom.test"
# The camera is live and the game answers its frames (names a gesture, or says no hand is in view).
LIVE = """() => { const c = document.querySelector('.mlexp-camera'), g = document.querySelector('.mlexp-gesture');
  return c && c.dataset.state === 'live' && g && g.innerText.trim() !== ''; }"""


@pytest.fixture(scope="module")
def classroom():
    with class_server("--ready", "index=1,rps_hand=1", "--ready-default", "0") as server:
        yield server


def student_browser(playwright, video):
    args = CHROMIUM_ARGS + CHROMIUM_CAMERA + GRANTED + [f"--use-file-for-fake-video-capture={video}",
                                                         f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


def test_a_student_on_another_machine_plays_with_the_camera_over_https(classroom, playwright, data_dir, tmp_path):
    paper = next(p for p, i in rps_files("testing") if RPS_LABELS[i] == "paper")
    video = tmp_path / "hand.y4m"
    write_y4m(video, [hand_in_room(data_dir, paper, (220, 130), 240)[0]] * 4)  # a hand in a room
    port = urlparse(classroom.url).port
    browser = student_browser(playwright, video)
    try:
        context = browser.new_context(ignore_https_errors=True, viewport={"width": 1100, "height": 800})
        page = context.new_page()
        page.set_default_timeout(90_000)
        hosts = set()
        page.on("request", lambda request: hosts.add(urlparse(request.url).hostname)
                if request.url.startswith(("http", "ws")) else None)  # not data: or blob:
        page.goto(f"https://{HOST}:{port}/?token={TOKEN}")  # the link the teacher shares
        page.locator(".mlexp-demo-link").first.wait_for()
        assert page.locator(".mlexp-train-link").count() == 0  # no JupyterLab for students
        if screenshot_folder():
            screenshot_folder().mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot_folder() / "class-gallery.png"))
            small_picture(screenshot_folder() / "class-gallery.png")
        page.goto(f"https://{HOST}:{port}/voila/render/rps_hand/demo.ipynb")
        assert page.evaluate("() => window.isSecureContext && location.hostname") == HOST
        page.wait_for_function(LIVE)
        status = classroom.status()
        live = [k for k in status["kernels"] if k["dashboard"] == "rps_hand/demo.ipynb" and k["connected"]]
        assert len(live) == 1 and live[0]["fps"] > 0, status  # the teacher sees its frames
        assert status["students"] == 1
        assert hosts <= {HOST}, f"the page asked other hosts: {hosts - {HOST}}"
        # The kernel is stopped (culled, or by the teacher): the page says so and offers to reload.
        with classroom.teacher() as teacher:
            teacher.delete(f"/api/kernels/{live[0]['id']}", headers={"X-XSRFToken": teacher.cookies["_xsrf"]})
        banner = page.locator(".mlexp-class-banner")
        banner.wait_for(timeout=30_000)
        assert banner.inner_text().startswith("This dashboard was stopped to free the class server")
        if screenshot_folder():
            page.screenshot(path=str(screenshot_folder() / "class-stopped.png"))
            small_picture(screenshot_folder() / "class-stopped.png")
        banner.locator("button").click()  # Reload: a new kernel, the game again
        page.wait_for_function(LIVE)
    finally:
        browser.close()


def test_the_login_page_asks_for_the_class_password(classroom, playwright, tmp_path):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1"])
    try:
        page = browser.new_context(ignore_https_errors=True, viewport={"width": 390, "height": 844}).new_page()
        port = urlparse(classroom.url).port
        page.goto(f"https://{HOST}:{port}/")
        page.fill("input[type=password]", "not the password")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert "/login" in page.url
        page.fill("input[type=password]", TOKEN)
        page.keyboard.press("Enter")
        page.locator(".mlexp-demo-link").first.wait_for(timeout=90_000)
        assert page.url.endswith("/voila/render/index.ipynb")
        if screenshot_folder():
            page.screenshot(path=str(screenshot_folder() / "class-gallery-phone.png"))
    finally:
        browser.close()
