"""Drawing classifiers (digits, sketches): strokes or a picture of a drawing -> class
probabilities, with the preprocessing recipe of the data the model was trained on."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import held_out_images
from .litert import ModelMissing, Predictor, Result
from .metrics import accuracy_report
from .preprocess import IMAGE_RECIPES, RECIPES


@dataclass
class Prediction(Result):
    """What a classifier says about one input: best label and every class's probability."""

    label: str
    probabilities: dict[str, float]
    input: np.ndarray = field(repr=False)

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """The k most likely (label, probability) pairs, most likely first."""
        return sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:k]

    def as_json(self) -> dict:
        return {"label": self.label, "probabilities": self.probabilities}

    def __str__(self) -> str:
        return f"{self.label}  ({', '.join(f'{label} {p:.1%}' for label, p in self.top(3))})"


class Classifier(Predictor):
    """A drawing classifier: `model.tflite` takes (N, 28, 28) inputs in [0, 1] made by the
    preprocessing `recipe` ("mnist" or "quickdraw") and gives class probabilities. The labels
    are the card's (what the model was trained on), else `labels`."""

    def __init__(self, model_dir: str | Path, labels=(), recipe: str = "mnist", dataset: str = "mnist"):
        super().__init__(model_dir)
        self.labels = list(self.card.get("labels") or labels)
        self.dataset = dataset
        if self.outputs[0]["shape"][-1] != len(self.labels):
            raise ModelMissing(f"The model file {self.path} has {self.outputs[0]['shape'][-1]} outputs but "
                               f"{len(self.labels)} labels: retrain it with `mlexp train {self.path.parent.name}`.")
        self._strokes_to_input = RECIPES[recipe]
        self._image_to_input = IMAGE_RECIPES[recipe]

    @classmethod
    def from_experiment(cls, experiment, model_dir=None) -> "Classifier":
        return cls(model_dir or experiment.model_dir, experiment.labels, experiment.preprocess, experiment.dataset)

    def describe(self) -> str:
        """One line about the model from its card: test accuracy, size, training data."""
        card = self.card
        if "test_accuracy" not in card:
            return super().describe()
        split = card.get("split", {})
        return (f"{card.get('parameters', 0):,} parameters, {self.path.stat().st_size / 2**20:.1f} MiB; "
                f"{card['test_accuracy']:.2%} on {split.get('test', 0):,} held-out "
                f"{card.get('dataset', '')} test drawings.")

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) for inputs (N, 28, 28) in [0, 1]."""
        return self.run(np.reshape(x, (-1, *self.inputs[0]["shape"][1:])))[0]

    def _predict(self, x: np.ndarray) -> Prediction:
        p = self.probabilities(x[None])[0].astype(float)
        return Prediction(self.labels[int(p.argmax())], dict(zip(self.labels, p.tolist())), x)

    def classify_strokes(self, strokes, min_extent: float = 8.0) -> Prediction:
        """Classify a drawing given as strokes [[(x, y), ...], ...] (raises BadDrawing).

        A drawing smaller than `min_extent` (pad pixels: a click with a little jitter) is a dot."""
        return self._predict(self._strokes_to_input(strokes, min_extent=min_extent))

    def classify_image(self, image) -> Prediction:
        """Classify a PIL image of a drawing (raises BadDrawing)."""
        return self._predict(self._image_to_input(image))

    predict = classify_image

    def evaluate(self, batch: int = 500) -> dict:
        """Accuracy, overall and per class, on the dataset's held-out test drawings."""
        x, y = held_out_images(self.dataset, self.card)
        pred = np.concatenate([self.probabilities(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])
        return {"dataset": self.dataset, **accuracy_report(y, pred, self.labels)}

    @staticmethod
    def summary(report: dict) -> str:
        per_class = "".join(f"\n  {label:>6}: {acc:.2%}" for label, acc in report["per_class"].items())
        return (f"accuracy {report['accuracy']:.2%} on {report['n']:,} held-out {report['dataset']} "
                f"test images{per_class}")
