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


def top_classes(probabilities: np.ndarray, k: int = 5) -> np.ndarray:
    """Indices of the k most likely classes, most likely first (for each row)."""
    return np.argsort(-probabilities, axis=-1, kind="stable")[..., :k]
