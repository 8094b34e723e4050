"""A face finder: MediaPipe's BlazeFace, full range (`models/face/`), run with LiteRT and numpy, no
TensorFlow. `FaceFinder().find(rgb)` gives every face in view (`Face`: box, six keypoints, score),
largest first; `Face.aligned` crops one upright, eyes level, for a classifier.

The full-range model, not the short-range one: on the mirror's photos of animals, plants and food the
short-range model scored dogs' faces up to 0.89 (a face at >= 0.5), the full-range one 0.31 at most,
while people's faces score 0.80-0.96 with both (input range [-1, 1], as MediaPipe documents)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlexp.core.litert import LiteRTModel, ModelMissing
from mlexp.core.paths import find_model
from mlexp.inputs.pictures import fit, letterbox, rgb_array, rotated_crop
from mlexp.perception.anchors import detections, ssd_anchors

FACE_SIZE = 192
ANCHORS = ssd_anchors(FACE_SIZE, ((4, 1),))  # 48x48 cells, one anchor each: 2304
KEYPOINTS = ("right eye", "left eye", "nose tip", "mouth", "right ear", "left ear")  # the person's right and left
THRESHOLD = 0.6  # MediaPipe's own for this model


@dataclass
class Face:
    """One face found in an image."""

    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the image's pixels
    keypoints: np.ndarray  # (6, 2) x, y in the image's pixels, in the order of KEYPOINTS
    score: float

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = self.box
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)

    @property
    def roll(self) -> float:
        """The head's tilt (radians): the angle of the line from the right eye to the left eye."""
        (rx, ry), (lx, ly) = self.keypoints[0], self.keypoints[1]
        return float(np.arctan2(ly - ry, lx - rx))

    def aligned(self, image: np.ndarray, size: int = 48, margin: float = 0.1, grey: bool = True) -> np.ndarray:
        """(size, size) uint8 grey (or (size, size, 3) RGB): the square around the box, enlarged by
        `margin` of its side on every side, turned so that the eyes are level."""
        x1, y1, x2, y2 = self.box
        side = max(x2 - x1, y2 - y1, 1.0) * (1 + 2 * margin)
        image = rgb_array(image, min_side=2, grey=False)
        crop = rotated_crop(image, (x1 + x2) / 2, (y1 + y2) / 2, side, self.roll, size)
        return np.asarray(crop.convert("L") if grey else crop)


class FaceFinder:
    """BlazeFace full range on RGB uint8 images: faces up to ~5 m from the camera."""

    FILE = "face_detection_full_range.tflite"

    def __init__(self, model_dir: str | Path | None = None, num_threads: int = 1):
        folder = Path(model_dir) if model_dir is not None else find_model("face")
        if not (folder / self.FILE).is_file():
            raise ModelMissing(f"The face model file {folder / self.FILE} is missing: it ships with mlexp in "
                               "models/face/ (MediaPipe's BlazeFace, from npm @mediapipe/face_detection).")
        self.model = LiteRTModel(folder / self.FILE, num_threads)

    def find(self, image: np.ndarray, threshold: float = THRESHOLD) -> list[Face]:
        """Every face in an (H, W, 3) uint8 RGB image (or any picture `pictures.rgb_array` takes),
        largest first; [] when there is none."""
        image = rgb_array(image, min_side=2, grey=False)
        scale, _, pad = fit(image.shape[1], image.shape[0], FACE_SIZE, centre=True)
        frame = letterbox(image, FACE_SIZE, centre=True)[0].astype(np.float32)  # black borders
        raw, logits = sorted(self.model.run(frame[None] / 127.5 - 1.0), key=lambda out: -out.shape[-1])
        found = detections(raw[0], logits[0, :, 0], ANCHORS, FACE_SIZE, scale, pad, keypoints=6, threshold=threshold)
        faces = [Face(tuple(float(v) for v in box), points, score) for box, points, score in found]
        return sorted(faces, key=lambda face: -face.area)
