"""Sums of two numbers from 0 to 999 as character sequences: parsing what people type, the
fixed-width encoding the model reads ("017+038") and writes ("0055"), the held-out operand
pairs, and the LiteRT adder."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from mlexp.core.errors import MlexpError
from mlexp.core.litert import Predictor, Result

INPUT_CHARS = "0123456789+"
OUTPUT_CHARS = "0123456789"
WIDTH = 3  # digits per operand
INPUT_LENGTH = 2 * WIDTH + 1  # "017+038"
OUTPUT_LENGTH = WIDTH + 1  # "0055"
ACCEPTS = "type two whole numbers from 0 to 999 joined by +, like 17+38"


class BadSum(MlexpError, ValueError):
    """Text that is not a sum the model can read; the message says what it accepts."""


def parse(text: str) -> tuple[int, int]:
    """The two operands of a sum typed as 'a+b'; one sentence saying what is accepted if not."""
    if not text.strip():
        raise BadSum(f"Nothing to add yet: {ACCEPTS}.")
    if re.search(r"\s", text):
        raise BadSum(f"Spaces are not accepted: {ACCEPTS}.")
    if re.search(r"[^0-9+]", text):
        raise BadSum(f"Only digits and one + are accepted: {ACCEPTS}.")
    parts = text.split("+")
    if len(parts) != 2 or not all(parts):
        raise BadSum(f"That is not a whole sum yet: {ACCEPTS}.")
    if any(len(p.lstrip("0") or "0") > WIDTH for p in parts):
        raise BadSum(f"The numbers are too big: {ACCEPTS}.")
    return int(parts[0]), int(parts[1])


def encode(a, b) -> np.ndarray:
    """Input ids (N, 7) of the sums a+b written with zero-padded operands ("017+038")."""
    a, b = np.atleast_1d(a), np.atleast_1d(b)
    text = [f"{x:0{WIDTH}d}+{y:0{WIDTH}d}" for x, y in zip(a.tolist(), b.tolist())]
    return np.array([[INPUT_CHARS.index(c) for c in t] for t in text], np.int32)


def target(a, b) -> np.ndarray:
    """Output ids (N, 4): the digits of a+b, zero-padded ("0055")."""
    total = np.atleast_1d(a) + np.atleast_1d(b)
    return np.array([[int(c) for c in f"{s:0{OUTPUT_LENGTH}d}"] for s in total.tolist()], np.int32)


def pair_split(held_out: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(training pairs, held-out pairs), each (N, 2): every ordered pair of operands 0-999 is
    in exactly one of them, by a seeded shuffle. Held-out pairs are never trained on."""
    order = np.random.default_rng(seed).permutation(1000 * 1000)
    n = int(held_out * len(order))
    pairs = np.stack([order // 1000, order % 1000], axis=1)
    return pairs[n:], pairs[:n]


@dataclass
class Answer(Result):
    """The model's answer to a+b: its digits, each digit's probabilities, and the truth."""

    a: int
    b: int
    text: str  # the answer without leading zeros
    digits: list[dict[str, float]]  # per output position: digit -> probability

    @property
    def correct(self) -> bool:
        return self.text == str(self.a + self.b)

    def as_json(self) -> dict:
        return {"input": f"{self.a}+{self.b}", "answer": self.text, "digits": self.digits}

    def __str__(self) -> str:
        return f"{self.a}+{self.b} = {self.text}"


class Adder(Predictor):
    """Runs the summation model (`model.tflite`: ids (N, 7) -> probabilities (N, 4, 10))."""

    READS = "text"

    def describe(self) -> str:
        """One line about the model from its card."""
        card = self.card
        if "exact_match" not in card:
            return super().describe()
        return (f"{card.get('parameters', 0):,} parameters; {card['exact_match']:.3%} exactly right on "
                f"{card['split']['held_out']:,} held-out sums it never saw in training.")

    def probabilities(self, ids: np.ndarray) -> np.ndarray:
        """Digit probabilities (N, 4, 10) for input ids (N, 7)."""
        return self.run(ids)[0]

    def answers(self, a, b, batch: int = 2000) -> np.ndarray:
        """The model's sums (N,) for operand arrays a and b."""
        ids = encode(a, b)
        digits = np.concatenate([self.probabilities(ids[i : i + batch]).argmax(-1)
                                 for i in range(0, len(ids), batch)])
        return digits @ (10 ** np.arange(OUTPUT_LENGTH - 1, -1, -1))

    def add(self, text: str) -> Answer:
        """The model's answer to a typed sum (raises BadSum for odd input)."""
        a, b = parse(text)
        p = self.probabilities(encode(a, b))[0].astype(float)
        digits = "".join(OUTPUT_CHARS[i] for i in p.argmax(-1))
        return Answer(a, b, digits.lstrip("0") or "0",
                      [dict(zip(OUTPUT_CHARS, row.tolist())) for row in p])

    def predict(self, text: str, **options) -> Answer:
        """`add` (the text-generation options do not apply)."""
        return self.add(text)

    def exact_match(self, pairs: np.ndarray) -> float:
        """Share of the pairs (N, 2) whose whole sum the model gets right."""
        return float((self.answers(pairs[:, 0], pairs[:, 1]) == pairs.sum(1)).mean())

    def evaluate(self) -> dict:
        """Exact match on the held-out operand pairs recorded in the card (never trained on)."""
        pairs = pair_split(**self.card["split_args"])[1]
        return {"exact_match": self.exact_match(pairs), "n": len(pairs)}

    @staticmethod
    def summary(report: dict) -> str:
        return f"exact match {report['exact_match']:.3%} on {report['n']:,} held-out sums"
