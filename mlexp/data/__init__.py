"""Data loading: a local mirror (`MLEXP_DATA_DIR`), else a cache filled from the real source."""
from __future__ import annotations

import numpy as np

from ..preprocess import strokes_to_quickdraw
from .mnist import load_mnist
from .quickdraw import load_quickdraw, load_quickdraw_splits, load_quickdraw_strokes
from .rps import RPS_LABELS, group_split, load_rps, rps_files
from .sources import DataUnavailable, cache_dir, fetch, mirror_dir
from .split import stratified_split

__all__ = ["DataUnavailable", "fetch", "mirror_dir", "cache_dir", "load_mnist", "load_quickdraw",
           "load_quickdraw_splits", "load_quickdraw_strokes", "stratified_split", "held_out_images", "RPS_LABELS",
           "load_rps", "rps_files", "group_split"]


def held_out_images(dataset: str, card: dict) -> tuple[np.ndarray, np.ndarray]:
    """The held-out test images (N, 28, 28) in [0, 1] and labels of a drawing dataset ("mnist",
    "quickdraw", "quickdraw_strokes"); for a split made at training time, the model card's
    `split_args` remake it. "quickdraw_strokes": the simplified strokes of the card's classes
    (`labels`; `test_args` may cap `per_class`), drawn by the pad's own "quickdraw" recipe: for
    models trained elsewhere."""
    if dataset == "mnist":
        _, (x, y) = load_mnist()
    elif dataset == "quickdraw":
        if "split_args" not in card:
            raise ValueError("The model card does not say how its Quick, Draw! test split was made; retrain it.")
        (x, y) = load_quickdraw_splits(**card["split_args"])[0]["test"]
    elif dataset == "quickdraw_strokes":
        drawings, y, _ = load_quickdraw_strokes(card.get("labels"), **card.get("test_args", {}))
        return np.stack([strokes_to_quickdraw(strokes) for strokes in drawings]), y
    else:
        raise ValueError(f"No test split is known for dataset {dataset!r}.")
    return x.astype(np.float32) / 255.0, y.astype(int)
