"""A model that writes digits: styles -> pictures of digits (`decoder.tflite`), with the flow
that makes new styles (`flow.tflite`), the encoder that reads the style of a picture
(`encoder.tflite`) and digits_cnn as its judge (`judge.tflite`: features and probabilities).

Styles are `latent` numbers in normalized units (each about N(0, 1) over MNIST's training
digits); pictures are (28, 28) float arrays in [0, 1], white ink on black as in MNIST."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from mlexp.core.errors import MlexpError
from mlexp.core.files import byte_size
from mlexp.core.litert import LiteRTModel, Predictor, Result
from mlexp.core.metrics import accuracy_report, frechet_distance
from mlexp.data import load_mnist
from mlexp.inputs.drawings import image_to_mnist

DIGITS = tuple(str(d) for d in range(10))
MAX_COUNT = 1000  # digits one call may write
CANDIDATES = 32  # new digits of each kind that "in your handwriting" chooses from
MEASURES = ("stroke_width", "slant", "width")
PAD_REACH = 2.0  # the latent pad's edges, in standard deviations of its digit's styles along each axis


class BadRequest(MlexpError, ValueError):
    """A label that is not a digit, a count out of range: one sentence."""


def digit_label(label) -> int:
    """0-9 from an int or a one-character string; BadRequest otherwise."""
    text = str(label).strip()
    if len(text) != 1 or text not in DIGITS:
        raise BadRequest(f"The label must be one digit, 0 to 9 (not {str(label)[:20]!r}).")
    return int(text)


def check_count(count) -> int:
    """1 <= count <= MAX_COUNT, or BadRequest saying the limit."""
    if not isinstance(count, (int, np.integer)) or not 1 <= count <= MAX_COUNT:
        raise BadRequest(f"The count must be a whole number from 1 to {MAX_COUNT:,} (not {count!r}).")
    return int(count)


def as_picture(picture) -> Image.Image:
    """A picture (28, 28) in [0, 1], white ink on black -> a PIL image of dark ink on white."""
    return Image.fromarray(np.round(255 * (1 - np.clip(picture, 0, 1))).astype(np.uint8), "L")


def handwriting(picture: np.ndarray) -> dict[str, float]:
    """Three measures of a digit's handwriting (28x28, ink high): `stroke_width` (pixels: twice
    the ink area over the ink's outline), `slant` (how far the ink leans right per pixel up),
    `width` (the ink's width over its height)."""
    ink = np.asarray(picture, np.float32) >= 0.5
    area = ink.sum()
    if not area:
        return {m: 0.0 for m in MEASURES}
    edges = np.count_nonzero(np.diff(ink, axis=0)) + np.count_nonzero(np.diff(ink, axis=1))
    ys, xs = np.nonzero(ink)
    dy, dx = ys - ys.mean(), xs - xs.mean()
    slant = -(dx * dy).mean() / max((dy * dy).mean(), 1e-6)  # rows grow downwards
    return {"stroke_width": float(2 * area / max(edges, 1)), "slant": float(slant),
            "width": float((np.ptp(xs) + 1) / (np.ptp(ys) + 1))}


def handwriting_stats(pictures: np.ndarray, labels) -> dict:
    """Mean and standard deviation of each measure for each digit (the card's `handwriting`)."""
    labels = np.asarray(labels)
    table = np.array([[handwriting(p)[m] for m in MEASURES] for p in pictures])
    return {"measures": list(MEASURES),
            "mean": [table[labels == d].mean(0).tolist() for d in range(10)],
            "std": [table[labels == d].std(0).tolist() for d in range(10)]}


@dataclass
class Written(Result):
    """One digit the model wrote: the picture, what it was asked for and what the judge said."""

    picture: np.ndarray = field(repr=False)
    asked: int
    said: int
    confidence: float

    @property
    def right(self) -> bool:
        return self.asked == self.said

    def as_json(self) -> dict:
        return {"asked": self.asked, "said": self.said, "confidence": self.confidence}

    def __str__(self) -> str:
        return f"asked {self.asked}, digits_cnn says {self.said} ({self.confidence:.1%})"


@dataclass
class Handwriting(Result):
    """A picture of one digit as the generator reads it: the digit the judge sees, its
    confidence, the handwriting measures and the style (the encoder's numbers)."""

    label: int
    confidence: float
    measures: dict[str, float]
    style: np.ndarray = field(repr=False)
    picture: np.ndarray = field(repr=False)

    def as_json(self) -> dict:
        return {"label": self.label, "confidence": self.confidence, **self.measures}

    def __str__(self) -> str:
        m = self.measures
        return (f"a {self.label} ({self.confidence:.1%}); stroke width {m['stroke_width']:.2f} px, "
                f"slant {m['slant']:+.2f}, width {m['width']:.2f}")


def _by_name(details: list[dict], names: tuple[str, ...]) -> list[dict]:
    """LiteRT's input details in the order of `names` (each found in the tensor's name)."""
    return [next(d for d in details if d["name"].split(":")[0].endswith(f"_{name}") or d["name"] == name)
            for name in names]


class DigitWriter(Predictor):
    """The digits_generator model: new digits, their making step by step, the latent pad, a
    morph between two digits, digits in the handwriting of a picture, and digits_cnn's verdict
    on each. `READS` images: `predict(picture)` reads a picture's digit and handwriting."""

    MODEL_FILE = "decoder.tflite"

    def __init__(self, model_dir: str | Path, num_threads: int = 1):
        super().__init__(model_dir, num_threads)
        folder = Path(model_dir)
        self.inputs = _by_name(self.inputs, ("style", "label"))
        self.latent = int(self.inputs[0]["shape"][-1])
        self.steps = int(self.card.get("steps", 10))
        self.flow = None
        if self.card.get("prior", "flow") == "flow":
            self.flow = LiteRTModel(folder / "flow.tflite", num_threads)
            self.flow.inputs = _by_name(self.flow.inputs, ("z", "t", "label"))
        self.encoder = LiteRTModel(folder / "encoder.tflite", num_threads)
        if len(self.encoder.inputs) == 2:  # a conditional VAE's encoder is told the digit too
            self.encoder.inputs = _by_name(self.encoder.inputs, ("digit", "label"))
        self.judge = LiteRTModel(folder / "judge.tflite", num_threads)
        self._probabilities_first = self.judge.outputs[0]["shape"][-1] == 10
        self._pad = {k: np.asarray(v, np.float32) for k, v in self.card.get("pad", {}).items()}

    def describe(self) -> str:
        card = self.card
        if "recognized" not in card:
            return super().describe()
        size = sum(v for k, v in card.get("files", {}).items() if k.endswith(".tflite"))
        return (f"{card.get('family', 'generator')}, {byte_size(size)}: digits_cnn names {card['recognized']:.2%} "
                f"of its digits as asked; FCD {card['fcd']:.1f} (MNIST train vs test: "
                f"{card.get('fcd_train_vs_test', float('nan')):.1f}).")

    # --- making digits -----------------------------------------------------------------------
    def decode(self, styles, labels) -> np.ndarray:
        """Pictures (n, 28, 28) for styles (n, latent) and labels: digits (n,) or mixtures (n, 10)."""
        labels = np.asarray(labels)
        hot = labels.astype(np.float32) if labels.ndim == 2 else np.eye(10, dtype=np.float32)[labels.astype(int)]
        return self.run(np.asarray(styles, np.float32), hot)[0].reshape(-1, 28, 28)

    def trail(self, labels, seed: int = 0) -> np.ndarray:
        """New styles for the digits `labels`, with every step of their making: (steps + 1, n,
        latent), from noise (step 0) to the style decoded (the last step). A VAE has one step."""
        labels = np.asarray(labels, int)
        z = np.random.default_rng(seed).standard_normal((len(labels), self.latent)).astype(np.float32)
        if self.flow is None:
            return z[None]
        hot = np.eye(10, dtype=np.float32)[labels]
        out = [z]
        for k in range(self.steps):
            t = np.full((len(z), 1), k / self.steps, np.float32)
            z = z + self.flow.run(z, t, hot)[0] / self.steps
            out.append(z)
        return np.stack(out)

    def styles(self, labels, seed: int = 0) -> np.ndarray:
        """New styles (n, latent) for the digits `labels` (the last step of `trail`)."""
        return self.trail(labels, seed)[-1]

    def recognize(self, pictures) -> tuple[np.ndarray, np.ndarray]:
        """digits_cnn's (features (n, 128), probabilities (n, 10)) for pictures (n, 28, 28)."""
        out = self.judge.run(np.asarray(pictures, np.float32).reshape(-1, 28, 28))
        return (out[1], out[0]) if self._probabilities_first else (out[0], out[1])

    def written(self, pictures, labels) -> list[Written]:
        """The pictures with what they were asked to be and what digits_cnn says."""
        p = self.recognize(pictures)[1]
        return [Written(pic, int(a), int(q.argmax()), float(q.max())) for pic, a, q in zip(pictures, labels, p)]

    def write(self, label, count: int = 1, seed: int = 0) -> list[Written]:
        """`count` new digits `label` (seeded: the same seed writes the same digits)."""
        label, count = digit_label(label), check_count(count)
        labels = np.full(count, label)
        return self.written(self.decode(self.styles(labels, seed), labels), labels)

    # --- the latent pad and the morph ----------------------------------------------------------
    def pad_style(self, label, x: float, y: float) -> np.ndarray:
        """The style at (x, y) of the pad (each in -1..1) for digit `label`: the digit's mean
        style moved along its two main axes of variation, to 2 standard deviations at the edges."""
        d = digit_label(label)
        x, y = (float(np.clip(v, -1, 1)) for v in (x, y))
        spread = self._pad["spread"][d] * PAD_REACH
        return self._pad["mean"][d] + x * spread[0] * self._pad["axes"][d][0] + y * spread[1] * self._pad["axes"][d][1]

    def pad(self, label, x: float, y: float) -> np.ndarray:
        """The picture at (x, y) of digit `label`'s pad."""
        return self.decode(self.pad_style(label, x, y)[None], [digit_label(label)])[0]

    def morph(self, start: tuple[int, np.ndarray], end: tuple[int, np.ndarray], frames: int = 9) -> np.ndarray:
        """`frames` pictures going from one (label, style) to another: the styles and the digits
        mixed in steps."""
        w = np.linspace(0, 1, frames, dtype=np.float32)[:, None]
        eye = np.eye(10, dtype=np.float32)
        styles = (1 - w) * start[1] + w * end[1]
        return self.decode(styles, (1 - w) * eye[start[0]] + w * eye[end[0]])

    # --- handwriting -----------------------------------------------------------------------------
    def read(self, picture) -> Handwriting:
        """A picture of one digit (a PIL image of dark ink on light, or an MNIST-like (28, 28)
        array): the digit digits_cnn sees, its handwriting and its style. BadDrawing if empty."""
        x = image_to_mnist(picture) if isinstance(picture, Image.Image) else np.asarray(picture, np.float32)
        p = self.recognize(x[None])[1][0]
        told = [np.eye(10, dtype=np.float32)[[int(p.argmax())]]] if len(self.encoder.inputs) == 2 else []
        style = self.encoder.run(x[None].reshape(1, 28, 28), *told)[0][0]
        return Handwriting(int(p.argmax()), float(p.max()), handwriting(x), style, x)

    predict = read

    def _like(self, drawn: Handwriting, label: int, count: int, seed: int, candidates: int) -> np.ndarray:
        """`count` pictures of `label` in the handwriting `drawn`. The drawn digit's own label is
        first written from its own style. Otherwise the style of a drawn digit also holds which
        digit it is (a 7's style written as a 4 still looks like a 7), but how it differs from
        its digit's mean style (the card's `pad`) carries over: `candidates` new styles of
        `label`, half moved by half that difference and half by all of it, are written, and
        those the judge reads as `label` are ranked by how close their stroke width, slant and
        width stand to the drawing's, each measure counted in standard deviations from its own
        digit's mean (the card's `handwriting`)."""
        own = self.decode(drawn.style[None], [label]) if label == drawn.label else np.zeros((0, 28, 28), np.float32)
        if len(own) >= count:
            return own
        stats = self.card["handwriting"]
        mean, std = np.asarray(stats["mean"]), np.maximum(np.asarray(stats["std"]), 1e-6)
        target = (np.array([drawn.measures[m] for m in MEASURES]) - mean[drawn.label]) / std[drawn.label]
        n = max(candidates, count)
        shift = drawn.style - self._pad["mean"][drawn.label]
        weights = np.repeat([0.5, 1.0], [n // 2, n - n // 2])[:, None]
        moved = self.styles(np.full(n, label), seed + 1000 * label) + weights * shift
        pictures = self.decode(moved, np.full(n, label))
        z = (np.array([[handwriting(p)[m] for m in MEASURES] for p in pictures]) - mean[label]) / std[label]
        wrong = self.recognize(pictures)[1].argmax(1) != label
        ranked = pictures[np.lexsort((((z - target) ** 2).sum(1), wrong))]  # read right first, then closest
        return np.concatenate([own, ranked])[:count]

    def in_style(self, picture, seed: int = 0, candidates: int = CANDIDATES) -> tuple[Handwriting, np.ndarray]:
        """(the picture read, ten pictures 0-9 in its handwriting): see `_like`. BadDrawing if
        the picture has no digit."""
        drawn = self.read(picture)
        return drawn, np.stack([self._like(drawn, d, 1, seed, candidates)[0] for d in range(10)])

    def write_like(self, picture, label, count: int = 1, seed: int = 0) -> list[Written]:
        """`count` digits `label` in the handwriting of a picture of one digit."""
        label, count = digit_label(label), check_count(count)
        pictures = self._like(self.read(picture), label, count, seed, max(CANDIDATES, 4 * count))
        return self.written(pictures, [label] * count)

    # --- held-out figures --------------------------------------------------------------------------
    def evaluate(self, per_digit: int = 1000, seed: int = 0, batch: int = 1000) -> dict:
        """`recognized` (the share of 10 x per_digit new digits digits_cnn names as asked, also
        `per_digit`) and `fcd`, the Frechet distance of their digits_cnn features to those of
        MNIST's 10,000 test digits."""
        labels = np.repeat(np.arange(10), per_digit)
        features, said = [], []
        for i in range(0, len(labels), batch):
            chunk = labels[i : i + batch]
            f, p = self.recognize(self.decode(self.styles(chunk, seed + i), chunk))
            features.append(f)
            said.append(p.argmax(1))
        report = accuracy_report(labels, np.concatenate(said), DIGITS)
        _, (x_test, _) = load_mnist()
        test = np.concatenate([self.recognize(x_test[i : i + batch] / 255.0)[0] for i in range(0, len(x_test), batch)])
        return {"recognized": report["accuracy"], "fcd": frechet_distance(np.concatenate(features), test),
                "n": report["n"], "steps": self.steps if self.flow else 1, "per_digit": report["per_class"]}

    @staticmethod
    def summary(report: dict) -> str:
        lines = "".join(f"\n  {d}: {share:.2%}" for d, share in report["per_digit"].items())
        return (f"digits_cnn names {report['recognized']:.2%} of {report['n']:,} new digits as asked; "
                f"FCD {report['fcd']:.2f} to MNIST's test digits ({report['steps']} steps){lines}")
