"""Measure the three rock-paper-scissors dashboards side by side, and print a table with the goals.

  (a) the kernel pipeline per camera frame (JPEG decode, hand finder, classifier), as frames per
      second, on 320x240 JPEG frames like those the camera sends: a held-out hand pasted into a
      real photo, the hand followed from frame to frame as in the demo;
  (b) camera frame -> label shown, in Chromium through Voila with Chromium's fake camera playing
      the same kind of frames (from the frame drawn off the video to the kernel's acknowledgement,
      which leaves after the label's update), and the frames per second the dashboard gets;
  (c) the demo kernel's resident memory after it has recognized frames for a while.

Run: MLEXP_DATA_DIR=../shared/data .venv/bin/python benchmarks/rps.py [NAME ...]
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import numpy as np  # noqa: E402

import mlexp  # noqa: E402
from mlexp.core.paths import mirror_dir  # noqa: E402
from mlexp.data.rps import RPS_LABELS, rps_files  # noqa: E402
from mlexp.perception.hands import HandFinder  # noqa: E402
from widgets.camera import decode_jpeg  # noqa: E402

import common  # noqa: E402
from camera_page import hand_in_room  # noqa: E402

NAMES = sys.argv[1:] or [e.name for e in mlexp.EXPERIMENTS.values() if e.task == "hand-gesture"]
DATA = mirror_dir() or REPO.parent / "shared" / "data"
SECONDS = 15  # of live recognition in the browser, per dashboard
KERNEL = "kernel: decode + hand finder + classifier, frames/s (median / p10)"
LATENCY = f"camera frame -> label in Chromium, ms (median / p90, {SECONDS} s)"
FPS = "frames recognized per second in Chromium"
RSS = "demo kernel RSS after recognizing, MiB"
GOALS = {KERNEL: ">= 15", FPS: ">= 15", LATENCY: "<= 150 ms", RSS: "<= 150 MiB"}


def camera_frames(count: int = 30) -> list[np.ndarray]:
    """Frames of held-out hands (one of each gesture, each found by the hand finder in the frame),
    pasted into a real photo without a hand, moving a little from frame to frame."""
    finder = HandFinder()

    def paste(photo, i=0):
        return hand_in_room(DATA, photo, at=(200 + 4 * (i % 10), 120 + 2 * (i % 10)), width=220)[0]

    def found(p):
        return finder.find(decode_jpeg(common.jpeg(paste(p)))) is not None

    photos = [next(p for p, label in rps_files("testing") if label == i and found(p)) for i in range(len(RPS_LABELS))]
    return [paste(photos[i * len(photos) // count], i) for i in range(count)]


def kernel_pipeline(name: str, frames) -> dict:
    """(a): seconds per frame through what the demo's frame callback does."""
    model = mlexp.load(name)
    return {KERNEL: common.frames_per_second(model, [common.jpeg(f) for f in frames])}


def in_browser(name: str, server, browser) -> dict:
    """The figures measured in Chromium."""
    return common.camera_dashboard(name, server, browser, SECONDS, (LATENCY, FPS, RSS))


def main() -> None:
    load = os.getloadavg()[0]
    missing = [n for n in NAMES if not mlexp.get(n).has_model()]
    if missing:
        sys.exit(f"No model for {', '.join(missing)}: train it with `mlexp train NAME`.")
    frames = camera_frames()
    results = {name: kernel_pipeline(name, frames) for name in NAMES}
    for name, figures in common.in_browser(NAMES, in_browser, camera_frames=frames).items():
        results[name].update(figures)
    common.report(results, GOALS, load, "the camera sends at most 20 frames/s of 320x240 (the demos' settings)")


if __name__ == "__main__":
    main()
