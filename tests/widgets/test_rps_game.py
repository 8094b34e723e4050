"""The live gesture view and the rock-paper-scissors game, with a fake camera (the real camera's
Python API) and a fake clock, so tests drive frames and time."""
import asyncio
import json

import numpy as np
import pytest

from mlexp.games.opponent import Opponent
from widgets import GestureView, RPSGame

from helpers import FakeCamera, FakeTime

LABELS = ["rock", "paper", "scissors"]
FRAME = np.zeros((100, 200, 3), np.uint8)  # 100 rows, 200 columns


class Recorder:
    """An opponent wrapper writing its calls into a shared log."""

    def __init__(self, opponent, log):
        self.opponent, self.log = opponent, log

    def choose(self):
        choice = self.opponent.choose()
        self.log.append(("choose", choice.move))
        return choice

    def record(self, player, computer):
        self.log.append(("record", player, computer))
        self.opponent.record(player, computer)


class Always:
    """An opponent that always plays `move` and says it expected `expected`."""

    def __init__(self, move, expected="paper"):
        self.move, self.expected, self.reason, self.recorded = move, expected, "you like it", []

    def choose(self):
        return self

    def record(self, player, computer):
        self.recorded.append((player, computer))


@pytest.fixture
def setup():
    """A fake camera, a view whose classifier shows whatever `shown[0]` says, a log and a clock."""
    camera, clock, log, shown = FakeCamera(), FakeTime(), [], ["rock"]

    def classify(frame):
        log.append(("classify", game_phase()))
        label = shown[0]
        if label == "none":
            return {"label": "none", "probabilities": {}, "box": None, "landmarks": [], "note": ""}
        return {"label": label, "probabilities": {m: np.float64(0.8 if m == label else 0.1) for m in LABELS},
                "box": np.array([20, 10, 120, 60], np.float32),  # numpy, as a hand finder gives them
                "landmarks": np.array([[50, 25], [100, 50], [150, 75]], np.float32), "note": ""}

    view = GestureView(camera, classify, LABELS, connections=[(0, 1), (1, 2)], clock=lambda: clock.now)
    games = []

    def game_phase():
        return games[-1].phase if games else None

    def make_game(opponent, rounds=5):
        game = RPSGame(view, opponent, rounds=rounds, clock=lambda: clock.now, call_later=clock.call_later)
        games.append(game)
        return game
    return camera, view, clock, log, shown, make_game


def play_round(camera, clock, shown, move, game):
    """Press Play, show `move` through the countdown and after "shoot", let the vote finish."""
    shown[0] = move
    game.play_button.click()
    for _ in range(3):  # rock... paper... scissors...
        camera.send()
        clock.advance(0.6)
    camera.send(times=3)  # three frames in the 0.4 s after "shoot"
    clock.advance(0.4)


def test_a_round_is_played_to_a_result(setup):
    camera, view, clock, log, shown, make_game = setup
    game = make_game(Recorder(Opponent(seed=3), log))
    shown[0] = "rock"  # during the countdown: not the move
    game.play_button.click()
    assert "rock..." in game.countdown.value and game.play_button.disabled and game.moves.value == ""
    words = []
    for _ in range(3):
        camera.send()
        clock.advance(0.6)
        words.append(game.countdown.value)
    assert ["paper..." in words[0], "scissors..." in words[1], "shoot!" in words[2]] == [True] * 3
    computer = game.choice.move
    assert "Computer: " in game.moves.value and computer in game.moves.value, "shown at shoot"
    shown[0] = "paper"
    camera.send(times=3)
    clock.advance(0.4)
    assert game.phase == "idle" and not game.play_button.disabled and clock.timers == []
    assert log[-1] == ("record", "paper", computer)
    result = {"rock": "you", "paper": "draws", "scissors": "computer"}[computer]
    assert game.score == dict({"you": 0, "computer": 0, "draws": 0}, **{result: 1})
    assert "You: " in game.moves.value and "paper" in game.moves.value
    assert "I had no guess about your move: this is the first round" in game.expected.value


def test_the_computer_moves_before_any_frame_of_the_shot_is_read(setup):
    camera, view, clock, log, shown, make_game = setup
    game = make_game(Recorder(Opponent(seed=1), log))
    camera.send()  # before the round
    play_round(camera, clock, shown, "rock", game)
    events = [entry[0] if entry[0] != "classify" else f"classify during {entry[1]}" for entry in log]
    assert events == ["classify during idle", "choose"] + ["classify during countdown"] * 3 \
        + ["classify during shot"] * 3 + ["record"]
    assert log[1][1] == log[-1][2], "the move chosen first is the move played"


def test_no_hand_at_shoot_is_not_counted(setup):
    camera, view, clock, log, shown, make_game = setup
    opponent = Always("scissors")
    game = make_game(opponent)
    shown[0] = "none"
    game.play_button.click()
    clock.advance(1.85)
    camera.send(times=2)
    shown[0] = "rock"
    camera.send()  # rock once, none twice: none wins
    clock.advance(0.4)
    assert "No hand seen: round not counted, show your hand and try again." in game.result.value
    assert opponent.recorded == [] and sum(game.score.values()) == 0
    clock.advance(0.4)
    game.play_button.click()  # no frames at all after shoot: waits, then says so
    clock.advance(1.85)
    assert "shoot!" in game.countdown.value and game.phase == "shot"
    clock.advance(1.0)
    assert game.phase == "shot", "still waiting for a frame"
    clock.advance(1.0)
    assert "No picture came from the camera" in game.result.value and opponent.recorded == []


