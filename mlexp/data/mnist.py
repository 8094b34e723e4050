"""MNIST handwritten digits, as `keras.datasets.mnist` downloads them."""
from __future__ import annotations

import numpy as np

from mlexp.data.sources import fetch

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)): uint8 28x28 images, 0 = background."""
    path = fetch("mnist/mnist.npz", MNIST_URL, sha256=MNIST_SHA256)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def validation_split(x: np.ndarray, y: np.ndarray, size: int, seed: int = 0):
    """Split a training set into (train, validation) by a seeded shuffle (never the test set)."""
    order = np.random.default_rng(seed).permutation(len(x))
    val, train = order[:size], order[size:]
    return (x[train], y[train]), (x[val], y[val])
