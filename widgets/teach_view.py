"""TeachView: teach the camera classes of your own. Name 2 to 10 classes; for each, hold a button
to record samples from the camera (about `record_rate` a second) or upload pictures; train in the
kernel in seconds with live curves (the camera's preview keeps running, and Stop stops it); look
under the hood (accuracy per class, the confusion matrix, the held-out samples it gets wrong);
watch the live preview's probability bars; save and open the project as one file; export the model.

The widget holds no model code: it is given `teach` (the `mlexp.teach` module, or anything with
its names: Project, TeachError, reader, read_photo, export) and calls it. It is made of panels:
`LivePreview` (the camera and the model's answer), `ClassList` (a `ClassPanel` per class, a
`Recorder` deciding which frames become samples), `TrainingPanel` and `ProjectFiles`, sharing a
`TeachSession` (the project and the trained model)."""
from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Callable

import ipywidgets as w

from .class_list import ClassList
from .common import close_tree, expected, first_line, html_box, notice, sentence, stylesheet
from .live_preview import LivePreview
from .project_files import ProjectFiles
from .recorder import Recorder
from .sample_strip import Thumbnails
from .teach_session import TeachSession
from .training_panel import TrainingPanel

FOUND = ("hand", "face")  # kinds of features read from something found in the frame (the preview boxes it)


def subject(kind: str) -> str:
    """What the preview looks for with features of `kind`: a hand, a face, or nothing in particular."""
    return kind if kind in FOUND else ""


class TeachView(w.VBox):
    """The whole experiment; `camera` is a `widgets.Camera` (or a fake with `on_frame` and
    `overlay`), `projects` the folder projects are saved in, `connections` the hand skeleton's
    pairs of landmark indices. `clock` gives the time (tests replace it)."""

    def __init__(self, camera, teach, projects: str | Path, connections=(), record_rate: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.camera, self.teach, self.clock = camera, teach, clock
        self.session = TeachSession(teach)
        self.recorder = Recorder(record_rate, clock)
        self.thumbnails = Thumbnails()
        self.kind = w.ToggleButtons(options=[("Image: objects, anything", "image"), ("Hand: gestures", "hand"),
                                             ("Face: expressions, who is who", "face")],
                                    value=self.project.kind, style={"button_width": "auto"})
        self.kind.observe(self._kind_changed, "value")
        self.status = html_box("mlexp-message")
        self.preview = LivePreview(camera, self.project.classes, connections, subject(self.project.kind))
        self.classes = ClassList(self.session, self.recorder, self.thumbnails, self._act, self._say,
                                 on_classes=self._classes_changed, on_samples=self._samples_changed, clock=clock)
        self.training = TrainingPanel(self.session, self.thumbnails, self._say)
        self.files = ProjectFiles(self.session, Path(projects), self._act, self._say,
                                  before_save=self.training.store_settings, on_open=self._opened)
        self._sheet = stylesheet()
        super().__init__([
            self._sheet,
            w.HBox([w.HTML("<b>Features</b>"), self.kind],
                   layout=w.Layout(flex_flow="row wrap", align_items="center", grid_gap="8px")),
            self.preview, self.status, self.classes, self.training, self.files,
        ])
        self.add_class("mlexp-teach")
        self._listening = True
        camera.on_frame(self._frame)
        if hasattr(camera, "observe"):
            camera.observe(self._camera_changed, "error")
        self.classes.rebuild()

    # What code, tests and benchmarks use ------------------------------------------------------
    @property
    def project(self):
        return self.session.project

    @property
    def head(self):
        """The trained model (None before training)."""
        return self.session.head

    @property
    def recording(self) -> int | None:
        """The class being recorded (its button held), or None."""
        return self.recorder.recording

    @property
    def rows(self):
        """Each class's panel (`ClassPanel`: name, record, upload, remove, strip)."""
        return self.classes.rows

    def train(self) -> None:
        """Train at once, blocking (the Train button trains a slice at a time on the event loop)."""
        self.training.train()

    def save_project(self) -> None:
        self.files.save_project()

    def open_project(self, source, name: str) -> None:
        """Replace the project by the one in a file (a path or an upload's bytes)."""
        self.files.open_project(source, name)

    def export_model(self) -> None:
        self.files.export_model()

    def reader(self):
        """The feature reader of the project's kind."""
        return self.session.reader()

    # The camera -------------------------------------------------------------------------------
    def _frame(self, frame) -> None:
        sample = self.recorder.take()
        if sample is None and self.head is None and self.project.kind not in FOUND:
            return  # nothing to record, preview or draw
        try:
            reading = self.session.reader().read(frame, track=True, sample=sample is not None)
        except Exception as error:  # one sentence, and the next frame tries again (a bug is logged)
            return self._say(f"Could not read the last frame: {sentence(error)}.")
        if sample is not None and reading is not None:
            self.classes.add_sample(sample, reading)
        self.preview.show(frame, reading, self.head)

    def _camera_changed(self, change) -> None:
        """The camera stopped (denied, unplugged): recording stops, the samples stay."""
        if change["new"]:
            self.classes.camera_stopped()

    # What the panels tell each other ----------------------------------------------------------
    def _classes_changed(self, rebuilt: bool) -> None:
        self.preview.classes(self.project.classes, clear=rebuilt)

    def _samples_changed(self) -> None:
        self.kind.disabled = any(self.project.samples)  # the kind of features is fixed once there are samples

    def _opened(self, project, name: str) -> None:
        self.training.cancel()  # it trained on the project that goes
        self.session.open(project)
        self.kind.unobserve(self._kind_changed, "value")
        self.kind.value = project.kind
        self.kind.observe(self._kind_changed, "value")
        self.preview.subject = subject(project.kind)
        self.training.show_settings()
        self.training.clear()
        self.preview.waiting()
        self.classes.rebuild()

    def _kind_changed(self, change) -> None:
        self.project.kind = change["new"]
        self.preview.subject = subject(self.project.kind)
        self.session.head = None
        self.preview.waiting()

    # Messages ---------------------------------------------------------------------------------
    def _act(self, action: Callable[[], None]) -> None:
        """Run what a button asked; a TeachError, a bad file or a failed write is said in one
        sentence, and so is anything else (a bug: its traceback is logged)."""
        try:
            action()
        except OSError as error:
            self._say(f"{first_line(error)}.")
        except Exception as error:
            said = sentence(error)
            self._say(f"{said}." if expected(error) else f"Something went wrong: {said}.")

    def _say(self, text: str, good: bool = False) -> None:
        self.status.value = notice(text) if not good else f'<p class="good">{html.escape(text)}</p>'

    def close(self) -> None:
        """Stop listening to the camera (which the demo owns and may reuse), end a training under
        way, and close the view's widgets: nothing keeps the closed view alive."""
        if self._listening:
            self._listening = False
            self.camera.on_frame(self._frame, remove=True)
            if hasattr(self.camera, "unobserve"):
                self.camera.unobserve(self._camera_changed, "error")
        self.training.cancel()
        keep = (self.camera, self._sheet)  # the demo's camera; the kernel's one stylesheet
        for child in self.children:
            close_tree(child, keep)
        super().close()

