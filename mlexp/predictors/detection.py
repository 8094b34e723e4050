"""Object detection: a photo or camera frame of any size -> boxes of the 80 COCO classes, each
with its label and score, in the photo's own pixels. The model (`models/object_detection/`,
converted from a TF.js CenterNet by its notebook) reads a square RGB 0-255 image and gives the
local maxima of its 80 class heatmaps and the box sides at each heatmap cell; the decoding (the
graph's own: the best 100 peaks, box = cell x stride -/+ sides) is done here with numpy."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlexp.core.files import byte_size
from mlexp.core.litert import ModelMissing, Predictor, Result
from mlexp.core.metrics import iou as overlap
from mlexp.inputs.pictures import letterbox, rgb_array

MAX_BOXES = 100  # the graph keeps its best 100 peaks
DEFAULT_THRESHOLD = 0.3
OVERLAP = 0.5  # boxes of one class overlapping more than this (IoU) are one object


@dataclass(frozen=True)
class Box:
    """One detected object: class name, score (0-1) and [x1, y1, x2, y2] in the photo's pixels."""

    label: str
    score: float
    box: tuple[float, float, float, float]

    def as_json(self) -> dict:
        return {"label": self.label, "score": round(self.score, 4), "box": [round(v, 1) for v in self.box]}


@dataclass
class Detections(Result):
    """What the detector found in one photo, best score first, and the score it was cut at."""

    boxes: list[Box]
    threshold: float
    size: tuple[int, int] = (0, 0)  # the photo's (width, height)

    @property
    def counts(self) -> dict[str, int]:
        """How many boxes of each class, most frequent first."""
        return dict(Counter(b.label for b in self.boxes).most_common())

    @property
    def note(self) -> str:
        return "" if self.boxes else f"Nothing found with a score of at least {self.threshold:.2f}."

    def as_json(self) -> dict:
        return {"boxes": [b.as_json() for b in self.boxes], "counts": self.counts, "threshold": self.threshold}

    def for_widget(self) -> list[dict]:
        """What `widgets.DetectionView` draws: each box's label, score and corners."""
        return [b.as_json() for b in self.boxes]

    def __str__(self) -> str:
        if not self.boxes:
            return f"nothing found (score >= {self.threshold:.2f})"
        counts = ", ".join(f"{n} {label}" for label, n in self.counts.items())
        boxes = "; ".join(f"{b.label} {b.score:.2f} at [{', '.join(f'{v:.0f}' for v in b.box)}]" for b in self.boxes)
        return f"{counts}  ({boxes})"


def decode(peaks: np.ndarray, sides: np.ndarray, threshold: float, stride: int = 4,
           limit: int = MAX_BOXES, classes=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CenterNet graph's decoding: peaks (h, w, classes) (heatmap scores at their 3x3 local
    maxima, 0 elsewhere) and sides (h, w, 4) -> boxes (n, 4) [x1, y1, x2, y2] in model pixels,
    scores (n,), class indices (n,): the best `limit` peaks scoring at least `threshold` (and
    above 0), of the class indices `classes` if given, best first."""
    _, w, n_classes = peaks.shape
    flat = peaks.reshape(-1)
    index = np.flatnonzero(flat >= max(threshold, np.finfo(np.float32).tiny))
    if classes is not None:  # before the best `limit`: other classes take no places
        index = index[np.isin(index % n_classes, list(classes))]
    if len(index) > limit:
        index = index[np.argpartition(-flat[index], limit - 1)[:limit]]
    index = index[np.argsort(-flat[index], kind="stable")]
    cell, found = np.divmod(index, n_classes)
    y, x = np.divmod(cell, w)
    s = sides.reshape(-1, 4)[cell]
    cx, cy = (x * stride).astype(np.float32), (y * stride).astype(np.float32)
    boxes = np.stack([cx - s[:, 0], cy - s[:, 1], cx + s[:, 2], cy + s[:, 3]], axis=1)
    return boxes, flat[index], found


def overlaps(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float = OVERLAP) -> np.ndarray:
    """Indices of the boxes to keep, best first: a box overlapping a better one of its class by
    more than `iou` (intersection over union) is the same object found twice (CenterNet's peaks
    of one object are sometimes two cells apart) and is dropped."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    for i in order:
        kept = np.array([k for k in keep if classes[k] == classes[i]], int)
        if len(kept) and (overlap(boxes[i], boxes[kept]) > iou).any():
            continue
        keep.append(int(i))
    return np.array(keep, int)


