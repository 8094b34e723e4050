"""The training helpers behind the photo notebooks: mixup, label smoothing, the centre crop."""
import numpy as np
import pytest


def test_mixup_blends_each_photo_and_its_label_by_the_same_share():
    from mlexp.training import helpers as training
    from mlexp.training.tf import tf

    # Each photo is filled with its class number, so a blend's value is the blend of the labels.
    y = np.array([0, 1, 2, 0, 1, 2, 2, 1])
    images = tf.constant(np.broadcast_to(y[:, None, None, None], (8, 4, 4, 3)), tf.float32)
    tf.random.set_seed(0)
    mixed, labels = training.mixup(images, tf.one_hot(y, 3), alpha=0.4)
    mixed, labels = mixed.numpy(), labels.numpy()
    np.testing.assert_allclose(labels.sum(1), 1, atol=1e-6)
    np.testing.assert_allclose(mixed.mean((1, 2, 3)), labels @ np.arange(3), atol=1e-5)
    assert (labels[np.arange(8), y] >= 0.5 - 1e-6).all()  # the larger share is the photo's own
    assert not np.allclose(labels, np.eye(3)[y])  # some photos were blended


def test_photo_dataset_one_hot_labels_and_mixup_need_the_number_of_classes():
    from mlexp.training import helpers as training
    from mlexp.training.tf import tf

    x, y = np.zeros((6, 8, 8, 3), np.uint8), np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="number of classes"):
        training.photo_dataset(x, y, mixup_alpha=0.2)
    images, labels = next(iter(training.photo_dataset(x, y, 6, shuffle=False, classes=3)))
    assert images.dtype == tf.float32 and labels.shape == (6, 3)
    np.testing.assert_array_equal(labels.numpy().argmax(1), y)


def test_label_smoothing_needs_one_hot_labels():
    from mlexp.training import helpers as training
    from mlexp.training.tf import keras

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    x, y = np.zeros((4, 8, 8, 3), np.uint8), np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match="one-hot"):
        training.fit(model, training.photo_dataset(x, y, 2), None, 1, label_smoothing=0.1)


def test_fit_takes_class_numbers_per_time_step_for_sequence_models():
    """A sequence model's labels (batch, length) are class numbers, not one-hot vectors."""
    from mlexp.training import helpers as training
    from mlexp.training.tf import keras

    ids = np.tile(np.arange(5), 40).astype("int32")  # 0 1 2 3 4 0 1 ...: the next id is predictable
    train = training.char_windows(ids, 8, batch_size=4, shuffle=False)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Embedding(5, 8), keras.layers.Dense(5)])
    training.fit(model, train, None, 30, learning_rate=3e-2, from_logits=True)
    x, y = next(iter(train))
    assert (model.predict(x, verbose=0).argmax(-1) == y.numpy()).mean() > 0.9


def _mean_colour_model(size=8):
    """Answers the class of the strongest mean colour channel (red 0, green 1, blue 2)."""
    from mlexp.training.tf import keras

    model = keras.Sequential([keras.Input((size, size, 3)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(3, activation="softmax")])
    model.layers[-1].set_weights([np.eye(3, dtype="float32"), np.zeros(3, "float32")])
    return model


def _red_centre(size):
    """A green photo whose central half (of each side) is red."""
    photo = np.zeros((size, size, 3), np.uint8)
    photo[..., 1] = 255
    a, b = size // 4, size - size // 4
    photo[a:b, a:b] = (255, 0, 0)
    return photo


def test_reading_centre_crops_the_photo_before_the_model():
    from mlexp.training import helpers as training

    model = _mean_colour_model()
    assert training.reading_centre(model, 8) is model
    with pytest.raises(ValueError, match="cannot enlarge"):
        training.reading_centre(model, 6)
    reader = training.reading_centre(model, 16)
    assert reader.input_shape == (None, 16, 16, 3) and reader.name == model.name
    photo = _red_centre(16)[None].astype("float32")
    np.testing.assert_allclose(reader.predict(photo, verbose=0), model.predict(photo[:, 4:12, 4:12], verbose=0))
    assert model.predict(_red_centre(8)[None].astype("float32"), verbose=0).argmax() == 1  # mostly green
    assert reader.predict(photo, verbose=0).argmax() == 0  # the centre alone: red


def test_photo_crop_accuracy_measures_each_crop_on_photos_loaded_at_its_size():
    from mlexp.training import helpers as training

    sizes = []

    def load(size):
        sizes.append(size)
        return np.stack([_red_centre(size)] * 3)

    result = training.photo_crop_accuracy(_mean_colour_model(), load, [0, 0, 0], (1.0, 0.8, 0.5))
    assert sizes == [8, 10, 16]
    assert result == {1.0: 0.0, 0.8: 1.0, 0.5: 1.0}  # at 80%: 36 red pixels of 64
