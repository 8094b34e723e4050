"""The rock-paper-scissors opponent that learns the player's habits.

A mixture of experts: each predicts the player's next move from the game so far (how often
they play each move, what they play after winning or losing, how they answer the computer's
last move, repeated sequences), each in three "meta" variants (the guess itself, or the player
staying one or two steps ahead of the computer's counter). Every variant is scored by how well
it predicted recently (decayed); the computer plays what beats the best variant's guess, or at
random when no variant is reliably better than chance, so a random player wins a third."""
from __future__ import annotations

import math
import random
from collections import Counter, deque
from dataclasses import dataclass

MOVES = ("rock", "paper", "scissors")
AFTER = ("a draw", "a win", "a loss")  # indexed by (player - computer) % 3
YOUR_SHIFT = ("kept the same move", "switched to the move that beats your last one",
              "switched to the move your last one beats")
MY_SHIFT = ("copied my last move", "played what would have beaten my last move",
            "played what my last move would have beaten")
META = ("", "; lately you have played what beats {m} instead",
        "; you seem to see my counter to {m} coming and play what beats it")


def _index(move: str) -> int:
    if move not in MOVES:
        raise ValueError(f"A move is rock, paper or scissors, not {move!r}.")
    return MOVES.index(move)


def beats(move: str) -> str:
    """The move that beats `move` (paper beats rock)."""
    return MOVES[(_index(move) + 1) % 3]


def outcome(player: str, computer: str) -> str:
    """'win', 'lose' or 'draw', from the player's view."""
    return ("draw", "win", "lose")[(_index(player) - _index(computer)) % 3]


@dataclass(frozen=True)
class Choice:
    """The computer's move, fixed before the player's is known; `expected` is the player's
    predicted move (None when playing at random), `reason` one sentence with real counts,
    `confidence` how often the guess used has been right recently."""
    move: str
    expected: str | None
    reason: str
    confidence: float
    expert: str = "random"


def _times(count: int, total: int) -> str:
    return f"{count} time{'s' * (count != 1)} out of {total}"


def _top(keys):
    """(most common key, its count, number of keys); ties go to the key seen last."""
    counts, last = Counter(keys), {key: i for i, key in enumerate(keys)}
    best = max(counts, key=lambda key: (counts[key], last[key]))
    return best, counts[best], len(keys)


def _after(seq, context):
    """Indices i where `seq[i - len(context):i] == context` (what came after each occurrence)."""
    k = len(context)
    return [i for i in range(k, len(seq)) if seq[i - k:i] == context]


