"""Digit generators for the digits_generator notebook, and the judge that scores them.

- `StyleAutoencoder(latent, kl_weight)`: an encoder (a digit -> its style, `latent` numbers) and
  a decoder (style + which digit -> a 28x28 picture). `kl_weight` 0: a plain autoencoder (its
  styles are then modelled by `FlowMatching`); 1: a conditional VAE (styles drawn from N(0, 1)).
- `FlowMatching`: a small network that learns a velocity field carrying N(0, 1) noise to the
  autoencoder's styles of each digit in a few Euler steps (rectified flow, Lipman et al. 2022).
- `Judge`: digits_cnn's probabilities and its penultimate features, for "recognized as asked"
  and the Frechet distance ("FCD") of generated digits to MNIST's test digits.
- `SampleGrid`: a callback that shows one digit of each kind after every epoch."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from IPython.display import HTML, display

from mlexp.core.metrics import accuracy_report, frechet_distance, nearest_distances  # noqa: F401 (gen.nearest_distances)
from mlexp.training.helpers import LiveProgress, _png, litert_bytes, platform_versions  # noqa: TID253 (TensorFlow side)
from mlexp.training.tf import keras, tf  # noqa: TID253

DIGIT_COUNT = 10


def one_hot(labels) -> np.ndarray:
    """(n, 10) float32 one-hot rows for digit labels."""
    return np.eye(DIGIT_COUNT, dtype=np.float32)[np.asarray(labels, int)]


def as_images(x) -> np.ndarray:
    """uint8 MNIST digits -> float32 (n, 28, 28, 1) in [0, 1]."""
    return (np.asarray(x, np.float32) / 255.0)[..., None]


def encoder_net(outputs: int, label_input: bool = False) -> keras.Model:
    """A digit (28, 28, 1) -> `outputs` numbers: two strided convolutions and a dense layer; with
    `label_input` the one-hot digit joins the convolutions' features (a conditional VAE's encoder)."""
    image = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(image)
    x = keras.layers.Conv2D(64, 4, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    inputs = image
    if label_input:
        label = keras.Input((DIGIT_COUNT,), name="label")
        x, inputs = keras.layers.Concatenate()([x, label]), [image, label]
    x = keras.layers.Dense(256, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(outputs)(x), name="encoder")


def decoder_net(latent: int) -> keras.Model:
    """(style (latent,), one-hot digit (10,)) -> a 28x28 picture in [0, 1]."""
    style = keras.Input((latent,), name="style")
    label = keras.Input((DIGIT_COUNT,), name="label")
    x = keras.layers.Concatenate()([style, label])
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dense(7 * 7 * 64, activation="relu")(x)
    x = keras.layers.Reshape((7, 7, 64))(x)
    x = keras.layers.Conv2DTranspose(64, 4, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model([style, label], keras.layers.Reshape((28, 28))(x), name="decoder")


class StyleAutoencoder(keras.Model):
    """Encoder + conditional decoder; the loss is the pixels' binary cross-entropy (summed over
    the picture) plus `kl_weight` times the VAE's KL divergence of the style from N(0, 1).
    `label_input`: the encoder is told the digit too (a conditional VAE's q(style | digit, label),
    so that the style need not hold which digit it is)."""

    def __init__(self, latent: int = 16, kl_weight: float = 0.0, label_input: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.latent, self.kl_weight, self.label_input = latent, kl_weight, label_input
        self.encoder = encoder_net(2 * latent if kl_weight else latent, label_input)
        self.decoder = decoder_net(latent)
        self.tracked = {k: keras.metrics.Mean(name=k) for k in ("loss", "pixels", "kl")}

    @property
    def metrics(self):
        return list(self.tracked.values())

    def styles(self, images, labels=None, training=False):
        """(mean style, log variance) of each picture (the log variance is 0 for an autoencoder);
        `labels` (one-hot) for an encoder with `label_input`."""
        out = self.encoder([images, labels] if self.label_input else images, training=training)
        if not self.kl_weight:
            return out, tf.zeros_like(out)
        return out[:, : self.latent], out[:, self.latent :]

    def call(self, inputs, training=False):
        images, labels = inputs
        return self.decoder([self.styles(images, labels, training)[0], labels], training=training)

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            mean, log_var = self.styles(images, labels, training=True)
            style = mean + tf.exp(0.5 * log_var) * tf.random.normal(tf.shape(mean)) if self.kl_weight else mean
            pictures = self.decoder([style, labels], training=True)
            pixels = tf.reduce_mean(tf.reduce_sum(
                keras.losses.binary_crossentropy(images[..., None], pictures[..., None]), axis=(1, 2)))
            kl = tf.reduce_mean(-0.5 * tf.reduce_sum(1 + log_var - mean**2 - tf.exp(log_var), axis=1))
            loss = pixels + self.kl_weight * kl
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        for key, value in (("loss", loss), ("pixels", pixels), ("kl", kl)):
            self.tracked[key].update_state(value)
        return {k: m.result() for k, m in self.tracked.items()}


class FlowMatching(keras.Model):
    """velocity(style at time t, t, one-hot digit): trained so that Euler steps from N(0, 1)
    noise at t = 0 reach the (normalized) styles of that digit at t = 1."""

    def __init__(self, latent: int = 16, hidden: int = 256, **kwargs):
        super().__init__(**kwargs)
        self.latent = latent
        z = keras.Input((latent,), name="z")
        t = keras.Input((1,), name="t")
        label = keras.Input((DIGIT_COUNT,), name="label")
        x = keras.layers.Concatenate()([z, t, label])
        for _ in range(3):
            x = keras.layers.Dense(hidden, activation="swish")(x)
        self.velocity = keras.Model([z, t, label], keras.layers.Dense(latent)(x), name="flow")
        self.tracked = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.tracked]

    def call(self, inputs, training=False):
        return self.velocity(inputs, training=training)

    def train_step(self, data):
        styles, labels = data
        noise = tf.random.normal(tf.shape(styles))
        t = tf.random.uniform((tf.shape(styles)[0], 1))
        with tf.GradientTape() as tape:
            v = self.velocity([(1 - t) * noise + t * styles, t, labels], training=True)
            loss = tf.reduce_mean(tf.square(v - (styles - noise)))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.tracked.update_state(loss)
        return {"loss": self.tracked.result()}


def flow_styles(velocity, labels, steps: int, seed: int = 0) -> np.ndarray:
    """Styles for the digits `labels`: N(0, 1) noise carried by `steps` Euler steps of
    `velocity(z, t, one_hot)`, a Keras model."""
    rng = np.random.default_rng(seed)
    hot = one_hot(labels)
    z = rng.standard_normal((len(hot), int(velocity.inputs[0].shape[-1]))).astype(np.float32)
    for k in range(steps):
        t = np.full((len(z), 1), k / steps, np.float32)
        z = z + np.asarray(velocity([z, t, hot]), np.float32) / steps
    return z


def fit_generator(model: keras.Model, data: tf.data.Dataset, epochs: int, learning_rate=1e-3,
                  callbacks=()) -> float:
    """Train a StyleAutoencoder or FlowMatching with Adam and a cosine learning rate, showing
    live progress (and what `callbacks` show); returns the training time in seconds."""
    steps = int(data.cardinality())
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    started = time.time()
    model.fit(data, epochs=epochs, verbose=0, callbacks=[LiveProgress(epochs), *callbacks],
              shuffle=False)  # the dataset shuffles itself
    return time.time() - started


def batches(*arrays, batch_size: int = 128, seed: int = 0) -> tf.data.Dataset:
    """A shuffled, batched dataset of the arrays (reshuffled each epoch)."""
    ds = tf.data.Dataset.from_tensor_slices(tuple(arrays)).shuffle(len(arrays[0]), seed=seed)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def judge_model(classifier: keras.Model) -> keras.Model:
    """digits_cnn with two outputs: its penultimate features (the last hidden Dense layer's) and
    its probabilities."""
    dense = [layer for layer in classifier.layers if isinstance(layer, keras.layers.Dense)]
    inputs = keras.Input((28, 28), name="digit")
    x = keras.layers.Reshape((28, 28, 1))(inputs)
    features = None
    for layer in classifier.layers:
        x = layer(x)
        if layer is dense[-2]:
            features = x
    return keras.Model(inputs, [features, x], name="judge")


class Judge:
    """How digits_cnn sees a set of digits: `recognized` (the share named as asked) and `fcd`
    (Frechet distance of its features to those of MNIST's test digits)."""

    def __init__(self, classifier: keras.Model, test_images: np.ndarray):
        self.model = judge_model(classifier)
        self.test_features = self.features(test_images)[0]

    def features(self, images) -> tuple[np.ndarray, np.ndarray]:
        """(features, probabilities) of pictures (n, 28, 28) in [0, 1]."""
        features, probabilities = self.model.predict(np.reshape(images, (-1, 28, 28)), batch_size=1000, verbose=0)
        return features, probabilities

    def score(self, images, labels) -> dict:
        """recognized, fcd and the share recognized of each digit."""
        features, probabilities = self.features(images)
        report = accuracy_report(np.asarray(labels), probabilities.argmax(1), [str(d) for d in range(DIGIT_COUNT)])
        return {"recognized": report["accuracy"], "fcd": frechet_distance(features, self.test_features),
                "per_digit": report["per_class"]}


def pad_axes(styles: np.ndarray, labels) -> dict:
    """The latent pad's map, per digit: the mean style, its two principal axes and the spread
    (standard deviation) along each."""
    means, axes, spreads = [], [], []
    labels = np.asarray(labels)
    for d in range(DIGIT_COUNT):
        s = styles[labels == d]
        mean = s.mean(0)
        _, values, vectors = np.linalg.svd(s - mean, full_matrices=False)
        means.append(mean.tolist())
        axes.append(vectors[:2].tolist())
        spreads.append((values[:2] / np.sqrt(len(s))).tolist())
    return {"mean": means, "axes": axes, "spread": spreads}


def digit_grid(images, columns: int = 10, title: str = ""):
    """Show pictures (n, 28, 28) in [0, 1] as dark ink on white, `columns` a row."""
    import matplotlib.pyplot as plt

    images = np.reshape(images, (-1, 28, 28))
    rows = (len(images) + columns - 1) // columns
    sheet = np.ones((rows * 30, columns * 30), np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        sheet[r * 30 + 1 : r * 30 + 29, c * 30 + 1 : c * 30 + 29] = 1 - image
    fig, ax = plt.subplots(figsize=(columns * 0.6, rows * 0.6 + (0.3 if title else 0)))
    ax.imshow(sheet, cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return _png(fig)


class SampleGrid(keras.callbacks.Callback):
    """After every epoch, a grid of what `sample()` gives (pictures (n, 28, 28)), replacing the
    last one, so a notebook shows the digits getting better as the model trains."""

    def __init__(self, sample, columns: int = 10):
        super().__init__()
        self.sample, self.columns = sample, columns
        self.view = display(HTML(""), display_id=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.view:
            self.view.update(digit_grid(self.sample(), self.columns, f"after epoch {epoch + 1}"))


def export_generator(out: Path, models: dict[str, keras.Model], card: dict) -> Path:
    """Write each model as <name>.keras and <name>.tflite, and card.json, to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, model in models.items():
        model.save(out / f"{name}.keras")
        (out / f"{name}.tflite").write_bytes(litert_bytes(model))
        files.update({f: (out / f).stat().st_size for f in (f"{name}.keras", f"{name}.tflite")})
    card = {**card, "files": files, **platform_versions()}
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return out
