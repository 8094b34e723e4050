"""Facial expressions: a camera frame or a photo -> the face finder (`models/face/`) -> each face
cropped square, eyes level, as FER2013 frames its faces -> the emotion network (`model.tflite`:
48x48 grey faces -> the seven probabilities and a 256-number embedding). No face: "none", never
a guess. `heat_map` shows which parts of a face change the answer most (occlusion, no TensorFlow)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from mlexp.core.files import byte_size
from mlexp.core.litert import ModelMissing, Predictor, Result
from mlexp.core.metrics import accuracy_report
from mlexp.core.paths import model_folder
from mlexp.data.fer import EMOTIONS, load_fer
from mlexp.inputs.pictures import rgb_array, square_image
from mlexp.perception.faces import Face, FaceFinder, FaceTracker

NONE = "none"
FACE_SIZE = 48
# FER2013's faces are framed a little wider than the finder's box: on 300 of its faces, framed as in
# `FaceFinder.tight_crop`, the box's side was 0.875 of the face picture's (median), so the crop adds
# (1 / 0.875 - 1) / 2 of the side on each side.
MARGIN = 0.07
FOUND_BY = {"finder": "the face finder found the faces in the photo",
            "tight crop": "the face finder saw no face in the photo, but framed wider it looks like one, "
                          "so the whole photo was read as a face",
            None: "no face: the face finder saw none, nor when the photo was framed wider"}


@dataclass
class FaceExpression:
    """One face: its box in the picture's pixels, expression, probabilities, and its number
    (followed from frame to frame; 0 in a still photo)."""

    box: tuple[float, float, float, float]
    label: str
    probabilities: dict[str, float]
    number: int = 0
    crop: np.ndarray | None = field(default=None, repr=False)  # the 48x48 face the network read

    def as_json(self) -> dict:
        return {"box": [round(float(v), 1) for v in self.box], "label": self.label,
                "probabilities": {k: round(p, 6) for k, p in self.probabilities.items()}}


@dataclass
class Expressions(Result):
    """Every face of a frame or photo, largest first; `label` is the largest face's expression
    ("none" with no face); `found_by` is "finder", "tight crop" or None."""

    faces: list[FaceExpression]
    found_by: str | None = "finder"

    @property
    def label(self) -> str:
        return self.faces[0].label if self.faces else NONE

    @property
    def note(self) -> str:
        return FOUND_BY[self.found_by if self.faces else None].capitalize() + "."

    def as_json(self) -> dict:
        return {"faces": [face.as_json() for face in self.faces], "label": self.label,
                "found_by": self.found_by if self.faces else None}

    def for_widget(self) -> dict:
        """What `widgets.EmotionView` shows: the largest face's label, probabilities and crop (the
        48x48 face the network read, for the heat map), and every face's box (pixels), expression,
        probability and number."""
        first = self.faces[0] if self.faces else None
        return {"label": self.label, "probabilities": first.probabilities if first else {},
                "face": None if first is None else first.crop,
                "box": list(first.box) if first else None, "landmarks": [], "note": "",
                "boxes": [{"box": list(f.box), "label": f.label, "score": f.probabilities[f.label],
                           "number": f.number} for f in self.faces]}

    def __str__(self) -> str:
        if not self.faces:
            return "none (no face)"
        faces = "; ".join(f"{f.label} {f.probabilities[f.label]:.1%} at {[round(v) for v in f.box]}"
                          for f in self.faces)
        return f"{self.label}  ({len(self.faces)} face{'s' * (len(self.faces) > 1)}: {faces})"


class EmotionClassifier(Predictor):
    """Finds the faces (MediaPipe's BlazeFace), then reads each one's expression with `model.tflite`."""

    def __init__(self, model_dir: str | Path, face_dir: str | Path | None = None, num_threads: int = 2):
        super().__init__(model_dir, num_threads)
        self.labels = list(self.card.get("labels") or EMOTIONS)
        shapes = [detail["shape"][-1] for detail in self.outputs]
        if len(self.labels) not in shapes:
            raise ModelMissing(f"The model file {self.path} does not give {len(self.labels)} expressions: "
                               f"retrain it with `mlexp train {self.path.parent.name}`.")
        self._probabilities = shapes.index(len(self.labels))
        self._embedding = 1 - self._probabilities if len(shapes) == 2 else None
        self.finder = FaceFinder(face_dir or model_folder("face"), num_threads=num_threads)
        self.tracker = FaceTracker()

    def describe(self) -> str:
        card = self.card
        if "test_accuracy" not in card:
            return super().describe()
        return (f"Reads each face at 48x48 px in grey, eyes level; {card['test_accuracy']:.1%} on FER2013's "
                f"{card.get('split', {}).get('test', 0):,} held-out faces; {byte_size(self.path.stat().st_size)}.")

    def read(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(probabilities (N, 7), embeddings (N, d) or None) of faces (N, 48, 48) uint8 grey."""
        outputs = self.run(np.asarray(faces, np.float32)[..., None])
        return outputs[self._probabilities], (None if self._embedding is None else outputs[self._embedding])

    def faces_and_crops(self, rgb: np.ndarray, tight: bool = True) -> tuple[list[Face], np.ndarray, str | None]:
        """Every face of an RGB picture (largest first), each cropped upright as the network reads
        faces (N, 48, 48), and how they were found. With `tight` (a still photo), a picture where the
        finder sees no face but that is itself a tight face crop (`FaceFinder.tight_crop`) is one
        face, read whole ("tight crop"); no face: ([], an empty batch, None)."""
        faces = self.finder.find(rgb)
        if faces:
            return faces, np.stack([face.aligned(rgb, FACE_SIZE, MARGIN) for face in faces]), "finder"
        face = self.finder.tight_crop(rgb) if tight else None
        if face is None:
            return [], np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8), None
        h, w = rgb.shape[:2]
        whole = Face((0.0, 0.0, float(w), float(h)), face.keypoints, face.score)
        return [whole], np.asarray(Image.fromarray(square_image(rgb, FACE_SIZE)).convert("L"))[None], "tight crop"

    def _expressions(self, faces: list[Face], crops: np.ndarray, numbers=None) -> list[FaceExpression]:
        if not faces:
            return []
        probabilities, _ = self.read(crops)
        numbers = numbers or [0] * len(faces)
        return [FaceExpression(face.box, self.labels[int(p.argmax())], dict(zip(self.labels, p.astype(float).tolist())),
                               n, crop) for face, p, n, crop in zip(faces, probabilities, numbers, crops)]

    def classify_frame(self, frame: np.ndarray) -> Expressions:
        """A live camera frame (H, W, 3) RGB: every face, numbered from frame to frame."""
        faces, crops, _ = self.faces_and_crops(frame, tight=False)
        return Expressions(self._expressions(faces, crops, self.tracker.follow(faces)))

    def predict(self, image) -> Expressions:
        """A still photo. Where the finder sees no face, a photo that is itself a tight face crop
        (`FaceFinder.tight_crop`) is read whole, as the dataset's faces are."""
        faces, crops, found_by = self.faces_and_crops(rgb_array(image))
        return Expressions(self._expressions(faces, crops), found_by)

    def expressions_to_ask(self, min_accuracy: float = 0.4) -> list[str]:
        """The expressions the network reads right at least `min_accuracy` of the time on the
        held-out faces (its card): the ones a "make this face" game can fairly ask for."""
        per_class = self.card.get("per_class_accuracy") or {}
        return [label for label in self.labels if per_class.get(label, 1.0) >= min_accuracy]

    def heat_map(self, face: np.ndarray, label: str | None = None, patch: int = 8) -> np.ndarray:
        """Which parts of a 48x48 face change the answer most: each `patch`-pixel square of the
        part the network sees (its centre 40 px) is covered in turn with the face's mean grey,
        and the drop of `label`'s probability (the answer's by default) is that square's value.
        (40 / patch)^2 + 1 runs of the network in one batch; values in [0, 1], 1 = the largest drop."""
        if patch < 1 or (FACE_SIZE - 8) % patch:
            raise ValueError(f"The heat map's squares must divide the {FACE_SIZE - 8} pixels the network reads; "
                             f"{patch} does not.")
        face = np.asarray(face, np.float32)
        start, cells = 4, (FACE_SIZE - 8) // patch
        batch = np.repeat(face[None], cells * cells + 1, 0)
        for k in range(cells * cells):
            y, x = start + (k // cells) * patch, start + (k % cells) * patch
            batch[k + 1, y:y + patch, x:x + patch] = face.mean()
        probabilities, _ = self.read(batch)
        index = int(probabilities[0].argmax()) if label is None else self.labels.index(label)
        drop = np.clip(probabilities[0, index] - probabilities[1:, index], 0, None).reshape(cells, cells)
        return drop / drop.max() if drop.max() > 0 else drop

    def evaluate(self) -> dict:
        """Accuracy on FER2013's publictest faces (each read as it is: a 48x48 face)."""
        x, y = load_fer("publictest")
        pred = np.concatenate([self.read(x[i : i + 256])[0].argmax(1) for i in range(0, len(x), 256)])
        return {"dataset": "fer2013 publictest", **accuracy_report(y, pred, self.labels)}

    @staticmethod
    def summary(report: dict) -> str:
        per_class = "".join(f"\n  {label:>8}: {acc:.2%}" for label, acc in report["per_class"].items())
        return f"accuracy {report['accuracy']:.2%} on {report['n']:,} held-out faces (FER2013 publictest){per_class}"
