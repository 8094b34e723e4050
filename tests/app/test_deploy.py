"""What a school deploys, checked as far as this machine allows: Zero to JupyterHub's config against the
chart's own values schema, and Binder's set-up (binder/) in a fresh environment: its pip list installs,
postBuild and start run, the badge's path serves the gallery, and the teach dashboard trains 10 classes of
300 samples within Binder's 2 GiB."""
from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import time
import tomllib
import venv
from pathlib import Path

import httpx
import jsonschema
import nbformat
import pytest
import yaml

from mlexp.app import hub

from conftest import REPO
from voila_server import _stop, free_port

Z2JH = REPO / "deploy" / "z2jh" / "config.yaml"
BINDER_MEMORY = 2 * 2**30  # Binder's limit: a session's kernels are killed above it
BADGE_PATH = "/voila/render/notebooks/index.ipynb"  # the README badge's urlpath


def merged(defaults: dict, values: dict) -> dict:
    """Helm's merge of a values file over the chart's defaults: maps merged key by key, the rest replaced."""
    out = copy.deepcopy(defaults)
    for key, value in values.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture
def chart(data_dir):
    """The chart's defaults and its values schema (from the data mirror)."""
    folder = data_dir / "deploy_refs" / "z2jh"
    return [yaml.safe_load((folder / name).read_text()) for name in ("values.yaml", "values.schema.yaml")]


def test_the_z2jh_config_validates_against_the_charts_schema(chart):
    defaults, schema = chart
    config = yaml.safe_load(Z2JH.read_text())
    jsonschema.Draft7Validator(schema).validate(merged(defaults, config))
    # The same class as deploy/jupyterhub_config.py: the gallery first, the same limits per student.
    single = config["singleuser"]
    assert single["defaultUrl"] == "/voila/render/notebooks/index.ipynb"
    assert (single["memory"]["guarantee"], single["memory"]["limit"], single["cpu"]["limit"]) == ("512M", "2G", 1)
    assert config["scheduling"]["userPlaceholder"]["replicas"] > 0 and config["prePuller"]["continuous"]["enabled"]
    assert config["cull"]["enabled"] and config["proxy"]["https"]["enabled"]
    assert config["hub"]["config"]["Authenticator"]["username_pattern"] == hub.NAME_PATTERN


@pytest.mark.parametrize("change", [
    {"singleuser": {"memroy": {"limit": "2G"}}},     # a misspelt key
    {"singleuser": {"defaultUrl": 7}},              # a wrong type
    {"cull": {"timeout": "an hour"}},
])
def test_the_schema_check_catches_a_wrong_config(chart, change):
    defaults, schema = chart
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(merged(defaults, merged(yaml.safe_load(Z2JH.read_text()), change)))


# Binder ------------------------------------------------------------------------------------------
def binder_pip_list() -> list[str]:
    env = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """A fresh virtual environment with binder/'s pip list installed, then binder/postBuild run in it."""
    folder = tmp_path_factory.mktemp("binder")
    venv.create(folder / "env", with_pip=True)
    python = folder / "env" / "bin" / "python"
    path = f"{python.parent}{os.pathsep}{os.environ['PATH']}"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", *binder_pip_list()], capture_output=True,
                             text=True, timeout=1500)
    assert install.returncode == 0, install.stderr[-3000:]
    home = folder / "home"
    home.mkdir()
    post_build = subprocess.run(["bash", "binder/postBuild"], cwd=REPO, capture_output=True, text=True, timeout=600,
                                env={**os.environ, "PATH": path, "HOME": str(home)})
    assert post_build.returncode == 0, post_build.stderr[-3000:]
    return python, {**os.environ, "PATH": path, "HOME": str(home)}


