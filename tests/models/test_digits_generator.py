"""The digit generator: its figures recomputed from the shipped files, seeded generation, every
label giving its digit (the recognizer agrees), new digits rather than copies, the latent pad and
the morph, handwriting kept (thick strokes in, thick strokes out), bad input in one sentence,
and the command line (`mlexp generate`, read back by `mlexp predict digits_cnn`)."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import mlexp
from mlexp.core.metrics import nearest_distances
from mlexp.data import load_mnist
from mlexp.inputs.drawings import BadDrawing
from mlexp.predictors.digit_writer import MAX_COUNT, BadRequest, DigitWriter, handwriting

from drawings import DIGITS, place, render

RECOGNIZED, FCD = 0.99, 20.0  # the goals for the shipped model


def cli(*args):
    return subprocess.run([sys.executable, "-m", "mlexp", *args], capture_output=True, text=True, timeout=600,
                          env=os.environ)


@pytest.fixture(scope="module")
def model() -> DigitWriter:
    return mlexp.load("digits_generator")


def ink(pictures) -> float:
    """Mean ink area (pixels at least half dark) of pictures (n, 28, 28)."""
    return float((np.asarray(pictures) >= 0.5).sum((1, 2)).mean())


def drawn(digit: str, pen: int, slant: float = 0.0) -> Image.Image:
    """A picture of `digit` as the pad draws it, with a `pen`-pixel pen, leaning `slant` (x per y up)."""
    strokes = [[(x + slant * (1 - y) * 0.5, y) for x, y in s] for s in DIGITS[digit]]
    return render(place(strokes, 60, 50, 160), width=pen)


def test_registered_with_its_card(model):
    e = mlexp.get("digits_generator")
    assert e.task == "digit-generation" and e.labels == tuple(str(d) for d in range(10))
    card = model.card
    assert len(card["compared"]) >= 2 and card["family"] in card["compared"]
    best = min(card["compared"].values(), key=lambda r: r["fcd"])
    assert card["compared"][card["family"]] == best  # the best family ships
    assert "MNIST" in card["licence"] and card["judge"].startswith("digits_cnn")
    assert card["fcd_train_vs_test"] < 5 and set(card["by_steps"]) >= {"1", "10"}
    assert card["nearest_training_digit"]["generated"] > 0.5 * card["nearest_training_digit"]["test"]
    assert card["recognized"] >= RECOGNIZED and card["fcd"] <= FCD
    assert model.describe().startswith(card["family"])


def test_figures_recomputed_from_the_shipped_files(model, data_dir):
    out = cli("evaluate", "digits_generator", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["n"] == 10_000
    assert report["recognized"] == pytest.approx(model.card["recognized"], abs=0.003)
    assert report["fcd"] == pytest.approx(model.card["fcd"], abs=0.5)
    assert report["recognized"] >= RECOGNIZED and report["fcd"] <= FCD
    assert min(report["per_digit"].values()) >= 0.95


def test_seeded_generation_is_repeatable(model):
    a, b, c = (model.write(3, 4, seed=s) for s in (5, 5, 6))
    assert all(np.array_equal(x.picture, y.picture) for x, y in zip(a, b))
    assert not np.allclose(a[0].picture, c[0].picture)
    assert not np.allclose(a[0].picture, a[1].picture)  # four different digits


def test_every_label_gives_its_digit(model):
    written = [x for label in range(10) for x in model.write(label, 20, seed=label)]
    assert sum(x.right for x in written) >= 196, [(x.asked, x.said) for x in written if not x.right]
    assert {x.asked for x in written if x.right} == set(range(10))


def test_the_steps_go_from_noise_to_the_digit(model):
    labels = np.full(6, 4)
    trail = model.trail(labels, seed=2)
    assert trail.shape == (model.steps + 1, 6, model.latent)
    assert np.allclose(trail[-1], model.styles(labels, seed=2))
    first, last = model.decode(trail[0], labels), model.decode(trail[-1], labels)
    assert np.abs(first - last).mean() > 0.02  # the row visibly changes while it is made
    assert all(x.right for x in model.written(last, labels))


def test_new_digits_are_not_copies_of_training_digits(model, data_dir):
    (x_train, _), (x_test, _) = load_mnist()
    train = x_train / 255.0
    labels = np.arange(200) % 10
    generated = model.decode(model.styles(labels, seed=9), labels)
    ours = np.median(nearest_distances(generated, train))
    theirs = np.median(nearest_distances(x_test[:200] / 255.0, train))
    assert ours > 0.6 * theirs and ours > 2.0  # a copy would be at ~0


def test_the_pad_moves_the_digit_and_keeps_it_a_digit(model):
    corners = [model.pad(5, x, y) for x, y in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))]
    assert all(np.abs(corners[0] - other).mean() > 0.02 for other in corners[1:])
    said = [x.said for x in model.written(np.stack(corners), [5] * 5)]
    assert said.count(5) >= 4
    assert np.array_equal(model.pad(5, 3, -7), model.pad(5, 1, -1))  # held to the edge


def test_a_morph_goes_from_one_digit_to_the_other(model):
    start, end = (3, model.styles([3], 1)[0]), (8, model.styles([8], 2)[0])
    frames = model.morph(start, end, frames=9)
    said = [x.said for x in model.written(frames, [3] * 9)]
    assert frames.shape == (9, 28, 28) and said[0] == 3 and said[-1] == 8


def test_thick_strokes_in_thick_strokes_out(model):
    thin, thick = (model.write_like(drawn("7", pen), 4, count=6) for pen in (8, 30))
    assert ink([x.picture for x in thick]) > 1.3 * ink([x.picture for x in thin])
    assert all(x.right for x in thin + thick)
    width = lambda written: np.mean([handwriting(x.picture)["stroke_width"] for x in written])  # noqa: E731
    assert width(thick) > width(thin)


def test_a_slant_is_kept(model):
    right, left = (model.write_like(drawn("1", 12, slant), 4, count=4) for slant in (0.6, -0.6))
    lean = lambda written: np.mean([handwriting(x.picture)["slant"] for x in written])  # noqa: E731
    assert lean(right) > lean(left)


def test_ten_digits_in_the_handwriting_of_one(model):
    seen, pictures = model.in_style(drawn("7", 20))
    assert seen.label == 7 and pictures.shape == (10, 28, 28)
    said = [x.said for x in model.written(pictures, range(10))]
    assert sum(s == d for d, s in enumerate(said)) >= 9, said


@pytest.mark.parametrize("label", ["x", "10", -1, "", "3.5", None])
def test_a_label_that_is_not_a_digit_is_one_sentence(model, label):
    with pytest.raises(BadRequest, match="one digit, 0 to 9"):
        model.write(label)


@pytest.mark.parametrize("count", [0, 100_000, -3, 2.5])
def test_a_count_out_of_range_says_the_limit(model, count):
    with pytest.raises(BadRequest, match=f"from 1 to {MAX_COUNT:,}"):
        model.write(4, count)


def test_an_empty_style_picture_is_refused(model):
    with pytest.raises(BadDrawing, match="blank"):
        model.in_style(Image.new("L", (200, 200), 255))


def test_a_missing_model_file_names_the_command_that_makes_it(model, tmp_path):
    copy = tmp_path / "digits_generator"
    shutil.copytree(model.path.parent, copy)
    (copy / "flow.tflite").unlink()
    with pytest.raises(mlexp.ModelMissing, match="mlexp train digits_generator"):
        DigitWriter(copy)


def test_generate_writes_pictures_the_recognizer_reads(tmp_path):
    out = cli("generate", "digits_generator", "--label", "7", "--count", "6", "--out", str(tmp_path / "g"),
              "--seed", "4")
    assert out.returncode == 0, out.stderr
    files = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert files == [f"7_{i}.png" for i in range(6)]
    with Image.open(tmp_path / "g" / "7_0.png") as picture:
        grey = np.asarray(picture.convert("L"))
    assert grey.shape == (28, 28) and np.median(grey) > 200 and grey.min() < 60  # dark ink on a light ground
    read = cli("predict", "digits_cnn", str(tmp_path / "g"), "--json")
    assert [json.loads(line)["label"] for line in read.stdout.splitlines()].count("7") >= 5
    again = cli("generate", "digits_generator", "--label", "7", "--count", "6", "--out", str(tmp_path / "h"),
                "--seed", "4")
    assert again.returncode == 0
    assert (tmp_path / "h" / "7_3.png").read_bytes() == (tmp_path / "g" / "7_3.png").read_bytes()


def test_generate_with_a_style_keeps_thick_strokes(tmp_path):
    areas = []
    for pen in (8, 30):
        drawn("7", pen).save(tmp_path / f"seven_{pen}.png")
        out = cli("generate", "digits_generator", "--label", "2", "--count", "4", "--out", str(tmp_path / str(pen)),
                  "--style", str(tmp_path / f"seven_{pen}.png"))
        assert out.returncode == 0, out.stderr
        pictures = [np.asarray(Image.open(p).convert("L")) for p in (tmp_path / str(pen)).iterdir()]
        areas.append(np.mean([(p < 128).sum() for p in pictures]))
    assert areas[1] > 1.3 * areas[0]


@pytest.mark.parametrize("args, said", [
    (["--label", "x"], "one digit, 0 to 9"),
    (["--label", "3", "--count", "0"], "from 1 to 1,000"),
    (["--label", "3", "--count", "100000"], "from 1 to 1,000"),
    (["--label", "3", "--style", "blank.png"], "blank"),
    (["--label", "3", "--style", "junk.png"], "not an image file"),
])
def test_generate_bad_input_is_one_sentence(tmp_path, args, said):
    Image.new("L", (60, 60), 255).save(tmp_path / "blank.png")
    (tmp_path / "junk.png").write_text("not a picture")
    args = [str(tmp_path / a) if a.endswith(".png") else a for a in args]
    out = cli("generate", "digits_generator", "--out", str(tmp_path / "out"), *args)
    assert out.returncode == 1 and said in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_generate_refuses_a_model_that_does_not_write(tmp_path):
    out = cli("generate", "digits_cnn", "--label", "3", "--out", str(tmp_path))
    assert out.returncode == 1 and "does not write pictures" in out.stderr
