"""The teach experiment's training notebook in quick mode: it trains a head on image and hand
features on the rock-paper-scissors photos, exports the better one, and its card says what it
measured on the testing photos; then it compares image and face features on faces."""
import json
import re

import numpy as np
import pytest

from mlexp.app import notebooks
from mlexp.app.cli import QUICK  # the parameters of `mlexp train --quick`
from mlexp.data.rps import rps_files
from mlexp.inputs.photos import read_photo
from mlexp.teach import TASK, TaughtClassifier

# Quick mode (60 photos per class of each split, 2 epochs) reached 73% on the testing photos with
# hand features and 65% with image features (chance: 33%).
QUICK_FLOOR = 0.5


@pytest.mark.slow
def test_quick_mode_exports_a_taught_model_measured_on_the_testing_photos(data_dir, tmp_path):
    nb = notebooks.run("notebooks/teach/train.ipynb", {**QUICK, "MODEL_DIR": str(tmp_path)}, progress=lambda _: None)
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 2  # curves, confusion matrices, the samples-per-class curve...
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    faces = {kind: re.search(rf"^{kind} features: 5: ([\d.]+)%, 10: ([\d.]+)%, 20: ([\d.]+)%$", text, re.M)
             for kind in ("image", "face")}
    assert all(faces.values()), text[-1500:]  # the faces' samples-per-class curve, for each kind
    assert all(0 <= float(v) <= 100 for match in faces.values() for v in match.groups())

    folder = tmp_path / "teach"
    card = json.loads((folder / "card.json").read_text())
    assert card["task"] == TASK == "taught-classes"
    assert card["labels"] == ["rock", "paper", "scissors"]
    assert card["features"] in ("image", "hand") and card["photos_per_class"] == 60
    assert QUICK_FLOOR < card["test_split_accuracy"] <= 1
    assert card["test_split"]["n"] == 180 and set(card["test_split"]["per_class"]) == set(card["labels"])
    assert card["test_split_accuracy"] == max(kind["test_split_accuracy"] for kind in card["by_kind"].values())
    for kind, points in card["samples_per_class_curve"].items():
        assert kind in ("image", "hand") and points[-1]["samples_per_class"] == "all"
        assert all(0 <= p["min"] <= p["mean"] <= p["max"] <= 1 for p in points)
    assert card["data_licence"].startswith("Rock Paper Scissors SXSW") and "CDLA-Sharing-1.0" in card["data"]

    model = TaughtClassifier(folder)
    answer = model.predict(read_photo(rps_files("testing")[0][0]))
    assert answer.label in (*card["labels"], "none")
    if answer.label != "none":
        assert np.isclose(sum(answer.probabilities.values()), 1, atol=1e-4)
    report = model.evaluate()  # a model taught on the RPS photos: measured on the whole testing split
    assert report["dataset"] == "rps testing photos" and report["n"] == len(rps_files("testing"))
    assert QUICK_FLOOR < report["accuracy"] <= 1
