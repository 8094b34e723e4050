"""Character-level text machinery shared by the text experiments: the alphabet (vocabulary),
encoding with visible handling of unknown characters, held-out splits, sampling with a
temperature, and streaming generation with an exported single-step LiteRT model."""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from mlexp.core.litert import Predictor, Result
from mlexp.core.metrics import log_softmax, softmax
from mlexp.data.text import load_text

# Look-alikes people type (or paste) that an alphabet may lack, best first.
LOOKALIKES = {"‘": ("'",), "’": ("'",), "“": ('"', "'"), "”": ('"', "'"), "«": ('"', "'"), "»": ('"', "'"),
              "–": ("-",), "—": ("-",), "…": ("...",), "\t": (" ",), "\r": ()}


@dataclass
class Encoded:
    """A text as ids, and what had to change to encode it: {original char: replacement}
    ('' when the character was dropped)."""

    ids: np.ndarray
    changed: dict[str, str]

    def note(self) -> str:
        """One sentence about the changed characters, or '' when none changed."""
        if not self.changed:
            return ""
        mapped = [f"{a!r} as {b!r}" for a, b in self.changed.items() if b]
        dropped = [repr(a) for a, b in self.changed.items() if not b]
        parts = ([f"read {', '.join(mapped)}"] if mapped else []) + (
            [f"left out {', '.join(dropped)} (not in the model's alphabet)"] if dropped else [])
        return "The model " + " and ".join(parts) + "."


class Vocabulary:
    """The characters a model knows, in the order of its inputs and outputs."""

    def __init__(self, chars):
        self.chars = list(chars)
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("A vocabulary cannot hold a character twice.")
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str, min_count: int = 1) -> "Vocabulary":
        """Every character seen at least `min_count` times, sorted."""
        counts = Counter(text)
        return cls(sorted(c for c, n in counts.items() if n >= min_count))

    def __len__(self) -> int:
        return len(self.chars)

    def _replacement(self, char: str) -> str:
        """A known stand-in for an unknown character: a look-alike or the letter without its
        accent; '' if there is none."""
        for candidate in (*LOOKALIKES.get(char, ()),
                          unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()):
            if candidate and all(c in self.index for c in candidate):
                return candidate
        return ""

    def encode(self, text: str) -> Encoded:
        """Ids of the text's characters; unknown ones mapped to look-alikes or dropped."""
        ids, changed = [], {}
        for char in text:
            if char in self.index:
                ids.append(self.index[char])
                continue
            replacement = changed.setdefault(char, self._replacement(char))
            ids.extend(self.index[c] for c in replacement)
        return Encoded(np.asarray(ids, np.int32), changed)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def held_out_split(text: str, fraction: float = 0.1) -> tuple[str, str]:
    """(training text, held-out text): the last `fraction` of the text is held out."""
    cut = int(len(text) * (1 - fraction))
    return text[:cut], text[cut:]


def sample(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """An index drawn from softmax(logits / temperature); temperature <= 0.01 is greedy."""
    if temperature <= 0.01:
        return int(np.argmax(logits))
    p = softmax(np.asarray(logits, np.float64) / temperature)
    return int(rng.choice(len(p), p=p))


@dataclass
class Continuation(Result):
    """A text's continuation, generated while it is read: `pieces()` streams the prompt then each
    new character; `as_json()` generates it all."""

    prompt: str
    characters: Iterator[str]
    temperature: float
    seed: int | None
    note: str = ""

    def pieces(self) -> Iterator[str]:
        yield self.prompt
        yield from self.characters

    def as_json(self) -> dict:
        return {"prompt": self.prompt, "text": "".join(self.characters), "temperature": self.temperature,
                "seed": self.seed, "note": self.note}


class TextGenerator(Predictor):
    """Generates text with an exported single-step model (`step.tflite`): inputs are the
    current character id (1,) and the recurrent state (1, units); outputs the next-character
    logits (1, V) and the new state. The vocabulary comes from the model's card."""

    MODEL_FILE = "step.tflite"
    READS = "text"

    def __init__(self, model_dir: Path, num_threads: int = 1):
        super().__init__(model_dir, num_threads)
        self.vocabulary = Vocabulary(self.card["vocabulary"])
        self.inputs.sort(key=lambda d: len(d["shape"]))  # `run` takes (character ids, state)
        self._units = int(self.inputs[1]["shape"][1])
        self._logits = next(i for i, d in enumerate(self.outputs) if d["shape"][-1] == len(self.vocabulary))

    def describe(self) -> str:
        """One line about the model from its card."""
        card = self.card
        loss = f"; held-out loss {card['val_loss']:.3f} nats per character" if "val_loss" in card else ""
        return (f"{card.get('parameters', 0):,} parameters, an alphabet of {len(self.vocabulary)} characters, "
                f"trained on {card.get('corpus', '?')}{loss}.")

    def check(self, prompt: str) -> str:
        """A sentence about the prompt's characters the model had to map or leave out ('' if none)."""
        return self.vocabulary.encode(prompt).note()

    def step(self, ids: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step for a batch: (logits (B, V), new state (B, units))."""
        outputs = self.run(ids, state)
        return outputs[self._logits], outputs[1 - self._logits]

    def zero_state(self, batch: int = 1) -> np.ndarray:
        return np.zeros((batch, self._units), np.float32)

    def stream(self, prompt: str, length: int, temperature: float = 0.8, seed: int | None = None) -> Iterator[str]:
        """`length` generated characters, yielded one by one after reading the prompt. The same
        seed gives the same text. ValueError at once if the prompt holds no known character."""
        ids = self.vocabulary.encode(prompt).ids
        if not len(ids):
            raise ValueError("Type a few characters to start from.")
        return self._generate(ids, length, temperature, np.random.default_rng(seed))

    def _generate(self, ids: np.ndarray, length: int, temperature: float, rng) -> Iterator[str]:
        state = self.zero_state()
        for i in ids:
            logits, state = self.step(np.array([i]), state)
        for _ in range(length):
            nxt = sample(logits[0], temperature, rng)
            yield self.vocabulary.chars[nxt]
            logits, state = self.step(np.array([nxt]), state)

    def loss(self, text: str, streams: int = 128) -> float:
        """Mean negative log-likelihood, in nats per character, of predicting each next character
        of `text`, read as `streams` contiguous pieces in parallel (state carried along)."""
        ids = self.vocabulary.encode(text).ids
        n = (len(ids) - 1) // streams
        if n < 1:
            raise ValueError("The text is too short to measure.")
        x = ids[: n * streams].reshape(streams, n)
        y = ids[1 : n * streams + 1].reshape(streams, n)
        state, total = self.zero_state(streams), 0.0
        for t in range(n):
            logits, state = self.step(x[:, t], state)
            log_p = log_softmax(logits)
            total -= log_p[np.arange(streams), y[:, t]].sum()
        return float(total / (n * streams))

    def predict(self, prompt: str, length: int = 200, temperature: float = 0.8,
                seed: int | None = None) -> Continuation:
        """The continuation of a prompt (ValueError if it holds no character the model knows)."""
        return Continuation(prompt, self.stream(prompt, length, temperature, seed), temperature, seed,
                            self.check(prompt))

    def evaluate(self) -> dict:
        """Loss in nats per character on the held-out end of the training corpus."""
        held_out = held_out_split(load_text(self.card["corpus"]), 0.1)[1]
        return {"val_loss": self.loss(held_out), "n": len(held_out), "unit": "nats per character"}

    @staticmethod
    def summary(report: dict) -> str:
        return f"held-out loss {report['val_loss']:.3f} nats per character on {report['n']:,} characters"
