"""Packaging: environment.yml installs the same stack as pyproject.toml; Binder uses it; the wheel
holds the browser-side files; the code passes the linter and keeps its layers (import contracts)."""
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO


def test_environment_yml_pins_the_same_packages_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = set(project["dependencies"]) | set(extras["train"]) | set(extras["hub"])  # hub: jupyterhub-singleuser
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) == wanted
    assert "python=3.11" in env["dependencies"] and "conda-forge" in env["channels"]


def test_binder_uses_that_environment_and_culls_kernels():
    assert (REPO / "binder" / "environment.yml").resolve() == (REPO / "environment.yml").resolve()
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert post_build.startswith("#!/bin/bash") and "set -e" in post_build
    assert "cull_idle_timeout" in (REPO / "binder" / "jupyter_server_config.json").read_text()
    assert (REPO / "binder" / "start").read_text().rstrip().endswith('exec "$@"')


def test_readme_binder_badge_opens_the_gallery_in_voila():
    readme = (REPO / "README.md").read_text()
    assert "mybinder.org/v2/gh/" in readme and "urlpath=voila%2Frender%2Fnotebooks%2Findex.ipynb" in readme


def test_the_wheel_holds_the_stylesheet_and_browser_code(tmp_path):
    """Every .js and .css file next to the widgets (what anywidget sends to the page) ships."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    names = set(zipfile.ZipFile(next(tmp_path.glob("mlexp-*.whl"))).namelist())
    browser_side = {p.relative_to(REPO).as_posix() for p in (REPO / "widgets").rglob("*")
                    if p.suffix in (".js", ".css")}
    assert {"widgets/mlexp.css", "widgets/stylesheet.js"} <= browser_side <= names
    assert "mlexp/data/quickdraw_categories.txt" in names


def test_the_linter_passes():
    """Ruff with the project's rules (pyproject.toml): style, unused names, sorted imports, and no
    import inside a function but the declared lazy heavy ones (TensorFlow, LiteRT, matplotlib)."""
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(REPO)], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` (import-linter) on the packages and pyproject.toml found in `root`."""
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], capture_output=True,
                          text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)


def test_the_layers_hold():
    """The contracts in pyproject.toml (drawn in docs/architecture.md): mlexp's layers, nothing a
    dashboard imports reaching TensorFlow, widgets knowing nothing of mlexp."""
    out = lint_imports(REPO)
    assert out.returncode == 0 and "0 broken" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("module, line", [
    ("mlexp/core/metrics.py", "import mlexp.predictors.drawing"),  # a lower layer importing a higher one
    ("mlexp/teach/head.py", "import mlexp.games.opponent"),  # two packages side by side
    ("mlexp/perception/hands.py", "import keras"),  # a dashboard's import reaching TensorFlow
    ("widgets/common.py", "import mlexp.core.errors"),  # a widget importing mlexp
])
def test_the_contracts_catch_a_wrong_import(tmp_path, module, line):
    for folder in ("mlexp", "widgets"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text((tmp_path / module).read_text() + f"\n{line}  # noqa\n")
    out = lint_imports(tmp_path)
    assert out.returncode != 0 and "BROKEN" in out.stdout, out.stdout + out.stderr
