"""FaceGame: "make this face". The dashboard names an expression; hold it for a second to score;
a round of five, around an EmotionView."""
from __future__ import annotations

import html
import random
import time
from typing import Callable

import ipywidgets as w

from .common import call_later, html_box, notice, stylesheet
from .emotion_view import EmotionView

FACE_WORDS = {"disgust": "disgusted", "fear": "scared", "surprise": "surprised"}  # "make a ... face"


class FaceGame(w.VBox):
    """A round of `turns` expressions drawn from `asked` (no repeats while there are enough). A
    turn scores when the largest face shows the expression in every frame for `hold_seconds`
    (any other answer, or no face, starts the hold again); after `limit_seconds` it is missed.
    `clock`, `call_later` and `rng` default to the real clock, the kernel's event loop and a
    fresh random generator (tests replace them)."""

    def __init__(self, view: EmotionView, asked, turns: int = 5, hold_seconds: float = 1.0,
                 limit_seconds: float = 10.0, pause_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 call_later=call_later, rng: random.Random | None = None):
        if turns < 1 or not asked:
            raise ValueError("A round needs at least one turn and one expression to ask for.")
        if hold_seconds <= 0 or limit_seconds <= hold_seconds:
            raise ValueError("A face must be held for some time, and less time than a turn lasts.")
        unknown = [label for label in asked if label not in view.bars.labels]
        if unknown:
            raise ValueError(f"The view cannot show {', '.join(map(repr, unknown))}: ask only for its expressions.")
        self.view, self.asked, self.turns = view, list(asked), turns
        self.hold_seconds, self.limit_seconds, self.pause_seconds = hold_seconds, limit_seconds, pause_seconds
        self.clock, self.call_later, self.rng = clock, call_later, rng or random.Random()
        self.phase = "idle"  # idle -> asking -> (pause -> asking)... -> idle
        self.targets: list[str] = []
        self.results: list[tuple[str, float | None]] = []  # (expression, seconds to make it, or None: missed)
        self._held_since: float | None = None
        self._asked_at = 0.0
        self._cancel: Callable[[], None] | None = None

        self.play_button = w.Button(description="Play", icon="play", button_style="primary")
        self.play_button.add_class("mlexp-play")
        self.play_button.on_click(lambda _: self.play())
        self.prompt = html_box("mlexp-face-prompt")
        self.hold = html_box("mlexp-face-hold")
        self.scoreboard = html_box("mlexp-score")
        self.result = html_box("mlexp-result", notice(f"Press Play: make each of {turns} faces and hold it for "
                                                      f"{hold_seconds:g} s."))
        view.on_result(self._seen)
        bar = w.HBox([self.play_button, self.prompt, self.hold, self.scoreboard],
                     layout=w.Layout(align_items="center", flex_flow="row wrap", grid_gap="16px", min_height="52px"))
        super().__init__([stylesheet(), bar, view, self.result])
        self.add_class("mlexp-face-game")

    @property
    def score(self) -> int:
        return sum(seconds is not None for _, seconds in self.results)

    @property
    def target(self) -> str | None:
        return self.targets[len(self.results)] if self.phase == "asking" else None

    def play(self) -> None:
        """Start a round: `turns` expressions in a random order."""
        if self.phase != "idle":
            return
        pool: list[str] = []
        while len(pool) < self.turns:
            pool += self.rng.sample(self.asked, len(self.asked))
        self.targets, self.results = pool[: self.turns], []
        self.play_button.disabled = True
        self.result.value = ""
        self._ask()

    def _ask(self) -> None:
        self.phase, self._held_since, self._asked_at = "asking", None, self.clock()
        word = FACE_WORDS.get(self.target, self.target)
        article = "an" if word[:1].lower() in "aeiou" else "a"
        self.prompt.value = (f'<span>Make {article} <b class="target">{html.escape(word)}</b> face '
                             f'({len(self.results) + 1}/{self.turns})</span>')
        self._show_hold(0.0)
        self._show_score()
        self._cancel = self.call_later(self.limit_seconds, self._missed)

    def _seen(self, label: str, result) -> None:
        if self.phase != "asking":
            return
        now = self.clock()
        if label != self.target:
            self._held_since = None
            return self._show_hold(0.0)
        if self._held_since is None:
            self._held_since = now
        held = now - self._held_since
        self._show_hold(min(held / self.hold_seconds, 1.0))
        if held >= self.hold_seconds:
            self._end_turn(now - self._asked_at)

    def _missed(self) -> None:
        self._cancel = None
        if self.phase == "asking":
            self._end_turn(None)

    def _end_turn(self, seconds: float | None) -> None:
        if self._cancel is not None:
            self._cancel()
        target = self.target
        self.results.append((target, seconds))
        self._show_score()
        said = (f"{target}: made in {seconds:.1f} s!" if seconds is not None
                else f"{target}: not made in {self.limit_seconds:g} s.")
        if len(self.results) == self.turns:
            self.phase, self._cancel = "idle", None
            self.play_button.disabled, self.play_button.description = False, "Play again"
            self.prompt.value, self.hold.value = "", ""
            return self._say(f"{said} You made {self.score} of {self.turns} faces.", self.score * 2 > self.turns)
        self.phase = "pause"
        self._say(said, seconds is not None)
        self._cancel = self.call_later(self.pause_seconds, self._ask)

    def _show_hold(self, done: float) -> None:
        self.hold.value = f'<div class="bar"><div class="fill" style="width:{100 * done:.0f}%"></div></div>'

    def _show_score(self) -> None:
        self.scoreboard.value = f"<span>Score <b>{self.score}</b> / {self.turns}</span>"

    def _say(self, text: str, good: bool) -> None:
        self.result.value = f'<p class="{"won" if good else "retry"}">{html.escape(text)}</p>'

    def close(self) -> None:
        """Stop the turn's timer and stop listening to the view (which the demo owns)."""
        if getattr(self, "_cancel", None) is not None:
            self._cancel()
            self._cancel = None
        if hasattr(self, "view"):  # not when the settings were refused
            self.view.on_result(self._seen, remove=True)
        super().close()
