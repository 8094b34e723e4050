"""Shared test fixtures: the data mirror (skip when absent) and the shipped models."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import mlexp

REPO = mlexp.experiments.REPO_ROOT


def mirror() -> Path | None:
    value = os.environ.get("MLEXP_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


@pytest.fixture
def data_dir() -> Path:
    """The local data mirror; tests needing it skip, saying why, when it is absent."""
    path = mirror()
    if path is None:
        pytest.skip("MLEXP_DATA_DIR is not set to the data mirror (such as ../shared/data)")
    return path


@pytest.fixture
def shipped(request):
    """A factory: the shipped classifier of an experiment (fails if its model is missing)."""
    def load(name: str):
        experiment = mlexp.get(name)
        assert experiment.has_model(), f"models/{name}/model.tflite is not committed"
        return mlexp.load(name)
    return load