class Detector(Predictor):
    """The COCO object detector: `detect(image)` gives the boxes above a score threshold (the
    card's `score_threshold` unless told), optionally only of some classes; the graph's decoding,
    then one step it lacks: a box overlapping a better one of its class is dropped (`overlaps`)."""

    def __init__(self, model_dir: str | Path, num_threads: int = 2):
        super().__init__(model_dir, num_threads)
        self.labels = list(self.card.get("labels", ()))
        self.size = int(self.inputs[0]["shape"][1])
        self.threshold = float(self.card.get("score_threshold", DEFAULT_THRESHOLD))
        by_channels = {int(o["shape"][-1]): i for i, o in enumerate(self.outputs)}
        if len(self.outputs) != 2 or set(by_channels) != {len(self.labels), 4} or not self.labels:
            raise ModelMissing(f"The model file {self.path} is not the detector its card describes: "
                               f"convert it again with `mlexp train {self.path.parent.name}`.")
        self._peaks, self._sides = by_channels[len(self.labels)], by_channels[4]
        self.stride = self.size // int(self.outputs[self._peaks]["shape"][1])

    def describe(self) -> str:
        card = self.card
        return (f"{card.get('model', 'CenterNet')} reads {self.size}x{self.size} pixels (photos letterboxed, "
                f"not squashed); {byte_size(self.path.stat().st_size)}.")

    def _classes(self, classes) -> set[int] | None:
        if classes is None:
            return None
        wanted = [classes] if isinstance(classes, str) else list(classes)
        unknown = [c for c in wanted if c not in self.labels]
        if unknown:
            raise ValueError(f"{', '.join(map(str, unknown))}: not among the detector's classes "
                             f"({', '.join(self.labels[:5])}, ...).")
        return {self.labels.index(c) for c in wanted}

    def detect(self, image, threshold: float | None = None, classes=None) -> Detections:
        """The objects in a photo (PIL image or RGB array, any size) with a score of at least
        `threshold`, only of `classes` (class names) if given; boxes in the photo's pixels."""
        threshold = self.threshold if threshold is None else float(threshold)
        if not 0 <= threshold <= 1:
            raise ValueError(f"The score threshold must be between 0 and 1, not {threshold}.")
        wanted = self._classes(classes)
        rgb = rgb_array(image)
        square, scale = letterbox(rgb, self.size)
        out = self.run(square[None].astype(np.float32))
        boxes, scores, labels = decode(out[self._peaks][0], out[self._sides][0], threshold, self.stride,
                                       classes=wanted)
        keep = overlaps(boxes, scores, labels)
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        h, w = rgb.shape[:2]
        boxes = np.clip(boxes / scale, 0, [w, h, w, h])
        found = [Box(self.labels[c], float(s), tuple(float(v) for v in b)) for b, s, c in zip(boxes, scores, labels)]
        return Detections(found, threshold, (w, h))

    def predict(self, image, threshold: float | None = None, classes=None) -> Detections:
        """`detect` for `mlexp predict`."""
        return self.detect(image, threshold, classes)

    def evaluate(self) -> dict:
        """No held-out set: the detector is COCO's, used as published; what the card measured
        (agreement with the original TF.js graph, speed) instead."""
        return {"held_out": None, "note": "No held-out set: this detector is used as published (trained on "
                "COCO); the figures are its agreement with the original graph.",
                **self.card.get("check", {})}

    @staticmethod
    def summary(report: dict) -> str:
        figures = {k: v for k, v in report.items() if k not in ("name", "held_out", "note")}
        return report["note"] + (" " + ", ".join(f"{k} {v}" for k, v in figures.items()) if figures else "")
