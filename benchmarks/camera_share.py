"""The cameras' fair share of the CPU, measured: several camera pages at once in Chromium (fake
camera) through one Voila server, each kernel's callback burning a given CPU time per frame (or,
with `--dashboard rps_hand`, that experiment's real demo notebook on frames of held-out hands),
first with a fixed frame rate (a server with MLEXP_CAMERA_GOVERNOR=0: the browser sends up to
`fps`), then governed (widgets.frame_rate). Per page: frames/s acknowledged, the kernel's cores,
median frame -> ack time, the rate the last ack allowed; and the machine's busy fraction.

`--others N` counts N more cameras as active (heartbeat files refreshed in the shared folder: the
rest of a class whose browsers and kernels are elsewhere), so a few pages see a class's share.

Run: MLEXP_DATA_DIR=../shared/data .venv/bin/python benchmarks/camera_share.py [--costs 40,40,6,6]
     [--fps 20] [--seconds 30] [--warmup 12] [--others 0] [--dashboard NAME --pages 4]
"""
from __future__ import annotations

import argparse
import os
import shutil
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
from rps import camera_frames  # noqa: E402

import mlexp  # noqa: E402

from camera_page import CHROMIUM_CAMERA, GRANTED, write_y4m  # noqa: E402
from voila_server import CHROMIUM, CHROMIUM_ARGS, voila_server  # noqa: E402

CODE = """\
import json, time
import ipywidgets as w
from widgets.camera import Camera

COST = {cost!r}
camera = Camera(fps={fps!r})

def on_frame(frame):
    end = time.process_time() + COST  # a model costing COST s of CPU
    while time.process_time() < end:
        pass

camera.on_frame(on_frame)
display(camera)
"""


def notebook(path: Path, cost: float, fps: float) -> Path:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(CODE.format(cost=cost, fps=fps))]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, path)
    return path


ACKED = """([t0, t1]) => (window.mlexpCameraTimings || [])
    .filter(t => t.acked && t.captured >= t0 && t.captured <= t1)"""


def cpu_seconds(pid: int | None) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
        return times.user + times.system
    except (psutil.Error, ValueError, TypeError):
        return float("nan")


def run(playwright, video: Path, urls: list[str], labels: list[str], governed: bool,
        seconds: float, warmup: float) -> dict:
    """Open every page, wait `warmup` s, measure `seconds` s."""
    os.environ["MLEXP_CAMERA_GOVERNOR"] = "1" if governed else "0"
    args = CHROMIUM_ARGS + CHROMIUM_CAMERA + GRANTED + [f"--use-file-for-fake-video-capture={video}"]
    with voila_server(cull_idle=60) as server:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        pages, pids = [], []
        try:
            for url in urls:
                page = browser.new_context(viewport={"width": 900, "height": 800}).new_page()
                page.set_default_timeout(180_000)
                before = set(server.kernel_rss_mib())
                page.goto(server.url + url(server) if callable(url) else server.url + url)
                page.wait_for_function("() => (window.mlexpCameraTimings || []).filter(t => t.acked).length > 5")
                new = set(server.kernel_rss_mib()) - before
                pages.append(page)
                pids.append(new.pop() if len(new) == 1 else None)
            time.sleep(warmup)
            psutil.cpu_percent(interval=None)
            start = [(p.evaluate("performance.now()"), cpu_seconds(pid)) for p, pid in zip(pages, pids)]
            t0 = time.monotonic()
            time.sleep(seconds)
            busy = psutil.cpu_percent(interval=None) / 100
            elapsed = time.monotonic() - t0
            rows = []
            for (p0, cpu0), page, pid, label in zip(start, pages, pids, labels):
                p1 = page.evaluate("performance.now()")
                acked = page.evaluate(ACKED, [p0, p1])
                latency = [t["acked"] - t["captured"] for t in acked]
                rows.append({"label": label, "fps": len(acked) / ((p1 - p0) / 1000),
                             "cores": (cpu_seconds(pid) - cpu0) / elapsed,
                             "latency_ms": statistics.median(latency) if latency else float("nan"),
                             "rate": acked[-1].get("rate") if acked else None,
                             "hidden": page.evaluate("document.hidden")})
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
    parser.add_argument("--dashboard", help="an experiment whose demo notebook each page opens (rps_hand)")
    parser.add_argument("--pages", type=int, default=4, help="pages, with --dashboard")
    options = parser.parse_args()
    costs = [float(c) for c in options.costs.split(",")]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MLEXP_SHARE_DIR"] = folder  # these cameras (and --others) alone count each other
        stop = threading.Event()
        threading.Thread(target=others, args=(Path(folder), options.others, stop), daemon=True).start()
        video = Path(folder) / "camera.y4m"
        if options.dashboard:
            write_y4m(video, camera_frames(), fps=30)  # benchmarks/rps.py: held-out hands in a room
            urls = [f"/voila/render/{mlexp.get(options.dashboard).demo_notebook}"] * options.pages
            labels = [options.dashboard] * options.pages
        else:
            y, x = np.mgrid[0:480, 0:640]
            picture = np.stack([x * 255 // 640, y * 255 // 480, (x + y) * 255 // 1120], -1).astype(np.uint8)
            write_y4m(video, [picture, picture[:, ::-1]])  # a smooth picture, like a room, not noise
            notebooks = Path(folder) / "notebooks"
            notebooks.mkdir()
            paths = [notebook(notebooks / f"share-{i}.ipynb", cost / 1000, options.fps) for i, cost in enumerate(costs)]

            def served(path):  # each server copies the notebook into its own scratch folder
                return lambda server: f"/voila/render/{server.path(shutil.copy(path, server.scratch))}"
            urls = [served(path) for path in paths]
            labels = [f"{cost:g} ms/frame" for cost in costs]
        with sync_playwright() as playwright:
            results = {name: run(playwright, video, urls, labels, governed, options.seconds, options.warmup)
                       for name, governed in (("fixed", False), ("governed", True))}
        stop.set()
    what = f"{options.dashboard} demo" if options.dashboard else f"fps {options.fps:g}, costs {options.costs} ms"
    print(f"{psutil.cpu_count()} CPUs, load average {load:.2f} before; {len(urls)} camera pages at once, "
          f"{what}, {options.seconds:g} s measured "
          f"after {options.warmup:g} s, {options.others} more cameras counted as active")
    for name, result in results.items():
        rates = [r["fps"] for r in result["pages"]]
        print(f"{name:>9}: machine {result['busy']:.0%} busy; frames/s per page min {min(rates):.1f}, "
              f"median {statistics.median(rates):.1f}")
        for r in result["pages"]:
            rate = f"{r['rate']:.1f}" if isinstance(r["rate"], (int, float)) else r["rate"]
            print(f"           {r['label']:>12}: {r['fps']:5.1f} frames/s, kernel {r['cores']:.2f} cores, "
                  f"frame->ack median {r['latency_ms']:6.0f} ms, rate {rate}"
                  + (" (HIDDEN)" if r["hidden"] else ""))


if __name__ == "__main__":
    main()
