"""Teach it your own classes: feature readers (`features`), a numpy head (`head`) and the project
(`project`: classes, samples, training, saving, export, `TaughtClassifier`), re-exported here
with what the teach widget is handed (`widgets.TeachView(camera, mlexp.teach, ...)`)."""

from mlexp.core.paths import projects_dir
from mlexp.inputs.photos import read_photo
from mlexp.perception.hands import HAND_CONNECTIONS
from mlexp.teach.features import reader
from mlexp.teach.project import (
    MAX_CLASSES,
    NAME,
    PROJECT_VERSION,
    TASK,
    Project,
    Sample,
    Taught,
    TaughtClassifier,
    TeachError,
    export,
    project_from_folder,
    shipped_names,
    taught_folder,
)

__all__ = [
    "HAND_CONNECTIONS",
    "MAX_CLASSES",
    "read_photo",
    "reader",
    "NAME",
    "PROJECT_VERSION",
    "TASK",
    "Project",
    "Sample",
    "Taught",
    "TaughtClassifier",
    "TeachError",
    "export",
    "project_from_folder",
    "projects_dir",
    "shipped_names",
    "taught_folder",
]
