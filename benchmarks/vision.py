"""Measure the two pretrained-vision dashboards side by side, and print a table with the goals.

  (a) photo classification, ms per photo from the file's bytes (decode + centre crop + model),
      with the shipped LiteRT file and with the reference Keras model in TensorFlow, on the
      mirror's JPEG photos;
  (b) object detection in the kernel, frames per second from a 320x240 camera JPEG to boxes;
  (c) in Chromium through Voila: camera frame -> boxes drawn (the kernel's acknowledgement
      leaves after the overlay's update) and the frames per second the dashboard gets, with
      Chromium's fake camera playing a real photo; and each dashboard's kernel RSS after use.

Run: MLEXP_DATA_DIR=../shared/data .venv/bin/python benchmarks/vision.py
"""
from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support"), str(REPO / "tests" / "browser")]

import numpy as np  # noqa: E402
from test_vision_browser import choose_file  # noqa: E402

import mlexp  # noqa: E402
from mlexp.core.metrics import top_classes  # noqa: E402
from mlexp.core.paths import mirror_dir  # noqa: E402
from mlexp.inputs.pictures import crop_box, model_input  # noqa: E402
from widgets.camera import decode_jpeg  # noqa: E402

import common  # noqa: E402
from camera_page import photo  # noqa: E402

DATA = mirror_dir() or REPO.parent / "shared" / "data"
SECONDS = 15
LITERT = "photo -> top 5, LiteRT, ms (median / p90)"
KERAS = "photo -> top 5, TensorFlow/Keras, ms (median / p90)"
KERNEL = "kernel: camera JPEG -> boxes, frames/s (median / p10)"
LATENCY = f"camera frame -> boxes drawn in Chromium, ms (median / p90, {SECONDS} s)"
FPS = "frames with boxes per second in Chromium"
RSS = "demo kernel RSS after use, MiB"
GOALS = {LITERT: "<= 30 ms", FPS: ">= 10", KERNEL: ">= 10", RSS: "<= 150 MiB"}
NONE = (float("nan"), None)


def classification() -> dict:
    """(a) over the mirror's JPEGs."""
    from mlexp.training.tf import keras, tf

    model = mlexp.load("image_classification")
    files = [p.read_bytes() for p in sorted((DATA / "images").glob("*.jpg"))]
    reference = keras.models.load_model(DATA / "pretrained" / "mobilenet_v2" / "mobilenet_v2_from_coral_ptq.keras",
                                        compile=False)

    graph = tf.function(lambda x: reference(x, training=False))  # traced once: no eager overhead per call

    def keras_photo(data):
        image = model.read(data)  # the same decoding and crop as LiteRT's path
        x = model_input(image, 224, crop_box(*image.size))[None].astype(np.float32) / 127.5 - 1
        return top_classes(graph(x).numpy()[0])

    literal = [common.timings(lambda d=d: model.classify(model.read(d)), 10) for d in files]
    tf = [common.timings(lambda d=d: keras_photo(d), 5) for d in files]
    return {LITERT: (statistics.median(m for m, _ in literal), max(p for _, p in literal)),
            KERAS: (statistics.median(m for m, _ in tf), max(p for _, p in tf))}


def detection_kernel(frames) -> dict:
    model = mlexp.load("object_detection")
    data = [common.jpeg(f) for f in frames]
    median, p90 = common.timings(lambda: [model.detect(decode_jpeg(d)) for d in data], 5)
    return {KERNEL: (1000 * len(data) / median, 1000 * len(data) / p90)}


def dashboard(name: str, server, browser, upload: Path | None) -> dict:
    """(c) for one dashboard: the detector's live figures, the photo dashboard after an upload."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    before = set(server.kernel_rss_mib())
    page.goto(f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}")
    figures = {LATENCY: NONE, FPS: NONE}
    if upload is not None:
        choose_file(page, ".mlexp-photo-view", str(upload))
        page.wait_for_function("() => document.querySelector('.mlexp-photo-view img')", timeout=120_000)
        page.wait_for_timeout(2000)
    else:
        page.wait_for_function("() => (window.mlexpCameraTimings || []).filter(t => t.acked).length > 10",
                               timeout=120_000)
        start = page.evaluate("performance.now()")
        page.wait_for_timeout(SECONDS * 1000)
        timings = page.evaluate("s => window.mlexpCameraTimings.filter(t => t.acked && t.captured >= s)", start)
        latencies = [t["acked"] - t["captured"] for t in timings]
        figures = {LATENCY: (statistics.median(latencies), float(np.percentile(latencies, 90))),
                   FPS: (len(timings) / SECONDS, None)}
    rss = [mib for pid, mib in server.kernel_rss_mib().items() if pid not in before]
    context.close()
    return {**figures, RSS: (rss[0] if len(rss) == 1 else float("nan"), None)}


def main() -> None:
    load = os.getloadavg()[0]
    frames = [photo(DATA / "images" / name) for name in ("pets.jpg", "kite_and_cold.jpg")] * 5
    results = {"image_classification": {**classification(), KERNEL: NONE},
               "object_detection": {LITERT: NONE, KERAS: NONE, **detection_kernel(frames)}}
    uploads = {"image_classification": DATA / "images" / "parrot.jpg", "object_detection": None}
    measured = common.in_browser(list(uploads), lambda name, server, browser: dashboard(name, server, browser,
                                                                                       uploads[name]),
                                 camera_frames=frames)
    for name, figures in measured.items():
        results[name].update(figures)
    common.report(results, GOALS, load, "the detector's camera sends at most 15 frames/s of 320x240")


if __name__ == "__main__":
    main()
