"""What the benchmarks share: timing a call, a camera dashboard measured in Chromium, and printing a
table of figures per model."""
from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

import mlexp
from widgets.camera import decode_jpeg

from camera_page import CHROMIUM_CAMERA, GRANTED, write_y4m
from voila_server import CHROMIUM, CHROMIUM_ARGS, voila_server


def timings(fn, n: int, warmup: int = 3) -> tuple[float, float]:
    """Median and 90th percentile of `fn()`'s duration in ms."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), float(np.percentile(samples, 90))


def table(results: dict[str, dict], goals: dict[str, str]) -> str:
    """A row per figure, a column per model, then the goal."""
    rows = list(next(iter(results.values())))
    width = max(map(len, rows)) + 2

    def cell(value):
        first, second = value
        return f"{first:.3g}" if second is None else f"{first:.3g} / {second:.3g}"

    column = max(20, *(len(name) + 2 for name in results))
    lines = [f"{'':<{width}}" + "".join(f"{name:>{column}}" for name in results) + "   goal"]
    for row in rows:
        lines.append(f"{row:<{width}}" + "".join(f"{cell(r[row]):>{column}}" for r in results.values())
                     + f"   {goals.get(row, '')}")
    return "\n".join(lines)


def in_browser(names, measure, camera_frames=None) -> dict:
    """{name: measure(name, server, browser)} with one Voila server (as `mlexp demo` starts it)
    and one headless Chromium; with `camera_frames` (RGB arrays), its fake camera plays them
    at 30 frames/s, in a loop, the permission granted."""
    with tempfile.TemporaryDirectory() as folder, voila_server(cull_idle=10) as server, \
            sync_playwright() as playwright:
        args = list(CHROMIUM_ARGS)
        if camera_frames is not None:
            video = Path(folder) / "camera.y4m"
            write_y4m(video, camera_frames, fps=30)
            args += [*CHROMIUM_CAMERA, *GRANTED, f"--use-file-for-fake-video-capture={video}"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        results = {name: measure(name, server, browser) for name in names}
        browser.close()
    return results


def report(results: dict[str, dict], goals: dict[str, str], load: float, note: str) -> None:
    """Print the machine, the load before the run (`os.getloadavg()[0]`), a note and the table."""
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} before the run; {note}")
    print(table(results, goals))


def jpeg(frame: np.ndarray, width: int = 320) -> bytes:
    """The frame as the camera sends it: `width` pixels wide, JPEG quality 0.8."""
    image = Image.fromarray(frame)
    image = image.resize((width, round(width * image.height / image.width)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def frames_per_second(model, jpegs: list[bytes], rounds: int = 5) -> tuple[float, float]:
    """Camera frames (JPEG) per second through a model's `classify_frame`, decoding included,
    `rounds` times over the frames: (median, 10th percentile)."""
    samples = []
    for _ in range(rounds):
        for item in jpegs:
            start = time.perf_counter()
            model.classify_frame(decode_jpeg(item))
            samples.append(time.perf_counter() - start)
    return 1 / statistics.median(samples), 1 / float(np.percentile(samples, 90))


def camera_dashboard(name: str, server, browser, seconds: float, rows: tuple[str, str, str]) -> dict:
    """A camera dashboard opened in a fresh context while the fake camera plays: after 2 s of
    warm-up, `seconds` of live recognition. The figures under `rows`' three names: camera frame ->
    the kernel's acknowledgement (median, p90 ms), frames acknowledged per second, and the demo
    kernel's RSS in MiB."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    before = set(server.kernel_rss_mib())
    page.goto(f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}")
    page.wait_for_function("() => (window.mlexpCameraTimings || []).filter(t => t.acked).length > 10",
                           timeout=120_000)
    page.wait_for_timeout(2000)  # past the first frames (model warm-up)
    start = page.evaluate("performance.now()")
    page.wait_for_timeout(seconds * 1000)
    timings = page.evaluate("s => window.mlexpCameraTimings.filter(t => t.acked && t.captured >= s)", start)
    shown = page.locator(".mlexp-gesture").inner_text()
    rss = [mib for pid, mib in server.kernel_rss_mib().items() if pid not in before]
    context.close()
    print(f"{name}: {len(timings)} frames in {seconds} s; the dashboard showed {shown!r}", flush=True)
    latencies = [t["acked"] - t["captured"] for t in timings]
    latency, fps, memory = rows
    return {latency: (statistics.median(latencies), float(np.percentile(latencies, 90))),
            fps: (len(timings) / seconds, None), memory: (rss[0] if len(rss) == 1 else float("nan"), None)}
