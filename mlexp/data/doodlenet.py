"""ml5's DoodleNet (a CNN for all 345 Quick, Draw! classes, MIT): its published TF.js files from
the data mirror, the cache or GitHub, its class names, and its licence."""
from __future__ import annotations

from pathlib import Path

from mlexp.data.quickdraw import check_categories
from mlexp.data.sources import DataUnavailable, fetch

REPOSITORY = "https://github.com/ml5js/ml5-data-and-models"
RAW = "https://raw.githubusercontent.com/ml5js/ml5-data-and-models/main/"
FOLDER = "pretrained/doodlenet"  # where the mirror and the cache keep the files
FILES = {  # file -> its path in ml5's repository
    "model.json": "models/doodlenet/model.json",
    "group1-shard1of1.bin": "models/doodlenet/group1-shard1of1.bin",
    "class_names.txt": "models/doodlenet/class_names.txt",
    "LICENSE": "LICENSE",
}
CITATION = ("ml5.js DoodleNet, trained on Google's Quick, Draw! dataset (CC BY 4.0); "
            f"{REPOSITORY}/tree/main/models/doodlenet, https://learn.ml5js.org/#/reference/doodlenet")


def files() -> Path:
    """The folder holding DoodleNet's model.json, weights, class names and LICENSE: the data
    mirror's `pretrained/doodlenet/`, else the cache, filled from ml5's GitHub repository
    (raises DataUnavailable, one sentence, when neither is there)."""
    try:
        paths = [fetch(f"{FOLDER}/{name}", RAW + source, timeout=120) for name, source in FILES.items()]
    except DataUnavailable:
        raise DataUnavailable(
            f"DoodleNet's weights are neither in the data mirror (MLEXP_DATA_DIR/{FOLDER}/) nor in the cache, "
            f"and downloading them from {REPOSITORY} failed: connect to the internet once, or set MLEXP_DATA_DIR "
            f"to a folder whose {FOLDER}/ holds {', '.join(FILES)}.") from None
    folder = paths[0].parent
    if any(p.parent != folder for p in paths):  # a partial mirror: the weights must sit beside model.json
        raise DataUnavailable(f"{folder} holds only some of DoodleNet's files ({', '.join(FILES)}): add the "
                              "others, or remove them all so that they are downloaded together.")
    return folder


def labels(folder: Path) -> list[str]:
    """The 345 class names in the model's output order (class_names.txt's line order), spelled
    as Quick, Draw! names its categories (spaces, not underscores)."""
    names = [line.strip().replace("_", " ") for line in (folder / "class_names.txt").read_text().splitlines()]
    return check_categories([n for n in names if n])


def licence(folder: Path) -> tuple[str, str]:
    """(licence name, copyright line) from the LICENSE file, e.g. ("MIT", "Copyright (c) 2018 ml5")."""
    lines = [line.strip() for line in (folder / "LICENSE").read_text().splitlines() if line.strip()]
    name = lines[0].removesuffix("License").strip()
    holder = next((line for line in lines if line.lower().startswith("copyright")), "")
    return name, holder
