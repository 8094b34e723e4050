"""DigitWriterView: the dashboard of a model that writes digits. Pick a digit and a row of new
ones is drawn step by step, each with the recognizer's verdict; drag through the model's
imagination on a pad and morph one digit into another; draw a digit and see 0-9 in its
handwriting; hunt for digits that fool the recognizer."""
from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from .common import expected, html_box, ink_png, notice, sentence, stylesheet
from .digit_strip import DigitStrip, StylePad
from .drawing_pad import DrawingPad

DIGITS = [str(d) for d in range(10)]
MIN_EXTENT = 8  # pad pixels: a drawing smaller than this is a dot (a click with a little jitter)
FRAMES = 6  # steps of the making shown (the first, the last and evenly between): half the work and bytes of all 11


def verdict(written) -> tuple[str, bool]:
    """A strip caption from a written digit (`said`, `confidence`, `right`)."""
    return f"{written.said} {written.confidence:.0%}", written.right


def section(title: str, *children) -> w.VBox:
    return w.VBox([w.HTML(f"<h4>{html.escape(title)}</h4>"), *children])


class DigitWriterView(w.VBox):
    """The four parts of the digit-writing dashboard around `writer`, a model with `trail`,
    `decode`, `written`, `pad_style`, `morph`, `styles` and `in_style` (see
    mlexp.predictors.digit_writer.DigitWriter). `row`: digits written a pick; `hunt`: new digits
    searched for the recognizer's mistakes a press."""

    def __init__(self, writer, caption: str = "", row: int = 8, hunt: int = 200, shown_mistakes: int = 8):
        self.writer, self.row, self.hunt_size, self.shown_mistakes = writer, row, hunt, shown_mistakes
        self.label, self.seed, self.presses, self.hunts = 3, 0, 0, 0
        self.buttons = [w.Button(description=d, layout=w.Layout(width="34px")) for d in DIGITS]
        for button in self.buttons:
            button.on_click(lambda b: self.pick(int(b.description)))
        self.more = w.Button(description="New ones", icon="refresh", layout=w.Layout(width="auto"))
        self.more.on_click(lambda _: self.pick(self.label))
        picker = w.HBox([*self.buttons, self.more], layout=w.Layout(flex_flow="row wrap"))
        picker.add_class("mlexp-pick")
        self.strip = DigitStrip(ms=150, empty="Pick a digit: new ones are drawn as the model makes them.")
        self.status = html_box("mlexp-message")  # errors, in the warning colour
        self.verdicts = html_box("mlexp-writer-note")  # what the recognizer made of the row

        self.style_pad = StylePad()
        self.at_pad = w.Image(format="png", layout=w.Layout(width="112px", height="112px"))
        self.at_pad.add_class("mlexp-seen")
        self.style_pad.observe(lambda _: self.show_pad(), names=["x", "y"])
        self.morph_to = w.Dropdown(options=DIGITS, value="8", description="Morph to", layout=w.Layout(width="150px"))
        self.morph_button = w.Button(description="Morph", icon="exchange", layout=w.Layout(width="auto"))
        self.morph_button.on_click(lambda _: self.morph())
        self.morph_strip = DigitStrip(empty="Morph the digit on the pad into a new one of another kind.")
        self.pad_note = html_box("mlexp-writer-note")

        self.drawing = DrawingPad(size=200, brush=14)
        self.drawing.on_drawing(self.in_handwriting)
        self.handwriting = DigitStrip(empty="Draw one digit: the model writes 0-9 in its handwriting.")
        self.handwriting_note = html_box("mlexp-writer-note")

        self.hunt_button = w.Button(description="Hunt for mistakes", icon="search", layout=w.Layout(width="auto"))
        self.hunt_button.on_click(lambda _: self.hunt())
        self.mistakes = DigitStrip(empty="Press the button: the model writes new digits and keeps those "
                                         "the recognizer reads wrong, with what it said.")
        self.hunt_note = html_box("mlexp-writer-note")

        super().__init__([
            stylesheet(),
            section("Pick a digit", picker, self.strip, self.verdicts, self.status),
            section("Its imagination: drag the dot",
                    w.HBox([self.style_pad, self.at_pad], layout=w.Layout(flex_flow="row wrap", grid_gap="12px")),
                    w.HBox([self.morph_to, self.morph_button], layout=w.Layout(flex_flow="row wrap")),
                    self.morph_strip, self.pad_note),
            section("In your handwriting", w.HBox([self.drawing, w.VBox([self.handwriting, self.handwriting_note])],
                                                  layout=w.Layout(flex_flow="row wrap", grid_gap="12px"))),
            section("Fool the recognizer", w.HBox([self.hunt_button]), self.mistakes, self.hunt_note),
            w.HTML(f"<small>{html.escape(caption)}</small>"),
        ])
        self.add_class("mlexp-writer")
        self.show_pad()

    def _said(self, where: w.HTML, error: Exception) -> None:
        """Show the one sentence of an error in `where` (marked as a problem)."""
        said = sentence(error)
        where.value = notice(f"{said}." if expected(error) else f"Something went wrong: {said}.").replace(
            "<p>", '<p class="mlexp-problem">', 1)

    def pick(self, label: int, seed: int | None = None) -> None:
        """Write `row` new digits `label`, played step by step, with their verdicts: fresh ones at
        every press (seed None: the next seed), the same ones for the same `seed`."""
        self.presses += 1
        self.label, self.seed = label, self.presses if seed is None else seed
        seed = self.seed
        labels = np.full(self.row, label)
        try:
            trail = self.writer.trail(labels, seed + 1000 * label)
            trail = trail[np.unique(np.linspace(0, len(trail) - 1, FRAMES).round().astype(int))]
            frames = self.writer.decode(trail.reshape(-1, trail.shape[-1]), np.tile(labels, len(trail)))
            frames = frames.reshape(len(trail), self.row, 28, 28)
            written = self.writer.written(frames[-1], labels)
        except Exception as error:  # keep the dashboard alive whatever happens (a bug is logged)
            return self._said(self.status, error)
        right = sum(x.right for x in written)
        self.status.value = ""
        self.verdicts.value = notice(f"The recognizer reads {right} of these {self.row} as {label}s.")
        self.strip.show(frames, [verdict(x) for x in written])
        self.show_pad()

    def show_pad(self) -> None:
        """The digit at the dot of the pad, for the digit last picked."""
        try:
            self.pad_at = self.writer.pad_style(self.label, self.style_pad.x, self.style_pad.y)
            self.at_pad.value = ink_png(self.writer.decode(self.pad_at[None], [self.label])[0], scale=4)
            self.pad_note.value = notice(f"A {self.label}: across the pad go its two main ways of varying.")
        except Exception as error:
            self._said(self.pad_note, error)

    def morph(self) -> None:
        """Nine steps from the digit on the pad to a new digit of the kind chosen."""
        try:
            target = int(self.morph_to.value)
            end = self.writer.styles([target], self.seed + 7)[0]
            pictures = self.writer.morph((self.label, self.pad_at), (target, end))
            said = self.writer.written(pictures, [-1] * len(pictures))
            self.morph_strip.show(pictures, [(f"{x.said} {x.confidence:.0%}", True) for x in said])
        except Exception as error:
            self._said(self.pad_note, error)

    def in_handwriting(self, strokes) -> None:
        """0-9 in the handwriting of the digit drawn (or a sentence when there is none)."""
        if not strokes:
            self.handwriting.clear("Draw one digit: the model writes 0-9 in its handwriting.")
            self.handwriting_note.value = ""
            return
        points = np.concatenate([np.asarray(s, float).reshape(-1, 2) for s in strokes])
        if np.ptp(points, axis=0).max() < MIN_EXTENT:
            self.handwriting.clear()
            self.handwriting_note.value = notice("That is only a dot: draw a whole digit.")
            return
        try:
            drawn, pictures = self.writer.in_style(self.drawing.picture())
            written = self.writer.written(pictures, range(10))
        except Exception as error:
            self.handwriting.clear()
            return self._said(self.handwriting_note, error)
        self.handwriting.show(pictures, [verdict(x) for x in written])
        self.handwriting_note.value = notice(
            f"The recognizer reads your digit as a {drawn.label} ({drawn.confidence:.0%}); "
            f"{sum(x.right for x in written)} of the ten above are read as the digit they are written as.")

    def hunt(self, seed: int | None = None) -> None:
        """Write `hunt` new digits (of every kind) and show those the recognizer reads wrong."""
        self.hunts += 1
        seed = 10_000 + self.hunts if seed is None else seed
        labels = np.random.default_rng(seed).integers(0, 10, self.hunt_size)
        try:
            pictures = self.writer.decode(self.writer.styles(labels, seed), labels)
            wrong = [x for x in self.writer.written(pictures, labels) if not x.right]
        except Exception as error:
            return self._said(self.hunt_note, error)
        shown = sorted(wrong, key=lambda x: -x.confidence)[: self.shown_mistakes]
        if shown:
            self.mistakes.show(np.stack([x.picture for x in shown]),
                               [(f"{x.asked} \u2192 {x.said} {x.confidence:.0%}", False) for x in shown])
        else:
            self.mistakes.clear("No mistakes this time: press again.")
        self.hunt_note.value = notice(f"{len(wrong)} of {self.hunt_size} new digits fooled the recognizer "
                                      "(asked \u2192 what it said).")
