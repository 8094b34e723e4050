"""The rock-paper-scissors opponent, measured by simulation against scripted players with human
habits and against a uniformly random player."""
import inspect
import random
import re
from collections import Counter

import pytest

from mlexp.games.opponent import MOVES, Opponent, beats, outcome

SEEDS = range(10)  # habit players: 10 games of 100 rounds each
RANDOM_GAMES = 20  # random player: 20 games of 100 rounds = 2,000 rounds


def favourite(rng, history):
    """Rock half of the time, else a random move (any of the three)."""
    return "rock" if rng.random() < 0.5 else rng.choice(MOVES)


def cycling(rng, history):
    return MOVES[len(history) % 3]


def win_stay_lose_shift(rng, history):
    """The same move after a win, else the next one in rock -> paper -> scissors."""
    if not history:
        return rng.choice(MOVES)
    player, computer = history[-1]
    return player if outcome(player, computer) == "win" else beats(player)


def beat_your_last(rng, history):
    return beats(history[-1][1]) if history else rng.choice(MOVES)


def copy_your_last(rng, history):
    return history[-1][1] if history else rng.choice(MOVES)


def uniform(rng, history):
    return rng.choice(MOVES)


def play(player, seed, rounds=100):
    """One game: outcomes counted from the computer's view, and how often it played at random."""
    rng, opponent = random.Random(1000 + seed), Opponent(seed=seed)
    results, at_random = Counter(), 0
    for _ in range(rounds):
        choice = opponent.choose()  # fixed before the player moves
        move = player(rng, opponent.history)
        results[{"win": "lost", "lose": "won", "draw": "draw"}[outcome(move, choice.move)]] += 1
        at_random += choice.expected is None
        opponent.record(move, choice.move)
    return results, at_random


def test_rules():
    assert [beats(m) for m in MOVES] == ["paper", "scissors", "rock"]
    assert outcome("paper", "rock") == "win" and outcome("rock", "paper") == "lose"
    assert outcome("scissors", "scissors") == "draw"
    with pytest.raises(ValueError, match="rock, paper or scissors"):
        outcome("lizard", "rock")


def test_the_computer_beats_human_habits():
    """>= 60% of decided rounds, averaged over the five players (10 games of 100 rounds each)."""
    rates = {}
    for player in (favourite, cycling, win_stay_lose_shift, beat_your_last, copy_your_last):
        total = sum((play(player, seed)[0] for seed in SEEDS), Counter())
        rates[player.__name__] = total["won"] / (total["won"] + total["lost"])
    print("computer's share of decided rounds:", {k: f"{v:.1%}" for k, v in rates.items()})
    assert sum(rates.values()) / len(rates) >= 0.60, rates
    assert min(rates.values()) > 0.55, rates  # every habit is exploited, not only the easy ones


def test_a_random_player_wins_a_third():
    """Over 2,000 rounds (20 games of 100) the computer wins and loses 33% +- 5% of all rounds
    (one standard deviation is ~1.1%), and mostly plays at random itself."""
    total, at_random = Counter(), 0
    for seed in range(RANDOM_GAMES):
        results, n = play(uniform, seed)
        total, at_random = total + results, at_random + n
    rounds = RANDOM_GAMES * 100
    won, lost = total["won"] / rounds, total["lost"] / rounds
    print(f"against a random player: computer won {won:.1%}, lost {lost:.1%}, "
          f"played at random in {at_random / rounds:.1%} of rounds")
    assert abs(won - 1 / 3) <= 0.05 and abs(lost - 1 / 3) <= 0.05
    assert at_random / rounds > 0.5, "no expert is reliably better than chance against a random player"


def test_the_move_is_chosen_before_the_players_move_is_known():
    assert list(inspect.signature(Opponent.choose).parameters) == ["self"]
    first = Opponent(seed=7).choose()
    assert first.expected is None and "first round" in first.reason and first.move in MOVES
    assert Opponent(seed=7).choose() == first, "seeded"


HISTORY = [("rock", "paper"), ("paper", "rock"), ("scissors", "rock"), ("paper", "paper"), ("rock", "paper"),
           ("paper", "scissors"), ("paper", "scissors"), ("rock", "rock"), ("scissors", "rock")]


def test_each_expert_states_real_counts():
    """Counted by hand: losses in rounds 1, 3, 5, 6, 7 were followed by paper, paper, paper, paper,
    rock; the last round was a loss."""
    opponent = Opponent()
    for player, computer in HISTORY:
        opponent.record(player, computer)
    guesses = {name: (MOVES[m], reason) for name, m, reason in opponent._experts()}
    assert guesses["after outcome"] == ("paper", "after a loss you played paper 4 times out of 5")
    assert guesses["overall"] == ("paper", "you played paper 4 times out of 9")
    assert guesses["my last move"] == ("scissors", "you played what my last move would have beaten 4 times out of 8")
    assert guesses["your last 1"] == ("paper", "after scissors you played paper 1 time out of 1")
    assert guesses["last 1 rounds"] == ("paper", "after the same round as now (you scissors, me rock) "
                                                 "you played paper 1 time out of 1")
    assert guesses["shift after outcome"] == (  # 2 and 2 shifts: the latest one wins the tie
        "paper", "after a loss you switched to the move your last one beats 2 times out of 5")


def test_the_reason_comes_from_the_expert_used_with_its_real_counts():
    rng, opponent = random.Random(1), Opponent(seed=1)
    for _ in range(30):
        choice = opponent.choose()
        opponent.record(copy_your_last(rng, opponent.history), choice.move)
    choice = opponent.choose()
    copied = sum(p == c for (p, _), (_, c) in zip(opponent.history[1:], opponent.history))
    assert choice.expected == opponent.history[-1][1] and choice.move == beats(choice.expected)
    assert choice.reason.startswith(f"you copied my last move {copied} times out of 29"), choice.reason
    right, last = map(int, re.search(r"right (\d+) of the last (\d+) times", choice.reason).groups())
    assert right <= last == 10 and choice.confidence > 0.9
