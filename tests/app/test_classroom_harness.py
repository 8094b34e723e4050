"""The classroom load harness (benchmarks/classroom.py) run as a teacher would: three simulated
students for a few seconds against a real server, its one JSON line checked. The harness starts
its own `mlexp class` server; where the command line has no `class` yet, the tests give it the
browser tests' Voila server instead (`--url`)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO

HARNESS = REPO / "benchmarks" / "classroom.py"


@pytest.fixture(scope="module")
def where(request) -> list[str]:
    """No arguments (the harness starts `mlexp class`), or --url of the browser tests' server."""
    has_class = subprocess.run([sys.executable, "-m", "mlexp", "class", "--help"], cwd=REPO,
                               capture_output=True, timeout=60).returncode == 0
    return [] if has_class else ["--url", request.getfixturevalue("server").url + "/"]


def classroom(*args: str, timeout: float = 240) -> dict:
    """Run the harness with --json; its one line, parsed."""
    done = subprocess.run([sys.executable, str(HARNESS), "--json", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def common_checks(result: dict, students: int, activity: str) -> None:
    for key in ("students", "activity", "latency_ms", "fps", "kernel_rss_mib", "server_rss_mib", "server_cpu",
                "browser_ms"):
        assert key in result, key
    assert result["students"] == students and result["activity"] == activity
    assert "errors" not in result, result["errors"]
    latency = result["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["max"] < 20_000
    assert all(n > 0 for n in result["answered"]), "every student got answers"
    assert result["kernel_rss_mib"] > 50 * students  # one kernel per student, each tens of MiB
    assert result["server_rss_mib"] > 20 and result["server_cpu"] > 0


@pytest.mark.slow
@pytest.mark.browser
def test_three_students_draw_and_one_browser(where, data_dir):
    result = classroom(*where, "--students", "3", "--activity", "draw", "--seconds", "6")
    common_checks(result, 3, "draw")
    assert result["pad"] in ("strokes", "ipycanvas")
    assert result["browser_ms"] is not None and result["browser_ms"]["p50"] > 0, result.get("browser_error")


@pytest.mark.slow
def test_three_students_camera(where, data_dir):
    result = classroom(*where, "--students", "3", "--activity", "camera", "--seconds", "5", "--no-browser")
    common_checks(result, 3, "camera")
    assert 0 < result["fps"]["min"] <= result["fps"]["median"] <= 30
    assert result["missing"] == 0
