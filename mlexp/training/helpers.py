"""Shared training helpers: quiet TensorFlow, augmentation, live progress, evaluation, export."""
from __future__ import annotations

import contextlib
import datetime
import io
import json
import platform
import time
from pathlib import Path

import numpy as np
from IPython.display import HTML, Image, display

from mlexp import experiments
from mlexp.core.metrics import confusion_matrix
from mlexp.data import fetch, mirror_dir
from mlexp.training.tf import keras, tf  # noqa: TID253 (the TensorFlow side)


def drawing_augmenter(rotation_deg=10.0, zoom=0.1, shift_px=1.5, flip=False, seed=0) -> keras.Sequential:
    """Random small rotations, zooms and shifts, like the variety of real handwriting; with
    `flip`, mirror images too (a cat facing left is still a cat; a 3 mirrored is not a 3)."""
    layers = keras.layers
    return keras.Sequential(
        [layers.RandomFlip("horizontal", seed=seed + 3)] * flip
        + [
            layers.RandomRotation(rotation_deg / 360, fill_mode="constant", seed=seed),
            layers.RandomZoom((-zoom, zoom), fill_mode="constant", seed=seed + 1),
            layers.RandomTranslation(shift_px / 28, shift_px / 28, fill_mode="constant", seed=seed + 2),
        ],
        name="augment",
    )


