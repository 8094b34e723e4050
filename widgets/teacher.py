"""TeachView: teach the camera classes of your own. Name 2 to 10 classes; for each, hold a button
to record samples from the camera (about `record_rate` a second) or upload pictures; train in the
kernel in seconds with live curves; look under the hood (accuracy per class, the confusion matrix,
the held-out samples it gets wrong); watch the live preview's probability bars; save and open the
project as one file; export the model.

The widget holds no model code: it is given `teach` (the `mlexp.teach` module, or anything with
its names: Project, TeachError, reader, read_photo, export) and calls it."""
from __future__ import annotations

import base64
import html
import io
import time
from pathlib import Path
from typing import Callable

import ipywidgets as w
from PIL import Image

from . import training_report
from .common import first_line, html_box, notice, stylesheet
from .hold_button import HoldButton
from .photo_picker import PhotoPicker
from .probability_bars import ProbabilityBars
from .rps_game import hand_overlay
from .sample_strip import SampleStrip

ICON = 56  # pixels: the strip's thumbnails


def icon(thumbnail: bytes) -> str:
    """A data: URL of a small JPEG of a sample's thumbnail."""
    with Image.open(io.BytesIO(thumbnail)) as image:
        image = image.convert("RGB")
        image.thumbnail((ICON, ICON))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


class ClassRow(w.VBox):
    """One class: its name, the hold-to-record button, the upload button, remove, its samples."""

    def __init__(self, name: str):
        self.name = w.Text(name, placeholder="class name", layout=w.Layout(width="160px"))
        self.record = HoldButton(label="Hold to record")
        self.upload = PhotoPicker(label="Upload pictures", multiple=True)
        self.remove = w.Button(description="Remove class", icon="trash", layout=w.Layout(width="auto"))
        self.strip = SampleStrip()
        bar = w.HBox([self.name, self.record, self.upload, self.remove],
                     layout=w.Layout(flex_flow="row wrap", align_items="center", grid_gap="8px"))
        super().__init__([bar, self.strip])
        self.add_class("mlexp-class-row")


