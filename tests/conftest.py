"""Shared test fixtures: the data mirror (skip when absent), the shipped models, and for the
browser tests a Voila server and Playwright (imported only by tests that use them, so the unit
tests need neither)."""
from __future__ import annotations

from pathlib import Path

import pytest

import mlexp
from mlexp.core.paths import mirror_dir

REPO = mlexp.experiments.REPO_ROOT


def mirror() -> Path | None:
    """The data mirror (`MLEXP_DATA_DIR`) if it is there."""
    path = mirror_dir()
    return path if path is not None and path.is_dir() else None


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


@pytest.fixture(scope="module")
def server():
    """A Voila server for a module's browser tests, idle kernels culled after 30 s."""
    from voila_server import voila_server  # noqa: PLC0415 (browser tests only)

    with voila_server(cull_idle=30) as running:
        yield running


@pytest.fixture(scope="module")
def playwright():
    """Playwright, for `voila_server.launch_chromium` and the like."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (browser tests only)

    with sync_playwright() as p:
        yield p


def _files(*folders: str) -> set[Path]:
    return {p for folder in folders for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}


@pytest.fixture(scope="session", autouse=True)
def nothing_written_into_the_repository():
    """Tests write into temporary folders, never into notebooks/ or models/ (checked at the end)."""
    before = _files("notebooks", "models")
    yield
    new = sorted(str(p.relative_to(REPO)) for p in _files("notebooks", "models") - before)
    assert not new, f"tests left files in the repository: {new}"
