"""GestureView: a camera's frames recognized live (the label, the bars, the hand's box and
skeleton drawn over the preview); RPSGame: rock-paper-scissors against a computer opponent,
played with the hand in front of the camera."""
from __future__ import annotations

import html
import random
import time
from collections import Counter, deque
from types import SimpleNamespace
from typing import Callable

import ipywidgets as w

from .common import first_line, html_box, notice, stylesheet
from .drawing_game import _call_later
from .probability_bars import ProbabilityBars

BEATS = {"rock": "paper", "paper": "scissors", "scissors": "rock"}  # each move -> what beats it
WORDS = ("rock...", "paper...", "scissors...", "shoot!")
BOX_COLOR = "#1f6fc5"


def hand_overlay(shape, label: str, probabilities, result, connections) -> dict:
    """A Camera overlay of a hand's box (labelled) and skeleton (`result`'s "box" and "landmarks"
    in the frame's pixels), in coordinates normalised to 0-1 by the frame's width and height."""
    height, width = shape[:2]
    boxes, box = [], result.get("box")
    if box is not None:
        x1, y1, x2, y2 = (min(max(float(v) / size, 0.0), 1.0) for v, size in zip(box, (width, height) * 2))
        boxes.append({"box": [x1, y1, x2, y2], "label": "hand" if label == "none" else label,
                      "score": probabilities.get(label, 0.0), "color": BOX_COLOR})
    landmarks = result.get("landmarks")
    points = [[float(x) / width, float(y) / height] for x, y in ([] if landmarks is None else landmarks)]
    return {"boxes": boxes, "points": points, "lines": connections if points else [], "text": ""}


class GestureView(w.VBox):
    """Calls `classify(frame)` on each camera frame (an RGB uint8 array) and shows the result.

    `classify` returns {"label": a gesture or "none", "probabilities": {label: p}, "box":
    [x1, y1, x2, y2] or None, "landmarks": [[x, y], ...], "note": ""}, coordinates in the
    frame's pixels; the view draws the box and the skeleton (`connections`: pairs of landmark
    indices) over the preview, and `caption` (a line about the model) under the bars. The last
    `keep` labels are kept with their times (`recent`)."""

    def __init__(self, camera, classify: Callable, labels, connections=(), caption: str = "", keep: int = 30,
                 clock: Callable[[], float] = time.monotonic):
        self.camera, self.classify, self.clock = camera, classify, clock
        self.connections = [[int(i), int(j)] for i, j in connections]
        self.recent: deque[tuple[float, str]] = deque(maxlen=keep)
        self.label: str | None = None
        self._callbacks = w.CallbackDispatcher()
        self._failure = ""
        self.answer = html_box("mlexp-gesture", '<span class="none">Show your hand to the camera.</span>')
        self.bars = ProbabilityBars(labels)
        self.bars.layout.visibility = "hidden"
        self.status = html_box("mlexp-message")
        camera.on_frame(self._frame)
        self._listening = True
        self.caption = html_box("mlexp-caption", f"<small>{html.escape(caption)}</small>" if caption else "")
        side = w.VBox([self.answer, self.bars, self.status, self.caption], layout=w.Layout(min_width="260px"))
        preview = [camera] if isinstance(camera, w.Widget) else []  # tests use a bare fake
        row = w.HBox(preview + [side], layout=w.Layout(flex_flow="row wrap", grid_gap="16px"))
        row.add_class("mlexp-gesture-row")
        super().__init__([stylesheet(), row])
        self.add_class("mlexp-gesture-view")
        self._status()

    def on_result(self, callback: Callable, remove: bool = False) -> None:
        """Call `callback(label, result)` after each frame is classified (`remove=True` unregisters)."""
        self._callbacks.register_callback(callback, remove=remove)

    def labels_since(self, since: float) -> list[str]:
        """The labels of the frames classified at or after time `since` (of this view's clock)."""
        return [label for t, label in self.recent if t >= since]

    def _frame(self, frame) -> None:
        try:
            result = self.classify(frame)
            label = str(result.get("label") or "none")
            probabilities = {str(k): float(p) for k, p in (result.get("probabilities") or {}).items()}
            overlay = hand_overlay(frame.shape, label, probabilities, result, self.connections)
        except Exception as error:  # any failure: one sentence, and the next frame tries again
            self._failure = f"Could not recognize the last frame: {first_line(error)}."
            return self._status()
        self._failure = ""
        if label == "none":
            self.answer.value = '<span class="none">No hand in view</span>'
            self.bars.layout.visibility = "hidden"
        else:
            note = result.get("note") or ""
            self.answer.value = (f'<span class="big">{html.escape(label)}</span>'
                                 + (f'<span class="note">{html.escape(note)}</span>' if note else ""))
            self.bars.show(probabilities)
            self.bars.layout.visibility = "visible"
        self.camera.overlay = overlay
        self._status()
        self.label = label
        self.recent.append((self.clock(), label))
        self._callbacks(label, result)

    def _status(self) -> None:
        """The last classification failure, or nothing (the camera shows its own errors)."""
        self.status.value = notice(self._failure)

    def close(self) -> None:
        """Stop listening to the camera (which the demo owns and may reuse)."""
        if self._listening:
            self._listening = False
            self.camera.on_frame(self._frame, remove=True)
        super().close()


class RPSGame(w.VBox):
    """Best of `rounds` against `opponent` (`choose()` -> an object with `.move`, `.expected`,
    `.reason`; `record(player, computer)`). Play counts "rock... paper... scissors... shoot!";
    the computer's move is chosen when Play is pressed, before any frame of the shot is read,
    and shown at "shoot"; the player's move is the majority of the view's labels in the
    `shot_seconds` after "shoot". `clock` and `call_later` default to the real clock and the
    kernel's event loop (tests replace them)."""

    def __init__(self, view: GestureView, opponent, rounds: int = 5, clock: Callable[[], float] = time.monotonic,
                 call_later=_call_later, word_seconds: float = 0.6, shot_seconds: float = 0.4,
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
