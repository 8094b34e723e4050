"""The emotions experiment: the shipped network's figure recomputed from its file, faces found and
read in real photos (none in photos without faces), tight face crops read whole, faces followed
from frame to frame, the heat map, and the command line."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage import data

import mlexp
from mlexp.data.fer import EMOTIONS, load_fer
from mlexp.perception.faces import Face, FaceTracker
from mlexp.predictors.emotions import EmotionClassifier

from photo_files import NO_FACE, PEOPLE, photo

GOAL = 0.70  # the goal on publictest; the shipped network's figure is below it (see its card)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "mlexp", *args], capture_output=True, text=True, timeout=600,
                          env=os.environ)


@pytest.fixture(scope="module")
def model():
    return mlexp.load("emotions")


def test_registered_with_fer2013s_seven_expressions(model):
    assert mlexp.get("emotions").labels == EMOTIONS == tuple(model.labels)
    assert model.card["labels"] == list(EMOTIONS)


def test_the_card_names_the_data_and_its_caveat(model):
    card = model.card
    assert card["dataset"] == "fer2013" and "no licence" in card["data_licence"]
    assert card["split"] == {"train": 28709, "test": 3589}
    matrix = np.array(card["confusion_matrix"])
    assert matrix.shape == (7, 7) and matrix.sum() == 3589
    per_class = np.diag(matrix) / matrix.sum(1)
    assert per_class == pytest.approx([card["per_class_accuracy"][label] for label in EMOTIONS])


@pytest.mark.slow
def test_the_figure_is_recomputed_from_the_shipped_file(model, data_dir):
    report = model.evaluate()
    print(f"emotions: {report['accuracy']:.2%} on publictest; goal {GOAL:.0%}", report["per_class"])
    assert report["n"] == 3589
    assert abs(report["accuracy"] - model.card["test_accuracy"]) < 1e-9
    assert report["per_class"] == pytest.approx(model.card["per_class_accuracy"], abs=1e-9)
    assert report["accuracy"] > 0.6  # chance (always "happy") is 25%


def test_the_shipped_file_reads_a_face_and_its_mirror_image_alike(model, data_dir):
    faces, _ = load_fer("publictest")
    faces = faces[:64]
    probabilities, embeddings = model.read(faces)
    mirrored, mirrored_embeddings = model.read(faces[:, :, ::-1])
    assert "mirror image" in model.card["reads"]
    assert np.abs(probabilities - mirrored).max() < 1e-5  # the file averages both views of every face
    assert np.abs(embeddings - mirrored_embeddings).max() < 1e-4 * np.abs(embeddings).max()
    assert np.allclose(probabilities.sum(1), 1, atol=1e-5)


@pytest.mark.parametrize("name, count", PEOPLE.items())
def test_every_face_in_a_photo_gets_an_expression(model, data_dir, name, count):
    result = model.predict(photo(data_dir, name))
    assert len(result.faces) == count and result.found_by == "finder"
    for face in result.faces:
        assert face.label in EMOTIONS and sum(face.probabilities.values()) == pytest.approx(1, abs=1e-5)
        assert face.label == max(face.probabilities, key=face.probabilities.get)
    assert result.label == result.faces[0].label  # the largest face's
    line = result.as_json()
    assert line["label"] == result.label and len(line["faces"]) == count
    assert all(len(face["box"]) == 4 for face in line["faces"])


def test_the_astronaut_is_read_on_her_face(model):
    result = model.predict(data.astronaut())
    (face,) = result.faces
    assert 160 < face.box[0] < face.box[2] < 300 and 50 < face.box[1] < face.box[3] < 190


@pytest.mark.parametrize("name", NO_FACE[:6])
def test_no_face_no_guess(model, data_dir, name):
    result = model.predict(photo(data_dir, name))
    assert result.faces == [] and result.label == "none" and result.found_by is None
    assert result.as_json() == {"faces": [], "label": "none", "found_by": None}


def test_tight_face_crops_are_read_whole_as_the_dataset_reads_them(model, data_dir):
    x, _ = load_fer("publictest")
    faces = x[:100]
    results = [model.predict(np.repeat(face[..., None], 3, 2)) for face in faces]
    whole = [r for r in results if r.found_by == "tight crop"]
    assert len(whole) >= 60 and sum(r.found_by is not None for r in results) >= 80  # some found as they are
    assert all(r.faces[0].box == (0.0, 0.0, 48.0, 48.0) for r in whole)
    direct = model.read(faces)[0].argmax(1)  # as `evaluate` reads the dataset
    assert all(r.label == EMOTIONS[d] for r, d in zip(results, direct) if r.found_by == "tight crop")
    assert all(r.label == "none" for r in results if r.found_by is None)


@pytest.mark.parametrize("name", NO_FACE)
def test_a_photo_without_a_face_is_not_taken_for_a_tight_crop_at_any_size(model, data_dir, name):
    for size in (48, 96, 200):
        small = np.asarray(Image.fromarray(photo(data_dir, name)).resize((size, size)))
        assert model.predict(small).label == "none", size


def test_faces_keep_their_number_from_frame_to_frame(model):
    image = data.astronaut()
    first = model.classify_frame(image)
    moved = model.classify_frame(np.roll(image, 12, axis=1))  # she moved 12 px to the right
    assert first.faces[0].number == moved.faces[0].number >= 1
    model.classify_frame(data.chelsea())  # nobody for a frame: forgotten
    assert model.classify_frame(image).faces[0].number > first.faces[0].number


def test_the_tracker_numbers_new_faces_and_follows_overlapping_ones():
    def face(x):
        return Face((x, 0.0, x + 10.0, 10.0), np.zeros((6, 2)), 0.9)

    tracker = FaceTracker()
    assert tracker.follow([face(0), face(50)]) == [1, 2]
    assert tracker.follow([face(52), face(1)]) == [2, 1]  # each followed, whatever the order
    assert tracker.follow([face(52), face(100)]) == [2, 3]
    assert tracker.follow([]) == [] and tracker.follow([face(52)]) == [4]


def test_the_heat_map_says_which_parts_change_the_answer(model):
    (face,) = model.predict(data.astronaut()).faces
    heat = model.heat_map(face.crop)
    assert heat.shape == (5, 5) and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    hottest = np.unravel_index(heat.argmax(), heat.shape)
    covered = face.crop.astype(np.float32).copy()
    y, x = 4 + 8 * hottest[0], 4 + 8 * hottest[1]
    covered[y:y + 8, x:x + 8] = face.crop.mean()
    before, after = model.read(np.stack([face.crop, covered]))[0][:, EMOTIONS.index(face.label)]
    assert after < before  # covering the hottest part lowers the answer's probability
    assert np.array_equal(model.heat_map(face.crop), heat)  # the same face, the same map


def test_the_heat_maps_squares_must_divide_the_face(model):
    with pytest.raises(ValueError, match="must divide the 40 pixels"):
        model.heat_map(np.zeros((48, 48), np.uint8), patch=7)


def test_the_game_asks_only_for_expressions_the_network_reads(model, monkeypatch):
    per_class = model.card["per_class_accuracy"]
    assert model.expressions_to_ask() == [label for label in EMOTIONS if per_class[label] >= 0.4]
    assert "happy" in model.expressions_to_ask()
    monkeypatch.setitem(model.card, "per_class_accuracy", {**per_class, "fear": 0.06, "happy": 0.9})
    assert "fear" not in model.expressions_to_ask() and "happy" in model.expressions_to_ask()


def test_a_missing_model_says_how_to_get_it(tmp_path):
    with pytest.raises(mlexp.ModelMissing, match="mlexp train"):
        EmotionClassifier(tmp_path / "emotions")


def test_predict_json_one_line_per_photo(data_dir, tmp_path):
    for name in ("face.jpg", "cat.bmp"):
        Image.open(data_dir / "images" / name).convert("RGB").save(tmp_path / name.replace(".bmp", ".png"))
    out = cli("predict", "emotions", str(tmp_path), "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [len(line["faces"]) for line in lines] == [0, 4]  # cat.png, face.jpg (sorted)
    assert lines[0]["label"] == "none" and lines[1]["label"] in EMOTIONS and lines[1]["found_by"] == "finder"


@pytest.mark.slow
def test_evaluate_json(data_dir, model):
    out = cli("evaluate", "emotions", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["accuracy"] == pytest.approx(model.card["test_accuracy"], abs=1e-9)
    assert set(report["per_class"]) == set(EMOTIONS)
