"""The photo classification experiment: ImageNet's 1000 classes of a photo (the shared model,
`mlexp.perception.imagenet`), its five best with exact probabilities and the region read, in the
photo's own pixels.

There is no held-out ImageNet set here, so `evaluate` measures what the training notebook
measured: how often this LiteRT file agrees with the reference Keras model (top-1, and the
overlap of the five best classes) on the real photos the project has, several views of each."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlexp.core.files import byte_size
from mlexp.core.litert import Result
from mlexp.core.metrics import top_classes
from mlexp.data import DataUnavailable, mirror_dir
from mlexp.inputs.photos import open_photo, upright_rgb
from mlexp.inputs.pictures import crop_box, model_input
from mlexp.perception.imagenet import ImageNetModel

# Views of each real photo on which the LiteRT file is compared with the reference model:
# (fraction of the shorter side, horizontal and vertical shift from the centre, -1 to 1).
VIEWS = ((0.875, 0, 0), (0.875, -1, -1), (0.875, 1, 1), (1.0, 0, 0), (0.6, 0, 0), (0.6, -1, -1), (0.6, 1, 1))
MIRROR_PHOTOS = ("bird.bmp", "cat.bmp", "cat_720p.jpg", "dog_segmentation.bmp", "dragonfly.bmp", "face.jpg",
                 "grace_hopper.bmp", "hot_dog.jpg", "kite_and_cold.jpg", "owl.jpg", "parrot.jpg", "pets.jpg",
                 "sunflower.bmp")  # the data mirror's images/ (Open Images, Oxford-IIIT Pets: see its COPYRIGHT)
SKIMAGE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")


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


class PhotoClassifier(ImageNetModel):
    """ImageNet's 1000 classes for any photo (file, upload or camera frame), from the centre
    crop the card names, and the photo's embedding (`embed`) from the same file."""

    def describe(self) -> str:
        card = self.card
        held_out = card.get("agreement", {}).get("mirror")
        said = (f"; agrees with the reference model on {held_out['top1']:.0%} of {held_out['n']} views of real "
                f"photos" if held_out else "")
        return (f"MobileNetV2 ({card.get('quantization', 'LiteRT')}, {byte_size(self.path.stat().st_size)}) "
                f"reads the centre {self.crop:.1%} of the shorter side at {self.size} px{said}.")

    def classify(self, image, box=None) -> Classification:
        """The five most likely classes of a photo (`image` and `box` as `prepare` takes them)."""
        pixels, box, scale = self.prepare(image, box)
        p = self.probabilities(pixels[None])[0]
        best = top_classes(p)
        top5 = [(self.labels[i], float(p[i])) for i in best]
        return Classification(top5[0][0], top5, box, p, scale)

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
