"""What MediaPipe's single-shot detectors (the palm detector, BlazeFace) share: their anchors, the
decoding of boxes and keypoints relative to them, and weighted non-maximum suppression."""
from __future__ import annotations

import numpy as np

from mlexp.core.metrics import iou


def ssd_anchors(size: int, layers: tuple[tuple[int, int], ...]) -> np.ndarray:
    """(N, 2) anchor centres in [0, 1] for a square input of `size` pixels: for each (stride, anchors
    per cell) layer (layers of the same stride merged), every cell's centre repeated; ordered y, x, anchor."""
    centres = []
    for stride, per_cell in layers:
        n = size // stride
        y, x = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
        centres.append(np.repeat(np.stack([x.ravel(), y.ravel()], 1), per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def weighted_nms(boxes: np.ndarray, points: np.ndarray, scores: np.ndarray, threshold: float = 0.3):
    """MediaPipe's weighted non-maximum suppression: each best remaining detection is replaced by
    the score-weighted mean of those overlapping it (IoU > threshold); yields (box, points, score)."""
    order = np.argsort(-scores)
    while len(order):
        overlap = iou(boxes[order[0]], boxes[order]) > threshold
        overlap[0] = True  # the best itself, even a box with no area (else it never leaves)
        group, weights = order[overlap], scores[order[overlap]][:, None]
        yield ((boxes[group] * weights).sum(0) / weights.sum(), (points[group] * weights[:, :, None]).sum(0)
               / weights.sum(), float(scores[order[0]]))
        order = order[~overlap]


def detections(raw: np.ndarray, logits: np.ndarray, anchors: np.ndarray, size: int, scale: float, pad,
               keypoints: int, threshold: float) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """A detector's outputs for one letterboxed image -> (box x1 y1 x2 y2, keypoints (K, 2), score), best
    first, in the original image's pixels. `raw` (N, 4 + 2K): box centre offset, width, height, then the
    keypoints, in input pixels relative to each anchor; `logits` (N,); `scale` and `pad` the letterbox's."""
    scores = 1 / (1 + np.exp(-np.clip(logits, -100, 100)))
    keep = scores >= threshold
    if not keep.any():
        return []
    pad = np.asarray(pad, np.float32)
    raw, anchors = raw[keep] / size, anchors[keep]
    centre, half = raw[:, :2] + anchors, raw[:, 2:4] / 2
    boxes = (np.concatenate([centre - half, centre + half], 1) * size - np.tile(pad, 2)) / scale
    points = ((raw[:, 4:4 + 2 * keypoints].reshape(-1, keypoints, 2) + anchors[:, None]) * size - pad) / scale
    return list(weighted_nms(boxes, points, scores[keep]))
