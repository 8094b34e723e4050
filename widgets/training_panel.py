"""TrainingPanel: the teach view's training: the advanced settings, Train and Stop, the progress
bar and live curves, then *under the hood* (accuracy per class, the confusion matrix, the
held-out samples the model gets wrong).

The Train button trains as a task on the kernel's event loop, a slice of about `slice_seconds`
at a time (`project.training()`'s `advance`), yielding to the loop between slices: the camera's
frames keep being answered (its preview, and its watchdog, which turns the camera off after 30 s
without an answer) and Stop is heard at once. Stop ends the training at the end of the slice
under way and keeps the model as it was at the end of the last completed epoch (the one the
curves' last point and the report describe)."""
from __future__ import annotations

import asyncio
from typing import Callable

import ipywidgets as w

from . import training_report
from .common import expected, html_box, sentence
from .sample_strip import SampleStrip, Thumbnails
from .teach_session import TeachSession

HELD_OUT_NOTE = ("<p>Held out: the last 15% of each class's samples (the model never learnt from them). "
                 "Below, those it gets wrong.</p>")


class TrainingPanel(w.VBox):
    """`say(text, good=False)` shows a message; `on_trained()` is called when a model is trained
    (`session.head`); `slice_seconds`: how long training works between two yields to the loop."""

    def __init__(self, session: TeachSession, thumbnails: Thumbnails, say: Callable[..., None],
                 on_trained: Callable[[], None] = lambda: None, slice_seconds: float = 0.05):
        self.session, self.thumbnails, self.say, self.on_trained = session, thumbnails, say, on_trained
        self.slice_seconds = slice_seconds
        settings = session.project.settings
        self.epochs = w.BoundedIntText(settings.epochs, min=1, max=1000, description="Epochs")
        self.rate = w.BoundedFloatText(settings.learning_rate, min=1e-5, max=1.0, step=1e-4,
                                       description="Learning rate")
        self.augment = w.Checkbox(settings.augment, description="Augmentation (flips, crops, "
                                  "brightness for images; landmark jitter for hands)", indent=False)
        advanced = w.Accordion([w.VBox([self.epochs, self.rate, self.augment])], titles=("Advanced settings",))
        advanced.selected_index = None
        self.train_button = w.Button(description="Train", icon="play", button_style="primary")
        self.train_button.on_click(lambda _: self.start())
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True)
        self.stop_button.on_click(lambda _: self.stop())
        self.progress = w.IntProgress(0, max=1, layout=w.Layout(width="260px", visibility="hidden"))
        self.curves = html_box("mlexp-curves")
        self.report = html_box("mlexp-report")
        self.wrong = SampleStrip(empty="The model gets every held-out sample right.")
        self.wrong.layout.display = "none"
        self._task: asyncio.Task | None = None
        self._stopping = False
        buttons = w.HBox([self.train_button, self.stop_button, self.progress],
                         layout=w.Layout(flex_flow="row wrap", align_items="center", grid_gap="8px"))
        super().__init__([buttons, advanced, self.curves, self.report, self.wrong])

    # Settings ---------------------------------------------------------------------------------
    def store_settings(self) -> None:
        """The settings shown become the project's."""
        settings = self.session.project.settings
        settings.epochs, settings.learning_rate = self.epochs.value, self.rate.value
        settings.augment = self.augment.value

    def show_settings(self) -> None:
        """Show the project's settings (an opened project's)."""
        settings = self.session.project.settings
        self.epochs.value, self.rate.value = settings.epochs, settings.learning_rate
        self.augment.value = settings.augment

    def clear(self) -> None:
        """No curves, no report (another project)."""
        self.report.value = self.curves.value = ""
        self.wrong.layout.display = "none"

    # Training ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """The Train button: a task on the running event loop (the kernel's), a slice at a time;
        with no loop running (a script, a test) the whole training at once, as `train()`."""
        if self.running:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._guarded(self.train)
        begun = self._guarded(self._begin)
        if begun is not None:
            self._task = asyncio.ensure_future(self._run(*begun))

    def train(self) -> None:
        """Train on the samples at once (blocking: for code and benchmarks; the Train button
        yields to the event loop); then the report. TeachError if the project cannot be trained."""
        training, samples = self._begin()
        try:
            while not training.finished:
                if training.advance():
                    self._epoch(training)
        finally:
            self._end()
        self._finish(training, samples)

    def stop(self) -> None:
        """The Stop button: the training ends after the slice under way."""
        self._stopping = True

    def cancel(self) -> None:
        """End a training under way and keep nothing of it (the project it trained on is gone)."""
        if self.running:
            self._task.cancel()
            self._end()

    def _guarded(self, action: Callable):
        """`action()`, or None after saying why it failed in one sentence (a bug is logged)."""
        try:
            return action()
        except Exception as error:
            said = sentence(error)
            self.say(f"{said}." if expected(error) else f"Something went wrong while training: {said}.")
        return None

    def _begin(self):
        """The training (TeachError if the project cannot be trained) and the samples it reads."""
        self.store_settings()
        project = self.session.project
        training = project.training()
        samples = [list(s) for s in project.samples]
        self._stopping = False
        self.progress.max, self.progress.value = training.settings.epochs, 0
        self.progress.layout.visibility = "visible"
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.say("Training...", good=True)
        return training, samples

    async def _run(self, training, samples) -> None:
        try:
            while not training.finished and not self._stopping:
                if training.advance(self.slice_seconds):
                    self._epoch(training)
                await asyncio.sleep(0)  # the camera's frames, Stop and the rest of the page
        except asyncio.CancelledError:
            return
        except Exception as error:  # keep the dashboard alive whatever happens (a bug is logged)
            self._end()
            said = sentence(error)
            return self.say(f"{said}." if expected(error) else f"Something went wrong while training: {said}.")
        self._end()
        self._guarded(lambda: self._finish(training, samples))

    def _epoch(self, training) -> None:
        done, epochs = training.epochs_done, training.settings.epochs
        self.progress.value = done
        if done % max(1, epochs // 50) == 0 or done == epochs:
            self.curves.value = training_report.curves(training.history, epochs)

    def _end(self) -> None:
        self.train_button.disabled, self.stop_button.disabled = False, True

    def _finish(self, training, samples) -> None:
        done, epochs = training.epochs_done, training.settings.epochs
        if not done:
            return self.say("Training stopped before its first epoch ended: " + (
                "the model is the one trained before." if self.session.head is not None else "no model yet."))
        head = training.head()
        self.curves.value = training_report.curves(training.history, epochs)
        self.session.trained(head, samples)
        self._show_report(samples)
        self.on_trained()
        right = f"{head.report['accuracy']:.1%} of the {head.report['n']} held-out samples right."
        if done < epochs:
            self.say(f"Stopped after {done} of {epochs} epochs ({head.seconds:.1f} s of training); the model "
                     f"of epoch {done}: {right}", good=True)
        else:
            self.say(f"Trained in {head.seconds:.1f} s: {right}", good=True)

    def _show_report(self, samples) -> None:
        head = self.session.head
        report, labels = head.report, head.labels
        self.report.value = ("<h4>Under the hood</h4>" + training_report.per_class(report)
                             + training_report.confusion_matrix(labels, report["confusion"]) + HELD_OUT_NOTE)
        wrong = [(samples[c][i], c, p) for c, i, p in report["wrong"]]
        self.wrong.thumbnails = [self.thumbnails.item(s, f"{labels[c]} taken for {labels[p]}")
                                 for s, c, p in wrong[:48]]
        self.wrong.count = len(wrong)
        self.wrong.layout.display = ""
