"""The face finder (MediaPipe's BlazeFace, full range, in models/face/) on real photos: every face in the
mirror's photos of people and in scikit-image's astronaut, none in its photos of animals, plants and food;
the keypoints where a face has them; crops turned upright by the eyes."""
import hashlib
import json

import numpy as np
import pytest
from PIL import Image
from skimage import data

from mlexp.core.errors import ModelMissing
from mlexp.core.paths import SHIPPED_MODELS
from mlexp.perception.faces import KEYPOINTS, FaceFinder

from photo_files import NO_FACE, PEOPLE, photo


@pytest.fixture(scope="module")
def finder():
    return FaceFinder()


def looks_like_a_face(face):
    """Its keypoints inside its box, the person's right eye on the image's left, the mouth below the nose."""
    x1, y1, x2, y2 = face.box
    right_eye, left_eye, nose, mouth = face.keypoints[:4]
    inside = all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in face.keypoints[:4])
    return inside and right_eye[0] < left_eye[0] and max(right_eye[1], left_eye[1]) < nose[1] < mouth[1]


@pytest.mark.parametrize("name, count", PEOPLE.items())
def test_every_face_in_the_photos_of_people(finder, data_dir, name, count):
    faces = finder.find(photo(data_dir, name))
    assert len(faces) == count and all(looks_like_a_face(f) and f.score >= 0.6 for f in faces)
    assert [f.area for f in faces] == sorted((f.area for f in faces), reverse=True)  # largest first


def test_the_astronauts_face(finder):
    (face,) = finder.find(data.astronaut())
    assert looks_like_a_face(face) and face.score > 0.9
    assert 160 < face.box[0] < face.box[2] < 300 and 50 < face.box[1] < face.box[3] < 190  # around her face


@pytest.mark.parametrize("name", NO_FACE)
def test_no_face_in_photos_of_animals_plants_and_food(finder, data_dir, name):
    assert finder.find(photo(data_dir, name)) == []


@pytest.mark.parametrize("picture", ["chelsea", "coffee", "rocket"])
def test_no_face_in_scikit_images_cat_coffee_and_rocket(finder, picture):
    assert finder.find(getattr(data, picture)()) == []


def test_a_tilted_head_is_cropped_upright(finder):
    image = data.astronaut()
    (face,) = finder.find(image)
    tilted = np.asarray(Image.fromarray(image).rotate(25, resample=Image.BILINEAR))  # anticlockwise
    (turned,) = finder.find(tilted)
    assert np.degrees(face.roll - turned.roll) == pytest.approx(25, abs=6)
    upright, from_tilted = (f.aligned(img, 48).astype(float) for f, img in ((face, image), (turned, tilted)))
    x1, y1, x2, y2 = turned.box  # the same square of the tilted photo, not turned
    square = Image.fromarray(tilted).crop((x1, y1, x1 + max(x2 - x1, y2 - y1), y1 + max(x2 - x1, y2 - y1)))
    not_turned = np.asarray(square.resize((48, 48)).convert("L"), float)
    alike = lambda a, b: np.corrcoef(a.ravel(), b.ravel())[0, 1]  # noqa: E731
    assert upright.shape == (48, 48)
    assert alike(upright, from_tilted) > 0.65 and alike(upright, from_tilted) > alike(upright, not_turned) + 0.3
    assert face.aligned(image, 64, grey=False).shape == (64, 64, 3)


def test_the_shipped_file_is_mediapipes_as_its_card_says():
    card = json.loads((SHIPPED_MODELS / "face" / "card.json").read_text())
    file = SHIPPED_MODELS / "face" / FaceFinder.FILE
    assert hashlib.sha256(file.read_bytes()).hexdigest() == card["files"][FaceFinder.FILE]["sha256"]
    assert card["keypoints"] == list(KEYPOINTS) and "Apache-2.0" in card["license"]


def test_a_missing_model_file_names_where_it_comes_from(tmp_path):
    with pytest.raises(ModelMissing, match="ships with mlexp in models/face/"):
        FaceFinder(tmp_path)
