"""Rock, paper, scissors photos: real hands (the data mirror's `rps/`, CDLA-Sharing-1.0), or, for
comparison, TFDS' computer-generated hands (downloaded from Google's storage and cached).

The real photos are tight crops of hands from the Roboflow "Rock Paper Scissors SXSW" detection
set, already split into training and testing by source clip. Several crops come from one frame
(and Roboflow exported some frames more than once): `photo_group` names the frame a photo came
from, so a validation split can keep whole frames on one side (`group_split`).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from mlexp.core.files import atomic_write
from mlexp.data.sources import DataUnavailable, cache_dir, fetch, mirror_dir
from mlexp.inputs.photos import read_photo
from mlexp.inputs.pictures import square_image

RPS_LABELS = ("rock", "paper", "scissors")  # the order of every model's outputs
SPLITS = ("training", "testing")
SOURCES = ("real", "tfds")
ROBOFLOW = "https://universe.roboflow.com/roboflow-58fyf/rock-paper-scissors-sxsw"
TFDS_URLS = {"training": "https://storage.googleapis.com/download.tensorflow.org/data/rps.zip",
             "testing": "https://storage.googleapis.com/download.tensorflow.org/data/rps-test-set.zip"}
DATA_LICENCE = ("Rock Paper Scissors SXSW (Roboflow Universe, " + ROBOFLOW + "), cropped per hand: "
                "CDLA-Sharing-1.0 (https://cdla.dev/sharing-1-0/); its LICENSE, ATTRIBUTION.md and NOTICE.md "
                "travel with the data (rps/ in the data mirror). The data is not shipped: this model is a "
                "'Result' of using it, on which the agreement imposes no obligations or restrictions (section 3.5).")
SUFFIXES = (".jpg", ".jpeg", ".png")


def _check(split: str, source: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"There is no split {split!r}: choose one of {', '.join(SPLITS)}.")
    if source not in SOURCES:
        raise ValueError(f"There is no rock-paper-scissors source {source!r}: choose one of {', '.join(SOURCES)}.")


def _real_dir() -> Path:
    mirror = mirror_dir()
    folder = mirror / "rps" if mirror else None
    if folder is None or not all((folder / s).is_dir() for s in SPLITS):
        raise DataUnavailable(
            "The real rock-paper-scissors photos come only from the data mirror (this cropped version of "
            f"Roboflow's Rock Paper Scissors SXSW, {ROBOFLOW}, has no public download): set MLEXP_DATA_DIR "
            "to a folder holding rps/training and rps/testing.")
    return folder


def _tfds_dir(split: str) -> Path:
    """The extracted folder of TFDS' computer-generated set (rps/ or rps-test-set/), downloaded
    and extracted into the cache once."""
    url = TFDS_URLS[split]
    name = url.rsplit("/", 1)[1]
    target = cache_dir() / "rps_tfds" / name.removesuffix(".zip")
    if not target.is_dir():
        archive = fetch(f"rps_tfds/{name}", url, timeout=60)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix="extract-"))
        try:
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)
            found = [p for p in tmp.rglob("*") if p.is_dir() and p.name in RPS_LABELS]
            if not found:
                raise DataUnavailable(f"{archive} holds no rock/paper/scissors folders: delete it and try again.")
            os.replace(found[0].parent, target)
        except zipfile.BadZipFile:
            raise DataUnavailable(f"{archive} is not a complete zip archive: delete it and try again.") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def rps_files(split: str = "training", source: str = "real") -> list[tuple[Path, int]]:
    """(photo path, label index in RPS_LABELS) of every photo of a split, sorted by class then name."""
    _check(split, source)
    folder = _real_dir() / split if source == "real" else _tfds_dir(split)
    return [(path, label) for label, name in enumerate(RPS_LABELS)
            for path in sorted((folder / name).iterdir()) if path.suffix.lower() in SUFFIXES]


def photo_group(path: str | Path) -> str:
    """The source frame of a photo: its name without the class prefix and Roboflow's export
    suffix (`paper.0095_png.rf.<hash>_00578.jpg` -> `0095`: a frame with a rock and a paper
    hand gives `rock.0095...` and `paper.0095...`; Roboflow exported some frames several times,
    under other hashes). TFDS' names (`rock01-000.png`) give their hand (`rock01`)."""
    name = Path(path).name
    if ".rf." in name:
        stem = name.split(".rf.")[0]
        for ext in ("_png", "_jpg", "_jpeg"):
            stem = stem.removesuffix(ext)
        prefix, _, rest = stem.partition(".")
        return rest if prefix in RPS_LABELS and rest else stem
    return Path(name).stem.split("-")[0]


def _cache_file(files: list[tuple[Path, int]], split: str, size: int, source: str) -> Path:
    digest = hashlib.sha256()
    for path, label in files:
        digest.update(f"{path.name}:{label}:{path.stat().st_size}\n".encode())
    return cache_dir() / "rps_arrays" / f"{source}_{split}_{size}_{digest.hexdigest()[:12]}.npz"


def load_rps(split: str = "training", size: int = 128, source: str = "real"):
    """(x uint8 (N, size, size, 3) RGB, y int labels in RPS_LABELS order, groups (N,) str: each
    photo's source frame) of a split; each photo made square with `pictures.square_image`.
    The arrays are cached (npz under `cache_dir()`), so a second call takes a moment."""
    if not 16 <= int(size) <= 1024:
        raise ValueError(f"The image size must be between 16 and 1024 pixels, not {size}.")
    files = rps_files(split, source)
    cached = _cache_file(files, split, int(size), source)
    if cached.is_file():
        with np.load(cached) as data:
            return data["x"], data["y"], data["groups"]
    x = np.stack([square_image(read_photo(path), size) for path, _ in files])
    y = np.array([label for _, label in files], np.int64)
    groups = np.array([photo_group(path) for path, _ in files])
    with atomic_write(cached) as out:
        np.savez(out, x=x, y=y, groups=groups)
    return x, y, groups


def group_split(y: np.ndarray, groups: np.ndarray, validation: float = 0.15, seed: int = 0):
    """Index arrays (train, validation): about `validation` of each class's photos, taking whole
    source frames, so no frame has photos on both sides."""
    if not 0 < validation < 1:
        raise ValueError("The validation fraction must be between 0 and 1.")
    y, groups = np.asarray(y), np.asarray(groups)
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(y), bool)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        names = rng.permutation(np.unique(groups[members]))
        target, taken = validation * len(members), 0
        for name in names:
            if taken >= target:
                break
            in_group = members[groups[members] == name]
            chosen[in_group] = True
            taken += len(in_group)
    # A frame holding hands of two classes goes wholly to validation.
    chosen |= np.isin(groups, groups[chosen])
    return np.flatnonzero(~chosen), np.flatnonzero(chosen)
