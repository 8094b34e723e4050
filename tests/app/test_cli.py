"""The `mlexp` command line, run as a person runs it."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from PIL import Image

import mlexp as mlexp_package

from drawings import DIGITS, place, quickdraw_strokes, render, to_pad
from voila_server import free_port


def mlexp(*args, env=None, check=True):
    out = subprocess.run([sys.executable, "-m", "mlexp", *args], capture_output=True, text=True,
                         timeout=300, env={**os.environ, **(env or {})})
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_list_shows_every_experiment_and_its_model():
    lines = mlexp("list").stdout.splitlines()
    assert any(line.startswith("digits_mlp") and "model present" in line for line in lines)
    assert any(line.startswith("digits_cnn") and "model present" in line for line in lines)


@pytest.mark.slow
def test_predict_drawings_of_any_size(tmp_path):
    for name, (digit, left, top, size, width) in {
        "seven.png": ("7", 100, 20, 120, 8),       # small, off-centre
        "one.jpg": ("1", 30, 30, 220, 20),         # big and thick
        "four.png": ("4", 40, 40, 200, 4),         # thin
    }.items():
        render(place(DIGITS[digit], left, top, size), width=width).convert("RGB").save(tmp_path / name)
    lines = [json.loads(line) for line in mlexp("predict", "digits_cnn", str(tmp_path), "--json").stdout.splitlines()]
    got = {line["file"].rsplit("/", 1)[1]: line for line in lines}
    assert {k: v["label"] for k, v in got.items()} == {"four.png": "4", "one.jpg": "1", "seven.png": "7"}
    for line in lines:
        assert set(line["probabilities"]) == set("0123456789")
        assert abs(sum(line["probabilities"].values()) - 1) < 1e-4
    assert "7" in mlexp("predict", "digits_mlp", str(tmp_path / "seven.png")).stdout


def test_predict_bad_files_one_sentence_each_and_non_zero_exit(tmp_path):
    (tmp_path / "notes.txt.png").write_text("not a picture")
    good = tmp_path / "good.png"
    render(place(DIGITS["7"], 40, 40, 200)).save(good)
    (tmp_path / "truncated.png").write_bytes(good.read_bytes()[:300])
    Image.new("1", (20000, 20000), 1).save(tmp_path / "bomb.png")
    Image.new("L", (100, 100), 255).save(tmp_path / "blank.png")
    out = mlexp("predict", "digits_cnn", str(tmp_path), "--json", check=False)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    by_file = {json.loads(line)["file"].rsplit("/", 1)[1]: json.loads(line) for line in out.stdout.splitlines()}
    assert by_file["good.png"]["label"] == "7"  # the good file is still classified
    assert "not an image" in by_file["notes.txt.png"]["error"]
    assert "could not be read" in by_file["truncated.png"]["error"]
    assert "too large" in by_file["bomb.png"]["error"]
    assert "blank" in by_file["blank.png"]["error"]
    assert len(out.stderr.strip().splitlines()) == 4


@pytest.mark.slow
def test_unknown_names_missing_paths_and_models(tmp_path):
    out = mlexp("evaluate", "digits_rnn", check=False)
    assert out.returncode == 1 and "choose one of: digits_mlp, digits_cnn" in out.stderr
    out = mlexp("predict", "digits_cnn", str(tmp_path / "nothing.png"), check=False)
    assert out.returncode == 1 and "does not exist" in out.stderr
    out = mlexp("predict", "digits_cnn", str(tmp_path), env={"MLEXP_MODELS_DIR": str(tmp_path)}, check=False)
    assert out.returncode == 1 and "no image files" in out.stderr
    render(place(DIGITS["7"], 40, 40, 200)).save(tmp_path / "seven.png")
    out = mlexp("predict", "digits_cnn", str(tmp_path), env={"MLEXP_MODELS_DIR": str(tmp_path)}, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "missing: train it with `mlexp train digits_cnn`" in out.stderr


@pytest.fixture
def offline(tmp_path):
    """Environment of a machine with no data mirror, an empty cache and no network."""
    return {"MLEXP_DATA_DIR": str(tmp_path / "no-mirror"), "MLEXP_CACHE_DIR": str(tmp_path / "cache"),
            "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}


def test_evaluate_offline_without_data_says_what_to_do(offline):
    out = mlexp("evaluate", "digits_cnn", "--json", env=offline, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "Connect to the internet, or set MLEXP_DATA_DIR" in out.stderr


@pytest.mark.slow
def test_evaluate_json(data_dir):
    report = json.loads(mlexp("evaluate", "digits_mlp", "--json").stdout)
    assert report["name"] == "digits_mlp" and report["n"] == 10000 and 0 <= report["accuracy"] <= 1


@pytest.mark.slow
def test_demo_serves_the_gallery_at_the_root(tmp_path):
    """`mlexp demo` starts the server: `/` leads to the Voila gallery."""
    port = free_port()
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "mlexp", "demo", "--no-browser", f"--port={port}"],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/tree", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.5)

        class Keep(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args):
                return None

        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(Keep).open(f"http://127.0.0.1:{port}/", timeout=10)
        assert redirect.value.code in (301, 302)
        assert redirect.value.headers["Location"].split("?")[0].endswith("/voila/render/notebooks/index.ipynb")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


@pytest.mark.slow
def test_training_without_data_stops_with_the_loaders_sentence(offline):
    out = mlexp("train", "digits_mlp", "--quick", env=offline, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "train.ipynb stopped with DataUnavailable" in out.stderr
    assert "Connect to the internet, or set MLEXP_DATA_DIR" in out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sketch_mlp", "sketch_cnn"])
def test_predict_and_evaluate_sketches(name, data_dir, tmp_path):
    """Pictures of real people's sketches (one per class, drawn from their strokes) as files."""
    labels = mlexp_package.load(name).labels
    for label in labels:
        strokes = quickdraw_strokes(data_dir, label)[0]["strokes"]
        render(to_pad(strokes), width=6).save(tmp_path / f"{label}.png")
    lines = [json.loads(line) for line in mlexp("predict", name, str(tmp_path), "--json").stdout.splitlines()]
    right = [line["file"].endswith(f"/{line['label']}.png") for line in lines]
    assert len(lines) == len(labels) and sum(right) >= 0.8 * len(labels), lines
    assert all(set(line["probabilities"]) == set(labels) for line in lines)
    report = json.loads(mlexp("evaluate", name, "--json").stdout)
    assert report["dataset"] == "quickdraw" and sorted(report["per_class"]) == sorted(labels)


