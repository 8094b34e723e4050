"""Drawing classifiers (digits, sketches): strokes or a picture of a drawing -> class
probabilities, with the preprocessing recipe of the data the model was trained on."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlexp.core.files import byte_size
from mlexp.core.litert import ModelMissing, Predictor, Result
from mlexp.core.metrics import accuracy_report, top_k_accuracy
from mlexp.data import load_mnist, load_quickdraw_splits, load_quickdraw_strokes
from mlexp.inputs.drawings import IMAGE_RECIPES, RECIPES, strokes_to_quickdraw


def held_out_images(dataset: str, card: dict) -> tuple[np.ndarray, np.ndarray]:
    """The held-out test images (N, 28, 28) in [0, 1] and labels of a drawing dataset ("mnist",
    "quickdraw", "quickdraw_strokes"); for a split made at training time, the model card's
    `split_args` remake it. "quickdraw_strokes": the simplified strokes of the card's classes
    (`labels`; `test_args` may cap `per_class`), drawn by the pad's own "quickdraw" recipe: for
    models trained elsewhere."""
    if dataset == "mnist":
        _, (x, y) = load_mnist()
    elif dataset == "quickdraw":
        if "split_args" not in card:
            raise ValueError("The model card does not say how its Quick, Draw! test split was made; retrain it.")
        (x, y) = load_quickdraw_splits(**card["split_args"])[0]["test"]
    elif dataset == "quickdraw_strokes":
        drawings, y, _ = load_quickdraw_strokes(card.get("labels"), **card.get("test_args", {}))
        return np.stack([strokes_to_quickdraw(strokes) for strokes in drawings]), y
    else:
        raise ValueError(f"No test split is known for dataset {dataset!r}.")
    return x.astype(np.float32) / 255.0, y.astype(int)


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


TOP5_FROM = 10  # more classes than this: top-5 accuracy is reported too, and only the weakest classes


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
        top5 = f" (top-5 {card['test_top5']:.2%})" if "test_top5" in card else ""
        tested = card.get("test_set", f"held-out {card.get('dataset', '')} test drawings")
        return (f"{card.get('parameters', 0):,} parameters, {byte_size(self.path.stat().st_size)}; "
                f"{card['test_accuracy']:.2%}{top5} on {split.get('test', 0):,} {tested}.")

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
        """Accuracy, overall and per class, on the dataset's held-out test drawings; with more
        than 10 classes also `top5`, the share whose class is among the five best guesses."""
        x, y = held_out_images(self.dataset, self.card)
        p = np.concatenate([self.probabilities(x[i : i + batch]) for i in range(0, len(x), batch)])
        report = {"dataset": self.dataset, **accuracy_report(y, p.argmax(1), self.labels)}
        if len(self.labels) > TOP5_FROM:
            report["top5"] = top_k_accuracy(y, p, 5)
        return report

    @staticmethod
    def summary(report: dict, weakest: int = 10) -> str:
        """The accuracy and each class's (with many classes: top-5 and only the weakest ones)."""
        per_class = list(report["per_class"].items())
        many = len(per_class) > TOP5_FROM
        shown = sorted(per_class, key=lambda kv: kv[1])[:weakest] if many else per_class
        lines = "".join(f"\n  {label:>6}: {acc:.2%}" for label, acc in shown)
        accuracy, n, dataset = report["accuracy"], report["n"], report["dataset"]
        if not many:
            return f"accuracy {accuracy:.2%} on {n:,} held-out {dataset} test images{lines}"
        return (f"accuracy {accuracy:.2%}, top-5 {report.get('top5', float('nan')):.2%} on {n:,} {dataset} "
                f"test images; the {weakest} weakest of {len(per_class)} classes:{lines}")
