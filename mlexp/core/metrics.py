"""Held-out figures shared by the predictors."""
from __future__ import annotations

import numpy as np


def accuracy_report(y_true: np.ndarray, y_pred: np.ndarray, labels) -> dict:
    """Overall and per-class accuracy."""
    per_class = {
        label: float((y_pred[y_true == i] == i).mean()) for i, label in enumerate(labels) if (y_true == i).any()
    }
    return {"accuracy": float((y_pred == y_true).mean()), "n": int(len(y_true)), "per_class": per_class}


def top_k_accuracy(y_true: np.ndarray, probabilities: np.ndarray, k: int = 5) -> float:
    """The share of inputs whose true class is among the k most probable."""
    top = np.argpartition(-probabilities, k - 1, axis=1)[:, :k]
    return float((top == np.asarray(y_true)[:, None]).any(1).mean())


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits along the last axis (the largest logit subtracted first)."""
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities from logits along the last axis (exact for very unlikely classes, where
    the log of `softmax` would underflow)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) int counts: rows the true class, columns the predicted one."""
    matrix = np.zeros((n_classes, n_classes), int)
    np.add.at(matrix, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return matrix


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (x1, y1, x2, y2) box with each of `boxes` (n, 4); a box with
    no area overlaps nothing."""
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    area = lambda b: np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)  # noqa: E731
    inter = w * h
    return inter / np.maximum(area(box) + area(boxes) - inter, 1e-9)


def top_classes(probabilities: np.ndarray, k: int = 5) -> np.ndarray:
    """Indices of the k most likely classes, most likely first (for each row)."""
    return np.argsort(-probabilities, axis=-1, kind="stable")[..., :k]


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The Frechet distance between Gaussians fitted to two sets of feature vectors (n, d):
    |mean_a - mean_b|^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)), as FID computes it (here with
    numpy only: tr((C_a C_b)^(1/2)) is the sum of the square roots of the eigenvalues of the
    symmetric C_a^(1/2) C_b C_a^(1/2))."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mean = a.mean(0) - b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    return float(mean @ mean + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(np.clip(cross, 0, None)).sum())


def nearest_distances(images, reference, batch: int = 500) -> np.ndarray:
    """Each picture's Euclidean distance (pixels in [0, 1]) to its nearest picture in `reference`."""
    a = np.reshape(images, (len(images), -1)).astype(np.float32)
    b = np.reshape(reference, (len(reference), -1)).astype(np.float32)
    b_sq = (b**2).sum(1)
    out = []
    for i in range(0, len(a), batch):
        chunk = a[i : i + batch]
        d2 = (chunk**2).sum(1)[:, None] + b_sq[None] - 2 * chunk @ b.T
        out.append(np.sqrt(np.clip(d2.min(1), 0, None)))
    return np.concatenate(out)