@pytest.mark.slow
def test_sums_are_answered_and_odd_input_gets_one_sentence():
    out = json.loads(mlexp("predict", "numbers_summation", "17+38", "--json").stdout)
    assert out["answer"] == "55" and len(out["digits"]) == 4
    assert all(abs(sum(p.values()) - 1) < 1e-4 for p in out["digits"])
    assert mlexp("predict", "numbers_summation", "512+709").stdout.strip() == "512+709 = 1221"
    for odd in ("abc", "1+", "12345+1", "17 + 38", " "):
        result = mlexp("predict", "numbers_summation", odd, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "like 17+38" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["text_shakespeare", "text_wikipedia"])
def test_text_is_continued_reproducibly_and_odd_characters_are_reported(name):
    args = ("predict", name, "ROMEO:", "--json", "--length", "120", "--seed", "3")
    one, two = (json.loads(mlexp(*args).stdout) for _ in range(2))
    assert one["text"] == two["text"] and len(one["text"]) == 120 and one["note"] == ""
    odd = json.loads(mlexp("predict", name, "“Romeo” 🙂", "--json", "--length", "10").stdout)
    assert "left out '🙂'" in odd["note"] and len(odd["text"]) == 10
    result = mlexp("predict", name, "🙂🙂", check=False)
    assert result.returncode == 1 and "Type a few characters" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_evaluate_sequence_models_json(data_dir):
    report = json.loads(mlexp("evaluate", "numbers_summation", "--json").stdout)
    assert report["n"] == 100_000 and 0 <= report["exact_match"] <= 1
    report = json.loads(mlexp("evaluate", "text_shakespeare", "--json").stdout)
    assert report["unit"] == "nats per character" and 0 < report["val_loss"] < 4.2
