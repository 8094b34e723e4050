"""A hand finder: MediaPipe's palm detector and hand-landmark models (`models/hand/`) run with
LiteRT and numpy, no TensorFlow. `HandFinder().find(rgb)` gives a `Hand` (box, 21 landmarks,
world landmarks, left/right, presence) or None; `hand_features` turns one into a gesture
classifier's input. The recipe (input range, anchors, decoding, crops) is MediaPipe Hands'."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlexp.core.litert import LiteRTModel, ModelMissing
from mlexp.core.paths import find_model
from mlexp.inputs.pictures import fit, letterbox, rgb_array, rotated_crop, square_crop
from mlexp.perception.anchors import detections, ssd_anchors

HAND_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 4),  # thumb
    (0, 5), (5, 6), (6, 7), (7, 8),  # index finger
    (9, 10), (10, 11), (11, 12),  # middle finger
    (13, 14), (14, 15), (15, 16),  # ring finger
    (0, 17), (17, 18), (18, 19), (19, 20),  # little finger
    (5, 9), (9, 13), (13, 17),  # palm
)
FINGERTIPS = (4, 8, 12, 16, 20)
KNUCKLES = (1, 5, 9, 13, 17)  # each finger's first joint from the palm (thumb: its CMC joint)
PALM_SIZE, LANDMARK_SIZE = 192, 224
PRESENCE = 0.5  # below it: no hand


ANCHORS = ssd_anchors(PALM_SIZE, ((8, 2), (16, 6)))  # 24x24x2 + 12x12x6 = 2016


def _angle(start: np.ndarray, end: np.ndarray) -> float:
    """The rotation (radians, image y down) that makes start -> end point up."""
    return float(np.pi / 2 - np.arctan2(-(end[1] - start[1]), end[0] - start[0]))


def _rect(centre: np.ndarray, width: float, height: float, angle: float, scale: float, shift: float):
    """MediaPipe's RectTransformation: shift by `shift` of the height along the rotated y axis,
    square to the longer side, scale. A rect is (centre x, centre y, side, angle), in pixels."""
    x = centre[0] - height * shift * np.sin(angle)
    y = centre[1] + height * shift * np.cos(angle)
    return (float(x), float(y), max(width, height) * scale, angle)


def _rect_from_landmarks(points: np.ndarray):
    """The landmark model's next crop from its landmarks (MediaPipe's tracking rect)."""
    angle = _angle(points[0], ((points[5] + points[13]) / 2 + points[9]) / 2)
    sub = points[[0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18], :2]
    mid = (sub.min(0) + sub.max(0)) / 2
    c, s = np.cos(angle), np.sin(angle)
    upright = (sub - mid) @ np.array([[c, -s], [s, c]])  # rotated by -angle
    low, high = upright.min(0), upright.max(0)
    centre = np.array([[c, -s], [s, c]]) @ ((low + high) / 2) + mid
    return _rect(centre, *(high - low), angle, scale=2.0, shift=-0.1)


@dataclass
class Hand:
    """One hand found in an image."""

    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the image's pixels, around the landmarks (clipped to it)
    landmarks: np.ndarray  # (21, 3): x, y in image pixels, z relative depth (same scale as x; smaller is nearer)
    world: np.ndarray  # (21, 3) world landmarks in metres, origin near the hand's centre, image axes
    handedness: str  # "left" | "right": the person's hand if the image is not mirrored (a camera's
    #                  own frames); swap them for a mirrored (selfie-preview) picture
    presence: float  # the landmark model's hand presence probability
    found_by: str  # "palm" | "tracking" | "whole image"

    def crop(self, image: np.ndarray, size: int, margin: float = 0.15) -> np.ndarray:
        """(size, size, 3) uint8: the square around the box, enlarged by `margin` of its side on
        every side; the image's edge pixels are repeated where the square leaves the image
        (`pictures.square_crop`). Resized by `pictures.square_image`, as the training photos were."""
        x1, y1, x2, y2 = self.box
        side = max(x2 - x1, y2 - y1, 1.0) * (1 + 2 * margin)
        return square_crop(image, round((x1 + x2 - side) / 2), round((y1 + y2 - side) / 2), round(side), size)


class HandFinder:
    """Palm detector -> hand-landmark model, MediaPipe's way, on RGB uint8 images."""

    PALM_FILE, LANDMARK_FILE = "palm_detection_lite.tflite", "hand_landmark_lite.tflite"

    def __init__(self, model_dir: str | Path | None = None, num_threads: int = 2):
        folder = Path(model_dir) if model_dir is not None else find_model("hand")
        for name in (self.PALM_FILE, self.LANDMARK_FILE):
            if not (folder / name).is_file():
                raise ModelMissing(f"The hand model file {folder / name} is missing: it ships with mlexp in "
                                   "models/hand/ (MediaPipe Hands, from the mediapipe==0.10.21 wheel).")
        self.palm = LiteRTModel(folder / self.PALM_FILE, num_threads)
        self.landmark = LiteRTModel(folder / self.LANDMARK_FILE, num_threads)
        self._tracked: tuple | None = None  # (image shape, rect) of the last hand found

    def reset(self) -> None:
        """Forget the tracked hand: the next `find(track=True)` starts with the palm detector."""
        self._tracked = None

    def palms(self, image: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """The palm detector's detections, best first: (box x1 y1 x2 y2, 7 keypoints (7, 2), score),
        in the image's pixels."""
        image = rgb_array(image)
        scale, _, pad = fit(image.shape[1], image.shape[0], PALM_SIZE, centre=True)
        frame = letterbox(image, PALM_SIZE, centre=True)[0].astype(np.float32)  # black borders
        raw, logits = self.palm.run(frame[None] / 255.0)
        return detections(raw[0], logits[0, :, 0], ANCHORS, PALM_SIZE, scale, pad, keypoints=7, threshold=0.5)

    def _landmarks(self, image: np.ndarray, rect, found_by: str) -> Hand:
        """The landmark model on the rotated square `rect` (centre x, centre y, side, angle) of the image."""
        cx, cy, side, angle = rect
        c, s, k = np.cos(angle), np.sin(angle), side / LANDMARK_SIZE
        crop = rotated_crop(image, cx, cy, side, angle, LANDMARK_SIZE)
        points, presence, right, world = self.landmark.run(np.asarray(crop, np.float32)[None] / 255.0)
        # MediaPipe labels hands assuming a mirrored (selfie) image; its raw score is > 0.5 for what
        # looks like a right hand, i.e. the person's right hand in a non-mirrored image.
        rotation = np.array([[c, -s], [s, c]])
        points, world = points.reshape(21, 3), world.reshape(21, 3)
        points[:, :2] = (points[:, :2] - LANDMARK_SIZE / 2) @ rotation.T * k + (cx, cy)
        points[:, 2] *= k
        world[:, :2] = world[:, :2] @ rotation.T
        x1, y1 = np.clip(points[:, :2].min(0), 0, None)
        x2, y2 = np.minimum(points[:, :2].max(0), (image.shape[1], image.shape[0]))
        return Hand((float(x1), float(y1), float(x2), float(y2)), points, world,
                    "right" if right[0, 0] > 0.5 else "left", float(presence[0, 0]), found_by)

    def find(self, image: np.ndarray, whole_image: bool = False, track: bool = False) -> Hand | None:
        """The most likely hand in an (H, W, 3) uint8 RGB image (or any colour picture
        `pictures.rgb_array` takes), or None. `whole_image`: when the palm detector finds none,
        read the image itself as a hand crop (padded to a square; the most present of it upright
        and turned by 90, 180 and 270 degrees).
        `track` (video): start from the previous call's hand, skipping the palm detector."""
        image = rgb_array(image, min_side=2, grey=False)
        found = lambda hand: hand if hand is not None and hand.presence >= PRESENCE else None  # noqa: E731
        hand = None
        if track and self._tracked is not None and self._tracked[0] == image.shape:
            hand = found(self._landmarks(image, self._tracked[1], "tracking"))
        for box, points, _ in [] if hand else self.palms(image)[:2]:
            # MediaPipe's crop: wrist -> middle knuckle turned upright, 2.6x the palm, shifted to the fingers
            rect = _rect((box[:2] + box[2:]) / 2, *(box[2:] - box[:2]), _angle(points[0], points[2]), 2.6, -0.5)
            if hand := found(self._landmarks(image, rect, "palm")):
                break
        if hand is None and whole_image:  # the image as a hand crop, turned 4 ways (hands held sideways)
            h, w = image.shape[:2]
            turns = [self._landmarks(image, (w / 2, h / 2, max(h, w), k * np.pi / 2), "whole image") for k in range(4)]
            hand = found(max(turns, key=lambda turned: turned.presence))
        if hand is None:
            self._tracked = None
            return None
        self._tracked = (image.shape, _rect_from_landmarks(hand.landmarks))
        return hand


FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
_NAMES = ("thumb", "index", "middle", "ring", "little")
_PAIRS = [(a, b) for a in range(5) for b in range(a + 1, 5)]
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"{axis}{i}" for i in range(21) for axis in "xyz")
    + tuple(f"{name} tip to wrist" for name in _NAMES)
    + tuple(f"{_NAMES[a]} tip to {_NAMES[b]} tip" for a, b in _PAIRS)
    + tuple(f"{name} straightness" for name in _NAMES)
)


