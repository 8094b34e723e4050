"""The hand finder on real photos: hands found in the rock-paper-scissors photos, none in the
mirror's photos without hands, a hand pasted onto a real background found where it was put,
tracking, and gesture features that do not depend on the hand's side, size or turn."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from mlexp.core.litert import ModelMissing
from mlexp.perception.hands import FEATURE_NAMES, HAND_CONNECTIONS, Hand, HandFinder, hand_features


@pytest.fixture(scope="module")
def finder() -> HandFinder:
    return HandFinder()


def rgb(path, size=None) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    return np.asarray(image if size is None else image.resize(size, Image.BILINEAR))


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def photos(data_dir, split="testing", step=1):
    return sorted((data_dir / "rps" / split).glob("*/*.jpg"))[::step]


def test_skeleton_joins_all_21_landmarks():
    assert len(HAND_CONNECTIONS) == 21 and {i for line in HAND_CONNECTIONS for i in line} == set(range(21))


@pytest.mark.slow
def test_hands_found_on_most_rock_paper_scissors_photos(finder, data_dir):
    paths = photos(data_dir)
    palm = [finder.find(rgb(path)) for path in paths]
    whole = [hand or finder.find(rgb(path), whole_image=True) for hand, path in zip(palm, paths)]
    # Measured: 288 / 470 (61%) by the palm detector, 445 / 470 (95%) with the whole photo read as a
    # hand crop too (392 with it upright only).
    assert sum(h is not None for h in palm) >= 0.55 * len(paths)
    assert sum(h is not None for h in whole) >= 0.9 * len(paths)
    assert {h.found_by for h in whole if h} == {"palm", "whole image"}
    covered = []
    for hand, path in zip(whole, paths):
        if hand is None:
            continue
        h, w = rgb(path).shape[:2]
        x1, y1, x2, y2 = hand.box
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h, hand.box
        assert hand.presence >= 0.5 and hand.handedness in ("left", "right")
        assert hand.landmarks.shape == hand.world.shape == (21, 3)
        inside = ((hand.landmarks[:, 0] >= x1 - 1) & (hand.landmarks[:, 0] <= x2 + 1)
                  & (hand.landmarks[:, 1] >= y1 - 1) & (hand.landmarks[:, 1] <= y2 + 1))
        covered.append(inside.mean())
    # Cut-off hands have landmarks beyond the photo's edge; the box is clipped to the photo.
    assert np.mean(np.array(covered) >= 0.75) >= 0.9


def test_no_hand_in_photos_without_hands(finder, data_dir):
    paths = sorted(p for p in (data_dir / "images").iterdir() if p.name != "COPYRIGHT")
    assert len(paths) == 13
    images = [rgb(path) for path in paths]
    # The lite palm detector alone fires on 2 of them; the landmark model's presence rejects both.
    assert sum(len(finder.palms(image)) > 0 for image in images) <= 2
    assert [path.name for path, image in zip(paths, images) if finder.find(image) is not None] == []
    assert [path.name for path, image in zip(paths, images) if finder.find(image, whole_image=True)] == []


@pytest.mark.parametrize("background", ["kite_and_cold.jpg", "grace_hopper.bmp"])
def test_hand_pasted_on_a_real_photo_is_found_where_it_was_put(finder, data_dir, background):
    scene = rgb(data_dir / "images" / background, (640, 480))
    size = 280
    tried, found, near = 0, 0, 0
    for path in photos(data_dir, step=23):
        hand_photo = rgb(path, (size, size))
        alone = finder.find(hand_photo)
        if alone is None:
            continue
        for x, y in [(20, 20), (640 - size - 20, 480 - size - 20), (320 - size // 2, 240 - size // 2)]:
            frame = scene.copy()
            frame[y:y + size, x:x + size] = hand_photo
            hand = finder.find(frame)
            tried += 1
            if hand is None:
                continue
            found += 1
            centre = (hand.box[0] + hand.box[2]) / 2, (hand.box[1] + hand.box[3]) / 2
            assert x <= centre[0] <= x + size and y <= centre[1] <= y + size, (path.name, hand.box, x, y)
            near += iou(hand.box, np.add(alone.box, (x, y, x, y))) > 0.6
    # Measured: found in 30 / 36 (kite) and 21 / 36 (Grace Hopper) frames, 26 and 20 of them with
    # IoU > 0.6 to the box found in the photo alone: these photos are blurred, tight crops, and a
    # hand a third of the frame wide is smaller in the detector's 192 x 192 input.
    assert tried >= 24 and found >= 0.5 * tried and near >= 0.8 * found


def test_tracking_reuses_the_last_hand(finder, data_dir):
    image = next(rgb(p) for p in photos(data_dir, step=5) if finder.find(rgb(p)) is not None)
    finder.reset()
    first = finder.find(image, track=True)
    second = finder.find(image, track=True)
    assert (first.found_by, second.found_by) == ("palm", "tracking")
    size = max(first.box[2] - first.box[0], first.box[3] - first.box[1])
    assert np.abs(second.landmarks[:, :2] - first.landmarks[:, :2]).mean() < 0.05 * size
    finder.reset()
    assert finder.find(image, track=True).found_by == "palm"
    assert finder.find(np.zeros((240, 320, 3), np.uint8), track=True) is None  # and forgets the hand
    assert finder.find(image, track=True).found_by == "palm"


def test_crop_is_a_square_around_the_hand(finder, data_dir):
    image = next(rgb(p) for p in photos(data_dir, step=5) if finder.find(rgb(p)) is not None)
    hand = finder.find(image)
    crop = hand.crop(image, 96)
    assert crop.shape == (96, 96, 3) and crop.dtype == np.uint8
    box = (-60.0, -60.0, -10.0, -10.0)  # outside the image: its corner pixel repeated, no black
    edge = dataclasses.replace(hand, box=box).crop(image, 32, margin=0)
    assert (edge == image[0, 0]).all()


def test_not_an_rgb_image_is_one_sentence(finder):
    for bad in (np.zeros((10, 10), np.uint8), np.zeros((10, 10, 1), np.uint8), np.zeros((1, 10, 3), np.uint8)):
        with pytest.raises(ValueError, match="RGB image"):
            finder.find(bad)


def test_missing_model_folder_says_so(tmp_path):
    with pytest.raises(ModelMissing, match="missing"):
        HandFinder(tmp_path)


def test_features_ignore_side_size_and_turn(finder, data_dir):
    flips, wrong_side, resized, turned, found = [], [], [], [], 0
    for path in photos(data_dir, step=20):
        image = rgb(path)
        hand = finder.find(image)
        if hand is None:
            continue
        found += 1
        features = hand_features(hand)
        assert features.shape == (len(FEATURE_NAMES),) and features.dtype == np.float32
        assert np.array_equal(features, hand_features(hand))  # deterministic
        flipped = finder.find(image[:, ::-1])
        if flipped is not None:
            assert flipped.handedness != hand.handedness
            flips.append(np.abs(hand_features(flipped) - features).mean())
            same_side = dataclasses.replace(flipped, handedness=hand.handedness)
            wrong_side.append(np.abs(hand_features(same_side) - features).mean())
        h, w = image.shape[:2]
        bigger = finder.find(np.asarray(Image.fromarray(image).resize((w * 2, h * 2), Image.BILINEAR)))
        if bigger is not None:
            resized.append(np.abs(hand_features(bigger) - features).mean())
        rotated = finder.find(np.rot90(image).copy())
        if rotated is not None:
            turned.append(np.abs(hand_features(rotated) - features).mean())
    assert found >= 10 and min(len(flips), len(resized), len(turned)) >= 0.7 * found
    spread = np.mean(np.abs(features))  # the size of the features themselves (~0.5)
    # Measured: ~0.07 after a flip (the model's own difference), ~0.2 when the mirroring is skipped.
    assert np.mean(flips) < 0.15 and np.mean(flips) < 0.5 * np.mean(wrong_side)
    assert np.median(resized) < 0.1 * spread and np.median(turned) < 0.15 * spread


def test_hand_features_of_a_mirrored_hand():
    rng = np.random.default_rng(0)
    world = rng.normal(size=(21, 3)).astype(np.float32)
    hand = Hand((0, 0, 1, 1), world, world, "right", 1.0, "palm")
    turn = np.array([[0.6, -0.8, 0], [0.8, 0.6, 0], [0, 0, 1]], np.float32)  # a rotation
    mirrored = dataclasses.replace(hand, world=world * (-1, 1, 1) @ turn.T * 3, handedness="left")
    np.testing.assert_allclose(hand_features(mirrored), hand_features(hand), atol=1e-5)
