"""Training the emotion network: augmentation of 48x48 grey faces and the network itself."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from mlexp import experiments
from mlexp.core.metrics import confusion_matrix
from mlexp.data.fer import DATA_LICENCE, EMOTIONS, load_fer
from mlexp.training.helpers import add_to_card, conv_block, export_checked  # noqa: TID253 (the TensorFlow side)
from mlexp.training.tf import keras, tf  # noqa: TID253

FACE_SIZE = 48  # the dataset's faces, and what the exported network reads
CROP = 40  # the network's own view: a random CROP x CROP square in training, the centre one after


def face_augmenter(rotation_deg=12.0, zoom=0.1, shift=0.08, seed=0) -> keras.Sequential:
    """Random changes of a face crop (N, 48, 48, 1) in 0-255: mirrored, turned, closer or further,
    shifted, lit and contrasted differently; borders filled by reflection."""
    layers = keras.layers
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed + 1),
        layers.RandomRotation(rotation_deg / 360, fill_mode="reflect", seed=seed + 2),
        layers.RandomZoom((-zoom, zoom), fill_mode="reflect", seed=seed + 3),
        layers.RandomTranslation(shift, shift, fill_mode="reflect", seed=seed + 4),
        layers.RandomBrightness(0.2, value_range=(0, 255), seed=seed + 5),
        layers.RandomContrast(0.3, value_range=(0, 255), seed=seed + 6),
    ], name="augment_faces")


def erase(images, size: int, seed: int = 0):
    """Random erasing: a square of `size` pixels of each image set to its mean, at a random place
    (a hand, glasses or a shadow hide part of a real face)."""
    n, h, w = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    y = tf.random.uniform([n, 1, 1, 1], 0, h - size, tf.int32, seed=seed)
    x = tf.random.uniform([n, 1, 1, 1], 0, w - size, tf.int32, seed=seed + 1)
    rows, cols = tf.range(h)[None, :, None, None], tf.range(w)[None, None, :, None]
    hole = (rows >= y) & (rows < y + size) & (cols >= x) & (cols < x + size)
    return tf.where(hole, tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True), images)


def face_dataset(x, y, classes: int, batch_size=128, augment: keras.Sequential | None = None, erase_px=0,
                 shuffle=True, seed=0):
    """Batches of faces (N, 48, 48) uint8 -> float32 (N, CROP, CROP, 1) in 0-255 with one-hot labels:
    augmented, then a random CROP-pixel square (training), or the centre one (`augment` None)."""
    ds = tf.data.Dataset.from_tensor_slices((x[..., None], tf.one_hot(y, classes)))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(lambda a, b: (tf.cast(a, tf.float32), b))
    if augment is None:
        return ds.map(lambda a, b: (keras.layers.CenterCrop(CROP, CROP)(a), b)).prefetch(tf.data.AUTOTUNE)

    def changed(a, b):
        a = tf.clip_by_value(augment(a, training=True), 0, 255)
        a = tf.image.random_crop(a, [tf.shape(a)[0], CROP, CROP, 1], seed=seed)
        return (erase(a, erase_px, seed) if erase_px else a), b

    return ds.map(changed, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def emotion_net(classes: int, widths=(32, 64, 128, 256), embedding=256, dropout=0.4) -> keras.Model:
    """The classifier, for CROP x CROP grey faces in 0-255: one 3x3 convolution at full size, then
    blocks of two (batch normalization, ReLU, 2x2 max pooling) doubling the filters as the face
    shrinks, global average pooling, a dense `embedding` layer (the features a taught model reads)
    and a softmax."""
    first, *rest = widths
    return keras.Sequential([
        keras.Input((CROP, CROP, 1)),
        keras.layers.Rescaling(1 / 127.5, -1),
        *conv_block(first, convs=1),
        *[layer for width in rest for layer in conv_block(width)],
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(embedding, use_bias=False, name="embedding_dense"),
        keras.layers.BatchNormalization(name="embedding_norm"),
        keras.layers.ReLU(name="embedding"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(classes, activation="softmax", name="expression"),
    ], name="emotions")


def runtime_model(model: keras.Model, mirrored: bool = True) -> keras.Model:
    """The exported network: 48x48x1 faces in 0-255 (the centre CROP read, as in validation) ->
    (the seven probabilities, the embedding). `mirrored`: the face and its mirror image are both
    read and their probabilities and embeddings averaged (test-time augmentation, in the file
    itself, so the dashboard, the command line and the evaluation all read faces the same way)."""
    faces = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="face")
    centre = keras.layers.CenterCrop(CROP, CROP)(faces)
    views = [centre, keras.ops.flip(centre, axis=2)] if mirrored else [centre]
    probabilities, embeddings = [], []
    for x in views:
        for layer in model.layers:
            x = layer(x)
            if layer.name == "embedding":
                embeddings.append(x)
        probabilities.append(x)
    if mirrored:
        probabilities, embeddings = [keras.layers.Average()(probabilities)], [keras.layers.Average()(embeddings)]
    return keras.Model(faces, [probabilities[0], embeddings[0]], name=model.name)


def export_emotions(model: keras.Model, out_dir, split: dict, settings: dict, test_accuracy_keras: float,
                    trained_by: str = "notebooks/emotions/train.ipynb (mlexp train emotions)") -> dict:
    """Export the trained network (`helpers.export_checked`: model.keras, the LiteRT file of
    `runtime_model`, the card with `split` and the training `settings`), evaluate the LiteRT file on
    FER2013's publictest faces, and add its per-class accuracy and confusion matrix to the card.
    Returns that report."""
    card = {
        "labels": list(EMOTIONS),
        "dataset": "fer2013",
        "data": "FER2013 train for training; publictest for validation and the reported figure",
        "data_licence": DATA_LICENCE,
        "licence": "MIT (the project's) for the network's weights; the faces it learned from have no licence "
                   "from their authors and are not shipped",
        "trained_by": trained_by,
        "input": "face",
        "input_size": FACE_SIZE,
        "reads": f"the centre {CROP}x{CROP} square of a 48x48 grey face (0-255) and its mirror image, "
                 "probabilities and embeddings averaged",
        "preprocess": "mlexp.perception.faces.Face.aligned (eyes level), margin mlexp.predictors.emotions.MARGIN",
        "outputs": ["probabilities (7)", "embedding (256)"],
        "architecture": "conv 32, blocks of two convs 64-128-256 (BN, ReLU, max pooling), global average pooling, "
                        "dense 256 (the embedding), dropout 0.4, softmax",
        "augmentation": "flip, rotation 12 deg, zoom 10%, shift 8%, brightness 0.2, contrast 0.3, random 40 px crop, "
                        "random erasing",
        "split": split,
        **settings,
        "test_accuracy_keras": test_accuracy_keras,
    }
    report = export_checked(model, "emotions", out_dir, card, runtime_model(model))
    folder = Path(out_dir or experiments.models_dir()) / "emotions"
    classifier = experiments.load("emotions", folder)
    x, y = load_fer("publictest")
    predicted = np.concatenate([classifier.read(x[i : i + 256])[0].argmax(1) for i in range(0, len(x), 256)])
    add_to_card(folder, confusion_matrix=confusion_matrix(y, predicted, len(EMOTIONS)).tolist())
    return report
