"""Notebooks: committed clean, and every one of them runs headless (training ones in quick mode)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mlexp
from mlexp import Classifier
from mlexp.app import notebooks
from mlexp.app.cli import QUICK  # the parameters of `mlexp train --quick`

from conftest import REPO

ALL = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "notebooks").rglob("*.ipynb")
             if ".ipynb_checkpoints" not in p.parts)


def test_every_experiment_has_its_notebooks():
    for e in mlexp.EXPERIMENTS.values():
        assert e.train_notebook in ALL and e.demo_notebook in ALL
        assert (REPO / e.picture).is_file(), f"the gallery has no picture for {e.name}"
    assert "notebooks/index.ipynb" in ALL


@pytest.mark.parametrize("path", ALL)
def test_committed_without_outputs_or_widget_state(path):
    nb = json.loads((REPO / path).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert "widgets" not in nb["metadata"]


def outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if kind in o.get("data", {})]


# Held-out split sizes, and the accuracy two epochs on 5,000 training examples already reach.
QUICK_RESULTS = {"mnist": ({"validation": 5000, "test": 10000}, 0.8),
                 "quickdraw": ({"validation": 3592, "test": 3592}, 0.6)}


DRAWINGS = [name for name, e in mlexp.EXPERIMENTS.items()
            if e.task == "drawing-classification" and e.dataset in QUICK_RESULTS]  # others: their own tests
SEQUENCES = [name for name, e in mlexp.EXPERIMENTS.items() if e.task in ("summation", "text-generation")]
# Photo classifiers of hands in quick mode: parameters beyond QUICK (MobileNetV2 at 96 px keeps it
# under 3 minutes; the CNN tries two centre crops, without mixup, which needs more than two epochs
# to beat chance) and the test accuracy two epochs reach.
PHOTOS = {"rps_cnn": ({"CROPS": (1.0, 0.8), "MIXUP": 0.0}, 0.4), "rps_mobilenet_v2": ({"IMAGE_SIZE": 96}, 0.6)}


@pytest.mark.slow
@pytest.mark.parametrize("name", DRAWINGS)
def test_training_notebook_quick_mode_exports_a_working_model(name, data_dir, tmp_path):
    nb = notebooks.run(f"notebooks/{name}/train.ipynb", {**QUICK, "MODEL_DIR": str(tmp_path)},
                       progress=lambda _: None)
    assert len(outputs(nb, "image/png")) >= 3  # curves, confusion matrix, mistakes
    card = json.loads((tmp_path / name / "card.json").read_text())
    held_out, accuracy = QUICK_RESULTS[mlexp.get(name).dataset]
    assert card["split"] == {"train": QUICK["TRAIN_SAMPLES"], **held_out}
    for key in ("parameters", "test_accuracy", "per_class_accuracy", "files", "versions", "date",
                "training_seconds", "labels"):
        assert key in card
    assert card["test_accuracy"] > accuracy
    model = Classifier.from_experiment(mlexp.get(name), tmp_path / name)
    assert model.probabilities([[[0.0] * 28] * 28]).shape == (1, len(card["labels"]))


@pytest.mark.slow
@pytest.mark.parametrize("name", PHOTOS)
def test_photo_notebook_quick_mode_exports_a_working_model(name, data_dir, tmp_path):
    extra, accuracy = PHOTOS[name]
    nb = notebooks.run(f"notebooks/{name}/train.ipynb", {**QUICK, **extra, "MODEL_DIR": str(tmp_path)},
                       progress=lambda _: None)
    assert len(outputs(nb, "image/png")) >= 5  # examples, augmented examples, curves, confusion, mistakes
    card = json.loads((tmp_path / name / "card.json").read_text())
    assert card["labels"] == ["rock", "paper", "scissors"] and card["input"] == "image"
    assert card["split"]["train"] + card["split"]["validation"] == 1877 and card["split"]["test"] == 470
    assert 0.13 < card["split"]["validation"] / 1877 < 0.2
    assert card["epochs"] == QUICK["EPOCHS"] and card["trained_size"] == extra.get("IMAGE_SIZE", card["trained_size"])
    assert card["centre_crop"] in extra.get("CROPS", (1.0,))  # the one the validation photos chose
    assert card["input_size"] == round(card["trained_size"] / card["centre_crop"])
    assert card["test_accuracy"] > accuracy and abs(card["test_accuracy"] - card["test_accuracy_keras"]) < 0.01
    assert set(card["per_class_accuracy"]) == {"rock", "paper", "scissors"}
    assert "CDLA-Sharing-1.0" in card["data_licence"]


@pytest.mark.slow
def test_landmark_notebook_quick_mode_exports_a_working_model(data_dir, tmp_path, monkeypatch):
    nb = notebooks.run("notebooks/rps_hand/train.ipynb", {**QUICK, "MODEL_DIR": str(tmp_path)}, progress=lambda _: None)
    assert len(outputs(nb, "image/png")) >= 3  # photos with their skeletons, curves, confusion matrix
    card = json.loads((tmp_path / "rps_hand" / "card.json").read_text())
    assert card["labels"] == ["rock", "paper", "scissors"] and card["input"] == "landmarks" and card["epochs"] == 2
    assert card["split"]["test"] == 470 and 0.9 < card["found_rate"] <= 1
    assert card["test_accuracy"] > 0.5 and abs(card["test_accuracy"] - card["test_accuracy_keras"]) < 0.01
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))
    assert mlexp.load("rps_hand").predict(Image.new("RGB", (64, 48))).label == "none"


@pytest.mark.slow
def test_emotions_notebook_quick_mode_exports_a_working_model(data_dir, tmp_path, monkeypatch):
    nb = notebooks.run("notebooks/emotions/train.ipynb", {**QUICK, "MODEL_DIR": str(tmp_path)}, progress=lambda _: None)
    assert len(outputs(nb, "image/png")) >= 5  # faces, augmented faces, curves, confusion matrix, mistakes
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "mini-Xception of fer: " in text  # the peer, measured on the same faces
    card = json.loads((tmp_path / "emotions" / "card.json").read_text())
    assert card["split"] == {"train": QUICK["TRAIN_SAMPLES"], "test": 3589} and card["epochs"] == QUICK["EPOCHS"]
    assert card["test_accuracy"] > 0.2 and abs(card["test_accuracy"] - card["test_accuracy_keras"]) < 0.01
    assert np.array(card["confusion_matrix"]).sum() == 3589 and "no licence" in card["data_licence"]
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))
    model = mlexp.load("emotions")
    assert model.predict(Image.new("RGB", (64, 48))).label == "none"
    assert model.read(np.zeros((2, 48, 48), np.uint8))[1].shape == (2, 256)  # the teach experiment's features


@pytest.mark.slow
def test_digits_generator_notebook_quick_mode_compares_two_families_and_exports(data_dir, tmp_path, monkeypatch):
    nb = notebooks.run("notebooks/digits_generator/train.ipynb",
                       {**QUICK, "EVAL_PER_DIGIT": 100, "MODEL_DIR": str(tmp_path)}, progress=lambda _: None)
    assert len(outputs(nb, "image/png")) >= 6  # curves and sample grids of each family, their digits
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "10 steps: recognized" in text and "median distance to the nearest training digit" in text
    card = json.loads((tmp_path / "digits_generator" / "card.json").read_text())
    assert set(card["compared"]) == {"conditional VAE", "autoencoder + flow"} and card["epochs"] == QUICK["EPOCHS"]
    assert card["split"] == {"train": QUICK["TRAIN_SAMPLES"], "test": 10000}
    assert card["fcd"] == pytest.approx(card["compared"][card["family"]]["fcd"], rel=0.25)  # LiteRT ~ Keras
    assert card["fcd_train_vs_test"] < 10 and len(card["pad"]["mean"]) == 10
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))
    model = mlexp.load("digits_generator")
    assert len(model.write(5, 3)) == 3 and model.in_style(model.write(2)[0].picture)[1].shape == (10, 28, 28)


@pytest.mark.slow
@pytest.mark.parametrize("name", SEQUENCES)
def test_sequence_notebook_quick_mode_exports_a_working_model(name, data_dir, tmp_path, monkeypatch):
    nb = notebooks.run(f"notebooks/{name}/train.ipynb", {**QUICK, "MODEL_DIR": str(tmp_path)},
                       progress=lambda _: None)
    assert outputs(nb, "image/png")  # the live curves
    card = json.loads((tmp_path / name / "card.json").read_text())
    for key in ("parameters", "files", "versions", "date", "training_seconds", "epochs"):
        assert key in card
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))
    model = mlexp.load(name)
    if name == "numbers_summation":
        assert card["split"]["train"] == QUICK["TRAIN_SAMPLES"] and 0 <= card["exact_match"] <= 1
        assert model.add("17+38").text.isdigit()
    else:
        assert 0 < card["val_loss"] < 4.5  # below ln(alphabet size): it learned something
        assert len("".join(model.stream("The ", 20, 0.5, seed=0))) == 20


@pytest.mark.parametrize("family, parameters", [("sketch", ["EPOCHS"]), ("digits", ["EPOCHS", "AUGMENT"])])
def test_drawing_notebooks_differ_only_in_their_model(family, parameters):
    """The title, a few parameters (the number of epochs, the augmentation) and the model
    cells: nothing else."""
    mlp, cnn = (json.loads((REPO / f"notebooks/{family}_{kind}/train.ipynb").read_text())["cells"]
                for kind in ("mlp", "cnn"))
    assert len(mlp) == len(cnn)
    differ = [(a, b) for a, b in zip(mlp, cnn) if a["source"] != b["source"]]
    assert [a["metadata"].get("tags") for a, _ in differ] == [None, ["parameters"], ["model"], ["model"]]
    (mlp_parameters, cnn_parameters) = differ[1]
    mlp_lines, cnn_lines = ("".join(c["source"]).splitlines() for c in (mlp_parameters, cnn_parameters))
    changed = [line for line in mlp_lines if line not in cnn_lines]
    assert [line.split(" = ")[0] for line in changed] == parameters


def test_rps_notebooks_differ_only_in_their_model():
    """The CNN and the MobileNetV2 notebooks: the title, the parameters' values and the model cells."""
    cnn, mobilenet = (json.loads((REPO / f"notebooks/rps_{kind}/train.ipynb").read_text())["cells"]
                      for kind in ("cnn", "mobilenet_v2"))
    assert len(cnn) == len(mobilenet)
    differ = [(a, b) for a, b in zip(cnn, mobilenet) if a["source"] != b["source"]]
    assert [a["metadata"].get("tags") for a, _ in differ] == [None, ["parameters"], ["model"], ["model"]]
    names = [[line.split(" = ")[0] for line in "".join(cell["source"]).splitlines()] for cell in differ[1]]
    assert names[0] == names[1]


