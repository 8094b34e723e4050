"""Helpers for the camera's browser tests: a y4m video for Chromium's fake camera, a small
notebook showing a Camera (written under notebooks/, git-ignored), the widget's frame and
ack messages as they cross the kernel websocket, a frame as the kernel gets it, Chromium with a
fake camera, and the pixels of the boxes drawn over the preview."""
from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import nbformat
import numpy as np
from PIL import Image

import mlexp
from widgets.camera import decode_jpeg

from voila_server import CHROMIUM, CHROMIUM_ARGS, watch

CHROMIUM_CAMERA = ["--use-fake-device-for-media-stream"]  # plus --use-file-for-fake-video-capture=...
GRANTED = ["--use-fake-ui-for-media-stream"]               # answers the permission prompt with yes
SIZE = (640, 480)


def photo(path: Path) -> np.ndarray:
    """The photo as the fake camera shows it: RGB, resized to SIZE."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB").resize(SIZE, Image.BILINEAR))


def hand_in_room(data_dir: Path, hand: Path | None, at=(240, 140), width=200, size=SIZE,
                 room="kite_and_cold.jpg") -> tuple[np.ndarray, tuple]:
    """A camera-like RGB frame: a real photo without hands (`room`, from the mirror's images/), with
    the photo `hand` pasted `width` pixels wide at `at` (or none); (frame, the pasted box x1 y1 x2 y2)."""
    picture = Image.open(data_dir / "images" / room).convert("RGB").resize(size)
    if hand is None:
        return np.asarray(picture), None
    photo = Image.open(hand).convert("RGB")
    photo = photo.resize((width, round(width * photo.height / photo.width)))
    picture.paste(photo, at)
    return np.asarray(picture), (at[0], at[1], at[0] + photo.width, at[1] + photo.height)


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 30) -> None:
    """Write RGB frames (H, W, 3) as a y4m video: a header, then per frame `FRAME` and I420
    planes (BT.601, video range), which Chromium's fake camera plays in a loop."""
    height, width = frames[0].shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            r, g, b = (frame[..., i].astype(np.float32) / 255 for i in range(3))
            y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
            u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
            v = 128 + 112.0 * r - 93.786 * g - 18.214 * b
            half = lambda c: c.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))  # noqa: E731
            out.write(b"FRAME\n")
            for plane in (y, half(u), half(v)):
                out.write(np.clip(np.round(plane), 0, 255).astype(np.uint8).tobytes())


# The notebook: a Camera whose frames update a JSON status line; buttons stop and close it.
CODE = """\
import json, time
import numpy as np
import ipywidgets as w
from widgets.camera import Camera
from widgets.common import stylesheet

DELAY, OUT = {delay!r}, {out!r}
camera = Camera(fps={fps!r}, away_after={away!r}, adaptive={adaptive!r})
if {rate!r}:  # a rate the kernel allows, held (no governor)
    camera.adaptive, camera.rate = False, {rate!r}
info = w.HTML("{{}}")
info.add_class("lab-test-info")
times, stats = [], {{"frames": 0}}

def show(*_):
    stats.update(state=camera.state, error=camera.error, received=camera.frames_received,
                 facing=camera.facing_mode, device=camera.device_id, devices=len(camera.devices),
                 rate=camera.rate, notice=camera.notice, running=camera.running)
    info.value = json.dumps(stats)

def on_frame(frame):
    time.sleep(DELAY)  # a slow model
    camera.seen(False)  # nothing in view (stops the camera only with away_after > 0)
    now = time.monotonic()
    times.append(now)
    recent = [t for t in times if t > now - 3]
    stats.update(frames=len(times), shape=list(frame.shape), mean=frame.reshape(-1, 3).mean(0).tolist(),
                 fps=(len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 2 else 0.0)
    if len(times) == 5:
        np.save(OUT, frame)
        camera.overlay = {{"boxes": [{{"box": [0.05, 0.1, 0.35, 0.6], "label": "left", "score": 0.9}}],
                          "points": [[0.1, 0.7], [0.3, 0.8]], "lines": [[0, 1]]}}
    show()

camera.on_frame(on_frame)
camera.observe(show, ["state", "error", "facing_mode", "device_id", "devices", "rate", "notice", "running"])
stop = w.Button(description="Stop camera")
stop.on_click(lambda _: setattr(camera, "running", not camera.running))
close = w.Button(description="Close camera")
close.on_click(lambda _: camera.close())
display(w.VBox([stylesheet(), camera, info, w.HBox([stop, close])]))
"""


