"""MLEXP_MODELS_DIR as a search path (JupyterHub: the student's own models first, then the shipped ones)."""
import os

from mlexp import experiments
from mlexp.core.paths import SHIPPED_MODELS, find_model, model_dirs, models_dir


def test_one_folder_or_several_searched_in_order(monkeypatch, tmp_path):
    own = tmp_path / "own"
    monkeypatch.setenv("MLEXP_MODELS_DIR", f"{own}{os.pathsep}{SHIPPED_MODELS}")
    assert model_dirs() == [own, SHIPPED_MODELS] and models_dir() == own  # new models go to the first
    assert find_model("digits_cnn") == SHIPPED_MODELS / "digits_cnn"  # not trained by the student: shipped
    (own / "digits_cnn").mkdir(parents=True)
    assert experiments.get("digits_cnn").model_dir == own / "digits_cnn"  # retrained by the student: theirs
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(own))
    assert find_model("digits_mlp") == own / "digits_mlp"  # one folder, as before: missing means missing
    monkeypatch.delenv("MLEXP_MODELS_DIR")
    assert model_dirs() == [SHIPPED_MODELS]