class Opponent:
    """`choose()` before each round, `record(player, computer)` after it (moves by name)."""

    def __init__(self, seed: int | None = None, decay: float = 0.95, margin: float = 2.0,
                 recent: int = 10, orders=(1, 2, 3, 4)):
        self.rng = random.Random(seed)
        self.decay, self.margin, self.recent, self.orders = decay, margin, recent, tuple(orders)
        self.players: list[int] = []
        self.computers: list[int] = []
        self.scores: dict[str, list[float]] = {}  # variant -> [decayed hits, decayed trials]
        self.track: dict[str, deque] = {}  # variant -> the last `recent` hits, for the reason
        self._cache: tuple[int, dict] | None = None

    @property
    def history(self) -> list[tuple[str, str]]:
        """(player, computer) moves of every round recorded, oldest first."""
        return [(MOVES[p], MOVES[c]) for p, c in zip(self.players, self.computers)]

    def _experts(self):
        """Yield (expert name, predicted move index, reason) for each expert with a guess."""
        P, C = self.players, self.computers
        if not P:
            return
        m, c, n = _top(P)
        yield "overall", m, f"you played {MOVES[m]} {_times(c, n)}"
        m, c, n = _top(P[-self.recent:])
        yield "recent", m, f"you played {MOVES[m]} in {c} of your last {n} moves"
        results = [(p - q) % 3 for p, q in zip(P, C)]
        rounds = [i for i in range(len(P) - 1) if results[i] == results[-1]]
        if rounds:
            after = AFTER[results[-1]]
            m, c, n = _top([P[i + 1] for i in rounds])
            yield "after outcome", m, f"after {after} you played {MOVES[m]} {_times(c, n)}"
            s, c, n = _top([(P[i + 1] - P[i]) % 3 for i in rounds])
            yield "shift after outcome", (P[-1] + s) % 3, f"after {after} you {YOUR_SHIFT[s]} {_times(c, n)}"
        if len(P) > 1:
            s, c, n = _top([(P[i + 1] - P[i]) % 3 for i in range(len(P) - 1)])
            yield "shift", (P[-1] + s) % 3, f"from one round to the next you {YOUR_SHIFT[s]} {_times(c, n)}"
            s, c, n = _top([(P[i + 1] - C[i]) % 3 for i in range(len(P) - 1)])
            yield "my last move", (C[-1] + s) % 3, f"you {MY_SHIFT[s]} {_times(c, n)}"
        joint = [3 * p + q for p, q in zip(P, C)]
        for k in self.orders:
            if len(P) <= k:
                break
            if found := _after(P, P[-k:]):
                m, c, n = _top([P[i] for i in found])
                names = ", ".join(MOVES[p] for p in P[-k:])
                yield f"your last {k}", m, f"after {names} you played {MOVES[m]} {_times(c, n)}"
            if found := _after(joint, joint[-k:]):
                m, c, n = _top([P[i] for i in found])
                rounds_now = "; ".join(f"you {MOVES[p]}, me {MOVES[q]}" for p, q in zip(P[-k:], C[-k:]))
                same = f"the same {k} rounds" if k > 1 else "the same round"
                yield f"last {k} rounds", m, f"after {same} as now ({rounds_now}) you played {MOVES[m]} {_times(c, n)}"

    def _predictions(self) -> dict[str, tuple[int, str]]:
        """Every variant's guess for the next move: name -> (move index, reason); cached per round."""
        if self._cache is None or self._cache[0] != len(self.players):
            guesses = {}
            for name, m, reason in self._experts():
                for shift, meta in enumerate(META):
                    guesses[f"{name}+{shift}"] = ((m + shift) % 3, reason + meta.format(m=MOVES[m]))
            self._cache = (len(self.players), guesses)
        return self._cache[1]

    def _lower_bound(self, variant: str) -> float:
        """A cautious estimate of how often this variant is right (its decayed hit rate minus
        `margin` standard errors of a chance-level guesser)."""
        hits, trials = self.scores.get(variant, (0.0, 0.0))
        if trials < 2:
            return 0.0
        return hits / trials - self.margin * math.sqrt(2 / 9 / trials)

    def choose(self) -> Choice:
        """The computer's move for the next round (the player's move is not known yet)."""
        guesses = self._predictions()
        best = max(guesses, key=self._lower_bound, default=None)
        if best is not None and self._lower_bound(best) > 1 / 3:
            expected, reason = guesses[best]
            hits, trials = self.scores[best]
            right = sum(self.track[best])
            reason += f" (this guess was right {right} of the last {len(self.track[best])} times)"
            return Choice(beats(MOVES[expected]), MOVES[expected], reason, hits / trials, best)
        if not self.players:
            reason = "this is the first round, so I know nothing about your habits yet"
        elif best is None or not self.track.get(best):
            reason = "I have not seen enough of your moves to guess the next one"
        else:
            right, n = sum(self.track[best]), len(self.track[best])
            reason = (f"none of my guesses has been right clearly more often than chance "
                      f"(the best was right {right} of the last {n} times)")
        return Choice(self.rng.choice(MOVES), None, reason, 1 / 3)

    def record(self, player: str, computer: str) -> None:
        """After a round: score every variant's guess against the player's move, then learn it."""
        p, q = _index(player), _index(computer)
        for variant, (m, _) in self._predictions().items():
            score = self.scores.setdefault(variant, [0.0, 0.0])
            score[0] = self.decay * score[0] + (m == p)
            score[1] = self.decay * score[1] + 1
            self.track.setdefault(variant, deque(maxlen=self.recent)).append(m == p)
        self.players.append(p)
        self.computers.append(q)
