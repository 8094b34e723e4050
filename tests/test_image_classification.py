"""The shipped photo classifier (ImageNet MobileNetV2, LiteRT): real photos, odd files, EXIF
rotation, the command line, and a missing model."""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import mlexp
from mlexp import notebooks
from mlexp.cli import QUICK  # the parameters of `mlexp train --quick`
from mlexp.imagenet import CROP, crop_box
from mlexp.litert import ModelMissing
from mlexp.photos import open_photo, read_photo

from photo_files import bad_files, real_photo

NAME = "image_classification"
CATS = {"tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "Egyptian cat"}
PARROTS = {"African grey, African gray, Psittacus erithacus", "macaw",
           "sulphur-crested cockatoo, Kakatoe galerita, Cacatua galerita", "lorikeet"}


@pytest.fixture(scope="module")
def model():
    experiment = mlexp.get(NAME)
    assert experiment.has_model(), f"models/{NAME}/model.tflite is not committed"
    return mlexp.load(NAME)


def a_photo(*names):
    found = real_photo(*names)
    if found is None:
        pytest.skip(f"none of {', '.join(names)} is here (set MLEXP_DATA_DIR or install scikit-image)")
    return found[1]


def cat_photo():
    return a_photo("images/cat_720p.jpg", "skimage/chelsea.png")


def labels_of(result) -> set:
    return {label for label, _ in result.top5}


def test_card_names_origin_licence_citation_and_input(model):
    card = model.card
    assert len(card["labels"]) == 1000 and card["labels"][0].startswith("tench")
    assert CATS | PARROTS <= set(card["labels"])
    assert card["input_size"] == 224 and card["crop"]["fraction"] == CROP
    assert "MobileNetV2" in card["weights"] and "Apache-2.0" in card["licence"] and "Sandler" in card["citation"]
    assert card["files"]["model.tflite"] == model.path.stat().st_size <= 15 * 2**20
    for group in card["agreement"].values():
        assert group["top1"] >= 0.95 and group["top5_overlap"] >= 0.9


def test_mirror_cat_and_parrot(model, data_dir):
    for name in ("cat.bmp", "cat_720p.jpg"):
        assert labels_of(model.classify(read_photo(data_dir / "images" / name))) & CATS, name
    parrot = model.classify(read_photo(data_dir / "images" / "parrot.jpg"))
    assert parrot.label in PARROTS and parrot.top5[0][1] > 0.5


def test_scikit_image_photos_without_the_mirror(model):
    chelsea, coffee = a_photo("skimage/chelsea.png"), a_photo("skimage/coffee.png")
    assert model.classify(read_photo(chelsea)).label in CATS
    assert labels_of(model.classify(read_photo(coffee))) & {"espresso", "cup", "coffee mug"}


def test_probabilities_are_exact_and_the_crop_is_the_centre(model):
    photo = read_photo(cat_photo())
    result = model.classify(photo)
    p = result.probabilities
    assert p.shape == (1000,) and abs(p.sum() - 1) < 1e-3
    assert [prob for _, prob in result.top5] == sorted(p, reverse=True)[:5]
    assert result.label == result.top5[0][0]
    shown = result.as_json()
    assert shown["label"] == result.label and len(shown["top5"]) == 5
    assert [q for _, q in shown["top5"]] == [round(prob, 4) for _, prob in result.top5]  # rounded, not floored
    w, h = photo.size
    side = min(w, h) * CROP
    assert result.box == pytest.approx(((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2))
    assert result.box == pytest.approx(crop_box(w, h))
    as_array = model.classify(np.asarray(photo))  # a camera frame
    assert as_array.label == result.label and np.abs(as_array.probabilities - p).max() < 1e-6
    with pytest.raises(ValueError, match="not a photo"):
        model.classify(np.zeros((10, 10)))


def test_a_big_jpeg_read_smaller_gives_the_crop_in_the_files_pixels(model, data_dir):
    path = data_dir / "images" / "cat_720p.jpg"
    full, small = read_photo(path), model.read(path)
    assert small.info["scale"] == 2 and small.size == (640, 360)  # the crop keeps 315 >= 224 pixels
    fast, slow = model.classify(small), model.classify(full)
    assert fast.label == slow.label and fast.label in CATS
    assert fast.as_json()["crop"] == pytest.approx(slow.as_json()["crop"])


def test_exif_rotated_photo_is_classified_upright(model, tmp_path):
    photo = read_photo(a_photo("images/parrot.jpg", "skimage/chelsea.png"))
    upright = model.classify(photo)
    exif = Image.Exif()
    exif[0x0112] = 8  # "rotate 90 degrees counter-clockwise to display", as a phone held sideways writes
    sideways = photo.transpose(Image.Transpose.ROTATE_270)
    sideways.save(tmp_path / "sideways.jpg", quality=95, exif=exif.tobytes())
    sideways.save(tmp_path / "sideways.png", exif=exif.tobytes())  # lossless: the very same pixels
    for name in ("sideways.jpg", "sideways.png"):
        stored = open_photo(tmp_path / name)
        assert stored.size == photo.size[::-1]
        rotated = model.classify(stored)
        assert rotated.label == upright.label, name
        assert rotated.box == pytest.approx(upright.box)  # in the upright photo's pixels
    assert np.abs(rotated.probabilities - upright.probabilities).max() < 1e-6


def test_odd_files_of_a_real_photo(model, tmp_path):
    photo = read_photo(cat_photo())
    photo.convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    grey16 = (np.asarray(photo.convert("L"), np.uint16) * 257)
    Image.fromarray(grey16).save(tmp_path / "deep.png")
    palette = photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
    a = np.asarray(palette).copy()
    a[:40], a[-40:] = 255, 255  # transparent bands top and bottom
    clear = Image.fromarray(a, "P")
    clear.putpalette(palette.getpalette())
    clear.save(tmp_path / "palette.png", transparency=255)
    photo.save(tmp_path / "anim.gif", save_all=True, append_images=[Image.new("RGB", photo.size, "blue")])
    for name in ("cmyk.jpg", "deep.png", "palette.png", "anim.gif"):
        assert labels_of(model.classify(open_photo(tmp_path / name))) & CATS, name


def mlexp_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "mlexp.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def test_command_line_json_and_refused_files(tmp_path):
    photo = read_photo(cat_photo())
    photo.save(tmp_path / "cat.jpg", quality=92)
    expected = bad_files(tmp_path, photo)
    out = mlexp_cli("predict", NAME, str(tmp_path), "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    lines = {json.loads(line)["file"].rsplit("/", 1)[1]: json.loads(line) for line in out.stdout.splitlines()}
    good = lines.pop("cat.jpg")
    assert good["label"] in CATS and len(good["top5"]) == 5
    assert all(isinstance(label, str) and 0 <= p <= 1 for label, p in good["top5"])
    assert set(lines) == set(expected)
    for name, phrase in expected.items():
        assert phrase in lines[name]["error"]
    assert len(out.stderr.strip().splitlines()) == len(expected)
    alone = mlexp_cli("predict", NAME, str(tmp_path / "empty.png"))
    assert alone.returncode == 1 and alone.stderr.strip().endswith("is empty (0 bytes): it holds no image.")
    words = mlexp_cli("predict", NAME, str(tmp_path / "cat.jpg"))
    assert words.returncode == 0 and good["label"] in words.stdout


def test_missing_model_says_how_to_make_it(tmp_path, monkeypatch):
    buffer = io.BytesIO()
    Image.new("RGB", (50, 40), "white").save(buffer, "PNG")
    (tmp_path / "white.png").write_bytes(buffer.getvalue())
    out = mlexp_cli("predict", NAME, str(tmp_path / "white.png"), env={"MLEXP_MODELS_DIR": str(tmp_path)})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().endswith(f"missing: train it with `mlexp train {NAME}`.")
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelMissing, match=f"mlexp train {NAME}"):
        mlexp.load(NAME)


def test_evaluate_reproduces_the_notebooks_agreement(model, data_dir):
    report = mlexp.evaluate(NAME)
    assert report["mirror"] == model.card["agreement"]["mirror"]
    assert report["mirror"]["n"] == 7 * 13 and report["mirror"]["top1"] >= 0.98
    assert "agreement with" in model.summary(report)


@pytest.mark.slow
def test_notebook_quick_mode_makes_a_faithful_model(data_dir, tmp_path, monkeypatch):
    nb = notebooks.run(f"notebooks/{NAME}/train.ipynb", {**QUICK, "MODEL_DIR": str(tmp_path)}, progress=lambda _: None)
    assert any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    card = json.loads((tmp_path / NAME / "card.json").read_text())
    assert set(card["candidates"]) == {"float32", "float16", "dynamic int8", "int8"}
    assert card["agreement"]["mirror"]["top1"] >= 0.98 and card["agreement"]["mirror"]["n"] == 91
    monkeypatch.setenv("MLEXP_MODELS_DIR", str(tmp_path))
    assert mlexp.load(NAME).classify(read_photo(data_dir / "images" / "parrot.jpg")).label in PARROTS
