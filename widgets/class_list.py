"""ClassList: the teach project's classes, a `ClassPanel` each, and *Add a class*: naming,
removing, recording from the camera (with a `Recorder`) and uploading pictures."""
from __future__ import annotations

import time
from typing import Callable

import ipywidgets as w

from .class_panel import ClassPanel
from .common import close_tree, first_line
from .recorder import Recorder
from .sample_strip import Thumbnails
from .teach_session import TeachSession

STRIP_EVERY = 0.3  # seconds: while recording, a strip shows its new samples at most ~3 times a second


class ClassList(w.VBox):
    """The panels of `session.project`'s classes. `act(action)` runs what a button asked (saying
    an error in one sentence), `say(text, good=False)` shows a message; `on_classes(rebuilt)` is
    called when the classes change (rebuilt: added, removed or opened; else renamed), and
    `on_samples()` when a class's samples may have."""

    def __init__(self, session: TeachSession, recorder: Recorder, thumbnails: Thumbnails,
                 act: Callable[[Callable[[], None]], None], say: Callable[..., None],
                 on_classes: Callable[[bool], None] = lambda rebuilt: None,
                 on_samples: Callable[[], None] = lambda: None, clock: Callable[[], float] = time.monotonic):
        self.session, self.recorder, self.thumbnails = session, recorder, thumbnails
        self.act, self.say, self.clock = act, say, clock
        self.on_classes, self.on_samples = on_classes, on_samples
        self.rows: list[ClassPanel] = []
        self.rows_box = w.VBox()
        self.add_button = w.Button(description="Add a class", icon="plus")
        self.add_button.on_click(lambda _: self.act(self._add_class))
        self._strip_shown = -1e9
        super().__init__([self.rows_box, self.add_button])

    @property
    def project(self):
        return self.session.project

    def rebuild(self) -> None:
        """One panel per class, wired to this project (after adding, removing or opening)."""
        self.recorder.stop()  # a panel that goes takes its held button with it
        for row in self.rows:
            close_tree(row)
        self.rows = []
        for index, name in enumerate(self.project.classes):
            row = ClassPanel(name)
            row.name.observe(lambda change, i=index: self.act(lambda: self._rename(i, change["new"])), "value")
            row.record.observe(lambda change, i=index: self._hold(i, change["new"]), "pressed")
            row.upload.on_file(lambda data, name, i=index: self.act(lambda: self._upload(i, data, name)))
            row.upload.on_problem(self.say)
            row.remove.on_click(lambda _, i=index: self.act(lambda: self._remove_class(i)))
            row.strip.on_remove(lambda sample_id, i=index: self.act(lambda: self._remove_sample(i, sample_id)))
            row.strip.observe(lambda _, i=index: self.show_samples(i), "offset")
            self.rows.append(row)
        self.rows_box.children = self.rows
        self.thumbnails.keep_only(self.session.all_samples())
        for index in range(len(self.rows)):
            self.show_samples(index)
        self.controls()
        self.on_classes(True)

    def controls(self) -> None:
        """What may be pressed now."""
        n = len(self.project.classes)
        self.add_button.disabled = n >= self.session.teach.MAX_CLASSES
        for row in self.rows:
            row.remove.disabled = n <= 1
        self.on_samples()

    def show_samples(self, index: int, force: bool = True) -> None:
        """Class `index`'s strip (unless `force`, at most every STRIP_EVERY seconds)."""
        now = self.clock()
        if not force and now - self._strip_shown < STRIP_EVERY:
            return
        self._strip_shown = now
        self.rows[index].show(self.project.samples[index], self.thumbnails)
        self.controls()

    def _add_class(self) -> None:
        self.project.add_class()
        self.rebuild()

    def _remove_class(self, index: int) -> None:
        n = len(self.project.samples[index])
        name = self.project.classes[index]
        self.project.remove_class(index)
        self.rebuild()
        self.say(f"Removed {name!r} and its {n} samples." if n else f"Removed {name!r}.", good=True)

    def _rename(self, index: int, name: str) -> None:
        self.project.rename(index, name)
        self.on_classes(False)

    def _remove_sample(self, index: int, sample_id: int) -> None:
        samples = self.project.samples[index]
        self.project.samples[index] = [s for s in samples if s.id != sample_id]
        self.thumbnails.keep_only(self.session.all_samples())
        self.show_samples(index)

    def _upload(self, index: int, data: bytes, name: str) -> None:
        try:
            reading = self.session.reader().read(self.session.teach.read_photo(data, name))
        except ValueError as error:  # not a picture: one sentence, the samples stay
            return self.say(f"{first_line(error)}.")
        if reading is None:
            return self.say(f"No {self.project.kind} was found in {name}: it was not added.")  # hand or face
        self.project.add(index, reading, name)
        self.show_samples(index)
        self.say(f"Added {name} to {self.project.classes[index]!r}.", good=True)

    # Recording from the camera ----------------------------------------------------------------
    def _hold(self, index: int, pressed: bool) -> None:
        if pressed:
            self.recorder.start(index)
            self.say(f"Recording {self.project.classes[index]!r}...", good=True)
        elif self.recorder.stop(index) is not None:
            self.show_samples(index)
            self.say(f"{self.project.classes[index]!r} has {len(self.project.samples[index])} samples.", good=True)

    def add_sample(self, index: int, reading) -> None:
        """A recorded frame's reading becomes a sample of class `index`."""
        if index < len(self.project.samples):
            self.project.add(index, reading, "camera")
            self.show_samples(index, force=False)

    def camera_stopped(self) -> None:
        """The camera stopped (denied, unplugged): recording stops, the samples stay."""
        index = self.recorder.camera_stopped()
        if index is None or index >= len(self.rows):
            return
        self.rows[index].record.pressed = False
        self.show_samples(index)
        self.say(f"The camera stopped while recording: the {len(self.project.samples[index])} samples of "
                 f"{self.project.classes[index]!r} are kept.")
