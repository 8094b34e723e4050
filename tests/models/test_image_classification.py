"""The shipped photo classifier (ImageNet MobileNetV2, LiteRT): real photos, odd files, EXIF
rotation, the embedding, the command line, and a missing model."""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import mlexp
from mlexp.app import notebooks
from mlexp.app.cli import QUICK  # the parameters of `mlexp train --quick`
from mlexp.core.litert import ModelMissing
from mlexp.inputs.photos import open_photo, read_photo
from mlexp.inputs.pictures import CROP, crop_box
from mlexp.perception.imagenet import EMBEDDING_SIZE
from mlexp.predictors.photo_classifier import PhotoClassifier, real_photos

from photo_files import bad_files, real_photo

NAME = "image_classification"
CATS = {"tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "Egyptian cat"}
PARROTS = {"African grey, African gray, Psittacus erithacus", "macaw",
           "sulphur-crested cockatoo, Kakatoe galerita, Cacatua galerita", "lorikeet"}
# What the single-output file shipped before the embedding was added said of each real photo's
# centre crop (best class, its probability): adding the second output must not change it.
BEFORE = {
    "images/bird.bmp": ("chickadee", 0.922), "images/cat.bmp": ("Egyptian cat", 0.847),
    "images/cat_720p.jpg": ("Egyptian cat", 0.892), "images/dog_segmentation.bmp": ("Samoyed, Samoyede", 0.84),
    "images/hot_dog.jpg": ("hotdog, hot dog, red hot", 0.697), "images/parrot.jpg": ("macaw", 0.972),
    "images/pets.jpg": ("Italian greyhound", 0.726), "images/sunflower.bmp": ("daisy", 0.962),
    "skimage/chelsea.png": ("Egyptian cat", 0.513), "skimage/coffee.png": ("espresso", 0.746),
    "skimage/rocket.jpg": ("missile", 0.51), "skimage/motorcycle_left.png": ("moped", 0.418),
}


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


def test_classes_unchanged_by_the_embedding_output(model):
    photos = {name: path for name, path in real_photos().items() if name in BEFORE}
    if not photos:
        pytest.skip("no real photo here (set MLEXP_DATA_DIR or install scikit-image)")
    for name, path in photos.items():
        result = model.classify(read_photo(path))
        label, p = BEFORE[name]
        assert result.label == label, name
        assert result.top5[0][1] == pytest.approx(p, abs=0.01), name


def test_the_file_gives_a_1280_number_embedding_for_a_batch(model):
    card = model.card["embedding"]
    assert card["size"] == EMBEDDING_SIZE == 1280 and "average pooling" in card["layer"]
    assert card["cosine_to_reference"]["mean"] >= 0.99
    assert len(model.outputs) == 2
    assert {"embedding", model.card["output"]} == set(model._interpreter.get_signature_list()["serving_default"]
                                                       ["outputs"])
    photo = read_photo(cat_photo())
    w, h = photo.size
    views = [crop_box(w, h), crop_box(w, h, 1.0), crop_box(w, h, 0.6, -1, -1)]
    pixels = np.stack([model.prepare(photo, box)[0] for box in views])
    e = model.embedding(pixels)
    assert e.shape == (3, 1280) and e.dtype == np.float32 and np.isfinite(e).all()
    assert e.min() >= 0 and e.max() <= 6.01  # averages of ReLU6 features
    assert model.embedding(pixels[:1]).shape == (1, 1280)
    one = model.embed(photo)
    assert one.shape == (1280,) and one.dtype == np.float32
    assert np.abs(one - e[0]).max() < 1e-4  # embed reads the photo as classify does: the centre crop
    assert np.abs(model.embed(np.asarray(photo), box=views[1]) - e[1]).max() < 1e-4  # a camera frame, a box
    assert np.abs(model.probabilities(pixels[:1])[0] - model.classify(photo).probabilities).max() < 1e-6


def cosine(a, b) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_two_views_of_a_photo_lie_closer_than_two_photos(model):
    cat, coffee = read_photo(a_photo("skimage/chelsea.png")), read_photo(a_photo("skimage/coffee.png"))
    embeddings = {}  # the centre crop, then the whole shorter side, the crop against the top-left, mirrored
    for name, photo in {"cat": cat, "coffee": coffee}.items():
        w, h = photo.size
        embeddings[name] = [model.embed(photo), model.embed(photo, box=crop_box(w, h, 1.0)),
                            model.embed(photo, box=crop_box(w, h, CROP, -1, -1)),
                            model.embed(photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT))]
    between = max(cosine(a, b) for a in embeddings["cat"] for b in embeddings["coffee"])  # 0.40 when written
    for name, (centre, *views) in embeddings.items():
        assert min(cosine(centre, view) for view in views) > between + 0.2, name  # 0.85 and 0.88


def toy_files(folder) -> dict[str, object]:
    """Tiny LiteRT files shaped like the shipped one (224 px in, 1000 classes, a 1280-number
    embedding), sharing their weights: one made before the embedding (one output) and two with
    both outputs, listed in either order."""
    tf = pytest.importorskip("tensorflow")
    from mlexp.training.tf import keras

    keras.utils.set_random_seed(0)
    pixels = keras.Input((224, 224, 3))
    embedding = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(1280, 16, strides=16, activation="relu")(
        keras.layers.Rescaling(1 / 127.5, offset=-1)(pixels)))
    probabilities = keras.layers.Dense(1000, activation="softmax")(embedding)
    card = {"labels": [f"class {i}" for i in range(1000)], "input_size": 224, "crop": {"fraction": CROP},
            "output": "probabilities", "embedding": {"size": 1280}}
    found = {}
    for name, outputs in {"old": probabilities, "classes first": [probabilities, embedding],
                          "embedding first": [embedding, probabilities]}.items():
        (folder / name).mkdir()
        (folder / name / "model.tflite").write_bytes(
            tf.lite.TFLiteConverter.from_keras_model(keras.Model(pixels, outputs)).convert())
        (folder / name / "card.json").write_text(json.dumps(card))
        found[name] = PhotoClassifier(folder / name)
    return found


def test_outputs_found_by_size_and_an_old_file_still_classifies(tmp_path):
    files = toy_files(tmp_path)
    photo = read_photo(cat_photo())
    old = files.pop("old")
    assert len(old.outputs) == 1
    expected = old.classify(photo)
    with pytest.raises(ModelMissing, match="gives no embedding.*`mlexp train old`"):
        old.embed(photo)
    embeddings = []
    for name, model in files.items():
        assert len(model.outputs) == 2
        result = model.classify(photo)
        assert result.label == expected.label and np.abs(result.probabilities - expected.probabilities).max() < 1e-6
        embeddings.append(model.embed(photo))
        assert embeddings[-1].shape == (1280,), name
    assert np.abs(embeddings[0] - embeddings[1]).max() < 1e-5


def mlexp_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "mlexp", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


@pytest.mark.slow
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
