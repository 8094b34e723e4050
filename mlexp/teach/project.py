"""Teach it your own classes: a `Project` (2 to 10 named classes, their samples, the settings),
trained in seconds into a small head on image or hand features (`mlexp.teach.features`, `mlexp.teach.head`),
saved and opened as one file, exported as a model folder (`model.tflite` + `card.json`) that
`mlexp.load(name)`, `mlexp predict NAME PHOTO` and a demo use like a shipped model
(`TaughtClassifier`). Everything a person can get wrong is a `TeachError`: one sentence."""
from __future__ import annotations

import datetime
import io
import itertools
import json
import re
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from mlexp.core.errors import MlexpError
from mlexp.core.files import atomic_write
from mlexp.core.litert import Predictor, Result, read_card
from mlexp.core.metrics import accuracy_report
from mlexp.core.paths import REPO_ROOT, find_model, models_dir
from mlexp.core.tflite_writer import dense_network
from mlexp.data import TESTING_PHOTOS, DataUnavailable, testing_predictions
from mlexp.inputs.photos import IMAGE_SUFFIXES, PhotoError, read_photo
from mlexp.teach import features as feature_kinds
from mlexp.teach.features import reader
from mlexp.teach.head import Head, Settings, Training, split, train_head

TASK = "taught-classes"  # the task of a taught model's card
MIN_CLASSES, MAX_CLASSES = 2, 10
PROJECT_VERSION = 1
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class TeachError(MlexpError, ValueError):
    """Something a person can fix, said in one sentence."""


_sample_ids = itertools.count(1)


@dataclass
class Sample:
    """One sample: its features, augmented views of them, its thumbnail (JPEG) and where it came
    from ("camera" or the uploaded file's name). `id` tells it from every other sample made in
    this process (never reused, unlike the object's address once it is freed); not saved."""

    features: np.ndarray
    views: np.ndarray
    thumbnail: bytes
    source: str = "camera"
    id: int = field(default_factory=lambda: next(_sample_ids), compare=False)


