"""Photo classification into ImageNet's 1000 classes (MobileNetV2, `models/image_classification/`).

A photo is never squashed: the model reads the centre square of the upright photo, `CROP` of
its shorter side (the usual ImageNet evaluation: shorter side resized to 256, centre 224x224
crop), resized to the model's input with a bilinear (antialiased) filter; the result says
which region that was, in the photo's own pixels. The model takes RGB pixels 0-255 (its first
layer scales them to [-1, 1]) and gives the 1000 class probabilities and the photo's embedding:
the 1280 globally average-pooled features the classifier reads (`PhotoClassifier.embed`), on
which a small head can learn new classes.

There is no held-out ImageNet set here, so `evaluate` measures what the training notebook
measured: how often this LiteRT file agrees with the reference Keras model (top-1, and the
overlap of the five best classes) on the real photos the project has, several views of each."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .data import DataUnavailable, mirror_dir
from .litert import ModelMissing, Predictor, Result
from .photos import open_photo, read_photo, upright_rgb

CROP = 0.875  # side of the centre square the model reads, as a fraction of the photo's shorter side
EMBEDDING_SIZE = 1280  # MobileNetV2's pooled features, the input of its classifier
# Views of each real photo on which the LiteRT file is compared with the reference model:
# (fraction of the shorter side, horizontal and vertical shift from the centre, -1 to 1).
VIEWS = ((0.875, 0, 0), (0.875, -1, -1), (0.875, 1, 1), (1.0, 0, 0), (0.6, 0, 0), (0.6, -1, -1), (0.6, 1, 1))
MIRROR_PHOTOS = ("bird.bmp", "cat.bmp", "cat_720p.jpg", "dog_segmentation.bmp", "dragonfly.bmp", "face.jpg",
                 "grace_hopper.bmp", "hot_dog.jpg", "kite_and_cold.jpg", "owl.jpg", "parrot.jpg", "pets.jpg",
                 "sunflower.bmp")  # the data mirror's images/ (Open Images, Oxford-IIIT Pets: see its COPYRIGHT)
SKIMAGE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")


def crop_box(width: int, height: int, fraction: float = CROP, dx: float = 0.0,
             dy: float = 0.0) -> tuple[float, float, float, float]:
    """(x1, y1, x2, y2) of the square the model reads: `fraction` of the shorter side, centred,
    or shifted by dx, dy (-1: against the left/top edge, 1: the right/bottom edge)."""
    side = min(width, height) * fraction
    x = (width - side) / 2 * (1 + dx)
    y = (height - side) / 2 * (1 + dy)
    return (x, y, x + side, y + side)


def model_input(photo: Image.Image, size: int, box) -> np.ndarray:
    """(size, size, 3) uint8: the `box` of an RGB photo resized with a bilinear filter (which
    averages over every pixel it shrinks, so nothing aliases)."""
    return np.asarray(photo.resize((size, size), Image.Resampling.BILINEAR, box=tuple(box)))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def top_classes(probabilities: np.ndarray, k: int = 5) -> np.ndarray:
    """Indices of the k most likely classes, most likely first (for each row)."""
    return np.argsort(-probabilities, axis=-1, kind="stable")[..., :k]


def agreement(top5: np.ndarray, reference_top5: np.ndarray) -> dict:
    """How often two models agree: top-1 (same best class) and top-5 overlap (the share of the
    reference's five best classes among the other's five best), over rows of class indices."""
    top5, reference_top5 = np.asarray(top5), np.asarray(reference_top5)
    overlap = [len(set(a) & set(b)) / 5 for a, b in zip(top5, reference_top5)]
    return {"top1": round(float((top5[:, 0] == reference_top5[:, 0]).mean()), 4),
            "top5_overlap": round(float(np.mean(overlap)), 4), "n": len(top5)}


def real_photos() -> dict[str, Path]:
    """The real photos the project can use, by name: the data mirror's `images/` (MLEXP_DATA_DIR)
    ("images/cat.bmp", ...) and those inside the scikit-image package if it is installed
    ("skimage/chelsea.png", ...). Found by path: nothing is imported."""
    photos = {}
    mirror = mirror_dir()
    if mirror is not None:
        folder = mirror / "images"
        photos.update({f"images/{n}": folder / n for n in MIRROR_PHOTOS if (folder / n).is_file()})
    spec = importlib.util.find_spec("skimage")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent / "data"
        photos.update({f"skimage/{n}": folder / n for n in SKIMAGE_PHOTOS if (folder / n).is_file()})
    return photos


@dataclass
class Classification(Result):
    """The five most likely classes of a photo with their probabilities, and the region of the
    photo the model read (`box`: x1, y1, x2, y2 in the pixels of the upright photo given;
    `as_json`'s "crop": the same in the file's pixels)."""

    label: str
    top5: list[tuple[str, float]]
    box: tuple[float, float, float, float]
    probabilities: np.ndarray = field(repr=False, default=None)
    scale: float = 1.0  # the file's pixels per pixel of the photo classified (a JPEG read smaller)

    def as_json(self) -> dict:
        """Label, five best [label, probability] (rounded to 4 decimals) and the crop in the file's pixels."""
        return {"label": self.label, "top5": [[label, round(p, 4)] for label, p in self.top5],
                "crop": [round(v * self.scale, 1) for v in self.box]}

    def for_widget(self) -> dict:
        """What `widgets.PhotoClassifierView` shows: label, five best, region read."""
        return {"label": self.label, "top": self.top5, "box": list(self.box)}

    def __str__(self) -> str:
        return ", ".join(f"{label} {p:.1%}" for label, p in self.top5)


