"""DrawingGame: "draw this!" rounds around a DrawingClassifier, like Quick, Draw!."""
from __future__ import annotations

import html
import math
import random
import time
from typing import Callable

import ipywidgets as w

from .common import call_later, html_box
from .drawing_classifier import DrawingClassifier


class DrawingGame(w.VBox):
    """Press *Draw this!*: the game names a random class and a countdown starts; the round is
    won as soon as the classifier's best guess is that class, lost when time runs out. The
    score counts rounds won. Between rounds the classifier works as a free drawing pad.

    `classes`: the classes a round may ask for (default: all the classifier's labels), such as
    only those the model recognizes well.

    `clock` and `call_later` default to the real clock and the kernel's event loop (tests
    replace them)."""

    def __init__(self, classifier: DrawingClassifier, seconds: int = 20, seed: int | None = None,
                 clock: Callable[[], float] = time.monotonic, call_later=call_later, classes=None):
        self.classifier, self.seconds = classifier, seconds
        self.labels = list(classes or classifier.bars.labels)
        self.rng = random.Random(seed)
        self.clock, self.call_later = clock, call_later
        self.target: str | None = None
        self.rounds = self.wins = 0
        self._deadline = self._started = 0.0
        self._cancel: Callable[[], None] | None = None
        self._guess: str | None = None
        unknown = [label for label in self.labels if label not in classifier.bars.labels]
        if unknown:
            raise ValueError(f"The game cannot ask for {', '.join(unknown)}: the classifier does not know them.")

        self.play_button = w.Button(description="Draw this!", icon="play", button_style="primary")
        self.play_button.add_class("mlexp-play")
        self.play_button.on_click(lambda _: self.start_round())
        self.task = html_box("mlexp-task", "Press <b>Draw this!</b> to play, or just draw.")
        self.countdown = html_box("mlexp-countdown")
        self.score = html_box("mlexp-score")
        self.result = html_box("mlexp-result")
        classifier.on_result(self._judge)
        bar = w.HBox([self.play_button, self.task, self.countdown, self.score],
                     layout=w.Layout(align_items="center", flex_flow="row wrap", grid_gap="16px"))
        super().__init__([bar, self.result, classifier])
        self.add_class("mlexp-game")

    @property
    def playing(self) -> bool:
        return self.target is not None

    def start_round(self) -> None:
        """Pick a class (not the previous one), clear the pad and start the countdown."""
        self._stop_timer()
        previous, self.target = self.target, None
        choices = [label for label in self.labels if label != previous] or self.labels
        target = self.rng.choice(choices)
        self.classifier.pad.clear()  # judged while no round runs: nothing to win yet
        self.target, self._guess = target, None
        self._started = self.clock()
        self._deadline = self._started + self.seconds
        self.task.value = f'<span class="big">Draw: <b class="mlexp-target">{html.escape(target)}</b></span>'
        self.result.value = ""
        self.play_button.description, self.play_button.icon = "Skip", "forward"
        self._tick()

    def _tick(self) -> None:
        """Show the seconds left; end the round when none are."""
        if not self.playing:
            return
        left = self._deadline - self.clock()
        if left <= 0:
            return self._end(won=False)
        self.countdown.value = f"<span>{math.ceil(left)} s</span>"
        self._cancel = self.call_later(left - math.floor(left) or 1.0, self._tick)

    def _judge(self, label: str | None, probabilities) -> None:
        """After each classification: the round is won when the best guess is the target."""
        if not self.playing:
            return
        self._guess = label
        if label == self.target:
            self._end(won=True)

    def _end(self, won: bool) -> None:
        self._stop_timer()
        target, self.target = self.target, None
        self.rounds += 1
        self.wins += won
        if won:
            text = f"Yes! I recognized your {target} after {self.clock() - self._started:.1f} s."
        elif self._guess:
            text = f"Time is up! I could not see a {target}; my best guess was {self._guess}."
        else:
            text = f"Time is up! Nothing I could recognize was drawn; it was to be a {target}."
        self.result.value = f'<p class="{"won" if won else "lost"}">{html.escape(text)}</p>'
        self.countdown.value = ""
        self.score.value = f"<span>Score: <b>{self.wins}</b> of {self.rounds}</span>"
        self.task.value = "Draw freely, or play another round."
        self.play_button.description, self.play_button.icon = "Draw this!", "play"

    def close(self) -> None:
        """Close the game: the countdown stops and the game stops judging the classifier, which
        it does not own (the classifier stays open and usable)."""
        self._stop_timer()
        self.classifier.on_result(self._judge, remove=True)
        super().close()

    def _stop_timer(self) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
