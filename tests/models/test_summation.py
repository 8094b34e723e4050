"""Sums: what people type, the fixed-width encoding, and the held-out pairs."""
import numpy as np
import pytest

from mlexp.predictors import summation
from mlexp.predictors.summation import BadSum, parse


@pytest.mark.parametrize("text, operands", [("17+38", (17, 38)), ("0+0", (0, 0)), ("999+999", (999, 999)),
                                            ("007+5", (7, 5))])
def test_sums_people_type(text, operands):
    assert parse(text) == operands


@pytest.mark.parametrize("text, says", [
    ("", "Nothing to add yet"), ("   ", "Nothing to add yet"), ("abc", "Only digits and one +"),
    ("1+", "not a whole sum yet"), ("+5", "not a whole sum yet"), ("1+2+3", "not a whole sum yet"),
    ("12345+1", "too big"), ("17 + 38", "Spaces are not accepted"), ("17-3", "Only digits and one +"),
])
def test_odd_input_gets_one_sentence_saying_what_is_accepted(text, says):
    with pytest.raises(BadSum) as error:
        parse(text)
    message = str(error.value)
    assert says in message and "two whole numbers from 0 to 999 joined by +, like 17+38" in message
    assert message.count(".") == 1 and message.endswith(".")


def test_fixed_width_encoding():
    ids = summation.encode([17, 999], [38, 0])
    assert ["".join(summation.INPUT_CHARS[i] for i in row) for row in ids] == ["017+038", "999+000"]
    assert summation.target([17, 999], [38, 999]).tolist() == [[0, 0, 5, 5], [1, 9, 9, 8]]


def test_held_out_pairs_are_never_training_pairs():
    train, held_out = summation.pair_split(0.1, seed=0)
    assert len(train) == 900_000 and len(held_out) == 100_000
    codes = lambda pairs: set((pairs[:, 0] * 1000 + pairs[:, 1]).tolist())  # noqa: E731
    assert not codes(train) & codes(held_out) and len(codes(train) | codes(held_out)) == 1_000_000
    again = summation.pair_split(0.1, seed=0)[1]
    assert np.array_equal(held_out, again)
