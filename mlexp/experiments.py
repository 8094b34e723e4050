"""The one registry of experiments (what each is, its data, labels, files and notebooks) and the
one table of predictor kinds, which `load(name)` looks an experiment's task up in."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlexp.core import errors
from mlexp.core.litert import Predictor
from mlexp.core.paths import REPO_ROOT, find_model, model_dirs, models_dir  # noqa: F401 (REPO_ROOT: mlexp.experiments.REPO_ROOT, public)
from mlexp.data.fer import EMOTIONS
from mlexp.data.rps import RPS_LABELS
from mlexp.predictors.detection import Detector
from mlexp.predictors.digit_writer import DigitWriter
from mlexp.predictors.drawing import Classifier
from mlexp.predictors.emotions import EmotionClassifier
from mlexp.predictors.gestures import GestureClassifier
from mlexp.predictors.photo_classifier import PhotoClassifier
from mlexp.predictors.summation import Adder
from mlexp.predictors.text import TextGenerator
from mlexp.teach import TASK as TAUGHT
from mlexp.teach import TaughtClassifier, taught_folder

# Task -> the predictor class that runs its models. A new kind of model: a class and a line here.
PREDICTORS: dict[str, type[Predictor]] = {
    "drawing-classification": Classifier,
    "summation": Adder,
    "text-generation": TextGenerator,
    "hand-gesture": GestureClassifier,
    "object-detection": Detector,
    "image-classification": PhotoClassifier,
    "facial-expression": EmotionClassifier,
    "digit-generation": DigitWriter,
    TAUGHT: TaughtClassifier,
}


@dataclass(frozen=True)
class Experiment:
    """One experiment: a training notebook, a demo notebook and the model they share."""

    name: str
    title: str
    summary: str
    task: str  # a key of PREDICTORS
    dataset: str
    labels: tuple[str, ...] = ()  # empty: the model card's labels
    preprocess: str = ""  # name of the drawing recipe in mlexp.inputs.drawings.RECIPES ("" if not a drawing)
    picture: str = ""  # path relative to the repo root

    def __post_init__(self):
        if self.task not in PREDICTORS:
            raise ValueError(f"{self.name}: unknown task {self.task!r}; the tasks are: {', '.join(PREDICTORS)}.")

    @property
    def predictor(self) -> type[Predictor]:
        """The class that runs this experiment's model."""
        return PREDICTORS[self.task]

    @property
    def model_dir(self) -> Path:
        return find_model(self.name)

    @property
    def tflite_path(self) -> Path:
        """The LiteRT file the demo runs (a text generator's is its single-step model)."""
        return self.model_dir / self.predictor.MODEL_FILE

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
RPS = ("Play rock, paper, scissors against the camera: {} names your hand live, and the computer learns "
       "your habits as you play.")
SKETCHES = "Draw a cat, a fish, a rainbow...: {} guesses live. Or play: draw what it asks for in 20 s."


def _rps(model: str, title: str, what: str) -> Experiment:
    """A rock-paper-scissors experiment `rps_<model>`; the variants differ only in their classifier."""
    return Experiment(name=f"rps_{model}", title=f"Rock, paper, scissors ({title})", summary=RPS.format(what),
                      task="hand-gesture", dataset="rps", labels=RPS_LABELS, picture=f"docs/images/rps_{model}.png")


