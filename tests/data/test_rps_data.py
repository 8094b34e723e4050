"""Rock-paper-scissors photos: the loader on the data mirror, frame-aware validation splits,
square_image, and TFDS' computer-generated set (extraction; offline: one sentence)."""
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mlexp.data import RPS_LABELS, DataUnavailable, group_split, load_rps, rps_files
from mlexp.data.rps import photo_group
from mlexp.inputs.photos import PhotoError
from mlexp.inputs.pictures import square_image

COUNTS = {"training": [740, 553, 584], "testing": [181, 162, 127]}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("split", ["training", "testing"])
def test_files_of_each_class(data_dir, split):
    files = rps_files(split)
    assert RPS_LABELS == ("rock", "paper", "scissors")
    assert np.bincount([label for _, label in files]).tolist() == COUNTS[split]
    for path, label in files:
        assert path.parent.name == RPS_LABELS[label] and path.suffix == ".jpg"


def test_load_rps_gives_square_rgb_photos_and_caches_them(data_dir, cache):
    x, y, groups = load_rps("testing", 32)
    assert x.shape == (470, 32, 32, 3) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == COUNTS["testing"] and len(groups) == 470
    assert 0 < x.mean() < 255 and x.std() > 10  # real photos, not blank
    assert len(list(cache.rglob("*.npz"))) == 1
    again = load_rps("testing", 32)
    assert all(np.array_equal(a, b) for a, b in zip((x, y, groups), again))


def test_frames_are_named_across_classes_and_exports():
    assert photo_group("paper.0095_png.rf.f73776d68bedc379161f7b5c611c31d5_00578.jpg") == "0095"
    assert photo_group("rock.0095_png.rf.0a7e6c0b9b06d62f07d615cd345ae41f_00470.jpg") == "0095"
    assert photo_group("scissors.egohands-public-1626355938936_png.rf.ab_00001.jpg") == "egohands-public-1626355938936"
    assert photo_group("paper.20220216_222108_jpg.rf.431f3ae6_01197.jpg") == "20220216_222108"
    assert photo_group("rock01-000.png") == "rock01"


def test_validation_takes_whole_frames(data_dir, cache):
    files = rps_files("training")
    y = np.array([label for _, label in files])
    groups = np.array([photo_group(path) for path, _ in files])
    train, validation = group_split(y, groups, validation=0.15, seed=0)
    assert len(train) + len(validation) == len(y) and not set(train) & set(validation)
    assert not set(groups[train]) & set(groups[validation])
    for label in range(3):
        share = (y[validation] == label).sum() / (y == label).sum()
        assert 0.13 <= share <= 0.25
    assert np.array_equal(group_split(y, groups, 0.15, seed=0)[1], validation)  # seeded
    assert not np.array_equal(group_split(y, groups, 0.15, seed=1)[1], validation)


def test_square_image_pads_instead_of_squashing():
    wide = Image.new("RGB", (300, 100), (0, 0, 0))
    ImageDraw.Draw(wide).ellipse((110, 10, 190, 90), fill=(255, 255, 255))  # a circle, 80 px across
    out = square_image(wide, 60)
    assert out.shape == (60, 60, 3) and out.dtype == np.uint8
    rows, cols = np.nonzero(out[..., 0] > 127)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert abs(height - width) <= 1 and abs(width - 16) <= 2  # still a circle, 80 / 300 of the side
    assert abs((rows.min() + rows.max()) / 2 - 29.5) <= 1  # centred
    tall = np.zeros((90, 30, 3), np.uint8)
    tall[:, :, 1] = 200  # green edges are repeated into the padding, no black bars
    assert (square_image(tall, 45)[..., 1] > 190).all()


def test_square_image_takes_any_photo_and_refuses_non_photos():
    grey = np.full((40, 50), 77, np.uint8)
    assert (square_image(grey, 20) == 77).all()
    rgba = Image.new("RGBA", (30, 20), (10, 20, 30, 255))  # transparent parts: white (tests/inputs/test_pictures.py)
    assert square_image(rgba, 16)[0, 0].tolist() == [10, 20, 30]
    assert square_image(np.zeros((8, 8, 3), np.uint8), 8).shape == (8, 8, 3)
    with pytest.raises(PhotoError):
        square_image(np.zeros((4, 4, 2), np.uint8), 8)


def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("MLEXP_DATA_DIR", str(tmp_path / "empty_mirror"))
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))

    def refuse(url, *args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_tfds_set_offline_says_so_in_one_sentence(monkeypatch, tmp_path):
    _offline(monkeypatch, tmp_path)
    with pytest.raises(DataUnavailable) as error:
        rps_files("testing", source="tfds")
    message = str(error.value)
    assert "rps-test-set.zip" in message and "MLEXP_DATA_DIR" in message
    assert "\n" not in message and message.endswith(".")
    assert not list((tmp_path / "cache").rglob("*.zip*"))  # nothing half-downloaded left


def test_real_photos_without_the_mirror_name_their_source(monkeypatch, tmp_path):
    _offline(monkeypatch, tmp_path)
    with pytest.raises(DataUnavailable, match="Roboflow.*no public download") as error:
        load_rps("training", 32)
    assert "\n" not in str(error.value)


def test_tfds_archive_is_extracted_into_the_cache(monkeypatch, tmp_path):
    """The same archive layout as Google's rps.zip (rps/<class>/<hand>-<n>.png), from a mirror."""
    _offline(monkeypatch, tmp_path)
    archive = tmp_path / "empty_mirror" / "rps_tfds" / "rps.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as z:
        for label, colour in zip(RPS_LABELS, ("red", "green", "blue")):
            for i in range(2):
                image = Image.new("RGBA", (300, 300), colour)
                path = tmp_path / f"{label}0{i}-000.png"
                image.save(path)
                z.write(path, f"rps/{label}/{label}0{i}-000.png")
    files = rps_files("training", source="tfds")
    assert [label for _, label in files] == [0, 0, 1, 1, 2, 2]
    assert (tmp_path / "cache") in files[0][0].parents
    x, y, groups = load_rps("training", 24, source="tfds")
    assert x.shape == (6, 24, 24, 3) and x[2, 0, 0].tolist() == [0, 128, 0]
    assert groups.tolist() == ["rock00", "rock01", "paper00", "paper01", "scissors00", "scissors01"]
    with pytest.raises(ValueError, match="no split"):
        rps_files("validation")
