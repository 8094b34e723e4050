"""Measure the hand finder on a 640x480 frame (a held-out rock-paper-scissors photo pasted onto a
real photo): palm detector + landmarks, tracking, and each model alone; then the found rates on
the rock-paper-scissors testing photos and on the mirror's photos without hands.

Run: MLEXP_DATA_DIR=../shared/data .venv/bin/python benchmarks/hands.py [THREADS]
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mlexp.core.paths import mirror_dir  # noqa: E402
from mlexp.perception.hands import HandFinder  # noqa: E402

from common import timings  # noqa: E402

DATA = mirror_dir() or REPO.parent / "shared" / "data"
THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 2


def ms(fn, n: int = 200) -> str:
    median, p90 = timings(fn, n, warmup=5)
    return f"{median:.1f} ms median, {p90:.1f} ms p90"


def rgb(path, size=None) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    return np.asarray(image if size is None else image.resize(size, Image.BILINEAR))


def main() -> None:
    finder = HandFinder(num_threads=THREADS)
    photos = sorted((DATA / "rps" / "testing").glob("*/*.jpg"))
    frame = rgb(DATA / "images" / "kite_and_cold.jpg", (640, 480)).copy()
    hand_photo = next(rgb(p, (280, 280)) for p in photos[::23] if finder.find(rgb(p, (280, 280))))
    frame[100:380, 180:460] = hand_photo
    assert finder.find(frame) is not None, "the pasted hand is not found"
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {THREADS} LiteRT threads, 640x480 frame")
    print("palm detector + landmarks:", ms(lambda: finder.find(frame)))

    def tracked():
        finder.find(frame, track=True)

    finder.reset()
    print("tracking (landmarks only):", ms(tracked))
    assert finder.find(frame, track=True).found_by == "tracking"
    print("palm detector alone:      ", ms(lambda: finder.palms(frame)))
    crop = np.zeros((1, 224, 224, 3), np.float32)
    print("landmark model alone:     ", ms(lambda: finder.landmark.run(crop)))

    palm = sum(finder.find(rgb(p)) is not None for p in photos)
    whole = sum(finder.find(rgb(p), whole_image=True) is not None for p in photos)
    print(f"rps testing photos with a hand: {palm} / {len(photos)} by the palm detector, "
          f"{whole} / {len(photos)} with whole_image=True")
    empty = [p for p in sorted((DATA / "images").iterdir()) if p.name != "COPYRIGHT"]
    palms = sum(bool(finder.palms(rgb(p))) for p in empty)
    hands = sum(finder.find(rgb(p), whole_image=True) is not None for p in empty)
    print(f"photos without hands ({len(empty)}): palm detector fires on {palms}, hands found {hands}")


if __name__ == "__main__":
    main()