@dataclass
class Project:
    """Classes and their samples, of one kind of features ("image", "hand" or "face")."""

    kind: str = "image"
    classes: list[str] = field(default_factory=lambda: ["Class 1", "Class 2"])
    samples: list[list[Sample]] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self):
        if self.kind not in feature_kinds.KINDS:
            raise TeachError(f"Features are {', '.join(repr(k) for k in feature_kinds.KINDS)}, not {self.kind!r}.")
        self.samples = self.samples or [[] for _ in self.classes]

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(s) for name, s in zip(self.classes, self.samples)}

    def add_class(self, name: str | None = None) -> int:
        """A new empty class (named "Class N" by default); its index."""
        if len(self.classes) >= MAX_CLASSES:
            raise TeachError(f"A project has at most {MAX_CLASSES} classes.")
        if name is None:
            n = len(self.classes) + 1
            while f"Class {n}" in self.classes:
                n += 1
            name = f"Class {n}"
        self._check_name(name.strip(), None)
        name = name.strip()
        self.classes.append(name)
        self.samples.append([])
        return len(self.classes) - 1

    def remove_class(self, index: int) -> None:
        del self.classes[index], self.samples[index]

    def rename(self, index: int, name: str) -> None:
        self._check_name(name.strip(), index)
        self.classes[index] = name.strip()

    def _check_name(self, name: str, index: int | None) -> None:
        if not name:
            raise TeachError("A class needs a name.")
        if any(other == name for i, other in enumerate(self.classes) if i != index):
            raise TeachError(f"There is already a class named {name!r}.")

    def add(self, index: int, reading: feature_kinds.Reading, source: str = "camera") -> Sample:
        """Keep a reading (`features.reader(kind).read(...)`) as a sample of class `index`."""
        sample = Sample(np.asarray(reading.features, np.float32), np.asarray(reading.views, np.float16),
                        reading.thumbnail, source)
        self.samples[index].append(sample)
        return sample

    def check(self) -> None:
        """TeachError if the project cannot be trained: fewer than 2 classes, a class with fewer
        than 2 samples, or two classes of the same pictures."""
        if len(self.classes) < MIN_CLASSES:
            raise TeachError("Training needs at least 2 classes: add another one.")
        for name, samples in zip(self.classes, self.samples):
            if not samples:
                raise TeachError(f"{name!r} has no samples: record or upload some, or remove the class.")
            if len(samples) < 2:
                raise TeachError(f"{name!r} has only 1 sample: each class needs at least 2 (one to learn from, "
                                 "one held out to check the model on), and 20 or more do better.")
        seen = [{s.features.tobytes() for s in samples} for samples in self.samples]
        for a in range(len(seen)):
            for b in range(a + 1, len(seen)):
                shared = len(seen[a] & seen[b])
                if shared >= max(2, 0.5 * min(len(seen[a]), len(seen[b]))):
                    raise TeachError(f"{self.classes[a]!r} and {self.classes[b]!r} have the same pictures ({shared} "
                                     "of them), so no model can tell them apart: give each class pictures of its own.")

    def train(self, on_epoch: Callable[[int, dict], None] | None = None) -> Head:
        """The head trained on the samples (the last 15% of each class held out)."""
        self.check()
        return train_head(*self._arrays(), self.classes, self.settings, on_epoch)

    def training(self) -> Training:
        """The same training, to be run a slice at a time (`Training.advance`); it reads the samples
        now, so samples added or removed meanwhile change nothing in it."""
        self.check()
        return Training(*self._arrays(), self.classes, self.settings)

    def _arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each class's features (n, d) and augmented views (n, k, d)."""
        return ([np.stack([s.features for s in samples]) for samples in self.samples],
                [np.stack([s.views for s in samples]) for samples in self.samples])

    def held_out(self) -> list[list[Sample]]:
        """The samples the last training held out, per class."""
        return [[samples[i] for i in held] for samples, (_, held) in
                zip(self.samples, split([len(s) for s in self.samples]))]

    # One file: project.json, features.npz and each sample's thumbnail as samples/<class>/<n>.jpg.
    def save(self, path: str | Path) -> Path:
        """Write the project to `path` (a .zip file); the path written."""
        path = Path(path)
        arrays = {}
        for c, samples in enumerate(self.samples):
            if samples:
                arrays[f"features_{c}"] = np.stack([s.features for s in samples])
                arrays[f"views_{c}"] = np.stack([s.views for s in samples])
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        info = {"format": "mlexp teach project", "version": PROJECT_VERSION, "kind": self.kind,
                "classes": self.classes, "sources": [[s.source for s in samples] for samples in self.samples],
                "settings": asdict(self.settings)}
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as out, zipfile.ZipFile(out, "w") as z:  # a failed save leaves no half project
            z.writestr("project.json", json.dumps(info, indent=1), zipfile.ZIP_DEFLATED)
            z.writestr("features.npz", buffer.getvalue())
            for c, samples in enumerate(self.samples):
                for i, sample in enumerate(samples):
                    z.writestr(f"samples/{c}/{i}.jpg", sample.thumbnail)
        return path

    @classmethod
    def open(cls, source, name: str | None = None) -> "Project":
        """A project saved by `save`, from a path or the bytes of an upload."""
        name = name or (str(source) if isinstance(source, (str, Path)) else "The file")
        try:
            with zipfile.ZipFile(source if isinstance(source, (str, Path)) else io.BytesIO(source)) as z:
                info = json.loads(z.read("project.json"))
                if info.get("format") != "mlexp teach project":
                    raise KeyError("format")
                with np.load(io.BytesIO(z.read("features.npz"))) as arrays:
                    samples = [[Sample(arrays[f"features_{c}"][i], arrays[f"views_{c}"][i],
                                       z.read(f"samples/{c}/{i}.jpg"), source_name)
                                for i, source_name in enumerate(sources)]
                               for c, sources in enumerate(info["sources"])]
                project = cls(info["kind"], list(info["classes"]), samples, Settings(**info.get("settings", {})))
        except FileNotFoundError:
            raise TeachError(f"{name} does not exist.") from None
        except zipfile.BadZipFile:
            raise TeachError(f"{name} is not a project file saved by mlexp (not a zip file).") from None
        except (KeyError, ValueError, TypeError, OSError, EOFError, IndexError, zipfile.LargeZipFile) as error:
            raise TeachError(f"{name} is damaged or is not a project file saved by mlexp "
                             f"({type(error).__name__}: {str(error)[:80]}).") from None
        size = feature_kinds.SIZES[project.kind]
        if any(s.features.shape != (size,) for samples in project.samples for s in samples):
            raise TeachError(f"{name} holds features of another size than {project.kind} features' {size}.")
        return project


