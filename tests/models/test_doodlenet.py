"""The 345-class sketch experiment: ml5's DoodleNet converted by the project's own code, its
figures on the mirror's real strokes, the game's classes, and a game round in a real browser."""
import json

import numpy as np
import pytest

import mlexp
from mlexp.app import notebooks
from mlexp.app.cli import QUICK
from mlexp.data import DataUnavailable, doodlenet, load_quickdraw_strokes, sources
from mlexp.inputs.drawings import strokes_to_quickdraw
from mlexp.training import tfjs_layers
from widgets import DrawingClassifier, DrawingGame

from conftest import REPO

NAME = "sketch_doodlenet"
# Measured on the mirror's 11,044 stroke drawings (top-1 70.5%, top-5 90.2%), less a margin.
FLOORS = {"accuracy": 0.69, "top5": 0.89}


def real_inputs(folder, per_class=1):
    """Real drawings of every class, redrawn by the pad's pipeline, and random inputs."""
    drawings, y, _ = load_quickdraw_strokes(doodlenet.labels(folder), per_class)
    x = np.stack([strokes_to_quickdraw(s) for s in drawings])[..., None]
    return np.concatenate([x, np.random.default_rng(0).random((8, 28, 28, 1), np.float32)]), y


def test_conversion_matches_a_plain_numpy_forward_pass(data_dir):
    folder = doodlenet.files()
    x, y = real_inputs(folder)
    reference = tfjs_layers.numpy_forward(folder / "model.json", x)
    converted = tfjs_layers.keras_model(folder / "model.json").predict(x, verbose=0)
    assert np.abs(converted - reference).max() < 1e-5
    assert (converted.argmax(1) == reference.argmax(1)).all()
    assert (reference[: len(y)].argmax(1) == y).mean() > 0.5  # and the network does recognize drawings
    shipped = mlexp.load(NAME).probabilities(x[..., 0])  # the LiteRT file the demo runs: the same weights
    assert np.abs(shipped - reference).max() < 1e-4


@pytest.mark.slow
def test_shipped_model_top1_and_top5_on_the_mirrors_strokes(data_dir):
    card = mlexp.load(NAME).card
    report = mlexp.evaluate(NAME)
    print(f"{NAME}: top-1 {report['accuracy']:.2%}, top-5 {report['top5']:.2%} on {report['n']:,} drawings")
    assert report["n"] == card["split"]["test"] == 11044 and len(report["per_class"]) == 345
    assert report["accuracy"] >= FLOORS["accuracy"] and report["top5"] >= FLOORS["top5"] > report["accuracy"]
    assert report["accuracy"] == pytest.approx(card["test_accuracy"], abs=1e-9)
    assert report["per_class"] == pytest.approx(card["per_class_accuracy"], abs=1e-9)


def test_card_names_origin_licence_and_the_labels_in_ml5s_order(data_dir):
    card, folder = mlexp.load(NAME).card, doodlenet.files()
    assert card["labels"] == doodlenet.labels(folder) == mlexp.load(NAME).labels
    assert card["labels"][:3] == ["flashlight", "belt", "mushroom"] and "The Eiffel Tower" in card["labels"]
    assert (card["licence"], card["licence_holder"]) == ("MIT", "Copyright (c) 2018 ml5")
    assert card["licence_holder"] in (folder / "LICENSE").read_text()
    assert "ml5" in card["origin"] and "ml5js/ml5-data-and-models" in card["source"] and card["citation"]
    assert "seen in training" in card["test_set"] and card["preprocess"] == "quickdraw"
    for file in ("model.keras", "model.tflite"):
        assert card["files"][file] == (mlexp.get(NAME).model_dir / file).stat().st_size


def test_game_classes_are_the_ones_recognized_well_and_the_demo_uses_them():
    card = mlexp.load(NAME).card
    chosen = card["game_classes"]
    assert chosen == [c for c in card["labels"] if card["per_class_accuracy"][c] >= card["game_threshold"]]
    assert 20 <= len(chosen) < len(card["labels"])
    demo = json.loads((REPO / mlexp.get(NAME).demo_notebook).read_text())
    namespace = {}
    exec("".join(demo["cells"][1]["source"]).removesuffix("demo"), namespace)  # the demo's cell, in this process
    game = namespace["demo"]
    assert isinstance(game, DrawingGame) and game.labels == chosen
    game.call_later = lambda seconds, callback: (lambda: None)  # no event loop here: no countdown
    asked = set()
    for _ in range(60):
        game.start_round()
        asked.add(game.target)
    assert asked <= set(chosen) and len(asked) > 20


def test_game_refuses_classes_the_classifier_does_not_know():
    with pytest.raises(ValueError, match="cannot ask for unicorn"):
        DrawingGame(DrawingClassifier(["cat", "fish"], lambda s: {}), classes=["cat", "unicorn"])


def test_missing_weights_say_how_to_provide_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MLEXP_DATA_DIR", str(tmp_path / "mirror"))
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))
    asked = []

    def offline(url, *args, **kwargs):
        asked.append(url)
        raise OSError("Network is unreachable")

    monkeypatch.setattr(sources, "_download", offline)
    with pytest.raises(DataUnavailable) as error:
        doodlenet.files()
    message = str(error.value)
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message  # one sentence
    assert "MLEXP_DATA_DIR" in message and "internet" in message and "pretrained/doodlenet/" in message
    assert asked == ["https://raw.githubusercontent.com/ml5js/ml5-data-and-models/main/models/doodlenet/model.json"]


@pytest.mark.slow
def test_training_notebook_quick_mode_converts_and_exports(data_dir, tmp_path, monkeypatch):
    nb = notebooks.run(mlexp.get(NAME).train_notebook, {**QUICK, "PER_CLASS": 3, "MODEL_DIR": str(tmp_path)},
                       progress=lambda _: None)
    pictures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pictures) >= 3  # examples, mistakes, per-class chart
    card = json.loads((tmp_path / NAME / "card.json").read_text())
    assert card["split"]["test"] == 3 * 345 and card["test_args"] == {"per_class": 3}
    assert card["conversion_max_difference"] < 1e-4 and card["test_accuracy"] > 0.5 and card["test_top5"] > 0.8
    assert set(card["game_classes"]) <= set(card["labels"]) and len(card["labels"]) == 345
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))
    assert mlexp.load(NAME).evaluate()["accuracy"] == pytest.approx(card["test_accuracy"])