class TeachView(w.VBox):
    """The whole experiment; `camera` is a `widgets.Camera` (or a fake with `on_frame` and
    `overlay`), `projects` the folder projects are saved in, `connections` the hand skeleton's
    pairs of landmark indices. `clock` gives the time (tests replace it)."""

    def __init__(self, camera, teach, projects: str | Path, connections=(), record_rate: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.camera, self.teach, self.clock = camera, teach, clock
        self.projects = Path(projects)
        self.connections = [[int(i), int(j)] for i, j in connections]
        self.record_rate = record_rate
        self.project = teach.Project()
        self.head = None  # the trained head
        self.trained_on: list | None = None  # the sample counts it was trained on
        self.recording: int | None = None  # the class whose button is held
        self._readers: dict = {}
        self._credit, self._credit_at = 1.0, None  # samples the recording may take now (a token bucket)
        self._strip_shown = -1e9
        self._icons: dict[int, str] = {}

        self.kind = w.ToggleButtons(options=[("Image: objects, faces, anything", "image"), ("Hand: gestures", "hand")],
                                    value=self.project.kind, style={"button_width": "auto"})
        self.kind.observe(self._kind_changed, "value")
        self.status = html_box("mlexp-message")
        self.rows_box = w.VBox()
        self.rows: list[ClassRow] = []
        self.add_button = w.Button(description="Add a class", icon="plus")
        self.add_button.on_click(lambda _: self._act(self._add_class))

        self.answer = html_box("mlexp-gesture", '<span class="none">Train a model to see its answer here.</span>')
        self.bars = ProbabilityBars(self.project.classes)
        preview = [camera] if isinstance(camera, w.Widget) else []  # tests use a bare fake
        live = w.HBox(preview + [w.VBox([self.answer, self.bars], layout=w.Layout(min_width="240px"))],
                      layout=w.Layout(flex_flow="row wrap", grid_gap="16px"))
        live.add_class("mlexp-gesture-row")  # the preview and, beside it (or below on a phone), the answer

        self.epochs = w.BoundedIntText(self.project.settings.epochs, min=1, max=1000, description="Epochs")
        self.rate = w.BoundedFloatText(self.project.settings.learning_rate, min=1e-5, max=1.0, step=1e-4,
                                       description="Learning rate")
        self.augment = w.Checkbox(self.project.settings.augment, description="Augmentation (flips, crops, "
                                  "brightness for images; landmark jitter for hands)", indent=False)
        advanced = w.Accordion([w.VBox([self.epochs, self.rate, self.augment])], titles=("Advanced settings",))
        advanced.selected_index = None
        self.train_button = w.Button(description="Train", icon="play", button_style="primary")
        self.train_button.on_click(lambda _: self._act(self.train))
        self.progress = w.IntProgress(0, max=1, layout=w.Layout(width="260px", visibility="hidden"))
        self.curves = html_box("mlexp-curves")
        self.report = html_box("mlexp-report")
        self.wrong = SampleStrip(empty="The model gets every held-out sample right.")
        self.wrong.layout.display = "none"

        self.project_name = w.Text("my-project", description="Project", layout=w.Layout(width="260px"))
        self.save_button = w.Button(description="Save", icon="save")
        self.save_button.on_click(lambda _: self._act(self.save_project))
        self.saved = w.Dropdown(options=self._saved(), layout=w.Layout(width="220px"))
        self.open_button = w.Button(description="Open", icon="folder-open")
        self.open_button.on_click(lambda _: self._act(self._open_saved))
        self.open_file = PhotoPicker(label="Open a project file", accept=".zip", max_bytes=200 * 2**20)
        self.open_file.on_file(lambda data, name: self._act(lambda: self.open_project(data, name)))
        self.open_file.on_problem(self._say)
        self.model_name = w.Text("my-model", description="Model", layout=w.Layout(width="260px"))
        self.replace = w.Checkbox(False, description="replace a model of that name", indent=False)
        self.export_button = w.Button(description="Export", icon="download")
        self.export_button.on_click(lambda _: self._act(self.export_model))

        wrap = w.Layout(flex_flow="row wrap", align_items="center", grid_gap="8px")
        super().__init__([
            stylesheet(),
            w.HBox([w.HTML("<b>Features</b>"), self.kind], layout=wrap),
            live, self.status, self.rows_box, self.add_button,
            w.HBox([self.train_button, self.progress], layout=wrap), advanced, self.curves, self.report, self.wrong,
            w.HBox([self.project_name, self.save_button, self.saved, self.open_button, self.open_file], layout=wrap),
            w.HBox([self.model_name, self.replace, self.export_button], layout=wrap),
        ])
        self.add_class("mlexp-teach")
        camera.on_frame(self._frame)
        if hasattr(camera, "observe"):
            camera.observe(self._camera_changed, "error")
        self._rebuild()

    # Classes and samples ------------------------------------------------------------------------
    def _rebuild(self) -> None:
        """One row per class, wired to this project (after adding, removing or opening)."""
        for row in self.rows:
            row.close()
        self.rows = []
        for index, name in enumerate(self.project.classes):
            row = ClassRow(name)
            row.name.observe(lambda change, i=index: self._act(lambda: self._rename(i, change["new"])), "value")
            row.record.observe(lambda change, i=index: self._hold(i, change["new"]), "pressed")
            row.upload.on_file(lambda data, name, i=index: self._act(lambda: self._upload(i, data, name)))
            row.upload.on_problem(self._say)
            row.remove.on_click(lambda _, i=index: self._act(lambda: self._remove_class(i)))
            row.strip.on_remove(lambda sample_id, i=index: self._act(lambda: self._remove_sample(i, sample_id)))
            row.strip.observe(lambda _, i=index: self._show_samples(i), "offset")
            self.rows.append(row)
        self.rows_box.children = self.rows
        for index in range(len(self.rows)):
            self._show_samples(index)
        self.bars.labels = list(self.project.classes)
        self.bars.show({})
        self._controls()

    def _controls(self) -> None:
        """What may be pressed now."""
        n = len(self.project.classes)
        self.add_button.disabled = n >= self.teach.MAX_CLASSES
        for row in self.rows:
            row.remove.disabled = n <= 1
        self.kind.disabled = any(self.project.samples)

    def _add_class(self) -> None:
        self.project.add_class()
        self._rebuild()

    def _remove_class(self, index: int) -> None:
        n = len(self.project.samples[index])
        name = self.project.classes[index]
        self.project.remove_class(index)
        self._rebuild()
        self._say(f"Removed {name!r} and its {n} samples." if n else f"Removed {name!r}.", good=True)

    def _rename(self, index: int, name: str) -> None:
        self.project.rename(index, name)
        self.bars.labels = list(self.project.classes)

    def _show_samples(self, index: int, force: bool = True) -> None:
        """The class's strip: its count and the page of thumbnails it shows (newest first)."""
        row, samples = self.rows[index], self.project.samples[index]
        now = self.clock()
        if not force and now - self._strip_shown < 0.3:  # while recording: at most ~3 updates a second
            return
        self._strip_shown = now
        offset = min(row.strip.offset, max(len(samples) - 1, 0))
        shown = list(reversed(samples))[offset:offset + row.strip.page]
        row.strip.thumbnails = [{"id": id(s), "src": self._icon(s), "title": s.source} for s in shown]
        row.strip.count = len(samples)
        self._controls()

    def _icon(self, sample) -> str:
        key = id(sample)
        if key not in self._icons:
            self._icons[key] = icon(sample.thumbnail)
        return self._icons[key]

    def _remove_sample(self, index: int, sample_id: int) -> None:
        samples = self.project.samples[index]
        self.project.samples[index] = [s for s in samples if id(s) != sample_id]
        self._icons.pop(sample_id, None)
        self._show_samples(index)

    def _upload(self, index: int, data: bytes, name: str) -> None:
        try:
            reading = self._reader().read(self.teach.read_photo(data, name))
        except ValueError as error:  # not a picture: one sentence, the samples stay
            return self._say(f"{first_line(error)}.")
        if reading is None:
            return self._say(f"No hand was found in {name}: it was not added.")
        self.project.add(index, reading, name)
        self._show_samples(index)
        self._say(f"Added {name} to {self.project.classes[index]!r}.", good=True)

    # The camera -------------------------------------------------------------------------------
    def _reader(self):
        kind = self.project.kind
        if kind not in self._readers:
            self._readers[kind] = self.teach.reader(kind)
        return self._readers[kind]

    def _hold(self, index: int, pressed: bool) -> None:
        if pressed:
            self.recording, self._credit, self._credit_at = index, 1.0, None
            self._say(f"Recording {self.project.classes[index]!r}...", good=True)
        elif self.recording == index:
            self.recording = None
            self._show_samples(index)
            self._say(f"{self.project.classes[index]!r} has {len(self.project.samples[index])} samples.", good=True)

    def _camera_changed(self, change) -> None:
        """The camera stopped (denied, unplugged): recording stops, the samples stay."""
        if change["new"] and self.recording is not None:
            index, self.recording = self.recording, None
            self.rows[index].record.pressed = False
            self._show_samples(index)
            self._say(f"The camera stopped while recording: the {len(self.project.samples[index])} samples of "
                      f"{self.project.classes[index]!r} are kept.")

    def _frame(self, frame) -> None:
        recording = self.recording
        sample = recording is not None and self._take_sample()
        if not (sample or self.head is not None or self.project.kind == "hand"):
            return  # nothing to record, preview or draw
        try:
            reading = self._reader().read(frame, track=True, sample=sample)
        except Exception as error:  # any failure: one sentence, the next frame tries again
            return self._say(f"Could not read the last frame: {first_line(error)}.")
        if sample and reading is not None and recording < len(self.project.samples):
            self.project.add(recording, reading, "camera")
            self._show_samples(recording, force=False)
        self._preview(frame, reading)

    def _take_sample(self) -> bool:
        """Whether this frame becomes a sample: `record_rate` a second on average, whatever the
        camera's frame rate (credit accrues with time, up to 1.5 samples, and each sample spends 1)."""
        now = self.clock()
        if self._credit_at is not None:
            self._credit = min(1.5, self._credit + (now - self._credit_at) * self.record_rate)
        self._credit_at = now
        if self._credit < 1:
            return False
        self._credit -= 1
        return True

    def _preview(self, frame, reading) -> None:
        probabilities, label = {}, "none"
        if reading is not None and self.head is not None:
            p = self.head.probabilities(reading.features[None])[0]
            probabilities = dict(zip(self.head.labels, p.tolist()))
            label = max(probabilities, key=probabilities.get)
        if self.head is not None and reading is None:
            self.answer.value = '<span class="none">No hand in view</span>'
        elif self.head is not None:
            self.answer.value = f'<span class="big">{html.escape(label)}</span>'
            self.bars.labels = list(self.head.labels)
            self.bars.show(probabilities)
        hand = getattr(reading, "hand", None)
        result = {"box": None if hand is None else hand.box,
                  "landmarks": None if hand is None else hand.landmarks[:, :2]}
        self.camera.overlay = hand_overlay(frame.shape, label, probabilities, result, self.connections)

    # Training ---------------------------------------------------------------------------------
    def _settings(self) -> None:
        settings = self.project.settings
        settings.epochs, settings.learning_rate = self.epochs.value, self.rate.value
        settings.augment = self.augment.value

    def train(self) -> None:
        """Train on the samples, with the progress bar and curves; then the report."""
        self._settings()
        self.project.check()
        epochs = self.project.settings.epochs
        self.progress.max, self.progress.value = epochs, 0
        self.progress.layout.visibility = "visible"
        self.train_button.disabled = True
        every = max(1, epochs // 50)

        def on_epoch(epoch, history):
            self.progress.value = epoch + 1
            if (epoch + 1) % every == 0 or epoch + 1 == epochs:
                self.curves.value = training_report.curves(history, epochs)

        try:
            self._say("Training...", good=True)
            head = self.project.train(on_epoch)
        finally:
            self.train_button.disabled = False
        self.head, self.trained_on = head, [len(s) for s in self.project.samples]
        self._show_report()
        self._say(f"Trained in {head.seconds:.1f} s: {head.report['accuracy']:.1%} of the {head.report['n']} "
                  "held-out samples right.", good=True)

    def _show_report(self) -> None:
        report, labels = self.head.report, self.head.labels
        self.report.value = ("<h4>Under the hood</h4>" + training_report.per_class(report)
                             + training_report.confusion_matrix(labels, report["confusion"])
                             + "<p>Held out: the last 15% of each class's samples (the model never learnt from "
                             "them). Below, those it gets wrong.</p>")
        wrong = [(self.project.samples[c][i], c, p) for c, i, p in report["wrong"]]
        self.wrong.thumbnails = [{"id": id(s), "src": self._icon(s), "title": f"{labels[c]} taken for {labels[p]}"}
                                 for s, c, p in wrong[:48]]
        self.wrong.count = len(wrong)
        self.wrong.layout.display = ""

    # Project files and export -------------------------------------------------------------------
    def _saved(self) -> list[str]:
        return sorted(p.name for p in self.projects.glob("*.zip")) if self.projects.is_dir() else []

    def save_project(self) -> None:
        name = self.project_name.value.strip()
        if not self.teach.NAME.match(name):
            raise self.teach.TeachError(f"{name!r} cannot name a project file: use letters, digits, _ and -.")
        self._settings()
        path = self.project.save(self.projects / f"{name}.zip")
        self.saved.options = self._saved()
        self.saved.value = path.name
        n = sum(len(s) for s in self.project.samples)
        self._say(f"Saved {len(self.project.classes)} classes and {n} samples to {path}.", good=True)

    def _open_saved(self) -> None:
        if not self.saved.value:
            raise self.teach.TeachError(f"There is no saved project in {self.projects} yet.")
        self.open_project(self.projects / self.saved.value, self.saved.value)

    def open_project(self, source, name: str) -> None:
        """Replace the project by the one in a file (path or uploaded bytes)."""
        project = self.teach.Project.open(source, name)
        self.project, self.head, self.trained_on = project, None, None
        self._icons.clear()
        self.kind.unobserve(self._kind_changed, "value")
        self.kind.value = project.kind
        self.kind.observe(self._kind_changed, "value")
        settings = project.settings
        self.epochs.value, self.rate.value = settings.epochs, settings.learning_rate
        self.augment.value = settings.augment
        self.project_name.value = Path(name).stem if self.teach.NAME.match(Path(name).stem) else "my-project"
        self.report.value = self.curves.value = ""
        self.wrong.layout.display = "none"
        self.answer.value = '<span class="none">Train a model to see its answer here.</span>'
        self._rebuild()
        n = sum(len(s) for s in project.samples)
        self._say(f"Opened {name}: {len(project.classes)} classes, {n} samples of {project.kind} features.", good=True)

    def export_model(self) -> None:
        if self.head is None:
            raise self.teach.TeachError("Train the model before exporting it.")
        if self.trained_on != [len(s) for s in self.project.samples] or self.head.labels != self.project.classes:
            raise self.teach.TeachError("The classes or samples changed since the last training: train again first.")
        out = self.teach.export(self.project, self.head, self.model_name.value.strip(), overwrite=self.replace.value)
        name = out.name
        self._say(f"Exported to {out}: mlexp.load({name!r}) runs it, and so does "
                  f"`mlexp predict {name} PHOTO --json`.", good=True)

    # Messages -----------------------------------------------------------------------------------
    def _kind_changed(self, change) -> None:
        self.project.kind = change["new"]
        self.head = None
        self.camera.overlay = {}

    def _act(self, action: Callable[[], None]) -> None:
        """Run what a button asked; a TeachError or a bad file is said in one sentence."""
        try:
            action()
        except (self.teach.TeachError, ValueError, OSError) as error:
            self._say(f"{first_line(error)}.")

    def _say(self, text: str, good: bool = False) -> None:
        self.status.value = notice(text) if not good else f'<p class="good">{html.escape(text)}</p>'

    def close(self) -> None:
        self.camera.on_frame(self._frame, remove=True)
        super().close()
