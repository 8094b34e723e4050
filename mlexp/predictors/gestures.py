"""Hand gestures (rock, paper, scissors): a camera frame or a photo -> the hand finder -> a
classifier of the hand. Three kinds of classifier share this one predictor; the model card
says what each reads: `input: "image"` (a square crop of the hand, `input_size` pixels) or
`input: "landmarks"` (`hands.hand_features` of the 21 landmarks). No hand: the answer is "none",
never a guess."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlexp.core.files import byte_size
from mlexp.core.litert import ModelMissing, Predictor, Result
from mlexp.core.metrics import accuracy_report
from mlexp.core.paths import model_folder
from mlexp.data import RPS_LABELS, load_rps, testing_predictions
from mlexp.inputs.pictures import rgb_array, square_image
from mlexp.perception.hands import HAND_CONNECTIONS, Hand, HandFinder, hand_features

NONE = "none"
FOUND_BY = {"palm": "the palm detector found a hand",
            "tracking": "the hand was followed from the previous frame",
            "whole image": "no palm was detected, so the whole photo was read as a hand crop and the "
                           "landmark model found a hand in it"}


@dataclass
class Gesture(Result):
    """What the classifier says about one frame or photo: the gesture ("none" when no hand is
    in view), each gesture's probability (empty with no hand), and the hand it read."""

    label: str
    probabilities: dict[str, float] = field(default_factory=dict)
    hand: Hand | None = field(default=None, repr=False)

    @property
    def note(self) -> str:
        if self.hand is None:
            return "No hand found: neither the palm detector nor the landmark model saw one."
        return FOUND_BY[self.hand.found_by].capitalize() + "."

    def as_json(self) -> dict:
        box = None if self.hand is None else [round(float(v), 1) for v in self.hand.box]
        return {"label": self.label, "probabilities": self.probabilities, "hand": box,
                "found_by": self.hand.found_by if self.hand else None}

    def for_widget(self) -> dict:
        """What `widgets.GestureView` shows: label, probabilities, box and landmarks in pixels."""
        hand = self.hand
        return {"label": self.label, "probabilities": self.probabilities,
                "box": None if hand is None else [float(v) for v in hand.box],
                "landmarks": [] if hand is None else hand.landmarks[:, :2].tolist(), "note": ""}

    def __str__(self) -> str:
        if self.hand is None:
            return "none (no hand)"
        best = sorted(self.probabilities.items(), key=lambda kv: -kv[1])
        return f"{self.label}  ({', '.join(f'{label} {p:.1%}' for label, p in best)}; {self.note.lower()[:-1]})"


class GestureClassifier(Predictor):
    """Finds the hand (MediaPipe's palm and landmark models, `models/hand/`), then classifies it
    with `model.tflite` into the card's labels (rock, paper, scissors)."""

    CONNECTIONS = HAND_CONNECTIONS

    def __init__(self, model_dir: str | Path, hand_dir: str | Path | None = None, num_threads: int = 2):
        super().__init__(model_dir, num_threads)
        self.labels = list(self.card.get("labels") or RPS_LABELS)
        self.reads = self.card.get("input", "image")
        self.size = int(self.card.get("input_size", 0))
        if self.outputs[0]["shape"][-1] != len(self.labels):
            raise ModelMissing(f"The model file {self.path} does not give {len(self.labels)} gestures: "
                               f"retrain it with `mlexp train {self.path.parent.name}`.")
        self.finder = HandFinder(hand_dir or model_folder("hand"), num_threads=num_threads)

    def describe(self) -> str:
        card = self.card
        if "test_accuracy" not in card:
            return super().describe()
        crop = float(card.get("centre_crop", 1.0))
        reads = ("the hand's 21 landmarks" if self.reads == "landmarks" else
                 f"the hand cropped square at {self.size} px" + (f", its central {crop:.0%}" if crop < 1 else ""))
        return (f"Reads {reads}; {card['test_accuracy']:.1%} on {card.get('split', {}).get('test', 0):,} held-out "
                f"photos of real hands; {byte_size(self.path.stat().st_size)}.")

    def _probabilities(self, image: np.ndarray, hand: Hand, whole: bool = False) -> np.ndarray:
        """Gesture probabilities for the hand in an RGB image; `whole`: the image is a hand crop."""
        if self.reads == "landmarks":
            x = hand_features(hand)[None]
        else:
            x = (square_image(image, self.size) if whole else hand.crop(image, self.size))[None]
        return self.run(x.astype(np.float32))[0][0].astype(float)

    def _gesture(self, image: np.ndarray, hand: Hand | None) -> Gesture:
        if hand is None:
            return Gesture(NONE)
        p = self._probabilities(image, hand, whole=hand.found_by == "whole image")
        return Gesture(self.labels[int(p.argmax())], dict(zip(self.labels, p.tolist())), hand)

    def classify_frame(self, frame: np.ndarray) -> Gesture:
        """A live camera frame (H, W, 3) RGB: the hand is followed from frame to frame; no hand
        in view gives "none"."""
        return self._gesture(frame, self.finder.find(frame, track=True))

    def predict(self, image) -> Gesture:
        """A still photo (any picture `pictures.rgb_array` takes). Where the palm detector sees no
        hand, the photo is read as a hand crop itself and the landmark model's presence score decides."""
        rgb = rgb_array(image)
        return self._gesture(rgb, self.finder.find(rgb, whole_image=True))

    def evaluate(self) -> dict:
        """Accuracy on the testing split of real hands. An image model reads each photo (a tight
        crop of a hand) as it is; a landmark model must find the hand first, and a photo where
        it finds none counts as wrong (also reported: accuracy on the photos with a hand)."""
        if self.reads == "landmarks":
            return self._evaluate_landmarks()
        x, y, _ = load_rps("testing", self.size)
        pred = np.concatenate([self.run(x[i : i + 64].astype(np.float32))[0].argmax(1) for i in range(0, len(x), 64)])
        return {"dataset": "rps", **accuracy_report(y, pred, self.labels)}

    def _evaluate_landmarks(self) -> dict:
        y, pred = testing_predictions("rps", self.predict, self.labels)
        found = pred >= 0
        return {"dataset": "rps", **accuracy_report(y, pred, self.labels), "found_rate": float(found.mean()),
                "accuracy_found": float((pred[found] == y[found]).mean())}

    @staticmethod
    def summary(report: dict) -> str:
        per_class = "".join(f"\n  {label:>8}: {acc:.2%}" for label, acc in report["per_class"].items())
        found = (f" (a hand was found in {report['found_rate']:.1%}; on those {report['accuracy_found']:.2%})"
                 if "found_rate" in report else "")
        return f"accuracy {report['accuracy']:.2%} on {report['n']:,} held-out photos of real hands{found}{per_class}"
