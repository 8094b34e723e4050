"""The ImageNet photo model shared by experiments (MobileNetV2, `models/image_classification/`):
the centre square of a photo, read without squashing, gives ImageNet's 1000 class probabilities
and the photo's embedding (the 1280 pooled features the classifier reads), on which a small head
can learn new classes (`mlexp.teach`). The experiment's predictor is
`mlexp.predictors.photo_classifier.PhotoClassifier`.

The model reads the centre square of the upright photo, `CROP` of its shorter side (the usual
ImageNet evaluation: shorter side resized to 256, centre 224x224 crop), resized to the model's
input with a bilinear (antialiased) filter (`pictures.crop_box`, `pictures.model_input`). It
takes RGB pixels 0-255 (its first layer scales them to [-1, 1])."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from mlexp.core.litert import ModelMissing, Predictor
from mlexp.core.metrics import softmax
from mlexp.inputs.photos import read_photo
from mlexp.inputs.pictures import CROP, crop_box, model_input, rgb_image

EMBEDDING_SIZE = 1280  # MobileNetV2's pooled features, the input of its classifier


class ImageNetModel(Predictor):
    """The ImageNet MobileNetV2 file: 1000 class probabilities and the embedding of a photo.

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

    def read(self, source, name: str | None = None) -> Image.Image:
        """A photo file or upload (bytes; `name` for messages) read for this model
        (`photos.read_photo`): upright RGB, a big JPEG decoded at 1/2, 1/4 or 1/8 scale (several
        times faster) as long as the crop keeps at least the model's input size."""
        return read_photo(source, name, min_side=int(np.ceil(self.size / self.crop)))

    def prepare(self, image, box=None) -> tuple[np.ndarray, tuple[float, float, float, float], float]:
        """What the model reads of a photo: (its input (size, size, 3) uint8, the box read, the
        file's pixels per pixel of `image`). `image`: any colour picture (`pictures.rgb_image`: a
        PIL image of any mode, EXIF rotation applied, transparency on white; an RGB or RGBA array
        such as a camera frame); `box`: the region to read (x1, y1, x2, y2 in the upright photo's
        pixels), by default the centre crop."""
        scale = float(image.info.get("scale", 1.0)) if isinstance(image, Image.Image) else 1.0
        photo = rgb_image(image, grey=False)
        box = tuple(float(v) for v in (box if box is not None else crop_box(*photo.size, self.crop)))
        return model_input(photo, self.size, box), box, scale

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
