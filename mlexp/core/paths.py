"""Where things are, and every `MLEXP_*` environment variable in one place.

- `MLEXP_MODELS_DIR`: the model folders, searched in order, new models written to the first (default: the
  repository's `models/`);
- `MLEXP_DATA_DIR`: a local mirror of the data files (no default: downloads then);
- `MLEXP_CACHE_DIR`: where downloads are kept (default: `~/.cache/mlexp`);
- `MLEXP_PROJECTS_DIR`: where the teach demo saves projects (default: `~/mlexp-projects`);
- `MLEXP_CLASSROOM`: set by `mlexp class` for its kernels (students have no JupyterLab);
- `MLEXP_LITERT_THREADS`: the most threads a LiteRT model may use (set to 1 by `mlexp class` and `mlexp hub`)."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MODELS = REPO_ROOT / "models"
VARIABLES = {
    "MLEXP_MODELS_DIR": "the model folders, joined by os.pathsep, searched in order; new models go to the first "
                        "(default: the repository's models/)",
    "MLEXP_DATA_DIR": "a local mirror of the data files (default: none; files are downloaded)",
    "MLEXP_CACHE_DIR": "where downloads are kept (default: ~/.cache/mlexp)",
    "MLEXP_PROJECTS_DIR": "where the teach demo saves projects (default: ~/mlexp-projects)",
    "MLEXP_CLASSROOM": "1 in the kernels of `mlexp class` (no JupyterLab: no links to it)",
    "MLEXP_LITERT_THREADS": "the most threads a LiteRT model may use (1 in `mlexp class` and `mlexp hub` kernels)",
}


def _folder(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else None


def model_dirs() -> list[Path]:
    """The model folders, searched in order: `MLEXP_MODELS_DIR` (a folder, or several joined by
    os.pathsep, as on JupyterHub: the student's own, then the shipped ones), else the repo's `models/`."""
    value = os.environ.get("MLEXP_MODELS_DIR", "")
    return [Path(v).expanduser() for v in value.split(os.pathsep) if v] or [SHIPPED_MODELS]


def models_dir() -> Path:
    """Where new models are written: the first of `model_dirs()`."""
    return model_dirs()[0]


def find_model(name: str) -> Path:
    """The folder of model `name` in the first model folder that has it; else where it would be written."""
    return next((folder / name for folder in model_dirs() if (folder / name).is_dir()), models_dir() / name)


def model_folder(name: str) -> Path:
    """The folder of model `name`: among the models (MLEXP_MODELS_DIR) if there, else the shipped
    one (models that others build on, such as the hand finder, stay found when MLEXP_MODELS_DIR
    points elsewhere)."""
    chosen = find_model(name)
    return chosen if chosen.is_dir() else SHIPPED_MODELS / name


def mirror_dir() -> Path | None:
    """The local mirror folder named by `MLEXP_DATA_DIR`, if set."""
    return _folder("MLEXP_DATA_DIR")


def cache_dir() -> Path:
    """Where downloads are kept: `MLEXP_CACHE_DIR`, else `~/.cache/mlexp`."""
    return _folder("MLEXP_CACHE_DIR") or Path.home() / ".cache" / "mlexp"


def projects_dir() -> Path:
    """Where the teach demo saves projects: `MLEXP_PROJECTS_DIR`, else ~/mlexp-projects."""
    return _folder("MLEXP_PROJECTS_DIR") or Path.home() / "mlexp-projects"


def classroom() -> bool:
    """Whether this kernel serves a class (`mlexp class`): students have no JupyterLab."""
    return os.environ.get("MLEXP_CLASSROOM") == "1"


def litert_threads(wanted: int) -> int:
    """The threads a LiteRT model gets: `wanted`, capped by `MLEXP_LITERT_THREADS` (a server of many
    kernels on few cores runs each on one)."""
    cap = os.environ.get("MLEXP_LITERT_THREADS", "")
    return max(1, min(wanted, int(cap))) if cap.isdigit() else wanted
