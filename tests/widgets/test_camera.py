"""The Camera widget: its message protocol driven as the browser drives it (JPEG frames in binary
buffers, acknowledgements out), then in real Chromium with a fake camera showing a real photo."""
from __future__ import annotations

import io
import os
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from widgets.camera import Camera

from camera_page import CHROMIUM_CAMERA, GRANTED, Wire, photo, status, wait_status, write_notebook, write_y4m
from voila_server import CHROMIUM, CHROMIUM_ARGS, voila_server, watch

RED, BLUE = (220, 30, 30), (30, 30, 220)


def jpeg(width=64, height=48, left=RED, right=BLUE, quality=90) -> bytes:
    """A real JPEG: the left half `left`, the right half `right`."""
    image = Image.new("RGB", (width, height), right)
    image.paste(left, (0, 0, width // 2, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def send_frame(camera, data: bytes, id: int = 1, width=64, height=48) -> None:
    """Deliver a frame message to the widget's comm exactly as camera.js sends it."""
    content = {"type": "frame", "id": id, "width": width, "height": height}
    camera.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}},
                            "buffers": [memoryview(data)]})


def ack(id: int, rate: float = 15.0) -> dict:
    """The ack Python sends: the frame's id and the frames/s the kernel allows now."""
    return {"type": "ack", "id": id, "rate": rate}


@pytest.fixture
def camera(monkeypatch):
    """A Camera whose comm records what it sends: `camera.sent` (the custom messages' content)."""
    widget = Camera()
    widget.sent = []

    def send(data=None, metadata=None, buffers=None):
        if data and data.get("method") == "custom":
            widget.sent.append(data["content"])

    monkeypatch.setattr(widget.comm, "send", send)
    yield widget
    widget.close()


def test_frame_is_decoded_then_acknowledged(camera):
    seen = []
    camera.on_frame(lambda frame: seen.append((frame, list(camera.sent))))
    send_frame(camera, jpeg(), id=7)
    (frame, sent_before), = seen
    assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8 and frame.flags.writeable
    assert np.abs(frame[:, :24].reshape(-1, 3).mean(0) - RED).max() < 8  # not mirrored: red stays left
    assert np.abs(frame[:, 40:].reshape(-1, 3).mean(0) - BLUE).max() < 8
    assert sent_before == [] and camera.sent == [ack(7)]  # the ack after the callback
    assert camera.frames_received == 1 and camera.last_problem == ""


def test_undecoded_callback_gets_the_jpeg_bytes(camera):
    data, got = jpeg(), []
    camera.on_frame(got.append, decoded=False)
    send_frame(camera, data, id=3)
    assert got == [data] and isinstance(got[0], bytes)
    assert camera.sent == [ack(3)]


@pytest.mark.parametrize("bad", [b"", b"not a jpeg at all", jpeg()[:200]], ids=["empty", "garbage", "truncated"])
def test_a_corrupt_frame_reaches_no_callback_but_is_acknowledged(camera, bad):
    got, problems = [], []
    camera.on_frame(got.append)
    camera.on_frame(got.append, decoded=False)
    camera.on_problem(problems.append)
    send_frame(camera, bad, id=11)
    assert got == [] and camera.sent == [ack(11)]
    assert problems == [camera.last_problem] and "could not be decoded" in camera.last_problem
    assert camera.snapshot() is None
    send_frame(camera, jpeg(), id=12)  # the next good frame goes through
    assert len(got) == 2 and camera.sent[-1] == ack(12)


def test_remove_unregisters(camera):
    got = []
    camera.on_frame(got.append)
    camera.on_frame(got.append, remove=True)
    send_frame(camera, jpeg())
    assert got == [] and camera.sent == [ack(1)]


def test_snapshot_is_the_latest_frame(camera):
    assert camera.snapshot() is None
    send_frame(camera, jpeg(left=RED, right=RED), id=1)  # nobody decodes: snapshot() decodes
    assert np.abs(camera.snapshot().reshape(-1, 3).mean(0) - RED).max() < 8
    camera.on_frame(lambda frame: None)
    send_frame(camera, jpeg(left=BLUE, right=BLUE, width=32, height=16), id=2)
    assert camera.snapshot().shape == (16, 32, 3)
    assert np.abs(camera.snapshot().reshape(-1, 3).mean(0) - BLUE).max() < 8
    assert camera.frames_received == 2


def test_a_failing_callback_does_not_stop_the_ack_or_the_others(camera):
    got = []

    def broken(frame):
        raise RuntimeError("a bug in someone's model")

    camera.on_frame(broken)
    camera.on_frame(got.append)
    send_frame(camera, jpeg(), id=5)
    assert len(got) == 1 and camera.sent == [ack(5)]