def write_notebook(path: Path, out: Path, fps: float = 15, delay: float = 0.0, away: float = 0.0,
                   adaptive: bool = True, rate: float = 0.0) -> Path:
    """A notebook showing a Camera at `fps` whose callback sleeps `delay` s; its fifth frame is
    saved to `out` (.npy) and sets an overlay on the left of the frame. Nothing is ever in view:
    `away` > 0 stops the camera after that many seconds; `adaptive=False`: no frame-rate governor;
    `rate` > 0: the kernel allows that many frames/s (held, no governor)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(CODE.format(delay=delay, out=str(out), fps=fps, away=away,
                                                            adaptive=adaptive, rate=rate))]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def status(page) -> dict:
    """The notebook's status line (frames, fps, mean colour, state, error), {} before any."""
    text = page.locator(".lab-test-info").inner_text(timeout=60_000).strip()
    return json.loads(text) if text.startswith("{") else {}


def wait_status(page, check, timeout: float = 60) -> dict:
    """Poll the status line until `check(status)` holds; fail with the last one."""
    deadline = time.monotonic() + timeout
    while True:
        now = status(page)
        if check(now):
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"the camera notebook's status stayed {now}")
        page.wait_for_timeout(200)


class Wire:
    """Frames the page sends and acks it receives on the kernel websockets, in order, with the
    most frames ever in flight (sent, not yet acknowledged)."""

    FRAME = re.compile(rb'"type":\s*"frame",\s*"id":\s*(\d+)')
    ACK = re.compile(rb'"type":\s*"ack",\s*"id":\s*(\d+)')

    def __init__(self, page):
        self.sent: list[tuple[float, int]] = []
        self.acked: set[int] = set()
        self.max_in_flight = 0
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        socket.on("framesent", lambda payload: self._seen(payload, self.FRAME))
        socket.on("framereceived", lambda payload: self._seen(payload, self.ACK))

    def _seen(self, payload, pattern) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        for match in pattern.finditer(data):
            if pattern is self.FRAME:
                self.sent.append((time.monotonic(), int(match.group(1))))
                waiting = sum(1 for _, i in self.sent if i not in self.acked)
                self.max_in_flight = max(self.max_in_flight, waiting)
            else:
                self.acked.add(int(match.group(1)))


def as_sent(picture: np.ndarray) -> np.ndarray:
    """The frame as the demo's kernel gets it: 320 px wide, through JPEG."""
    buffer = io.BytesIO()
    Image.fromarray(picture).resize((320, 240)).save(buffer, "JPEG", quality=80)
    return decode_jpeg(buffer.getvalue())


def chromium(playwright, video: Path | None):
    """Chromium whose fake camera plays `video`; None: a camera the user denies."""
    if video is None:
        args = CHROMIUM_ARGS + CHROMIUM_CAMERA + ["--deny-permission-prompts"]
    else:
        args = CHROMIUM_ARGS + CHROMIUM_CAMERA + GRANTED + [f"--use-file-for-fake-video-capture={video}"]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


# In the page: how many pixels of the overlay's box colour (#1f6fc5) lie between `left` and `right`
# (0-1 of the preview's width, as the page shows it: mirrored).
BOX_PIXELS = """([left, right]) => {
    const c = document.querySelector('canvas.mlexp-camera-overlay');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let y = 0; y < c.height; y++)
      for (let x = Math.floor(left * c.width); x < right * c.width; x++) {
        const i = 4 * (y * c.width + x);
        if (d[i + 3] > 200 && d[i + 2] > 150 && d[i] < 80) n++;
      }
    return n; }"""


def box_pixels(page, left: float, right: float) -> int:
    """How many pixels of the overlay's boxes lie between `left` and `right` (see BOX_PIXELS)."""
    return page.evaluate(BOX_PIXELS, [left, right])


def wait_for_label_and_box(page, label: str, left: float, right: float) -> None:
    """Wait until the page names `label` (a gesture, an expression) and the overlay's box lies
    between `left` and `right`."""
    page.wait_for_function(f"""([label, left, right]) =>
        document.querySelector('.mlexp-gesture').innerText.trim() === label && ({BOX_PIXELS})([left, right]) > 100""",
                           arg=[label, left, right])


def open_dashboard(browser, server, name: str):
    """A camera dashboard's page (1100x800) once its camera widget is there, and the list of
    problems `voila_server.watch` collects."""
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.set_default_timeout(60_000)
    problems = watch(page, server.url)
    page.goto(f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}")
    page.locator(".mlexp-camera").wait_for()
    return page, problems


def shown(page) -> str:
    """What the dashboard names (a gesture, an expression, or no hand or face in view)."""
    return page.locator(".mlexp-gesture").inner_text().strip()


def wait_for_frames(page, count: int = 10) -> None:
    """Wait until the kernel has acknowledged `count` camera frames."""
    page.wait_for_function("n => (window.mlexpCameraTimings || []).filter(t => t.acked).length >= n", arg=count)