def test_text_notebooks_differ_only_in_their_introduction_and_parameters():
    shakespeare, wikipedia = (json.loads((REPO / f"notebooks/text_{kind}/train.ipynb").read_text())["cells"]
                              for kind in ("shakespeare", "wikipedia"))
    differ = [i for i, (a, b) in enumerate(zip(shakespeare, wikipedia)) if a["source"] != b["source"]]
    assert len(shakespeare) == len(wikipedia) and differ == [0, 1]
    assert shakespeare[1]["metadata"]["tags"] == ["parameters"]


@pytest.mark.parametrize("name", list(mlexp.EXPERIMENTS))
def test_demo_notebook_runs_and_shows_the_demo(name):
    nb = notebooks.run(f"notebooks/{name}/demo.ipynb", progress=lambda _: None)
    views = outputs(nb, "application/vnd.jupyter.widget-view+json")
    assert len(views) == 1
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_gallery_notebook_runs():
    nb = notebooks.run("notebooks/index.ipynb", progress=lambda _: None)
    assert len(outputs(nb, "application/vnd.jupyter.widget-view+json")) == 1


@pytest.mark.parametrize("name", ["digits_cnn", "sketch_cnn", "numbers_summation", "text_shakespeare", "rps_hand",
                                  "emotions", "digits_generator"])
def test_demo_notebook_without_a_model_says_how_to_train_it(name, tmp_path, monkeypatch):
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))  # inherited by the kernel
    nb = notebooks.run(f"notebooks/{name}/demo.ipynb", progress=lambda _: None)
    state = json.dumps(nb.metadata["widgets"])  # what the widgets show
    assert f"missing: train it with `mlexp train {name}`" in state


@pytest.mark.slow
def test_mlexp_train_quick_from_the_command_line(data_dir):
    out = subprocess.run([sys.executable, "-m", "mlexp", "train", "digits_mlp", "--quick"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "quick mode" in out.stdout
    written = out.stdout.strip().splitlines()[-1].removeprefix("Model written to ")
    assert (REPO / "models") not in Path(written).parents
    assert json.loads((Path(written) / "card.json").read_text())["epochs"] == 2
