"""Packaging: environment.yml installs the same stack as pyproject.toml; Binder uses it; the wheel
holds the browser-side files; the code passes the linter."""
import subprocess
import sys
import tomllib
import zipfile

import yaml

from conftest import REPO


def test_environment_yml_pins_the_same_packages_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["train"])
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
