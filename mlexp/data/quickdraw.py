"""Quick, Draw! drawings as Google publishes them per category: 28x28 bitmaps (`numpy_bitmap`) and
simplified strokes."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import numpy as np

from mlexp.core.errors import MlexpError
from mlexp.data.sources import DataUnavailable, fetch, mirror_dir
from mlexp.data.split import stratified_split

BITMAP_URL = "https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/{}.npy"
CATEGORIES = tuple(
    line.strip() for line in (Path(__file__).with_name("quickdraw_categories.txt")).read_text().splitlines()
    if line.strip()
)


class UnknownCategory(MlexpError, ValueError):
    """A category name Quick, Draw! does not have."""


def check_categories(names) -> list[str]:
    """The names, if all are Quick, Draw! categories; else one sentence listing valid ones."""
    unknown = [n for n in names if n not in CATEGORIES]
    if unknown:
        raise UnknownCategory(
            f"Quick, Draw! has no category {', '.join(map(repr, unknown))}; "
            f"the {len(CATEGORIES)} categories are: {', '.join(CATEGORIES)}."
        )
    return list(names)


def mirrored_categories() -> list[str]:
    """The categories whose bitmaps are in the local mirror (`MLEXP_DATA_DIR/quickdraw/`)."""
    folder = mirror_dir()
    if folder is None or not (folder / "quickdraw").is_dir():
        return []
    return sorted(p.stem for p in (folder / "quickdraw").glob("*.npy") if p.stem in CATEGORIES)


def load_quickdraw(categories=None, per_class: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(x, y, categories): uint8 images (N, 28, 28) with 0 = background, labels indexing
    `categories`. Default categories: those in the local mirror. At most `per_class` drawings
    of each category (the first ones in Google's files)."""
    categories = check_categories(categories if categories is not None else mirrored_categories())
    if not categories:
        raise DataUnavailable("No Quick, Draw! categories were named and the local mirror "
                              "(MLEXP_DATA_DIR/quickdraw/) has none: name the categories to download.")
    xs, ys = [], []
    for label, name in enumerate(categories):
        path = fetch(f"quickdraw/{name}.npy", BITMAP_URL.format(quote(name)), timeout=120)
        images = np.load(path, mmap_mode="r", allow_pickle=False)
        images = np.asarray(images[:per_class] if per_class else images)
        xs.append(images.reshape(-1, 28, 28))
        ys.append(np.full(len(images), label, np.int64))
    return np.concatenate(xs), np.concatenate(ys), categories


def load_quickdraw_splits(categories=None, per_class: int | None = None, validation: float = 0.1,
                          test: float = 0.1, seed: int = 0):
    """The drawings split by `stratified_split`: a dict {"train", "validation", "test"} of
    (x, y) pairs, and the categories. The split is fixed by the arguments, which the model
    card records so that `mlexp evaluate` finds the same held-out drawings."""
    x, y, categories = load_quickdraw(categories, per_class)
    parts = stratified_split(y, validation, test, seed)
    return {name: (x[i], y[i]) for name, i in zip(("train", "validation", "test"), parts)}, categories


STROKES_URL = "https://storage.googleapis.com/quickdraw_dataset/full/simplified/{}.ndjson"


def drawing_strokes(record: dict) -> list[list[tuple]]:
    """The strokes [[(x, y), ...], ...] of one line of Google's ndjson files (simplified or raw;
    a raw file's third row per stroke, the times, is left out)."""
    return [list(zip(stroke[0], stroke[1])) for stroke in record["drawing"]]


def load_quickdraw_strokes(categories=None, per_class: int | None = None) -> tuple[list, np.ndarray, list[str]]:
    """(drawings, y, categories): Google's simplified strokes, each drawing a list of strokes
    [[(x, y), ...], ...] (coordinates 0-255), labels indexing `categories` (default: all 345).
    At most `per_class` drawings of each (the first lines of Google's files): the mirror's
    `quickdraw_strokes/simplified/` holds 25-114 per class; Google's full files are large."""
    categories = check_categories(categories if categories is not None else CATEGORIES)
    drawings, ys = [], []
    for label, name in enumerate(categories):
        path = fetch(f"quickdraw_strokes/simplified/{name.replace(' ', '_')}.ndjson",
                     STROKES_URL.format(quote(name)), timeout=120)
        with open(path) as f:
            for i, line in enumerate(f):
                if per_class is not None and i >= per_class:
                    break
                drawings.append(drawing_strokes(json.loads(line)))
                ys.append(label)
    return drawings, np.asarray(ys, np.int64), categories
