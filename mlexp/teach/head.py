"""A small classifier head trained in numpy on features (no TensorFlow): the features
standardised, then one hidden layer (ReLU) or none, a softmax, cross-entropy, Adam, mini-batches.

`split` holds out the last 15% of each class's samples (in the order they were taken: the frames
recorded just before a held-out one are not its near copies, except at the one boundary);
`train_head` trains on the rest and measures the held-out part after each epoch (`Training` does
the same a slice at a time, for a caller that must stay responsive, and can be stopped); the `Head`
it returns runs in numpy and exports its layers (standardisation folded into the first) for LiteRT.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from mlexp.core.metrics import accuracy_report, confusion_matrix, softmax

HELD_OUT = 0.15


@dataclass
class Settings:
    """What a person can change (the advanced settings)."""

    epochs: int = 50
    learning_rate: float = 1e-3
    augment: bool = True
    hidden: int = 100  # units of the hidden layer; 0: a softmax on the features alone
    batch_size: int = 32
    seed: int = 0


def split(counts: list[int], held_out: float = HELD_OUT) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each class with `counts[c]` samples: (training indices, held-out indices), the held-out
    ones the last `held_out` share (at least one)."""
    parts = []
    for n in counts:
        k = max(1, int(round(n * held_out)))
        parts.append((np.arange(n - k), np.arange(n - k, n)))
    return parts


@dataclass
class Head:
    """Trained layers [(W (in, out), b, "relu" | None), ...] on standardised features."""

    labels: list[str]
    mean: np.ndarray
    scale: np.ndarray
    layers: list
    history: dict = field(default_factory=dict)  # per epoch: loss, accuracy, held_out_loss, held_out_accuracy
    report: dict = field(default_factory=dict)  # held-out: accuracy, per_class, confusion, n, wrong
    seconds: float = 0.0

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(N, classes) for features (N, d)."""
        x = (np.asarray(features, np.float32) - self.mean) / self.scale
        for w, b, activation in self.layers:
            x = x @ w + b
            if activation == "relu":
                x = np.maximum(x, 0)
        return softmax(x)

    def exported_layers(self) -> list:
        """The layers with the standardisation folded into the first: they read raw features."""
        (w, b, activation), rest = self.layers[0], self.layers[1:]
        folded = w / self.scale[:, None]
        return [(folded.astype(np.float32), (b - (self.mean / self.scale) @ w).astype(np.float32), activation),
                *rest]


def _init(sizes: list[int], rng) -> list[list[np.ndarray]]:
    """He-initialised [W, b] pairs for layers of these sizes."""
    return [[rng.normal(0, np.sqrt(2 / m), (m, n)).astype(np.float32), np.zeros(n, np.float32)]
            for m, n in zip(sizes, sizes[1:])]


def _forward(params, x):
    """Logits and each layer's input (for the backward pass)."""
    inputs = []
    for i, (w, b) in enumerate(params):
        inputs.append(x)
        x = x @ w + b
        if i < len(params) - 1:
            x = np.maximum(x, 0)
    return x, inputs


def _gradients(params, x, y):
    """Cross-entropy loss and its gradients for a batch (y: class numbers)."""
    logits, inputs = _forward(params, x)
    p = softmax(logits)
    loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
    delta = p
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = [None] * len(params)
    for i in reversed(range(len(params))):
        w, _ = params[i]
        grads[i] = [inputs[i].T @ delta, delta.sum(0)]
        if i:
            delta = (delta @ w.T) * (inputs[i] > 0)
    return loss, grads


def _measure(params, x, y):
    """(loss, accuracy, predictions) on standardised features."""
    if not len(y):
        return float("nan"), float("nan"), np.zeros(0, int)
    p = softmax(_forward(params, x)[0])
    predicted = p.argmax(1)
    return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean()), float((predicted == y).mean()), predicted


def _stack(parts: list[tuple[np.ndarray, np.ndarray]], augment: bool) -> np.ndarray:
    """(n, 1 + views, d) float32: each sample's features, then (with `augment`) its views, filled
    into one array (no intermediate copies)."""
    n = sum(len(f) for f, _ in parts)
    k = parts[0][1].shape[1] if augment else 0
    out = np.empty((n, 1 + k, parts[0][0].shape[1]), np.float32)
    start = 0
    for f, v in parts:
        out[start : start + len(f), 0] = f
        if k:
            out[start : start + len(f), 1:] = v
        start += len(f)
    return out


def train_head(features: list[np.ndarray], views: list[np.ndarray], labels: list[str], settings: Settings,
               on_epoch: Callable[[int, dict], None] | None = None) -> Head:
    """Train on `features[c]` (n_c, d) of each class c (and, with augmentation, `views[c]`
    (n_c, k, d), augmented copies of each sample: every epoch takes each training sample once,
    as itself or one of its views, at random). `on_epoch(epoch, history)` after each epoch.
    All epochs at once; `Training` does the same a slice of time at a time."""
    training = Training(features, views, labels, settings)
    while not training.finished:
        if training.advance() and on_epoch is not None:  # an epoch at a time
            on_epoch(training.epochs_done - 1, training.history)
    return training.head()


