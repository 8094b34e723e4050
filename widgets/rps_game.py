"""RPSGame: rock-paper-scissors against a computer opponent, played with the hand in front of
the camera (around a GestureView)."""
from __future__ import annotations

import html
import random
import time
from collections import Counter
from types import SimpleNamespace
from typing import Callable

import ipywidgets as w

from .common import call_later, html_box, notice, stylesheet
from .gesture_view import GestureView

BEATS = {"rock": "paper", "paper": "scissors", "scissors": "rock"}  # each move -> what beats it
WORDS = ("rock...", "paper...", "scissors...", "shoot!")


class RPSGame(w.VBox):
    """Best of `rounds` against `opponent` (`choose()` -> an object with `.move`, `.expected`,
    `.reason`; `record(player, computer)`). Play counts "rock... paper... scissors... shoot!";
    the computer's move is chosen when Play is pressed, before any frame of the shot is read,
    and shown at "shoot"; the player's move is the majority of the view's labels in the
    `shot_seconds` after "shoot". `clock` and `call_later` default to the real clock and the
    kernel's event loop (tests replace them)."""

    def __init__(self, view: GestureView, opponent, rounds: int = 5, clock: Callable[[], float] = time.monotonic,
                 call_later=call_later, word_seconds: float = 0.6, shot_seconds: float = 0.4,
                 wait_seconds: float = 1.5):
        if rounds < 1:
            raise ValueError(f"A match is best of at least 1 round, not {rounds}.")
        self.view, self.opponent, self.rounds = view, opponent, rounds
        self.clock, self.call_later = clock, call_later
        self.word_seconds, self.shot_seconds, self.wait_seconds = word_seconds, shot_seconds, wait_seconds
        self.score = {"you": 0, "computer": 0, "draws": 0}
        self.choice = None  # the computer's choice for the round being played
        self.phase = "idle"  # idle -> countdown -> shot -> idle
        self._seen: list[str] = []
        self._shot_at = 0.0
        self._cancel: Callable[[], None] | None = None
        self._seen_move = False  # the last round was not counted, but the player saw the computer's move
        self._rng = random.Random()

        self.play_button = w.Button(description="Play", icon="play", button_style="primary")
        self.play_button.add_class("mlexp-play")
        self.play_button.on_click(lambda _: self.play())
        self.countdown = html_box("mlexp-rps-countdown")
        self.scoreboard = html_box("mlexp-score")
        self.moves = html_box("mlexp-rps-moves")
        self.result = html_box("mlexp-result", notice(f"Best of {rounds}: press Play and show your move at shoot!"))
        self.expected = html_box("mlexp-rps-expected")
        view.on_result(self._seen_label)
        bar = w.HBox([self.play_button, self.countdown, self.scoreboard],
                     layout=w.Layout(align_items="center", flex_flow="row wrap", grid_gap="16px", min_height="52px"))
        # what changes during a round goes below the view, so the preview never moves
        super().__init__([stylesheet(), bar, view, self.moves, self.result, self.expected])
        self.add_class("mlexp-rps")
        self._show_score()

    @property
    def match_over(self) -> bool:
        return max(self.score["you"], self.score["computer"]) > self.rounds / 2

    def play(self) -> None:
        """Start a round (a new match after one is over): the computer chooses now."""
        if self.phase != "idle":
            return
        if self.match_over:
            self.score = dict.fromkeys(self.score, 0)
            self._show_score()
        self.choice = self.opponent.choose()  # fixed before the countdown and before any frame of the shot
        if self._seen_move:  # the player saw the move of a round that was not counted: draw a fresh one
            self.choice = SimpleNamespace(move=self._rng.choice(list(BEATS)), expected=None,
                                          reason="you saw my move in the round that did not count, so I drew "
                                                 "this one at random")
        self._seen_move = False
        self.phase = "countdown"
        self.play_button.disabled = True
        self.moves.value = self.result.value = self.expected.value = ""
        self._word(0)

    def _word(self, i: int) -> None:
        shoot = i == len(WORDS) - 1
        self.countdown.value = f'<span class="{"shoot" if shoot else ""}">{WORDS[i]}</span>'
        if not shoot:
            self._cancel = self.call_later(self.word_seconds, lambda: self._word(i + 1))
            return
        self.moves.value = self._move_html("Computer", self.choice.move)
        self.phase, self._seen, self._shot_at = "shot", [], self.clock()
        self._cancel = self.call_later(self.shot_seconds, self._judge)

    def _seen_label(self, label: str, result) -> None:
        if self.phase == "shot":
            self._seen.append(label if label in BEATS else "none")

    def _judge(self) -> None:
        """The majority of the labels seen since "shoot" (ties: the latest); then the round's end."""
        if not self._seen and self.clock() - self._shot_at < self.wait_seconds:  # a slow camera or model
            self._cancel = self.call_later(0.1, self._judge)
            return
        counts, last = Counter(self._seen), {label: i for i, label in enumerate(self._seen)}
        player = max(counts, key=lambda label: (counts[label], last[label]), default=None)
        computer, choice = self.choice.move, self.choice
        self.phase, self.choice, self._cancel = "idle", None, None
        self.play_button.disabled = False
        self.countdown.value = ""
        if player is None or player == "none":
            self._seen_move = True
        if player is None:
            error = self.view.camera.error.strip().rstrip(".")
            return self._say("retry", "No picture came from the camera at \"shoot\""
                             + (f" ({error})" if error else "") + ": round not counted, try again.")
        if player == "none":
            return self._say("retry", "No hand seen: round not counted, show your hand and try again.")
        self.moves.value = self._move_html("You", player) + self._move_html("Computer", computer)
        result = "draws" if player == computer else "you" if BEATS[computer] == player else "computer"
        self.score[result] += 1
        self.opponent.record(player, computer)
        text = {"draws": "A draw.", "you": f"You win this round: {player} beats {computer}.",
                "computer": f"I win this round: {computer} beats {player}."}[result]
        if self.match_over:
            text += " You win the match!" if result == "you" else " I win the match!"
            self.play_button.description = "Play again"
        else:
            self.play_button.description = "Play"
        self._say({"you": "won", "computer": "lost", "draws": "draw"}[result], text)
        self._show_score()
        if choice.expected is None:
            self.expected.value = notice(f"I had no guess about your move: {choice.reason}.")
        else:
            self.expected.value = notice(f"I expected {choice.expected} because {choice.reason}.")

    def _say(self, css_class: str, text: str) -> None:
        self.result.value = f'<p class="{css_class}">{html.escape(text)}</p>'

    @staticmethod
    def _move_html(who: str, move: str) -> str:
        return f'<span class="move">{who}: <b>{move}</b></span>'

    def _show_score(self) -> None:
        s = self.score
        self.scoreboard.value = (f"<span>You <b>{s['you']}</b> &middot; Computer <b>{s['computer']}</b> &middot; "
                                 f"Draws <b>{s['draws']}</b> &middot; best of {self.rounds}</span>")

    def close(self) -> None:
        """Stop the countdown and stop listening to the view (which the demo owns)."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        self.view.on_result(self._seen_label, remove=True)
        super().close()