def test_after_a_round_that_did_not_count_the_seen_move_is_not_reused(setup):
    camera, view, clock, log, shown, make_game = setup
    game = make_game(Always("scissors"))
    play_round(camera, clock, shown, "none", game)  # not counted: the player has seen "scissors"
    moves = []
    for _ in range(30):
        game._seen_move = True
        game.play()
        moves.append(game.choice.move)
        assert game.choice.expected is None and "did not count" in game.choice.reason
        clock.advance(5)  # let the round end (no frames: "no picture", not counted)
    assert set(moves) == {"rock", "paper", "scissors"}, "drawn at random, not the opponent's fixed move"
    play_round(camera, clock, shown, "rock", game)  # counted (its move drawn at random: the last did not count)
    play_round(camera, clock, shown, "rock", game)  # after a counted round, the opponent chooses again
    assert [player for player, _ in game.opponent.recorded] == ["rock", "rock"]
    assert game.opponent.recorded[1][1] == "scissors"


def test_best_of_three_ends_the_match(setup):
    camera, view, clock, log, shown, make_game = setup
    opponent = Always("scissors")
    game = make_game(opponent, rounds=3)
    play_round(camera, clock, shown, "scissors", game)  # a draw does not count towards the match
    play_round(camera, clock, shown, "rock", game)
    assert not game.match_over and "You win this round: rock beats scissors." in game.result.value
    assert "I expected paper because you like it." in game.expected.value
    play_round(camera, clock, shown, "rock", game)
    assert game.match_over and "You win the match!" in game.result.value
    assert game.score == {"you": 2, "computer": 0, "draws": 1} and game.play_button.description == "Play again"
    assert opponent.recorded == [("scissors", "scissors"), ("rock", "scissors"), ("rock", "scissors")]
    play_round(camera, clock, shown, "paper", game)  # a new match
    assert game.score == {"you": 0, "computer": 1, "draws": 0} and "I win this round" in game.result.value


def test_the_overlay_gets_the_box_and_skeleton_normalised(setup):
    camera, view, clock, log, shown, make_game = setup
    camera.send()  # a 200 x 100 frame: x / 200, y / 100
    assert camera.overlay == {
        "boxes": [{"box": [0.1, 0.1, 0.6, 0.6], "label": "rock", "score": 0.8, "color": "#1f6fc5"}],
        "points": [[0.25, 0.25], [0.5, 0.5], [0.75, 0.75]], "lines": [[0, 1], [1, 2]], "text": ""}
    json.dumps(camera.overlay)  # plain floats, not numpy's: the overlay is synced to the page as JSON
    assert ">rock<" in view.answer.value and view.bars.layout.visibility == "visible"
    assert 'class="top" data-label="rock"' in view.bars.value and "80.0%" in view.bars.value
    shown[0] = "none"
    camera.send()
    assert camera.overlay == {"boxes": [], "points": [], "lines": [], "text": ""}
    assert "No hand in view" in view.answer.value and view.bars.layout.visibility == "hidden"
    assert view.labels_since(clock.now) == ["rock", "none"]


def test_a_failing_classifier_gives_one_sentence_and_the_view_goes_on():
    camera, calls = FakeCamera(), []

    def classify(frame):
        calls.append(frame)
        if len(calls) == 1:
            raise RuntimeError("model file is corrupt\ntraceback...")
        return {"label": "paper", "probabilities": {"paper": 1.0}, "box": None, "landmarks": [], "note": ""}

    view = GestureView(camera, classify, LABELS)
    camera.send()
    assert view.status.value == "<p>Could not recognize the last frame: model file is corrupt.</p>"
    camera.send()
    assert view.status.value == "" and ">paper<" in view.answer.value and view.label == "paper"


def test_the_camera_error_is_left_to_the_camera_and_close_unregisters(setup):
    camera, view, clock, log, shown, make_game = setup
    camera.error = "Camera access was denied: allow it in the browser and reload the page."
    assert view.status.value == ""  # the camera widget shows its own sentence, with its Retry button
    view.close()
    view.close()
    camera.send()
    assert camera.callbacks == [] and log == []


def test_the_real_countdown_runs_on_the_event_loop():
    """Without fakes, the words tick on the running asyncio loop (the kernel's)."""
    async def play():
        camera = FakeCamera()
        view = GestureView(camera, lambda frame: {"label": "rock", "probabilities": {"rock": 1.0}}, LABELS)
        game = RPSGame(view, Always("paper"), rounds=3)
        game.play()
        await asyncio.sleep(1.9)
        assert "shoot!" in game.countdown.value
        camera.send(times=2)
        await asyncio.sleep(0.6)
        return game
    game = asyncio.run(play())
    assert game.score["computer"] == 1 and "I win this round: paper beats rock." in game.result.value