def _drawing(family: str, model: str, title: str, summary: str, dataset: str, labels=()) -> Experiment:
    """A drawing experiment `<family>_<model>`; the variants of a family differ only in their
    model. Empty labels: the classes in the model card (whatever it was trained on)."""
    name = f"{family}_{model}"
    return Experiment(name=name, title=f"{title} ({model.upper()})", summary=summary,
                      task="drawing-classification", dataset=dataset, labels=tuple(labels),
                      preprocess=dataset, picture=f"docs/images/{name}.png")


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in [
        _drawing("digits", "mlp", "Handwritten digits", "Draw a digit; a small fully connected network "
                 "recognizes it each time you lift the pen.", "mnist", DIGITS),
        _drawing("digits", "cnn", "Handwritten digits", "Draw a digit; a convolutional network "
                 "recognizes it each time you lift the pen.", "mnist", DIGITS),
        _drawing("sketch", "mlp", "Sketches", SKETCHES.format("a fully connected network"), "quickdraw"),
        _drawing("sketch", "cnn", "Sketches", SKETCHES.format("a convolutional network"), "quickdraw"),
        Experiment(name="sketch_doodlenet", title="Sketches, 345 classes (DoodleNet)",
                   summary="Draw any of Quick, Draw!'s 345 things: ml5's DoodleNet shows its five best guesses "
                   "live. Or play: draw what it asks for in 20 s.", task="drawing-classification",
                   dataset="quickdraw_strokes", preprocess="quickdraw", picture="docs/images/sketch_doodlenet.png"),
        Experiment(name="numbers_summation", title="Adding numbers",
                   summary="Type a sum like 17+38: a sequence-to-sequence network answers as you type, "
                   "each digit with its probabilities.",
                   task="summation", dataset="sums", picture="docs/images/numbers_summation.png"),
        Experiment(name="text_shakespeare", title="Shakespeare generator",
                   summary="Start a line (ROMEO:) and watch a recurrent network continue it, character "
                   "by character.",
                   task="text-generation", dataset="tinyshakespeare", picture="docs/images/text_shakespeare.png"),
        Experiment(name="text_wikipedia", title="Wikipedia generator",
                   summary="Start a sentence and watch a recurrent network trained on Wikipedia articles "
                   "continue it.",
                   task="text-generation", dataset="wikipedia_en_sample", picture="docs/images/text_wikipedia.png"),
        _rps("cnn", "CNN", "a convolutional network trained from scratch"),
        _rps("mobilenet_v2", "MobileNetV2", "a fine-tuned MobileNetV2"),
        _rps("hand", "hand landmarks", "a small network reading the 21 landmarks of your hand"),
        Experiment(name="object_detection", title="Object detection",
                   summary="Point the camera or drop a photo: a COCO detector boxes people, dogs, cups and 77 "
                   "other kinds of objects live, with a score threshold and a class filter.",
                   task="object-detection", dataset="coco", picture="docs/images/object_detection.png"),
        Experiment(name="image_classification", title="Photo classification (MobileNetV2)",
                   summary="Drop a photo or take a snapshot: an ImageNet MobileNetV2 names the five most likely "
                   "of 1000 classes, with their probabilities and the region it looked at.",
                   task="image-classification", dataset="imagenet", picture="docs/images/image_classification.png"),
        Experiment(name="emotions", title="Emotions from the camera",
                   summary="Look at the camera: every face is boxed with its expression (angry, disgust, fear, happy, "
                   "sad, surprise, neutral) and the seven probabilities, live. Play: make the face it asks for.",
                   task="facial-expression", dataset="fer2013", labels=EMOTIONS, picture="docs/images/emotions.png"),
        Experiment(name="digits_generator", title="A model that writes digits",
                   summary="Pick a digit and watch new ones drawn, with the recognizer as judge; drag through the "
                   "model's imagination, morph one digit into another, and see 0-9 in your own handwriting.",
                   task="digit-generation", dataset="mnist", labels=DIGITS,
                   picture="docs/images/digits_generator.png"),
        Experiment(name="teach", title="Teach it your own classes",
                   summary="Name 2 to 10 classes, hold a button to record each from the camera (or upload pictures), "
                   "train in seconds, look under the hood, then use or export your model.",
                   task=TAUGHT, dataset="rps", picture="docs/images/teach.png"),
    ]
}


class UnknownExperiment(errors.UnknownExperiment):
    """No experiment or taught model has that name; the message lists them."""

    def __str__(self) -> str:
        return (f"No experiment named {self.args[0]!r}; choose one of: {', '.join(EXPERIMENTS)} (or a model "
                f"taught with `mlexp teach`: {', '.join(taught_models()) or 'none yet'}).")


def get(name: str) -> Experiment:
    """The registered experiment called `name` (clear error listing valid names)."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownExperiment(name) from None


def taught_models() -> list[str]:
    """The names of the models taught by a person (`mlexp teach`, the teach demo's Export)."""
    names = {p.name for folder in model_dirs() if folder.is_dir() for p in folder.iterdir()}
    return sorted(name for name in names if name not in EXPERIMENTS and taught_folder(name))


def load(name: str, model_dir: str | Path | None = None) -> Predictor:
    """The predictor of experiment `name` (the class its task names in PREDICTORS), running the
    shipped model or the one in `model_dir`; or a model taught by a person, by its name. Raises
    ModelMissing if the file is not there."""
    if name not in EXPERIMENTS and model_dir is None and (folder := taught_folder(name)) is not None:
        return TaughtClassifier(folder)
    experiment = get(name)
    return experiment.predictor.from_experiment(experiment, model_dir)


def evaluate(name: str, model_dir: str | Path | None = None) -> dict:
    """The held-out figures of experiment `name`'s model file: accuracy (per class too) for
    drawings, `exact_match` for sums, `val_loss` (nats per character) for text."""
    return {"name": name, **load(name, model_dir).evaluate()}
