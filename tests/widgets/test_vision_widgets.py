"""The photo classifier and detector views in the kernel, with the real shipped models, real
photos and a fake camera (the real camera's Python API)."""
import numpy as np
import pytest
from PIL import Image

import mlexp
from mlexp.inputs.photos import read_photo
from widgets import DetectionView, PhotoClassifierView

from helpers import FakeCamera, send_file


def upload(view, name, data):
    send_file(view.upload, data, name, piece=100_000)  # several pieces, as a large photo arrives


@pytest.fixture(scope="module")
def classifier():
    return mlexp.load("image_classification")


@pytest.fixture(scope="module")
def detector():
    return mlexp.load("object_detection")


def photo_view(model, camera=None):
    return PhotoClassifierView(model.read, lambda image: model.classify(image).for_widget(),
                               model.labels, camera=camera)


def detection_view(model, camera=None):
    return DetectionView(lambda image, threshold, classes: model.detect(image, threshold, classes).for_widget(),
                         read_photo, model.labels, camera=camera, threshold=model.threshold)


def test_an_uploaded_photo_is_named_and_shown_with_the_region_read(classifier, data_dir):
    view = photo_view(classifier)
    upload(view, "parrot.jpg", (data_dir / "images" / "parrot.jpg").read_bytes())
    assert "macaw" in view.answer.value
    assert view.bars.value.count("<tr") == 5 and view.status.value == ""
    assert view.photo.value[:2] == b"\xff\xd8" and view.photo.layout.display == ""
    view.minimum.value = 0.5  # only the classes at 50% or more stay
    assert view.bars.value.count("<tr") == 1


@pytest.mark.parametrize("data", [b"", b"not an image", b"\xff\xd8\xff\xe0" + b"\0" * 40])
def test_a_bad_upload_gets_one_sentence_and_keeps_the_last_photo(classifier, data_dir, data):
    view = photo_view(classifier)
    upload(view, "cat.bmp", (data_dir / "images" / "cat.bmp").read_bytes())
    shown, answer = view.photo.value, view.answer.value
    upload(view, "bad.jpg", data)
    assert view.status.value.startswith("<p>") and view.status.value.count(". ") == 0
    assert (view.photo.value, view.answer.value) == (shown, answer)


def test_snapshot_and_live_mode_read_camera_frames(classifier, data_dir):
    camera = FakeCamera()
    view = photo_view(classifier, camera)
    camera.running = False  # as the demo makes it: the browser asks for the camera at the first use
    view.snapshot.click()
    assert camera.running and "Starting the camera" in view.status.value
    frame = np.asarray(Image.open(data_dir / "images" / "parrot.jpg").convert("RGB"))
    camera.send(frame)  # the first frame is the snapshot
    assert "macaw" in view.answer.value and view.status.value == ""
    camera.send(np.asarray(Image.open(data_dir / "images" / "cat.bmp").convert("RGB")))
    assert "macaw" in view.answer.value  # not live: later frames change nothing
    view.live.value = True
    camera.send(np.asarray(Image.open(data_dir / "images" / "cat.bmp").convert("RGB")))
    assert "cat" in view.answer.value
    view.live.value = False
    assert camera.callbacks == []


def test_boxes_are_drawn_over_the_preview_filtered_and_counted(detector, data_dir):
    camera = FakeCamera()
    view = detection_view(detector, camera)
    frame = np.asarray(Image.open(data_dir / "images" / "pets.jpg").convert("RGB"))
    camera.send(frame)
    boxes = camera.overlay["boxes"]
    assert [b["label"] for b in boxes] == ["dog", "dog"] and "<b>2</b> dog" in view.counts.value
    assert all(0 <= v <= 1 for b in boxes for v in b["box"])
    view.classes.value = ["cat"]
    camera.send(frame)
    assert camera.overlay["boxes"] == [] and "Nothing above" in view.counts.value
    view.close()
    assert camera.callbacks == []


def test_an_uploaded_photo_is_boxed_and_the_threshold_applies(detector, data_dir):
    view = detection_view(detector)
    data = (data_dir / "images" / "kite_and_cold.jpg").read_bytes()
    upload(view, "kite.jpg", data)
    low = view.counts.value
    assert "kite" in low and "person" in low and view.photo.layout.display == ""
    assert low.count('class="swatch"') == 2  # one colour per class, as on the photo
    view.threshold.value = 0.95
    upload(view, "kite.jpg", data)
    assert "Nothing above" in view.counts.value
