"""The cameras' fair share of the CPU, measured: several camera pages at once in Chromium (fake
camera) through one Voila server, each kernel's callback burning a given CPU time per frame,
first with a fixed frame rate (`adaptive=False`: the browser sends up to `fps`), then governed
(widgets.frame_rate). Per page: frames/s the kernel handled, median frame -> ack time, the rate
allowed at the end; and the machine's busy fraction over the window.

`--others N` counts N more cameras as active (heartbeat files refreshed in the shared folder: the
rest of a class whose browsers and kernels are elsewhere), so a few pages see a class's share.

Run: MLEXP_DATA_DIR=../shared/data .venv/bin/python benchmarks/camera_share.py [--costs 40,40,6,6]
     [--fps 20] [--seconds 30] [--warmup 12] [--others 0]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from camera_page import CHROMIUM_CAMERA, GRANTED, write_y4m  # noqa: E402
from voila_server import CHROMIUM, CHROMIUM_ARGS, voila_server  # noqa: E402

CODE = """\
import json, time
import ipywidgets as w
from widgets.camera import Camera

COST = {cost!r}
camera = Camera(fps={fps!r}, adaptive={adaptive!r})
info = w.HTML("{{}}")
info.add_class("share-info")
stats = {{"frames": 0}}

def on_frame(frame):
    end = time.process_time() + COST  # a model costing COST s of CPU
    while time.process_time() < end:
        pass
    stats.update(frames=stats["frames"] + 1, rate=camera.rate, cpu=time.process_time())
    if stats["frames"] % 5 == 0:
        info.value = json.dumps(stats)

camera.on_frame(on_frame)
display(w.VBox([camera, info]))
"""


def notebook(path: Path, cost: float, fps: float, adaptive: bool) -> Path:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(CODE.format(cost=cost, fps=fps, adaptive=adaptive))]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, path)
    return path


def status(page) -> dict:
    text = page.locator(".share-info").inner_text().strip()
    return json.loads(text) if text.startswith("{") else {}


LATENCY = """([t0, t1]) => (window.mlexpCameraTimings || [])
    .filter(t => t.acked && t.captured >= t0 && t.captured <= t1).map(t => t.acked - t.captured)"""


def run(server, playwright, video: Path, costs: list[float], fps: float, adaptive: bool,
        seconds: float, warmup: float) -> dict:
    args = CHROMIUM_ARGS + CHROMIUM_CAMERA + GRANTED + [f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    pages = []
    try:
        for i, cost in enumerate(costs):
            path = notebook(server.scratch / f"share-{adaptive}-{i}.ipynb", cost / 1000, fps, adaptive)
            page = browser.new_context(viewport={"width": 700, "height": 700}).new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{server.url}/voila/render/{server.path(path)}")
            pages.append(page)
        for page in pages:
            page.locator(".share-info").wait_for()
            while status(page).get("frames", 0) < 5:
                page.wait_for_timeout(200)
        time.sleep(warmup)
        psutil.cpu_percent(interval=None)
        start = [(status(p), p.evaluate("performance.now()")) for p in pages]
        t0 = time.monotonic()
        time.sleep(seconds)
        busy = psutil.cpu_percent(interval=None) / 100
        elapsed = time.monotonic() - t0
        rows = []
        for (before, p0), page, cost in zip(start, pages, costs):
            after, p1 = status(page), page.evaluate("performance.now()")
            hidden = page.evaluate("document.hidden")
            latency = page.evaluate(LATENCY, [p0, p1])
            rows.append({"cost_ms": cost, "fps": (after["frames"] - before["frames"]) / elapsed,
                         "cores": (after["cpu"] - before["cpu"]) / elapsed,
                         "latency_ms": statistics.median(latency) if latency else float("nan"),
                         "rate": after.get("rate"), "hidden": hidden})
        return {"busy": busy, "pages": rows}
    finally:
        browser.close()


def others(folder: Path, n: int, stop: threading.Event) -> None:
    """Keep `n` more cameras' heartbeat files fresh until `stop`."""
    (folder / "mlexp-cameras").mkdir(exist_ok=True)
    while not stop.is_set():
        for i in range(n):
            (folder / "mlexp-cameras" / f"other-{i}").touch()
        stop.wait(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--costs", default="40,40,6,6", help="ms of CPU per frame, one per page")
    parser.add_argument("--fps", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=12)
    parser.add_argument("--others", type=int, default=0, help="more cameras counted as active")
    options = parser.parse_args()
    costs = [float(c) for c in options.costs.split(",")]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MLEXP_SHARE_DIR"] = folder  # these cameras (and --others) alone count each other
        stop = threading.Event()
        threading.Thread(target=others, args=(Path(folder), options.others, stop), daemon=True).start()
        video = Path(folder) / "camera.y4m"
        y, x = np.mgrid[0:480, 0:640]
        picture = np.stack([x * 255 // 640, y * 255 // 480, (x + y) * 255 // 1120], -1).astype(np.uint8)
        write_y4m(video, [picture, picture[:, ::-1]])  # a smooth picture, like a room, not noise
        with voila_server(cull_idle=60) as server, sync_playwright() as playwright:
            results = {name: run(server, playwright, video, costs, options.fps, adaptive, options.seconds,
                                 options.warmup)
                       for name, adaptive in (("fixed", False), ("governed", True))}
        stop.set()
    print(f"{psutil.cpu_count()} CPUs, load average {load:.2f} before; {len(costs)} camera pages at once, "
          f"fps {options.fps:g}, costs {options.costs} ms of CPU a frame, {options.seconds:g} s measured "
          f"after {options.warmup:g} s, {options.others} more cameras counted as active")
    for name, result in results.items():
        rates = [r["fps"] for r in result["pages"]]
        print(f"{name:>9}: machine {result['busy']:.0%} busy; frames/s per page min {min(rates):.1f}, "
              f"median {statistics.median(rates):.1f}")
        for r in result["pages"]:
            print(f"           {r['cost_ms']:>4g} ms/frame: {r['fps']:5.1f} frames/s, kernel {r['cores']:.2f} cores, "
                  f"frame->ack median {r['latency_ms']:6.0f} ms, rate {r['rate']}"
                  + (" (HIDDEN)" if r["hidden"] else ""))


if __name__ == "__main__":
    main()
