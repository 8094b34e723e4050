"""TeachSession: what the teach view's panels share, with no widgets: the `teach` module it was
handed, the project, the last trained model and the samples it was trained on, a feature reader
per kind of features."""
from __future__ import annotations


class TeachSession:
    """`teach` is the `mlexp.teach` module (or anything with its names: Project, TeachError,
    reader, read_photo, export, NAME, MAX_CLASSES); the project starts empty (2 classes)."""

    def __init__(self, teach):
        self.teach = teach
        self.project = teach.Project()
        self.head = None  # the trained model
        self.trained_on: list[list[int]] | None = None  # the ids of the samples it was trained on
        self._readers: dict = {}

    def reader(self):
        """The feature reader of the project's kind (made once per kind: it loads a model)."""
        kind = self.project.kind
        if kind not in self._readers:
            self._readers[kind] = self.teach.reader(kind)
        return self._readers[kind]

    def open(self, project) -> None:
        """Replace the project (opened from a file); the model goes with the old one."""
        self.project, self.head, self.trained_on = project, None, None

    def trained(self, head, samples: list[list]) -> None:
        """`head` was trained on `samples` (each class's, as they were when training started)."""
        self.head, self.trained_on = head, [[s.id for s in class_samples] for class_samples in samples]

    def head_is_current(self) -> bool:
        """Whether the model was trained on the project's classes and samples as they are now."""
        project = self.project
        return (self.head is not None and self.head.labels == project.classes
                and self.trained_on == [[s.id for s in samples] for samples in project.samples])

    def all_samples(self) -> list:
        return [s for samples in self.project.samples for s in samples]