def hand_features(hand: Hand) -> np.ndarray:
    """float32 (83,), named in FEATURE_NAMES, from the world landmarks (so neither the hand's place,
    size nor turn in the image matters): the 21 points (x, y, z) relative to the wrist, in the
    palm's frame (y: wrist -> middle knuckle, x: little -> index knuckle, z: out of the palm of a
    right hand), divided by the palm's size (mean wrist-knuckle distance), left hands mirrored to
    right ones; then each fingertip's distance to the wrist and to every other fingertip (same
    unit), and each finger's straightness (knuckle-to-tip distance over the length of its bones)."""
    points = hand.world.astype(np.float64) - hand.world[0]
    up = points[9] / np.linalg.norm(points[9])
    across = points[5] - points[17]
    across = across - across @ up * up
    across /= np.linalg.norm(across)
    frame = np.stack([across, up, np.cross(across, up)], 1)
    size = np.linalg.norm(points[[5, 9, 13, 17]], axis=1).mean()
    local = points @ frame / size
    if hand.handedness == "left":  # a mirror image keeps x and y in the palm's frame and turns z over
        local[:, 2] *= -1
    tips = local[list(FINGERTIPS)]
    bones = [np.linalg.norm(np.diff(local[list(finger)], axis=0), axis=1).sum() for finger in FINGERS]
    straight = [np.linalg.norm(local[f[3]] - local[f[0]]) / max(b, 1e-9) for f, b in zip(FINGERS, bones)]
    return np.concatenate([
        local.ravel(),
        np.linalg.norm(tips, axis=1),
        [np.linalg.norm(tips[a] - tips[b]) for a, b in _PAIRS],
        straight,
    ]).astype(np.float32)
