"""What a taught model reads of a picture: its features, three kinds.

- "image": the ImageNet MobileNetV2 embedding (1280 numbers) of the picture's centre square,
  from the photo classifier's file (`models/image_classification/`), for objects, faces, anything;
- "hand": `hands.hand_features` (83 numbers) of the hand the hand finder sees, for gestures (the
  background and the light do not matter; no hand, no sample);
- "face": the emotion network's embedding (256 numbers, `models/emotions/`) of the largest face,
  cropped upright as the network was trained (expressions, or who is who; no face, no sample).

`reader(kind).read(picture)` gives a `Reading`: the features, a few augmented views of them
(computed once, when the sample is taken, so training never reruns the feature model), a small
JPEG thumbnail of what was read, and where it was in the picture. No TensorFlow here.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageEnhance

from mlexp.core.paths import model_folder
from mlexp.inputs.pictures import crop_box, model_input, rgb_array, rgb_image
from mlexp.perception.faces import Face
from mlexp.perception.hands import Hand, HandFinder, hand_features
from mlexp.perception.imagenet import ImageNetModel
from mlexp.predictors.emotions import EmotionClassifier

KINDS = ("image", "hand", "face")
SIZES = {"image": 1280, "hand": 83, "face": 256}  # numbers per sample
SOURCES = {"image": "the ImageNet MobileNetV2 embedding (1280 numbers) of models/image_classification",
           "hand": "the 21 landmarks of MediaPipe's hand models (models/hand) as 83 numbers "
                   "(mlexp.perception.hands.hand_features)",
           "face": "the embedding (256 numbers) of the emotion network of models/emotions, trained on FER2013, "
                   "of the largest face found by MediaPipe's BlazeFace (models/face)"}
THUMBNAIL = 128  # pixels, the longer side of a sample's thumbnail
VIEWS = 2  # augmented views kept per sample


@dataclass
class Reading:
    """The features of one picture, `views` (VIEWS, d) of augmented copies, the thumbnail (JPEG
    bytes) and `box` (x1, y1, x2, y2), the region read in the picture's pixels; `hand` for hands,
    `face` for faces."""

    features: np.ndarray
    views: np.ndarray
    thumbnail: bytes
    box: tuple[float, float, float, float]
    hand: Hand | None = None
    face: Face | None = None


def jpeg(pixels, side: int = THUMBNAIL, quality: int = 80) -> bytes:
    """A small JPEG of a picture (an RGB array, a PIL image: `pictures.rgb_image`), its longer
    side at most `side`."""
    image = rgb_image(pixels)
    image.thumbnail((side, side), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


class ImageFeatures:
    """The MobileNetV2 embedding of the centre square of a picture (its whole shorter side: a
    picture is never squashed). Views: random crops of 70-100% of the square, mirrored half of
    the time, brightness x0.7-1.3."""

    kind = "image"

    def __init__(self, num_threads: int = 2, seed: int = 0):
        self.model = ImageNetModel(model_folder("image_classification"), num_threads)
        self.size = self.model.size
        self.rng = np.random.default_rng(seed)

    def _view(self, photo: Image.Image, box) -> np.ndarray:
        x1, y1, x2, y2 = box
        side = (x2 - x1) * self.rng.uniform(0.7, 1.0)
        x, y = x1 + self.rng.uniform(0, x2 - x1 - side), y1 + self.rng.uniform(0, y2 - y1 - side)
        view = Image.fromarray(model_input(photo, self.size, (x, y, x + side, y + side)))
        if self.rng.random() < 0.5:
            view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return np.asarray(ImageEnhance.Brightness(view).enhance(self.rng.uniform(0.7, 1.3)))

    def read(self, picture, track: bool = False, sample: bool = True) -> Reading:
        """The features of a picture; `sample`: also its views and thumbnail (to keep it)."""
        photo = rgb_image(picture, min_side=2, grey=False)
        box = crop_box(*photo.size, 1.0)
        seen = model_input(photo, self.size, box)
        batch = np.stack([seen] + ([self._view(photo, box) for _ in range(VIEWS)] if sample else []))
        embedded = self.model.embedding(batch)
        return Reading(embedded[0], embedded[1:].astype(np.float16), jpeg(seen) if sample else b"",
                       tuple(float(v) for v in box))


class HandFeatures:
    """`hands.hand_features` of the hand in a picture: its 21 landmarks in the palm's own frame
    (so the hand's place, size and turn are already normalised away) and distances between them.
    Turning or scaling the whole hand would change nothing here, so the views move each landmark
    at random by 3% of the palm's size (about the landmark model's own jitter from frame to frame)."""

    kind = "hand"

    def __init__(self, num_threads: int = 2, seed: int = 0):
        self.finder = HandFinder(model_folder("hand"), num_threads)
        self.rng = np.random.default_rng(seed)

    def _view(self, hand: Hand) -> np.ndarray:
        world = hand.world - hand.world[0]
        palm = np.linalg.norm(world[[5, 9, 13, 17]], axis=1).mean()
        moved = world + self.rng.normal(0, 0.03 * palm, world.shape)
        return hand_features(replace(hand, world=moved.astype(np.float32)))

    def read(self, picture, track: bool = False, sample: bool = True) -> Reading | None:
        """None when no hand is found. `track`: a camera frame, the hand followed from the last one;
        otherwise a photo (read as a hand crop itself when no palm is detected). `sample`: also
        the views and the thumbnail (the hand's square)."""
        rgb = rgb_array(picture, min_side=2, grey=False)
        hand = self.finder.find(rgb, track=track, whole_image=not track)
        if hand is None:
            return None
        features = hand_features(hand)
        if not sample:
            return Reading(features, np.zeros((0, len(features)), np.float16), b"", hand.box, hand)
        views = np.stack([self._view(hand) for _ in range(VIEWS)]).astype(np.float16)
        return Reading(features, views, jpeg(hand.crop(rgb, THUMBNAIL, margin=0.1)), hand.box, hand)


class FaceFeatures:
    """The emotion network's embedding of the largest face in a picture, cropped upright as the
    network reads faces. Views: the crop moved by up to 2 pixels and lit x0.7-1.3 (the network
    already reads every face and its mirror image, so a mirrored view would change nothing)."""

    kind = "face"

    def __init__(self, num_threads: int = 2, seed: int = 0):
        self.model = EmotionClassifier(model_folder("emotions"), num_threads=num_threads)
        self.rng = np.random.default_rng(seed)

    def _view(self, crop: np.ndarray) -> np.ndarray:
        dy, dx = self.rng.integers(-2, 3, 2)
        moved = np.pad(crop, 2, mode="edge")[2 + dy : 2 + dy + crop.shape[0], 2 + dx : 2 + dx + crop.shape[1]]
        return np.clip(moved * self.rng.uniform(0.7, 1.3), 0, 255)

    def read(self, picture, track: bool = False, sample: bool = True) -> Reading | None:
        """None when no face is found (in a photo that is itself a tight face crop, the whole photo
        is the face). `sample`: also the views and the thumbnail (the face as read)."""
        faces, crops, _ = self.model.faces_and_crops(rgb_array(picture, min_side=2, grey=False), tight=not track)
        if not faces:
            return None
        crop = crops[0]
        views = [self._view(crop) for _ in range(VIEWS)] if sample else []
        embedded = self.model.read(np.stack([crop, *views]))[1]
        return Reading(embedded[0], embedded[1:].astype(np.float16), jpeg(crop) if sample else b"", faces[0].box,
                       face=faces[0])


def reader(kind: str, num_threads: int = 2):
    """The feature reader of a kind ("image", "hand" or "face")."""
    if kind not in KINDS:
        raise ValueError(f"Features are {', '.join(repr(k) for k in KINDS)}, not {kind!r}.")
    return {"image": ImageFeatures, "hand": HandFeatures, "face": FaceFeatures}[kind](num_threads)
