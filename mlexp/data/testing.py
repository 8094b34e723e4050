"""Testing splits of photos, by dataset: a model evaluated on one answers every photo of it."""
from __future__ import annotations

from typing import Callable

import numpy as np

from mlexp.data.rps import RPS_LABELS, rps_files
from mlexp.inputs.photos import open_photo

# dataset -> (photo file, label) of each photo of its testing split
TESTING_PHOTOS: dict[str, Callable[[], list]] = {
    "rps": lambda: [(path, RPS_LABELS[label]) for path, label in rps_files("testing")],
}


def testing_predictions(dataset: str, predict, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(true, predicted) indices into `labels` for every photo of a dataset's testing split, each
    answered by `predict(photo)` (a result with a `label`); an answer not among them ("none") is -1."""
    y, predicted = [], []
    for path, label in TESTING_PHOTOS[dataset]():
        answer = predict(open_photo(path)).label
        y.append(labels.index(label))
        predicted.append(labels.index(answer) if answer in labels else -1)
    return np.array(y), np.array(predicted)
