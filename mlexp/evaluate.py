"""Held-out evaluation of an experiment's shipped (LiteRT) model."""
from __future__ import annotations

import numpy as np

from . import experiments
from .runtime import Classifier


def test_split(dataset: str, card: dict) -> tuple[np.ndarray, np.ndarray]:
    """The held-out test images (N, 28, 28) in [0, 1] and labels of a dataset; for a split
    made at training time, the card's `split_args` remake it."""
    if dataset == "mnist":
        from .data import load_mnist

        _, (x, y) = load_mnist()
    elif dataset == "quickdraw":
        from .data import load_quickdraw_splits

        if "split_args" not in card:
            raise ValueError("The model card does not say how its Quick, Draw! test split was made; retrain it.")
        (x, y) = load_quickdraw_splits(**card["split_args"])[0]["test"]
    else:
        raise ValueError(f"No test split is known for dataset {dataset!r}.")
    return x.astype(np.float32) / 255.0, y.astype(int)


def accuracy_report(y_true: np.ndarray, y_pred: np.ndarray, labels) -> dict:
    """Overall and per-class accuracy."""
    per_class = {
        label: float((y_pred[y_true == i] == i).mean()) for i, label in enumerate(labels) if (y_true == i).any()
    }
    return {"accuracy": float((y_pred == y_true).mean()), "n": int(len(y_true)), "per_class": per_class}


def evaluate(name: str, classifier: Classifier | None = None, batch: int = 500) -> dict:
    """Held-out result of experiment `name`'s model file: accuracy (per class too) for drawings,
    `exact_match` for sums, `val_loss` (nats per character) for text."""
    experiment = experiments.get(name)
    if experiment.task == "summation":
        from .summation import Adder, pair_split

        adder = Adder(experiment.model_dir)
        pairs = pair_split(**adder.card["split_args"])[1]
        return {"name": name, "exact_match": adder.exact_match(pairs), "n": len(pairs)}
    if experiment.task == "text-generation":
        from .data.text import load_text
        from .text import TextGenerator, held_out_split

        generator = TextGenerator(experiment.model_dir)
        held_out = held_out_split(load_text(generator.card["corpus"]), 0.1)[1]
        return {"name": name, "val_loss": generator.loss(held_out), "n": len(held_out),
                "unit": "nats per character"}
    classifier = classifier or Classifier(experiment)
    x, y = test_split(experiment.dataset, classifier.card)
    pred = np.concatenate([classifier.probabilities(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return {"name": name, "dataset": experiment.dataset, **accuracy_report(y, pred, classifier.labels)}