def normal(name: str) -> str:
    """A package name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.slow
def test_binders_pip_list_installs_and_agrees_with_pyproject(binder_env):
    python, env = binder_env
    assert subprocess.run([str(python), "-m", "pip", "check"], capture_output=True).returncode == 0
    installed = {normal(p["name"]): p["version"] for p in json.loads(subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True).stdout)}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["train"]:
        if "==" in requirement:
            name, version = requirement.split("==")
            assert installed[normal(name)] == version.strip(), requirement
    prefix = subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True)
    settings = Path(prefix.stdout.strip()) / "etc" / "jupyter" / "jupyter_server_config.d" / "mlexp.json"
    assert json.loads(settings.read_text()) == json.loads((REPO / "binder" / "jupyter_server_config.json").read_text())
    shown = "import os, mlexp; print(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['OMP_NUM_THREADS'])"
    started = subprocess.run(["bash", "binder/start", str(python), "-c", shown], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 0 and started.stdout.split() == ["0", "2"], started.stderr


def memory_cgroup(limit: int) -> Path | None:
    """A cgroup (v1) capped at `limit` bytes, or None where this machine has none to give."""
    if hub.cgroup_version() != 1:
        return None
    group = hub.CGROUP_ROOT / "memory" / f"mlexp-binder-test-{os.getpid()}"
    group.mkdir(exist_ok=True)
    (group / "memory.limit_in_bytes").write_text(str(limit))
    return group


TEACH_10_BY_300 = """
import time
import numpy as np
while len(demo.rows) < 10:
    demo.classes.add_button.click()
rng, reader = np.random.default_rng(0), demo.reader()
for c in range(10):  # 300 camera frames a class, each a colour of its own with noise
    colour = rng.integers(0, 256, 3)
    for _ in range(300):
        frame = np.clip(colour + rng.normal(0, 40, (240, 320, 3)), 0, 255).astype(np.uint8)
        demo.classes.add_sample(c, reader.read(frame, sample=True))
start = time.monotonic()
demo.train()
print(sum(demo.project.counts.values()), round(demo.head.report["accuracy"], 3), round(time.monotonic() - start, 1))
"""


@pytest.mark.slow
def test_the_gallery_and_the_teach_dashboard_work_within_binders_memory(binder_env, capsys):
    """Under a 2 GiB memory cgroup, as on Binder: the Jupyter server from binder/ serves the badge's path
    (the gallery), and the teach dashboard's kernel records 10 classes of 300 samples and trains on them."""
    python, env = binder_env
    group = memory_cgroup(BINDER_MEMORY)
    if group is None:
        pytest.skip("no writable memory cgroup (v1) on this machine to hold the run to Binder's 2 GiB")
    join = lambda: (group / "cgroup.procs").write_text(str(os.getpid()))  # noqa: E731 (in the child, before exec)
    port = free_port()
    server = subprocess.Popen(["bash", "binder/start", str(python), "-m", "jupyter", "server", "--no-browser",
                               "--ip=127.0.0.1", f"--port={port}", "--IdentityProvider.token=",
                               "--ServerApp.allow_root=True"], cwd=REPO, env=env, preexec_fn=join,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(240):
                try:
                    client.get("/api")
                    break
                except httpx.TransportError:
                    time.sleep(0.25)
            gallery = client.get(BADGE_PATH)
            assert gallery.status_code == 200 and "mlexp-gallery" in gallery.text  # the gallery cell ran
            assert "widget-view+json" in gallery.text and "vnd.jupyter.stderr" not in gallery.text
        demo = nbformat.read(REPO / "notebooks" / "teach" / "demo.ipynb", as_version=4)
        demo.cells.append(nbformat.v4.new_code_cell(TEACH_10_BY_300))
        run = subprocess.run([str(python), "-c", (
            "import sys, nbformat; from nbclient import NotebookClient; nb = nbformat.read(sys.stdin, as_version=4); "
            "NotebookClient(nb, timeout=900, kernel_name='python3').execute(); "
            "print(nb.cells[-1].outputs[0]['text'])")], input=nbformat.writes(demo), cwd=REPO, env=env,
            capture_output=True, text=True, timeout=1200, preexec_fn=join)
        assert run.returncode == 0, run.stderr[-3000:]
        samples, accuracy, seconds = run.stdout.split()
        peak = int((group / "memory.max_usage_in_bytes").read_text())
        with capsys.disabled():
            print(f"\nBinder check: {samples} samples trained in {seconds} s (held-out accuracy {accuracy}); "
                  f"peak memory of the server, gallery and teach kernels {peak / 2**20:.0f} MiB of 2048")
        assert int(samples) == 3000 and float(accuracy) > 0.9
        assert peak < BINDER_MEMORY and "oom_kill 0" in (group / "memory.oom_control").read_text()
    finally:
        _stop(server)
        subprocess.run(["pkill", "-KILL", "-f", f"--port={port}"], capture_output=True)
        for pid in (group / "cgroup.procs").read_text().split():
            subprocess.run(["kill", "-KILL", pid], capture_output=True)
        group.rmdir()