class PhotoClassifier(Predictor):
    """ImageNet's 1000 classes for any photo (file, upload or camera frame), from the centre
    crop the card names, and the photo's embedding (`embed`) from the same file.

    The file's outputs are found by their size, not their order (LiteRT may list them either
    way): the one of len(labels) numbers is the classes', the one of the card's embedding size
    the embedding. A file made before the embedding existed still classifies."""

    def __init__(self, model_dir: str | Path, num_threads: int = 2):
        super().__init__(model_dir, num_threads)
        self.labels = list(self.card.get("labels", []))
        self.size = int(self.card.get("input_size", self.inputs[0]["shape"][1]))
        self.crop = float(self.card.get("crop", {}).get("fraction", CROP))
        self.logits = self.card.get("output") == "logits"
        self.embedding_size = int(self.card.get("embedding", {}).get("size", EMBEDDING_SIZE))
        sizes = [int(detail["shape"][-1]) for detail in self.outputs]
        if not self.labels or len(self.labels) not in sizes:
            raise ModelMissing(f"The model file {self.path} does not match its card's {len(self.labels)} labels: "
                               f"make it again with `mlexp train {self.path.parent.name}`.")
        self._classes = sizes.index(len(self.labels))
        self._embedding = next((i for i, n in enumerate(sizes) if n == self.embedding_size and i != self._classes),
                               None)

    def describe(self) -> str:
        card = self.card
        held_out = card.get("agreement", {}).get("mirror")
        said = (f"; agrees with the reference model on {held_out['top1']:.0%} of {held_out['n']} views of real "
                f"photos" if held_out else "")
        return (f"MobileNetV2 ({card.get('quantization', 'LiteRT')}, {self.path.stat().st_size / 2**20:.1f} MiB) "
                f"reads the centre {self.crop:.1%} of the shorter side at {self.size} px{said}.")

    def read(self, source, name: str | None = None) -> Image.Image:
        """A photo file or upload (bytes; `name` for messages) read for this model
        (`photos.read_photo`): upright RGB, a big JPEG decoded at 1/2, 1/4 or 1/8 scale (several
        times faster) as long as the crop keeps at least the model's input size."""
        return read_photo(source, name, min_side=int(np.ceil(self.size / self.crop)))

    def prepare(self, image, box=None) -> tuple[np.ndarray, tuple[float, float, float, float], float]:
        """What the model reads of a photo: (its input (size, size, 3) uint8, the box read, the
        file's pixels per pixel of `image`). `image`: a PIL image of any mode (EXIF rotation
        applied, transparency on white) or an RGB array (H, W, 3) such as a camera frame; `box`:
        the region to read (x1, y1, x2, y2 in the upright photo's pixels), by default the centre
        crop."""
        scale = 1.0
        if isinstance(image, Image.Image):
            photo, scale = upright_rgb(image), float(image.info.get("scale", 1.0))
        else:
            a = np.asarray(image)
            if a.ndim != 3 or a.shape[2] != 3 or min(a.shape[:2]) < 1:
                raise ValueError(f"An image of shape {a.shape} is not a photo (expected height x width x 3).")
            photo = Image.fromarray(a if a.dtype == np.uint8 else np.clip(np.rint(a), 0, 255).astype(np.uint8))
        box = tuple(float(v) for v in (box if box is not None else crop_box(*photo.size, self.crop)))
        return model_input(photo, self.size, box), box, scale

    def classify(self, image, box=None) -> Classification:
        """The five most likely classes of a photo (`image` and `box` as `prepare` takes them)."""
        pixels, box, scale = self.prepare(image, box)
        p = self.probabilities(pixels[None])[0]
        best = top_classes(p)
        top5 = [(self.labels[i], float(p[i])) for i in best]
        return Classification(top5[0][0], top5, box, p, scale)

    def embed(self, image, box=None) -> np.ndarray:
        """The embedding (EMBEDDING_SIZE,) float32 of a photo, read as `classify` reads it (`image`
        and `box` as `prepare` takes them)."""
        return self.embedding(self.prepare(image, box)[0][None])[0]

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 1000) for model inputs (N, size, size, 3), RGB 0-255."""
        out = self.run(np.asarray(pixels, np.float32))[self._classes].astype(np.float64)
        return softmax(out) if self.logits else out

    def embedding(self, pixels: np.ndarray) -> np.ndarray:
        """Embeddings (N, EMBEDDING_SIZE) float32 for model inputs (N, size, size, 3), RGB 0-255:
        the pooled features the classifier reads (ModelMissing for a file made without them)."""
        if self._embedding is None:
            raise ModelMissing(f"The model file {self.path} gives no embedding (it was made before they were "
                               f"added): make it again with `mlexp train {self.path.parent.name}`.")
        return self.run(np.asarray(pixels, np.float32))[self._embedding].astype(np.float32, copy=False)

    def predict(self, image) -> Classification:
        return self.classify(image)

    def evaluate(self) -> dict:
        """Agreement with the reference model (whose five best classes the card holds for each
        view of each real photo) on the photos found here; the mirror's photos were never used to
        calibrate the quantization, scikit-image's may have been."""
        reference = self.card.get("reference_top5", {})
        photos = {name: path for name, path in real_photos().items() if name in reference}
        if not photos:
            raise DataUnavailable("No real photos to compare the model with its reference on: set MLEXP_DATA_DIR "
                                  "to the data mirror (its images/ folder) or install scikit-image.")
        views = self.card.get("views", VIEWS)
        report = {"reference": self.card.get("reference", "the reference Keras model")}
        for group in ("images", "skimage"):
            names = [name for name in photos if name.startswith(group + "/")]
            if not names:
                continue
            ours, theirs = [], []
            for name in names:
                photo = upright_rgb(open_photo(photos[name]))
                x = np.stack([model_input(photo, self.size, crop_box(*photo.size, *view)) for view in views])
                ours.append(top_classes(self.probabilities(x)))
                theirs.append(reference[name])
            report["mirror" if group == "images" else "skimage"] = {
                "photos": len(names), **agreement(np.concatenate(ours), np.concatenate(theirs))}
        return report

    @staticmethod
    def summary(report: dict) -> str:
        parts = [f"{what}: top-1 {r['top1']:.1%}, top-5 overlap {r['top5_overlap']:.1%} on {r['n']} views of "
                 f"{r['photos']} photos" for what, r in report.items() if isinstance(r, dict)]
        return f"agreement with {report['reference']}: " + "; ".join(parts)
