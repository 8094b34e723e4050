"""The one registry of experiments: what each is, its data, labels, files and notebooks."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    """Folder holding `<name>/model.tflite`; `MLEXP_MODELS_DIR` overrides the repo's `models/`."""
    return Path(os.environ.get("MLEXP_MODELS_DIR") or REPO_ROOT / "models")


@dataclass(frozen=True)
class Experiment:
    """One experiment: a training notebook, a demo notebook and the model they share."""

    name: str
    title: str
    summary: str
    task: str  # "drawing-classification", "summation", "text-generation"
    dataset: str
    labels: tuple[str, ...]  # empty: the model card's labels
    preprocess: str  # name of the drawing recipe in mlexp.preprocess.RECIPES ("" if not a drawing)
    picture: str = ""  # path relative to the repo root

    @property
    def model_dir(self) -> Path:
        return models_dir() / self.name

    @property
    def tflite_path(self) -> Path:
        """The LiteRT file the demo runs (a text generator's is its single-step model)."""
        return self.model_dir / ("step.tflite" if self.task == "text-generation" else "model.tflite")

    @property
    def card_path(self) -> Path:
        return self.model_dir / "card.json"

    @property
    def train_notebook(self) -> str:
        return f"notebooks/{self.name}/train.ipynb"

    @property
    def demo_notebook(self) -> str:
        return f"notebooks/{self.name}/demo.ipynb"

    def has_model(self) -> bool:
        return self.tflite_path.is_file()


DIGITS = tuple(str(d) for d in range(10))

def _drawing(family: str, model: str, title: str, summary: str, dataset: str, labels=()) -> Experiment:
    """A drawing experiment `<family>_<model>`; the variants of a family differ only in their
    model. Empty labels: the classes in the model card (whatever it was trained on)."""
    name = f"{family}_{model}"
    return Experiment(name=name, title=f"{title} ({model.upper()})", summary=summary,
                      task="drawing-classification", dataset=dataset, labels=tuple(labels),
                      preprocess=dataset, picture=f"docs/images/{name}.png")


DIGITS = tuple(str(d) for d in range(10))
SKETCHES = "Draw a cat, a fish, a rainbow...: {} guesses live. Or play: draw what it asks for in 20 s."

EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in [
        _drawing("digits", "mlp", "Handwritten digits", "Draw a digit; a small fully connected network "
                 "recognizes it each time you lift the pen.", "mnist", DIGITS),
        _drawing("digits", "cnn", "Handwritten digits", "Draw a digit; a convolutional network "
                 "recognizes it each time you lift the pen.", "mnist", DIGITS),
        _drawing("sketch", "mlp", "Sketches", SKETCHES.format("a fully connected network"), "quickdraw"),
        _drawing("sketch", "cnn", "Sketches", SKETCHES.format("a convolutional network"), "quickdraw"),
        Experiment("numbers_summation", "Adding numbers", "Type a sum like 17+38: a sequence-to-sequence "
                   "network answers as you type, each digit with its probabilities.", "summation", "sums", (),
                   "", "docs/images/numbers_summation.png"),
        Experiment("text_shakespeare", "Shakespeare generator", "Start a line (ROMEO:) and watch a recurrent "
                   "network continue it, character by character.", "text-generation", "tinyshakespeare", (),
                   "", "docs/images/text_shakespeare.png"),
        Experiment("text_wikipedia", "Wikipedia generator", "Start a sentence and watch a recurrent network "
                   "trained on Wikipedia articles continue it.", "text-generation", "wikipedia_en_sample", (),
                   "", "docs/images/text_wikipedia.png"),
    ]
}


class UnknownExperiment(KeyError):
    def __str__(self) -> str:
        return f"No experiment named {self.args[0]!r}; choose one of: {', '.join(EXPERIMENTS)}."


def get(name: str) -> Experiment:
    """The registered experiment called `name` (clear error listing valid names)."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownExperiment(name) from None
