"""Run exported models with LiteRT (`ai-edge-litert`): no TensorFlow import at demo time."""
from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import experiments
from .preprocess import IMAGE_RECIPES, RECIPES


@contextlib.contextmanager
def _native_stderr_silenced():
    """Hide what native code writes to stderr (LiteRT's "Created XNNPACK delegate" line would
    show in dashboards as an error box)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class ModelMissing(FileNotFoundError):
    """The experiment's exported model file is not there; the message says how to make it."""


def open_model(path: Path, name: str, num_threads: int = 1):
    """A LiteRT interpreter for the model file at `path`, tensors allocated (quietly); if the
    file is missing, a ModelMissing saying `mlexp train NAME` makes it."""
    from ai_edge_litert.interpreter import Interpreter

    if not Path(path).is_file():
        raise ModelMissing(f"The model file {path} is missing: train it with `mlexp train {name}`.")
    interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
    with _native_stderr_silenced():
        interpreter.allocate_tensors()
    return interpreter


@dataclass
class Prediction:
    """What a classifier says about one input: best label and every class's probability."""

    label: str
    probabilities: dict[str, float]
    input: np.ndarray = field(repr=False)

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """The k most likely (label, probability) pairs, most likely first."""
        return sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:k]


class Classifier:
    """A drawing classifier running an experiment's `model.tflite` with LiteRT."""

    def __init__(self, experiment: experiments.Experiment, path: Path | None = None):
        self.experiment = experiment
        self.path = Path(path or experiment.tflite_path)
        self._interpreter = open_model(self.path, experiment.name)
        self.labels = list(self.card.get("labels") or experiment.labels)  # the card knows what it was trained on
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        if self._output["shape"][-1] != len(self.labels):
            raise ModelMissing(f"The model file {self.path} has {self._output['shape'][-1]} outputs but "
                               f"{len(self.labels)} labels: retrain it with `mlexp train {experiment.name}`.")
        self._batch = 1
        self._strokes_to_input = RECIPES[experiment.preprocess]
        self._image_to_input = IMAGE_RECIPES[experiment.preprocess]

    @property
    def card(self) -> dict:
        card = self.path.parent / "card.json"
        return json.loads(card.read_text()) if card.is_file() else {}

    def describe(self) -> str:
        """One line about the model from its card: test accuracy, size, training data."""
        card = self.card
        if "test_accuracy" not in card:
            return f"Model: {self.path.name}"
        split = card.get("split", {})
        return (f"{card.get('parameters', 0):,} parameters, {self.path.stat().st_size / 2**20:.1f} MiB; "
                f"{card['test_accuracy']:.2%} on {split.get('test', 0):,} held-out "
                f"{card.get('dataset', '')} test drawings.")

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) for inputs (N, 28, 28) in [0, 1]."""
        x = np.asarray(x, np.float32).reshape((-1, *self._input["shape"][1:]))
        if len(x) != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], [len(x), *x.shape[1:]])
            with _native_stderr_silenced():
                self._interpreter.allocate_tensors()
            self._batch = len(x)
        self._interpreter.set_tensor(self._input["index"], x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).copy()

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


def load(name: str):
    """The predictor of experiment `name`: a Classifier for drawings, an Adder for sums, a
    TextGenerator for text."""
    experiment = experiments.get(name)
    if experiment.task == "summation":
        from .summation import Adder

        return Adder(experiment.model_dir)
    if experiment.task == "text-generation":
        from .text import TextGenerator

        return TextGenerator(experiment.model_dir)
    return Classifier(experiment)
