"""The LiteRT layer every predictor builds on: open a `.tflite` file quietly, read its model card
once, run it on a batch of any size. No TensorFlow here (the dashboards never import it)."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from mlexp.core.errors import ModelMissing
from mlexp.core.paths import litert_threads


@contextlib.contextmanager
def quiet_stderr():
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


def read_card(model_dir: str | Path) -> dict:
    """The model card (`card.json`) of an exported model; {} if it has none."""
    path = Path(model_dir) / "card.json"
    return json.loads(path.read_text()) if path.is_file() else {}


class LiteRTModel:
    """A `.tflite` file run with LiteRT: `run(*arrays)` gives its outputs for a batch of any size.

    `inputs` and `outputs` are LiteRT's tensor details, in the file's order (a subclass may
    reorder `inputs` to the order its `run` calls pass arrays in). `card` is the card beside
    the file. A missing file raises ModelMissing naming `mlexp train <folder name>`."""

    def __init__(self, path: str | Path, num_threads: int = 1):
        # Lazy (declared in pyproject.toml): LiteRT loads native code that `import mlexp` and
        # the gallery do not need.
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelMissing(f"The model file {self.path} is missing: train it with "
                               f"`mlexp train {self.path.parent.name}`.")
        self.threads = litert_threads(num_threads)
        self._interpreter = Interpreter(model_path=str(self.path), num_threads=self.threads)
        with quiet_stderr():
            self._interpreter.allocate_tensors()
        self.card = read_card(self.path.parent)
        self.inputs = self._interpreter.get_input_details()
        self.outputs = self._interpreter.get_output_details()
        self._batch = int(self.inputs[0]["shape"][0])

    def run(self, *arrays) -> list[np.ndarray]:
        """The outputs (in `outputs` order) for one array per input (in `inputs` order), each
        cast to its input's type; the first axis of every array is the batch."""
        batch = len(arrays[0])
        if batch != self._batch:
            for detail in self.inputs:
                self._interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
            with quiet_stderr():
                self._interpreter.allocate_tensors()
            self._batch = batch
        for detail, array in zip(self.inputs, arrays):
            self._interpreter.set_tensor(detail["index"], np.asarray(array, detail["dtype"]))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(detail["index"]).copy() for detail in self.outputs]


class Result:
    """What a predictor's `predict` returns: `as_json()` for `mlexp predict --json`, `pieces()`
    of text for the terminal (printed as they come), and `note`, a sentence about the input
    ('' when there is nothing to say)."""

    note = ""

    def as_json(self) -> dict:
        raise NotImplementedError

    def pieces(self) -> Iterator[str]:
        yield str(self)


class Predictor(LiteRTModel):
    """What `mlexp.load(name)` returns for an experiment: an exported model and what the
    command line and the tests ask of it. A new kind of predictor subclasses this and takes
    one line in `mlexp.experiments.PREDICTORS`."""

    MODEL_FILE = "model.tflite"  # the file in the model folder that the demo runs
    READS = "images"  # what `mlexp predict NAME ARGUMENT` gives `predict`: "images" (each image
    #                   file of the path, opened) or "text" (the argument itself)

    def __init__(self, model_dir: str | Path, num_threads: int = 1):
        super().__init__(Path(model_dir) / self.MODEL_FILE, num_threads)

    @classmethod
    def from_experiment(cls, experiment, model_dir: str | Path | None = None) -> "Predictor":
        """The predictor of a registered experiment, from its model folder (or `model_dir`)."""
        return cls(model_dir or experiment.model_dir)

    def describe(self) -> str:
        """One line about the model from its card, shown under the demo."""
        return f"Model: {self.path.name}"

    def predict(self, item, **options) -> Result:
        """The model's answer for one input (see READS; for text, `mlexp predict` also passes
        `length`, `temperature` and `seed`); ValueError (one sentence) if it cannot use it."""
        raise NotImplementedError

    def evaluate(self) -> dict:
        """The held-out figures of the model file (JSON-ready)."""
        raise NotImplementedError

    @staticmethod
    def summary(report: dict) -> str:
        """`evaluate`'s report in words, for the terminal."""
        return ", ".join(f"{key} {value}" for key, value in report.items())
