"""FER2013 facial expressions (Goodfellow et al. 2013): 48x48 grey faces, seven expressions.

The faces come from the data mirror (`fer2013/train.npz`, `publictest.npz`), or from the
challenge's own `fer2013.csv` (Kaggle, behind an account, so never downloaded here) put in the
cache folder. Its authors gave no licence: train and evaluate on the faces, never ship them.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from mlexp.data.sources import DataUnavailable, cache_dir, mirror_dir

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # FER2013's own order
SPLITS = {"train": "Training", "publictest": "PublicTest"}  # our name -> the csv's Usage column
KAGGLE = "https://www.kaggle.com/c/challenges-in-representation-learning-facial-expression-recognition-challenge"
DATA_LICENCE = ("FER2013 (Goodfellow et al. 2013, ICML Challenges in Representation Learning, " + KAGGLE + "): "
                "faces collected by web search; its authors gave no licence. Used here to train and evaluate "
                "only; the faces are not shipped.")


def _from_csv(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The faces of one split from Kaggle's fer2013.csv (emotion, pixels, Usage)."""
    faces, labels = [], []
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if not {"emotion", "pixels", "Usage"} <= set(reader.fieldnames or ()):
            raise DataUnavailable(f"{path} is not the challenge's fer2013.csv: it needs the columns emotion, "
                                  "pixels and Usage.")
        for row in reader:
            if row["Usage"] == SPLITS[split]:
                faces.append(np.array(row["pixels"].split(), dtype=np.uint8).reshape(48, 48))
                labels.append(int(row["emotion"]))
    if not faces:
        raise DataUnavailable(f"{path} has no faces of the {SPLITS[split]} split.")
    return np.stack(faces), np.array(labels, dtype=np.int64)


def load_fer(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(faces (N, 48, 48) uint8, labels (N,) indices into EMOTIONS) of `split` (train or publictest)."""
    if split not in SPLITS:
        raise ValueError(f"There is no FER2013 split {split!r}: choose one of {', '.join(SPLITS)}.")
    mirror = mirror_dir()
    if mirror is not None and (mirror / "fer2013" / f"{split}.npz").is_file():
        with np.load(mirror / "fer2013" / f"{split}.npz") as data:
            index = {name: i for i, name in enumerate(EMOTIONS)}
            return data["x"], np.array([index[name] for name in data["label"]], dtype=np.int64)
    kaggle = cache_dir() / "fer2013" / "fer2013.csv"
    if kaggle.is_file():
        return _from_csv(kaggle, split)
    raise DataUnavailable(
        f"FER2013 is not here: download fer2013.csv from {KAGGLE} (a free Kaggle account is needed) and "
        f"put it at {kaggle}, or set MLEXP_DATA_DIR to a folder holding fer2013/{split}.npz.")
