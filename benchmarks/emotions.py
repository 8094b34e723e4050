"""Measure the emotions dashboard with one face and with three faces in view, side by side:

  (a) the kernel pipeline per camera frame (JPEG decode, face finder, aligned crops, classifier),
      as frames per second, on 320x240 JPEG frames like those the camera sends: real face photos
      pasted into a real photo without faces, moving a little from frame to frame;
  (b) the heat map of the largest face (occlusion: 26 runs of the classifier in one batch), ms;
  (c) camera frame -> label shown, in Chromium through Voila with Chromium's fake camera playing
      the same frames (frame drawn off the video -> the kernel's acknowledgement, which leaves
      after the label, the boxes and, every 0.3 s, the heat map are updated), and frames/s;
  (d) the demo kernel's resident memory after it has recognized faces for a while.

Run: MLEXP_DATA_DIR=../shared/data .venv/bin/python benchmarks/emotions.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

import mlexp  # noqa: E402
from mlexp.core.paths import mirror_dir  # noqa: E402
from widgets.camera import decode_jpeg  # noqa: E402

import common  # noqa: E402

DATA = mirror_dir() or REPO.parent / "shared" / "data"
SECONDS = 15  # of live recognition in the browser
KERNEL = "kernel: decode + finder + classifier, frames/s (median / p10)"
HEAT = "heat map of the largest face, ms (median / p90)"
LATENCY = f"camera frame -> label in Chromium, ms (median / p90, {SECONDS} s)"
FPS = "frames recognized per second in Chromium"
RSS = "demo kernel RSS after recognizing, MiB"
GOALS = {KERNEL: ">= 15 (one face)", FPS: ">= 15 (one face)", RSS: "<= 150 MiB"}


def faces() -> list[Image.Image]:
    """Three real face photos: Grace Hopper, the astronaut's head and shoulders, Grace mirrored."""
    grace = Image.open(DATA / "images" / "grace_hopper.bmp").convert("RGB")
    astronaut = Image.fromarray(data.astronaut()).crop((120, 0, 370, 300))
    return [grace, astronaut, grace.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]


def camera_frames(count: int, how_many: int = 30) -> list[np.ndarray]:
    """`how_many` 640x480 frames of a room without faces with `count` face photos pasted in, moving."""
    room = Image.open(DATA / "images" / "kite_and_cold.jpg").convert("RGB").resize((640, 480))
    frames = []
    for i in range(how_many):
        frame = room.copy()
        for k, face in enumerate(faces()[:count]):
            width = 200 if count == 1 else 150
            pasted = face.resize((width, round(width * face.height / face.width)))
            frame.paste(pasted, (220 - 180 * (count > 1) + 210 * k + 3 * (i % 10), 40 + 2 * (i % 10)))
        frames.append(np.asarray(frame))
    return frames


def kernel_pipeline(frames, expected: int) -> dict:
    """(a) and (b): what the demo's frame callback does, and the heat map it asks for."""
    model = mlexp.load("emotions")
    jpegs = [common.jpeg(f) for f in frames]
    found = [len(model.classify_frame(decode_jpeg(j)).faces) for j in jpegs]
    assert min(found) == max(found) == expected, f"faces found: {sorted(set(found))}, not {expected}"
    fps = common.frames_per_second(model, jpegs)
    crop = model.classify_frame(decode_jpeg(jpegs[0])).faces[0].crop
    return {KERNEL: fps, HEAT: common.timings(lambda: model.heat_map(crop), 50)}


def in_browser(name: str, server, browser) -> dict:
    """The figures measured in Chromium."""
    return common.camera_dashboard(name, server, browser, SECONDS, (LATENCY, FPS, RSS))


def main() -> None:
    load = os.getloadavg()[0]
    if not mlexp.get("emotions").has_model():
        sys.exit("No model for emotions: train it with `mlexp train emotions`.")
    results = {}
    for count in (1, 3):
        frames = camera_frames(count)
        column = f"{count} face{'s' * (count > 1)}"
        results[column] = kernel_pipeline(frames, count)
        results[column].update(common.in_browser(["emotions"], in_browser, camera_frames=frames)["emotions"])
    common.report(results, GOALS, load, "the camera sends at most 20 frames/s of 320x240 (the demo's settings)")


if __name__ == "__main__":
    main()
