"""The "draw this!" game, driven through the pad's widget protocol with a fake clock."""
import asyncio

import pytest

from widgets import DrawingClassifier, DrawingGame

from helpers import FakeTime, mouse_stroke

LABELS = ["cat", "fish", "eye"]


@pytest.fixture
def game():
    """A game whose classifier answers 'fish' for a drawing going right, 'cat' otherwise."""
    def classify(strokes):
        going_right = strokes[-1][-1][0] > strokes[-1][0][0]
        best = "fish" if going_right else "cat"
        return {label: 0.8 if label == best else 0.1 for label in LABELS}

    clock = FakeTime()
    game = DrawingGame(DrawingClassifier(LABELS, classify, top=5), seconds=20, seed=1,
                       clock=lambda: clock.now, call_later=clock.call_later)
    game.time = clock
    return game


def draw_the(game, label):
    start, end = ((10, 10), (200, 10)) if label == "fish" else ((200, 10), (10, 10))
    mouse_stroke(game.classifier.pad.canvas, [start, end])


def test_a_round_is_won_when_the_model_recognizes_the_target(game):
    game.classifier.pad.clear()
    mouse_stroke(game.classifier.pad.canvas, [(0, 0), (50, 50)])  # free drawing first
    game.play_button.click()
    assert game.classifier.pad.strokes == [], "a round starts on a clean pad"
    target = game.target
    assert target in LABELS and target in game.task.value and "20 s" in game.countdown.value
    game.time.advance(3.5)
    assert "17 s" in game.countdown.value
    wrong = "cat" if target == "fish" else "fish"
    draw_the(game, wrong)
    assert game.playing and game.rounds == 0
    if target == "eye":  # this fake model never says eye: the round runs out
        game.time.advance(30)
        assert "Time is up" in game.result.value and f"best guess was {wrong}" in game.result.value
        assert (game.wins, game.rounds) == (0, 1)
        return
    game.time.advance(2)
    draw_the(game, target)
    assert not game.playing and game.time.timers == []
    assert f"recognized your {target} after 5.5 s" in game.result.value
    assert "Score: <b>1</b> of 1" in game.score.value and game.countdown.value == ""


def test_time_runs_out_after_twenty_seconds(game):
    game.start_round()
    game.time.advance(19.9)
    assert game.playing and "1 s" in game.countdown.value
    game.time.advance(0.2)
    assert not game.playing and "Time is up! Nothing I could recognize was drawn" in game.result.value
    assert "Score: <b>0</b> of 1" in game.score.value
    draw_the(game, "fish")  # after the round: free drawing, no score change
    assert game.rounds == 1 and "fish" in game.classifier.answer.value


def test_score_over_rounds_and_new_targets_each_round(game):
    targets = []
    for _ in range(6):
        game.start_round()
        targets.append(game.target)
        if game.target == "eye":
            game.time.advance(21)
        else:
            draw_the(game, game.target)
    assert all(a != b for a, b in zip(targets, targets[1:])), targets
    assert game.rounds == 6 and game.wins == sum(t != "eye" for t in targets)
    assert f"Score: <b>{game.wins}</b> of 6" in game.score.value


def test_skip_starts_another_round_without_scoring(game):
    game.start_round()
    first = game.target
    game.play_button.click()  # labelled Skip while playing
    assert game.playing and game.target != first and game.rounds == 0
    assert len(game.time.timers) == 1, "the old countdown was cancelled"


def test_the_real_countdown_runs_on_the_event_loop():
    """Without fakes, the countdown ticks on the running asyncio loop (the kernel's)."""
    async def play():
        game = DrawingGame(DrawingClassifier(LABELS, lambda s: {}), seconds=1)
        game.start_round()
        assert game.playing
        await asyncio.sleep(1.3)
        return game

    game = asyncio.run(play())
    assert not game.playing and game.rounds == 1 and "Time is up" in game.result.value


def test_a_closed_game_no_longer_judges_the_classifier_it_does_not_own(game):
    classifier = game.classifier
    game.start_round()
    target = "fish" if game.target == "eye" else game.target
    game.close()
    assert game.time.timers == [], "the countdown stopped"
    draw_the(game, target)
    assert game.rounds == 0 and game.result.value == ""
    assert f">{target}<" in classifier.answer.value  # the classifier itself still works