def test_other_messages_are_ignored(camera):
    camera.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"type": "hello"}}},
                            "buffers": []})
    assert camera.sent == [] and camera.frames_received == 0


# Real browser -------------------------------------------------------------------------------
PHOTO = "hot_dog.jpg"  # 4:3 like the fake camera, and not symmetric left to right


@pytest.fixture(scope="module")
def server():
    with voila_server() as running:
        yield running


@pytest.fixture
def folder(server):
    """A temporary folder in the server's scratch folder for the generated notebooks."""
    path = Path(tempfile.mkdtemp(prefix="camera-", dir=server.scratch))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def video(data_dir, tmp_path):
    """(the fake camera's y4m, the picture it shows)."""
    picture = photo(data_dir / "images" / PHOTO)
    path = tmp_path / "camera.y4m"
    write_y4m(path, [picture] * 2)
    return path, picture


def open_camera(playwright, server, folder, tmp_path, y4m=None, granted=True, init_script="", extra=(),
                **notebook):
    """(browser, page, wire, saved-frame path): Chromium with a fake camera showing `y4m`,
    on a generated notebook showing a Camera."""
    out = tmp_path / "frame.npy"
    name = server.path(write_notebook(folder / "camera.ipynb", out, **notebook))
    args = CHROMIUM_ARGS + CHROMIUM_CAMERA + (GRANTED if granted else ["--deny-permission-prompts"]) + list(extra)
    if y4m:
        args.append(f"--use-file-for-fake-video-capture={y4m}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    page = browser.new_page(viewport={"width": 900, "height": 900})
    page.set_default_timeout(60_000)
    if init_script:
        page.add_init_script(init_script)
    page.problems = watch(page, server.url)
    wire = Wire(page)
    page.goto(f"{server.url}/voila/render/{name}")
    page.locator(".mlexp-camera video").wait_for(state="attached")
    return browser, page, wire, out


@pytest.fixture
def playwright():
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as running:
        yield running


def overlay_columns(page) -> list[int]:
    """Per tenth of the overlay canvas's width, how many of its pixels are painted."""
    return page.evaluate("""() => {
        const c = document.querySelector('.mlexp-camera-overlay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const counts = new Array(10).fill(0);
        for (let i = 3; i < d.length; i += 4)
            if (d[i] > 0) counts[Math.floor(((i - 3) / 4 % c.width) * 10 / c.width)]++;
        return counts; }""")


TRACKS_ENDED = "() => window.__stream && window.__stream.getTracks().every(t => t.readyState === 'ended')"
KEEP_STREAM = "() => { window.__stream = document.querySelector('.mlexp-camera video').srcObject; }"


@pytest.mark.browser
def test_frames_carry_the_photo_and_the_overlay_is_drawn(playwright, server, folder, tmp_path, video):
    y4m, picture = video
    browser, page, wire, saved = open_camera(playwright, server, folder, tmp_path, y4m, fps=30)
    try:
        now = wait_status(page, lambda s: s.get("frames", 0) >= 60)
        print(f"\ncamera frames/s with an instant callback at fps=30: {now['fps']:.1f}; "
              f"frames sent {len(wire.sent)}, most in flight {wire.max_in_flight}")
        assert now["shape"] == [240, 320, 3] and now["state"] == "live" and now["error"] == ""
        assert np.abs(np.array(now["mean"]) - picture.reshape(-1, 3).mean(0)).max() < 4, now["mean"]
        frame = np.load(saved).astype(float)  # as the camera sees it: compare with the photo, not mirrored
        small = np.asarray(Image.fromarray(picture).resize((320, 240), Image.BILINEAR)).astype(float)
        assert np.abs(frame - small).mean() < 0.5 * np.abs(frame - small[:, ::-1]).mean()
        assert wire.max_in_flight == 1 and len(wire.sent) >= 60
        assert now["fps"] >= 10, f"only {now['fps']:.1f} frames/s"
        # The overlay (left of the frame) is drawn mirrored like the preview: on the right.
        page.wait_for_function("() => { const c = document.querySelector('.mlexp-camera-overlay');"
                               "return c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height)"
                               ".data.some((v, i) => i % 4 === 3 && v > 0); }")
        columns = overlay_columns(page)
        assert sum(columns[:5]) == 0 and sum(columns[6:]) > 500, columns
        assert not page.problems, page.problems
    finally:
        browser.close()


@pytest.mark.browser
def test_a_slow_callback_lowers_the_frame_rate(playwright, server, folder, tmp_path, video):
    browser, page, wire, _ = open_camera(playwright, server, folder, tmp_path, video[0], fps=30, delay=0.2)
    try:
        now = wait_status(page, lambda s: s.get("frames", 0) >= 20)
        print(f"\ncamera frames/s with a 0.2 s callback: {now['fps']:.2f}; most in flight {wire.max_in_flight}")
        assert 2.5 <= now["fps"] <= 5.0 and wire.max_in_flight == 1  # at most 1 / 0.2 s
        assert len(wire.sent) <= now["received"] + 1  # nothing queued behind the slow callback
    finally:
        browser.close()


@pytest.mark.browser
def test_stop_disconnect_and_close_let_go_of_the_camera(playwright, server, folder, tmp_path, video):
    browser, page, wire, _ = open_camera(playwright, server, folder, tmp_path, video[0])
    try:
        wait_status(page, lambda s: s.get("frames", 0) >= 3)
        page.evaluate(KEEP_STREAM)
        page.get_by_text("Stop camera").click()  # running = False
        page.wait_for_function(TRACKS_ENDED)
        stopped = wait_status(page, lambda s: s.get("state") == "stopped")
        page.get_by_text("Stop camera").click()  # running = True again
        wait_status(page, lambda s: s.get("frames", 0) >= stopped["frames"] + 3 and s["state"] == "live")
        # The camera unplugged mid-stream: its track ends.
        page.evaluate(KEEP_STREAM)
        page.evaluate("() => window.__stream.getVideoTracks()[0].dispatchEvent(new Event('ended'))")
        broken = wait_status(page, lambda s: s.get("state") == "error")
        assert "disconnected" in broken["error"]
        assert page.locator(".mlexp-camera-message").inner_text() == broken["error"]
        page.wait_for_function(TRACKS_ENDED)
        page.locator(".mlexp-camera-retry").click()
        wait_status(page, lambda s: s["state"] == "live" and s["error"] == "")
        # Closing the widget from Python stops the camera and removes the preview.
        page.evaluate(KEEP_STREAM)
        page.get_by_text("Close camera").click()
        page.wait_for_function(TRACKS_ENDED)
        page.locator(".mlexp-camera video").wait_for(state="detached")
        assert not page.problems, page.problems
    finally:
        browser.close()


@pytest.mark.browser
def test_a_denied_camera_says_so(playwright, server, folder, tmp_path, video):
    browser, page, _, _ = open_camera(playwright, server, folder, tmp_path, video[0], granted=False)
    try:
        now = wait_status(page, lambda s: s.get("state") == "error")
        assert now["error"].startswith("Camera permission was denied") and now["frames"] == 0
        message = page.locator(".mlexp-camera-message")
        assert message.is_visible() and message.inner_text() == now["error"]
        assert page.locator(".mlexp-camera-retry").is_visible()
    finally:
        browser.close()


@pytest.mark.browser
def test_plain_http_from_another_machine_says_how_to_reach_the_camera(playwright, server, folder, tmp_path):
    """Chromium counts 127.0.0.1 as secure and the server refuses other host names, so the page is
    made to report what a browser reports for http://<another machine>: not a secure context."""
    browser, page, _, _ = open_camera(playwright, server, folder, tmp_path,
                                      init_script="Object.defineProperty(window, 'isSecureContext', "
                                                  "{get: () => false});")
    try:
        now = wait_status(page, lambda s: s.get("state") == "error")
        port = server.url.rsplit(":", 1)[1]
        assert now["error"].startswith("Browsers allow the camera only on https or on localhost")
        assert f"ssh -L {port}:localhost:{port} 127.0.0.1" in now["error"]
        assert page.locator(".mlexp-camera-message").inner_text() == now["error"]
    finally:
        browser.close()


@pytest.mark.browser
def test_the_chooser_and_the_front_back_toggle_switch_cameras(playwright, server, folder, tmp_path):
    browser, page, _, _ = open_camera(playwright, server, folder, tmp_path,
                                      extra=["--use-fake-device-for-media-stream=device-count=2"])
    try:
        wait_status(page, lambda s: s.get("devices") == 2 and s.get("frames", 0) >= 2)
        chooser, flip = page.locator(".mlexp-camera-chooser"), page.locator(".mlexp-camera-flip")
        assert chooser.is_visible() and flip.is_visible()
        second = chooser.locator("option").nth(1).get_attribute("value")
        chooser.select_option(second)
        now = wait_status(page, lambda s: s["device"] == second and s["state"] == "live")
        # The status can name the new camera before the page restarts it: no stream for a moment.
        page.wait_for_function("id => { const s = document.querySelector('.mlexp-camera video').srcObject;"
                               "return s !== null && s.getVideoTracks()[0].getSettings().deviceId === id; }",
                               arg=second)
        wait_status(page, lambda s: s["frames"] >= now["frames"] + 2)  # frames from the second camera
        assert page.locator(".mlexp-camera video").evaluate("v => v.style.transform") == "scaleX(-1)"
        flip.click()  # to the back camera: no camera chosen by id, the preview no longer mirrored
        wait_status(page, lambda s: s["facing"] == "environment" and s["device"] == "" and s["state"] == "live")
        page.wait_for_function("() => document.querySelector('.mlexp-camera video').style.transform === ''")
        assert not page.problems, page.problems
    finally:
        browser.close()


@pytest.mark.browser
def test_a_dead_kernel_stops_the_camera(playwright, server, folder, tmp_path, video):
    before = set(server.kernel_rss_mib())
    browser, page, _, _ = open_camera(playwright, server, folder, tmp_path, video[0])
    try:
        wait_status(page, lambda s: s.get("frames", 0) >= 3)
        page.evaluate(KEEP_STREAM)
        for pid in set(server.kernel_rss_mib()) - before:  # this page's kernel dies (the server restarts it)
            os.kill(pid, signal.SIGKILL)
        page.wait_for_function(TRACKS_ENDED, timeout=40_000)
        assert page.locator(".mlexp-camera-message").inner_text().startswith("Python stopped answering")
    finally:
        browser.close()


HIDE = """hidden => {
    Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => hidden ? 'hidden' : 'visible'});
    document.dispatchEvent(new Event('visibilitychange')); }"""


@pytest.mark.browser
def test_a_hidden_page_pauses_the_camera_and_showing_it_resumes(playwright, server, folder, tmp_path, video):
    browser, page, wire, _ = open_camera(playwright, server, folder, tmp_path, video[0])
    try:
        wait_status(page, lambda s: s.get("frames", 0) >= 3)
        page.evaluate(KEEP_STREAM)
        page.evaluate(HIDE, True)  # another tab in front
        paused = wait_status(page, lambda s: s.get("state") == "paused", timeout=10)
        page.wait_for_function(TRACKS_ENDED)  # the camera is let go
        assert page.locator(".mlexp-camera-message").inner_text().startswith("The camera is paused while this page")
        page.wait_for_timeout(1500)
        assert status(page)["received"] <= paused["received"] + 1  # the kernel gets nothing: idle
        page.evaluate(HIDE, False)
        wait_status(page, lambda s: s["state"] == "live" and s["frames"] >= paused["frames"] + 3)
        assert not page.locator(".mlexp-camera-message").is_visible()
        assert not page.problems, page.problems
    finally:
        browser.close()


@pytest.mark.browser
def test_nobody_in_view_stops_the_camera_until_pressed(playwright, server, folder, tmp_path, video):
    browser, page, _, _ = open_camera(playwright, server, folder, tmp_path, video[0], away=2)
    try:
        stopped = wait_status(page, lambda s: s.get("state") == "stopped" and s.get("frames", 0) > 0, timeout=30)
        assert stopped["notice"].startswith("Nobody has been in view for 2 seconds") and not stopped["running"]
        page.wait_for_function("() => document.querySelector('.mlexp-camera video').srcObject === null")
        assert page.locator(".mlexp-camera-message").inner_text() == stopped["notice"]
        button = page.locator(".mlexp-camera-retry")
        assert button.is_visible() and button.inner_text() == "Start again"
        button.click()
        wait_status(page, lambda s: s["running"] and s["notice"] == "" and s["frames"] >= stopped["frames"] + 2)
        assert not page.problems, page.problems
    finally:
        browser.close()


@pytest.mark.browser
def test_the_browser_sends_no_faster_than_the_kernel_allows(playwright, server, folder, tmp_path, video):
    browser, page, wire, _ = open_camera(playwright, server, folder, tmp_path, video[0], fps=30, rate=4)
    try:
        now = wait_status(page, lambda s: s.get("frames", 0) >= 12)
        print(f"\ncamera frames/s at fps=30 with the kernel allowing 4: {now['fps']:.2f}")
        assert now["rate"] == 4 and 3 <= now["fps"] <= 4.5, now
        gaps = [b - a for (a, _), (b, _) in zip(wire.sent[2:], wire.sent[3:])]
        assert min(gaps) > 0.2, gaps  # 1/4 s apart (websocket timing jitters a little)
    finally:
        browser.close()