def shipped_names() -> set[str]:
    """The model folders that ship with mlexp (in the repository's models/)."""
    return {p.name for p in (REPO_ROOT / "models").iterdir() if p.is_dir()}


def export(project: Project, head: Head, name: str, overwrite: bool = False, folder: str | Path | None = None,
           how: str = "mlexp's teach experiment") -> Path:
    """Write the trained head as `<models>/<name>/` (or `folder`/<name>): model.tflite, card.json
    and held_out.npz (the held-out samples' features, for `mlexp evaluate`). A name that ships
    with mlexp, or any folder already there, is refused unless `overwrite`."""
    if not NAME.match(name or ""):
        raise TeachError(f"{name!r} cannot name a model: use letters, digits, _ and - (at most 64).")
    out = Path(folder or models_dir()) / name
    if not overwrite and name in shipped_names():
        raise TeachError(f"{name!r} is a model that ships with mlexp: choose another name, or ask to replace it.")
    if not overwrite and out.exists():
        raise TeachError(f"{out} already exists: choose another name, or ask to replace it.")
    held = project.held_out()
    x = np.concatenate([np.stack([s.features for s in samples]) for samples in held])
    y = np.concatenate([np.full(len(samples), c) for c, samples in enumerate(held)])
    sources = Counter("camera" if s.source == "camera" else "upload" for samples in project.samples for s in samples)
    card = {
        "name": name, "task": TASK, "features": project.kind,
        "feature_source": feature_kinds.SOURCES[project.kind],
        "labels": list(project.classes), "samples": project.counts,
        "sources": {"camera": sources["camera"], "uploaded pictures": sources["upload"]},
        "test_accuracy": head.report["accuracy"],
        "held_out": {k: head.report[k] for k in ("accuracy", "per_class", "confusion", "n")},
        "split": "the last 15% of each class's samples, in the order they were taken, held out",
        "settings": asdict(project.settings), "epochs_trained": len(head.history.get("loss", [])),
        "training_seconds": round(head.seconds, 2),
        "trained_by": f"a person, with {how}, on their own pictures",
        "trained": datetime.date.today().isoformat(),
        "licence": "the person's own: the model was trained on their pictures (which are not in this folder; "
                   "held_out.npz keeps only the held-out samples' features, for `mlexp evaluate`)",
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tflite").write_bytes(dense_network(head.exported_layers()))
    np.savez_compressed(out / "held_out.npz", features=x.astype(np.float32), labels=y)
    (out / "card.json").write_text(json.dumps(card, indent=1))
    return out


def taught_folder(name: str) -> Path | None:
    """The folder of a model taught by a person, among the models, if `name` is one."""
    folder = find_model(name)
    return folder if NAME.match(name) and read_card(folder).get("task") == TASK else None


@dataclass
class Taught(Result):
    """A taught model's answer: the class, every class's probability, the region read (x1, y1,
    x2, y2 in the picture's pixels) and, for hand or face features, the hand or face ("none" when
    there is none; `subject` names what was looked for)."""

    label: str
    probabilities: dict[str, float] = field(default_factory=dict)
    box: tuple | None = None
    hand: object = field(default=None, repr=False)
    face: object = field(default=None, repr=False)
    subject: str = "hand"

    @property
    def note(self) -> str:
        return f"No {self.subject} found in the picture." if self.label == "none" else ""

    def as_json(self) -> dict:
        return {"label": self.label, "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
                "box": None if self.box is None else [round(float(v), 1) for v in self.box]}

    def for_widget(self) -> dict:
        """What `widgets.GestureView` shows: label, probabilities, the hand's or face's box and the
        hand's landmarks."""
        landmarks = [] if self.hand is None else self.hand.landmarks[:, :2].tolist()
        found = self.hand is not None or self.face is not None
        return {"label": self.label, "probabilities": self.probabilities,
                "box": list(self.box) if found else None, "landmarks": landmarks, "note": ""}

    def __str__(self) -> str:
        if self.label == "none":
            return f"none (no {self.subject})"
        return ", ".join(f"{k} {p:.1%}" for k, p in sorted(self.probabilities.items(), key=lambda kv: -kv[1]))


class TaughtClassifier(Predictor):
    """A model taught by a person (`export`'s folder): the card's kind of features, then the head."""

    def __init__(self, model_dir: str | Path, num_threads: int = 2):
        super().__init__(model_dir, num_threads)
        self.labels = list(self.card.get("labels", []))
        self.kind = self.card.get("features", "image")
        self.reader = feature_kinds.reader(self.kind, num_threads)

    def describe(self) -> str:
        card = self.card
        n = sum(card.get("samples", {}).values())
        if "test_split_accuracy" in card:  # the teaching notebook's model: measured on new photos
            measured = f"{card['test_split_accuracy']:.1%} on {card['test_split']['n']:,} held-out photos"
        else:
            measured = f"{card.get('test_accuracy', float('nan')):.1%} on {card.get('held_out', {}).get('n', 0)} " \
                       "held-out samples"
        return f"{len(self.labels)} classes taught from {n:,} samples, {self.kind} features; {measured}."

    def classify(self, features: np.ndarray) -> np.ndarray:
        """Probabilities (N, classes) for features (N, d)."""
        return self.run(np.asarray(features, np.float32))[0]

    def _answer(self, reading) -> Taught:
        if reading is None:
            return Taught("none", subject=self.kind)
        p = self.classify(reading.features[None])[0].astype(float)
        return Taught(self.labels[int(p.argmax())], dict(zip(self.labels, p.tolist())), reading.box, reading.hand,
                      reading.face, self.kind)

    def predict(self, image) -> Taught:
        """A photo (PIL image or RGB array)."""
        return self._answer(self.reader.read(image, sample=False))

    def classify_frame(self, frame: np.ndarray) -> Taught:
        """A live camera frame (a hand is followed from frame to frame)."""
        return self._answer(self.reader.read(frame, track=True, sample=False))

    def evaluate(self) -> dict:
        """Accuracy of this LiteRT file on the held-out samples' features kept beside it; a model
        taught on a dataset with a testing split of photos (the teaching notebook's, on the rock-paper-scissors
        photos): on that split, read from the photos (a photo with no hand found counts as wrong), when
        they are here."""
        dataset = self.card.get("dataset")
        if dataset in TESTING_PHOTOS:
            try:
                y, predicted = testing_predictions(dataset, self.predict, self.labels)
                return {"dataset": f"{dataset} testing photos", **accuracy_report(y, predicted, self.labels)}
            except DataUnavailable:
                pass  # no data mirror: the held-out samples kept beside the file
        with np.load(self.path.parent / "held_out.npz") as kept:
            x, y = kept["features"], kept["labels"]
        return {"dataset": "held-out samples", **accuracy_report(y, self.classify(x).argmax(1), self.labels)}

    @staticmethod
    def summary(report: dict) -> str:
        per_class = "".join(f"\n  {label:>12}: {acc:.2%}" for label, acc in report["per_class"].items())
        what = "held-out photos" if report.get("dataset", "").endswith("testing photos") else "held-out samples"
        return f"accuracy {report['accuracy']:.2%} on {report['n']:,} {what}{per_class}"


def project_from_folder(folder: str | Path, kind: str, progress: Callable[[str], None] = print) -> Project:
    """A project from FOLDER/<class>/<pictures> (one sub-folder a class, sorted by name); pictures
    that cannot be read, or show no hand (hand features) or no face (face features), are skipped and counted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TeachError(f"{folder} is not a folder (it should hold one sub-folder of pictures per class).")
    classes = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not MIN_CLASSES <= len(classes) <= MAX_CLASSES:
        raise TeachError(f"{folder} has {len(classes)} sub-folders: it needs one per class, 2 to {MAX_CLASSES}.")
    features_of = reader(kind)
    project = Project(kind, [c.name for c in classes])
    for c, sub in enumerate(classes):
        skipped = Counter()
        for path in sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            try:
                reading = features_of.read(read_photo(path))
            except PhotoError:
                skipped["unreadable"] += 1
                continue
            if reading is None:
                skipped[f"no {kind}"] += 1
                continue
            project.add(c, reading, path.name)
        said = ", ".join(f"{n} skipped ({why})" for why, n in skipped.items())
        progress(f"{sub.name}: {len(project.samples[c])} samples" + (f", {said}" if said else ""))
    return project