def conv_block(filters: int, convs: int = 2) -> list:
    """`convs` 3x3 convolutions, each with batch normalization and ReLU, then 2x2 max pooling."""
    layers = []
    for _ in range(convs):
        layers += [
            keras.layers.Conv2D(filters, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(momentum=0.9),  # running statistics settle in a few dozen steps
            keras.layers.ReLU(),
        ]
    return layers + [keras.layers.MaxPooling2D()]


def dataset(x, y, batch_size=128, augment: keras.Sequential | None = None, seed=0):
    """A shuffled, batched tf.data pipeline of images (N, 28, 28, 1) in [0, 1]."""
    ds = tf.data.Dataset.from_tensor_slices((x.astype("float32"), y))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if augment is not None:
        ds = ds.map(lambda a, b: (augment(a, training=True), b), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def photo_augmenter(rotation_deg=25.0, zoom=(-0.25, 0.1), shift=0.1, flip=True, brightness=0.25,
                    contrast=0.3, hue=0.05, saturation=0.3, seed=0) -> keras.Sequential:
    """Random changes a photo of a hand goes through in real life, for RGB images in 0-255:
    mirrored (left and right hands), rotated by up to `rotation_deg`, zoomed in (a closer crop,
    negative `zoom`) or out, shifted by up to `shift` of the side, with brightness, contrast,
    hue and saturation jitter. Borders are filled by reflection (no black corners)."""
    layers = keras.layers
    return keras.Sequential(
        [layers.RandomFlip("horizontal", seed=seed + 1)] * flip
        + [
            layers.RandomRotation(rotation_deg / 360, fill_mode="reflect", seed=seed + 2),
            layers.RandomZoom(zoom, fill_mode="reflect", seed=seed + 3),
            layers.RandomTranslation(shift, shift, fill_mode="reflect", seed=seed + 4),
            layers.RandomBrightness(brightness, value_range=(0, 255), seed=seed + 5),
            layers.RandomContrast(contrast, value_range=(0, 255), seed=seed + 6),
            layers.RandomHue(hue, value_range=(0, 255), seed=seed + 7),
            layers.RandomSaturation((0.5 - saturation / 2, 0.5 + saturation / 2), value_range=(0, 255),
                                    seed=seed + 8),
        ],
        name="augment_photos",
    )


def mixup(images, labels, alpha: float):
    """Mixup (Zhang et al., 2018): each image of the batch blended with another one of the batch,
    and its one-hot label blended the same way, by a weight drawn from Beta(alpha, alpha) (the
    larger share always goes to the image itself). A model taught on blends of gestures learns
    smoother boundaries between them and memorizes the few training photos less."""
    n = tf.shape(images)[0]
    a, b = tf.random.gamma([n], alpha), tf.random.gamma([n], alpha)
    share = tf.maximum(a / (a + b), b / (a + b))
    other = tf.random.shuffle(tf.range(n))
    blend = lambda t, w: w * t + (1 - w) * tf.gather(t, other)  # noqa: E731
    return blend(images, share[:, None, None, None]), blend(labels, share[:, None])


def photo_dataset(x, y, batch_size=32, augment: keras.Sequential | None = None, seed=0, shuffle=True,
                  classes: int | None = None, mixup_alpha: float = 0.0):
    """A batched tf.data pipeline of uint8 RGB photos (N, S, S, 3) -> float32 in 0-255 (the
    models scale their inputs themselves); the photos stay uint8 in memory. Shuffled anew each
    epoch unless `shuffle` is False; `augment` runs on each batch. With `classes`, the labels are
    one-hot vectors (what label smoothing and mixup need; `fit` then picks the matching loss);
    `mixup_alpha` > 0 blends the augmented photos of each batch (`mixup`)."""
    if mixup_alpha and not classes:
        raise ValueError("Mixup blends one-hot labels: give the number of classes too.")
    labels = y if not classes else tf.one_hot(y, classes)
    ds = tf.data.Dataset.from_tensor_slices((x, labels))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(lambda a, b: (tf.cast(a, tf.float32), b))
    if augment is not None:
        ds = ds.map(lambda a, b: (tf.clip_by_value(augment(a, training=True), 0, 255), b),
                    num_parallel_calls=tf.data.AUTOTUNE)
    if mixup_alpha:
        ds = ds.map(lambda a, b: mixup(a, b, mixup_alpha), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


MOBILENET_V2_MIRROR = "pretrained/mobilenet_v2/mobilenet_v2_from_coral_ptq.keras"
MOBILENET_V2_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
                    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5")


def reading_centre(model: keras.Model, input_size: int) -> keras.Model:
    """`model` behind a centre crop: the result takes `input_size`-pixel square photos and gives
    `model` their central pixels at its own input size (`model` itself when the sizes match).
    A model trained on augmented photos that were mostly zoomed in may see whole photos best a
    little closer up; `photo_crop_accuracy` measures it."""
    size = model.input_shape[1]
    if input_size == size:
        return model
    if input_size < size:
        raise ValueError(f"A centre crop cannot enlarge: {input_size} px photos for a {size} px model.")
    inner = model.__class__.from_config(model.get_config())  # the same layers, without the optimizer's state
    inner.set_weights(model.get_weights())
    inputs = keras.Input((input_size, input_size, 3))
    return keras.Model(inputs, inner(keras.layers.CenterCrop(size, size)(inputs)), name=model.name)


def photo_crop_accuracy(model: keras.Model, load, labels, fractions) -> dict:
    """{fraction: accuracy} of `model` reading the central `fraction` of each photo's side, for
    photos `load(size)` gives at the size where that centre has the model's input size."""
    size, result = model.input_shape[1], {}
    for fraction in fractions:
        outer = round(size / fraction)
        probabilities = reading_centre(model, outer).predict(load(outer).astype("float32"), batch_size=64, verbose=0)
        result[fraction] = float((probabilities.argmax(1) == np.asarray(labels)).mean())
    return result


def mobilenet_v2_base(size: int) -> tuple[keras.Model, str]:
    """The ImageNet MobileNetV2 (alpha 1.0) without its classifier, for (size, size, 3) inputs
    in [-1, 1], and a sentence naming the weights used. With the data mirror: its
    `mobilenet_v2_from_coral_ptq.keras` (filled from Google's Coral int8 model, batch
    normalization folded into the convolutions: keep those layers frozen), copied layer by layer.
    Otherwise Keras' official float weights, downloaded once into the cache."""
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(size, size, 3))
    mirror = mirror_dir()
    if mirror is not None and (mirror / MOBILENET_V2_MIRROR).is_file():
        full = keras.models.load_model(mirror / MOBILENET_V2_MIRROR, compile=False)
        for layer in base.layers:
            if layer.weights:
                layer.set_weights(full.get_layer(layer.name).get_weights())
        return base, ("ImageNet MobileNetV2 1.0 (Sandler et al. 2018, Apache-2.0), the data mirror's "
                      "mobilenet_v2_from_coral_ptq.keras: weights filled from Google's Coral "
                      "tf2_mobilenet_v2_1.0_224_ptq.tflite (int8), batch normalization folded")
    rows = size if size in (96, 128, 160, 192, 224) else 224
    url = MOBILENET_V2_URL.format(rows=rows)
    path = fetch(f"pretrained/mobilenet_v2/{url.rsplit('/', 1)[1]}", url, timeout=120)
    base.load_weights(path)
    return base, (f"ImageNet MobileNetV2 1.0 (Sandler et al. 2018, Apache-2.0), Keras' official float "
                  f"weights {url.rsplit('/', 1)[1]}")


def _picture(image):
    """An image as matplotlib shows it: RGB floats in 0-255 scaled to [0, 1]."""
    image = np.squeeze(np.asarray(image))
    if image.ndim == 3 and image.dtype != np.uint8 and image.max() > 1.0:
        image = np.clip(image / 255.0, 0, 1)
    return image


def _png(fig) -> Image:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return Image(buf.getvalue())


class LiveProgress(keras.callbacks.Callback):
    """Shows a progress line during each epoch and loss/accuracy curves after each epoch
    (in a notebook; outside IPython it only records the history)."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs
        self.history: dict[str, list[float]] = {}
        self.line = display(HTML("Starting training..."), display_id=True)
        self.chart = display(HTML(""), display_id=True)

    def on_train_begin(self, logs=None):
        self.started = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.steps = self.params.get("steps") or 0

    def on_train_batch_end(self, batch, logs=None):
        if self.line and self.steps and (batch + 1) % max(1, self.steps // 20) == 0:
            done = (batch + 1) / self.steps
            bar = "#" * int(20 * done) + "." * (20 - int(20 * done))
            self.line.update(HTML(
                f"<code>epoch {self.epoch + 1}/{self.epochs} [{bar}] {done:4.0%} "
                f"loss {logs.get('loss', 0):.4f}</code>"))

    def on_epoch_end(self, epoch, logs=None):
        import matplotlib.pyplot as plt

        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if not self.line:  # not in IPython: nothing to show
            return
        elapsed = time.time() - self.started
        summary = ", ".join(f"{k} {v[-1]:.4f}" for k, v in self.history.items() if k != "learning_rate")
        self.line.update(HTML(f"<code>epoch {epoch + 1}/{self.epochs} done in {elapsed:.0f} s: {summary}</code>"))
        fig, axes = plt.subplots(1, 2, figsize=(9, 3))
        for ax, metric in zip(axes, ["loss", "accuracy"]):
            for prefix, style in (("", "-o"), ("val_", "--o")):
                if prefix + metric in self.history:
                    values = self.history[prefix + metric]
                    ax.plot(range(1, len(values) + 1), values, style, label=prefix + metric)
            ax.set_xlabel("epoch")
            ax.set_title(metric)
            ax.legend()
        self.chart.update(_png(fig))


def show_confusion(y_true, y_pred, labels):
    """Plot the confusion matrix (rows: true class, columns: predicted class)."""
    import matplotlib.pyplot as plt

    n = len(labels)
    matrix = confusion_matrix(y_true, y_pred, n)
    fig, ax = plt.subplots(figsize=(0.5 * n + 2, 0.5 * n + 1.5))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7,
                    color="white" if i == j else "black")
    ax.set_xticks(range(n), labels, rotation=90 if n > 12 else 0)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    display(_png(fig))
    return matrix


def show_mistakes(x, y_true, probabilities, labels, count=24):
    """Show the test images the model got wrong, most confident mistakes first."""
    import matplotlib.pyplot as plt

    y_pred = probabilities.argmax(1)
    wrong = np.nonzero(y_pred != y_true)[0]
    wrong = wrong[np.argsort(-probabilities[wrong, y_pred[wrong]])][:count]
    if not len(wrong):
        display(HTML("No mistakes."))
        return
    cols = 8
    rows = (len(wrong) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.45), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(_picture(x[i]), cmap="gray_r")
        ax.set_title(f"{labels[y_true[i]]}->{labels[y_pred[i]]} {probabilities[i, y_pred[i]]:.0%}",
                     fontsize=8)
    display(_png(fig))


def show_examples(x, y, labels, count=20, columns=10):
    """A grid of the first `count` images with their labels."""
    import matplotlib.pyplot as plt

    rows = (count + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(columns, rows * 1.2), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, label in zip(axes.flat, x[:count], y[:count]):
        ax.imshow(_picture(image), cmap="gray_r")
        ax.set_title(str(labels[label]), fontsize=8)
    display(_png(fig))


def fit(model, train, validation, epochs, augment=None, learning_rate=1e-3, batch_size=128, seed=0,
        from_logits=False, weight_decay=None, label_smoothing=0.0, callbacks=()) -> float:
    """Train `model` with Adam (AdamW with `weight_decay`) and a cosine-decaying learning rate,
    showing live curves; returns the training time in seconds. `train` and `validation` are
    (x, y) pairs or tf.data datasets (already batched; their labels class numbers, or one-hot
    vectors as `photo_dataset(classes=...)` gives); `from_logits` when the model outputs logits
    rather than probabilities; `label_smoothing` (one-hot labels only) aims at 1 - s (plus s
    shared by all classes) instead of 1 for the right class; `callbacks`: more Keras callbacks
    (a checkpoint of a long run, say)."""
    if isinstance(train, tf.data.Dataset):
        data, steps = train, int(train.cardinality())
    else:
        data, steps = dataset(*train, batch_size, augment, seed), int(np.ceil(len(train[0]) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * steps, alpha=0.02)
    optimizer = (keras.optimizers.AdamW(schedule, weight_decay=weight_decay) if weight_decay
                 else keras.optimizers.Adam(schedule))
    # one-hot labels have the rank of the model's output; class numbers (also per time step) one less
    one_hot = isinstance(data, tf.data.Dataset) and data.element_spec[1].shape.rank == len(model.output_shape)
    if label_smoothing and not one_hot:
        raise ValueError("Label smoothing needs one-hot labels: make the datasets with photo_dataset(classes=...).")
    loss = (keras.losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing) if one_hot
            else keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    started = time.time()
    model.fit(data, validation_data=validation, epochs=epochs, verbose=0,
              callbacks=[LiveProgress(epochs), *callbacks], shuffle=False)  # the datasets shuffle anew each epoch
    return time.time() - started


def char_windows(ids: np.ndarray, length: int, batch_size: int = 64, seed: int = 0, limit: int | None = None,
                 shuffle: bool = True):
    """(input, next characters) windows of `length` characters cut from the ids, batched; at
    most `limit` windows. With `shuffle`, every epoch cuts the windows at a new random offset
    (the model never sees the same windows twice) and shuffles them."""
    n = (len(ids) - 1) // length - (1 if shuffle else 0)  # room for the offset
    n = min(n, limit or n)
    ids = tf.constant(ids)

    def windows(offset):
        cut = ids[offset : offset + n * length + 1]
        return tf.reshape(cut[:-1], (n, length)), tf.reshape(cut[1:], (n, length))

    if shuffle:
        offsets = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
        ds = offsets.flat_map(lambda r: tf.data.Dataset.from_tensor_slices(windows(r % length)))
        ds = ds.apply(tf.data.experimental.assert_cardinality(n))
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    else:
        ds = tf.data.Dataset.from_tensor_slices(windows(0))
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def step_model(model: keras.Model) -> keras.Model:
    """The single-step twin of a trained Embedding -> GRU -> (Dropout) -> Dense character model:
    (character id (B,), state (B, units)) -> (logits (B, V), new state). Same weights; it
    converts to LiteRT without any loop."""
    embedding, gru, dense = (next(layer for layer in model.layers if isinstance(layer, kind))
                             for kind in (keras.layers.Embedding, keras.layers.GRU, keras.layers.Dense))
    char = keras.Input((), dtype="int32", name="char", batch_size=None)
    state = keras.Input((gru.units,), name="state")
    cell = keras.layers.GRUCell.from_config(gru.cell.get_config())
    step_embedding = keras.layers.Embedding.from_config(embedding.get_config())
    step_dense = keras.layers.Dense.from_config(dense.get_config())
    output, new_state = cell(step_embedding(char), state)
    new_state = new_state[0] if isinstance(new_state, (list, tuple)) else new_state
    step = keras.Model([char, state], [step_dense(output), new_state], name=f"{model.name}_step")
    for source, twin in ((embedding, step_embedding), (gru.cell, cell), (dense, step_dense)):
        twin.set_weights(source.get_weights())
    return step


def held_out(model, test, labels, batch_size=1000) -> float:
    """Accuracy on the test pairs (x, y), with the confusion matrix and the worst mistakes."""
    x, y = test
    probabilities = model.predict(x, batch_size=batch_size, verbose=0)
    accuracy = float((probabilities.argmax(1) == y).mean())
    display(HTML(f"<b>Held-out test accuracy: {accuracy:.2%}</b> on {len(y):,} examples"))
    show_confusion(y, probabilities.argmax(1), labels)
    show_mistakes(x, y, probabilities, labels)
    return accuracy


def export_checked(model, name: str, out_dir, card: dict, runtime_model: keras.Model | None = None) -> dict:
    """Export (see `export`), then evaluate the LiteRT file on the held-out test split and add
    its overall and per-class accuracy to the card. Returns that report."""
    out = export(model, name, out_dir, card, runtime_model)
    experiment = experiments.get(name)
    report = experiment.predictor.from_experiment(experiment, out).evaluate()
    add_to_card(out, test_accuracy=report["accuracy"], per_class_accuracy=report["per_class"])
    display(HTML(f"Exported to <code>{out}</code>; LiteRT test accuracy <b>{report['accuracy']:.2%}</b>"))
    return report


def litert_bytes(model: keras.Model) -> bytes:
    """A Keras model converted to a LiteRT (.tflite) file's bytes, quietly."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every tensor
        return converter.convert()


def export(model: keras.Model, name: str, out_dir: str | Path | None, card: dict,
           runtime_model: keras.Model | None = None, runtime_file: str = "model.tflite") -> Path:
    """Write model.keras (weights, no optimizer), `runtime_file` (LiteRT, of `runtime_model`,
    by default the model itself) and card.json to out_dir/name."""
    out = Path(out_dir or experiments.models_dir()) / name
    out.mkdir(parents=True, exist_ok=True)
    plain = model.__class__.from_config(model.get_config())  # same layers, no optimizer state
    plain.set_weights(model.get_weights())
    plain.save(out / "model.keras")
    # Convert the file as saved and loaded back: set_weights does not finish preprocessing layers
    # (an adapted Normalization keeps its initial mean and variance until it is loaded from a file).
    saved = keras.saving.load_model(out / "model.keras", safe_mode=True, compile=False)
    (out / runtime_file).write_bytes(litert_bytes(runtime_model or saved))
    card = {
        "name": name,
        **card,
        "parameters": int(model.count_params()),
        "files": {f: (out / f).stat().st_size for f in ("model.keras", runtime_file)},
        **platform_versions(),
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return out


def platform_versions() -> dict:
    """The card's `versions` (Python, TensorFlow, Keras, numpy) and `date` of training."""
    return {
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "date": datetime.date.today().isoformat(),
    }


def add_to_card(model_dir: str | Path, **fields) -> None:
    """Add fields (such as the LiteRT test accuracy) to an exported model's card.json."""
    path = Path(model_dir) / "card.json"
    card = json.loads(path.read_text())
    card.update(fields)
    path.write_text(json.dumps(card, indent=2) + "\n")
