"""The shipped sequence models: held-out results equal to their cards, goals, sizes, and the
LiteRT single-step generator agreeing with the Keras model it was made from."""
import json
import os

import numpy as np
import pytest

import mlexp
from mlexp import evaluate

TEXT_GOALS = {"text_shakespeare": 1.50, "text_wikipedia": 1.60}  # held-out nats per character


def test_summation_exact_on_held_out_pairs(data_dir):
    report = evaluate("numbers_summation")
    card = mlexp.load("numbers_summation").card
    print(f"numbers_summation: {report['exact_match']:.3%} exact on {report['n']:,} held-out sums")
    assert report["exact_match"] >= 0.99 and report["exact_match"] == pytest.approx(card["exact_match"], abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("name", TEXT_GOALS)
def test_text_held_out_loss_and_size(name, data_dir):
    e = mlexp.get(name)
    card = json.loads(e.card_path.read_text())
    report = evaluate(name)
    print(f"{name}: held-out loss {report['val_loss']:.4f} nats per character on {report['n']:,} characters")
    assert report["val_loss"] <= TEXT_GOALS[name]
    assert report["val_loss"] == pytest.approx(card["val_loss"], abs=1e-6)
    assert card["files"]["step.tflite"] == e.tflite_path.stat().st_size <= 10 * 2**20


@pytest.mark.parametrize("name", TEXT_GOALS)
def test_litert_step_model_agrees_with_the_keras_model(name):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from mlexp.training.tf import keras

    generator = mlexp.load(name)
    model = keras.saving.load_model(mlexp.get(name).model_dir / "model.keras", safe_mode=True, compile=False)
    ids = generator.vocabulary.encode("ROMEO: The history of the world is long.\n").ids
    expected = model(ids[None], training=False).numpy()[0]
    state = generator.zero_state()
    for t, i in enumerate(ids):
        logits, state = generator.step(np.array([i]), state)
        assert np.abs(logits[0] - expected[t]).max() < 1e-3