class Training:
    """A head's training, done a slice at a time: `advance(seconds)` trains whole mini-batches
    until the epoch under way ends (measuring both parts) or about `seconds` have passed, so a
    caller can yield between slices (a kernel's event loop: the camera's frames, a Stop button).
    `head()` is the model as it was at the end of the last completed epoch (the one the history's
    last point and the report describe), so stopping between epochs loses only the unfinished one.
    Run to the end, it gives `train_head`'s head exactly (the same random numbers, in the same order).

    One BLAS thread while it works: for matrices this small, more threads only wait for each other
    (several times slower on a busy 2-core machine); between slices the caller's threads are as they were."""

    def __init__(self, features: list[np.ndarray], views: list[np.ndarray], labels: list[str], settings: Settings):
        self.labels, self.settings, self.seconds = list(labels), replace(settings), 0.0  # a copy: its own
        self.history = {"loss": [], "accuracy": [], "held_out_loss": [], "held_out_accuracy": []}
        started = time.perf_counter()
        with threadpool_limits(1):
            self._prepare(features, views)
        self.seconds += time.perf_counter() - started

    def _prepare(self, features, views) -> None:
        settings = self.settings
        self.rng = np.random.default_rng(settings.seed)
        self.parts = split([len(f) for f in features])
        train_x = _stack([(f[t], v[t]) for f, v, (t, _) in zip(features, views, self.parts)], settings.augment)
        self.train_y = np.concatenate([np.full(len(t), c) for c, (t, _) in enumerate(self.parts)])
        test_x = np.concatenate([f[h] for f, (_, h) in zip(features, self.parts)]).astype(np.float32)
        self.test_y = np.concatenate([np.full(len(h), c) for c, (_, h) in enumerate(self.parts)])
        self.mean = train_x[:, 0].mean(0)
        self.scale = np.maximum(train_x[:, 0].std(0), 1e-3 * max(float(train_x[:, 0].std()), 1e-6))
        train_x -= self.mean  # in place: with 3,000 image samples this array is ~40 MB
        train_x /= self.scale
        self.train_x, self.test_x = train_x, (test_x - self.mean) / self.scale
        sizes = [train_x.shape[2], *([settings.hidden] if settings.hidden else []), len(self.labels)]
        self.params = _init(sizes, self.rng)
        self.moments = [[[np.zeros_like(a), np.zeros_like(a)] for a in layer] for layer in self.params]
        self.step = 0  # Adam's
        self.kept = [[a.copy() for a in layer] for layer in self.params]  # the last completed epoch's
        self._order = None  # the epoch under way: its order, chosen views, next batch, losses

    @property
    def epochs_done(self) -> int:
        return len(self.history["loss"])

    @property
    def finished(self) -> bool:
        return self.epochs_done >= self.settings.epochs

    def advance(self, seconds: float = math.inf) -> bool:
        """Train whole mini-batches (at least one) until the epoch under way ends or `seconds` have
        passed; whether an epoch ended."""
        if self.finished:
            return False
        started = time.perf_counter()
        with threadpool_limits(1):
            while True:
                ended = self._batch()
                if ended or time.perf_counter() - started >= seconds:
                    break
        self.seconds += time.perf_counter() - started
        return ended

    def _batch(self) -> bool:
        """One mini-batch (starting an epoch first, ending it after its last one); whether an epoch ended."""
        settings, n = self.settings, len(self.train_y)
        if self._order is None:
            self._order = [self.rng.permutation(n), self.rng.integers(0, self.train_x.shape[1], n), 0, []]
        order, chosen, start, losses = self._order
        batch = order[start : start + settings.batch_size]
        x, y = self.train_x[batch, chosen[batch]], self.train_y[batch]
        loss, grads = _gradients(self.params, x, y)
        losses.append(loss * len(batch))
        self.step += 1
        beta1, beta2 = 0.9, 0.999
        rate = settings.learning_rate * np.sqrt(1 - beta2**self.step) / (1 - beta1**self.step)
        for layer, layer_grads, layer_moments in zip(self.params, grads, self.moments):
            for a, g, (m, v) in zip(layer, layer_grads, layer_moments):
                m += (1 - beta1) * (g - m)
                v += (1 - beta2) * (g * g - v)
                a -= rate * m / (np.sqrt(v) + 1e-7)
        self._order[2] = start = start + settings.batch_size
        if start < n:
            return False
        self._order = None
        history = self.history
        _, accuracy, _ = _measure(self.params, self.train_x[np.arange(n), 0], self.train_y)
        history["loss"].append(float(np.sum(losses) / n))
        history["accuracy"].append(accuracy)
        held_loss, held_accuracy, _ = _measure(self.params, self.test_x, self.test_y)
        history["held_out_loss"].append(held_loss)
        history["held_out_accuracy"].append(held_accuracy)
        for kept, layer in zip(self.kept, self.params):
            for a, b in zip(kept, layer):
                a[...] = b
        return True

    def head(self) -> Head:
        """The model at the end of the last completed epoch (before the first: as initialised), with
        its held-out report."""
        started = time.perf_counter()
        with threadpool_limits(1):
            _, _, predicted = _measure(self.kept, self.test_x, self.test_y)
        last = len(self.kept) - 1
        layers = [(w.copy(), b.copy(), "relu" if i < last else None) for i, (w, b) in enumerate(self.kept)]
        history = {key: list(values) for key, values in self.history.items()}
        head = Head(self.labels, self.mean.astype(np.float32), self.scale.astype(np.float32), layers, history)
        head.report = held_out_report(self.test_y, predicted, self.labels, [h for _, h in self.parts])
        head.seconds = self.seconds + time.perf_counter() - started
        return head


def held_out_report(y: np.ndarray, predicted: np.ndarray, labels: list[str], held: list[np.ndarray]) -> dict:
    """Accuracy (overall, per class), the confusion matrix (rows: true class, columns: predicted)
    and the held-out samples taken for another class: [class, sample index, predicted class]."""
    confusion = confusion_matrix(y, predicted, len(labels))
    sample = np.concatenate(held) if held else np.zeros(0, int)
    wrong = [[int(c), int(i), int(p)] for c, i, p in zip(y, sample, predicted) if c != p]
    return {**accuracy_report(y, predicted, labels), "confusion": confusion.tolist(), "wrong": wrong}
