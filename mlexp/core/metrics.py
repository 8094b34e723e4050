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
