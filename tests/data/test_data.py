"""Data loading: the mirror, the cache, a real download over HTTP, and the offline error."""
import hashlib
import http.server
import threading
from functools import partial

import numpy as np
import pytest

from mlexp import data
from mlexp.data import mnist


def tiny_mnist(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 255, (30, 28, 28), dtype=np.uint8), "y_train": np.arange(30) % 10,
              "x_test": rng.integers(0, 255, (10, 28, 28), dtype=np.uint8), "y_test": np.arange(10)}
    np.savez(path, **arrays)
    return arrays


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No mirror, an empty cache, and a source URL where nothing answers."""
    monkeypatch.delenv("MLEXP_DATA_DIR", raising=False)
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist, "MNIST_URL", "http://127.0.0.1:9/mnist.npz")
    return tmp_path / "cache"


def test_loads_from_a_mirror(monkeypatch, tmp_path):
    arrays = tiny_mnist(tmp_path / "mirror" / "mnist" / "mnist.npz")
    monkeypatch.setenv("MLEXP_DATA_DIR", str(tmp_path / "mirror"))
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert np.array_equal(x_train, arrays["x_train"]) and np.array_equal(y_test, arrays["y_test"])


def test_offline_without_mirror_names_both_options(offline):
    with pytest.raises(data.DataUnavailable) as error:
        data.load_mnist()
    message = str(error.value)
    assert "MLEXP_DATA_DIR" in message and "internet" in message and "mnist/mnist.npz" in message
    assert not [p for p in offline.rglob("*") if p.is_file()]  # nothing half-written left behind


def test_mirror_without_the_file_falls_back_and_says_so(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("MLEXP_DATA_DIR", str(tmp_path / "empty-mirror"))
    with pytest.raises(data.DataUnavailable, match="empty-mirror has no mnist/mnist.npz"):
        data.load_mnist()


def test_uses_the_cache(offline):
    arrays = tiny_mnist(offline / "mnist" / "mnist.npz")
    (x_train, _), _ = data.load_mnist()
    assert np.array_equal(x_train, arrays["x_train"])


@pytest.fixture
def http_source(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/served."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_downloads_verifies_and_caches(offline, http_source, monkeypatch):
    served, url = http_source
    arrays = tiny_mnist(served / "mnist.npz")
    digest = hashlib.sha256((served / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(mnist, "MNIST_URL", f"{url}/mnist.npz")
    monkeypatch.setattr(mnist, "MNIST_SHA256", digest)
    (x_train, _), _ = data.load_mnist()
    assert np.array_equal(x_train, arrays["x_train"])
    assert (offline / "mnist" / "mnist.npz").is_file()
    (served / "mnist.npz").unlink()  # the second load needs no network
    data.load_mnist()


def test_a_corrupt_download_leaves_nothing_behind(offline, http_source, monkeypatch):
    served, url = http_source
    tiny_mnist(served / "mnist.npz")
    monkeypatch.setattr(mnist, "MNIST_URL", f"{url}/mnist.npz")
    monkeypatch.setattr(mnist, "MNIST_SHA256", "0" * 64)
    with pytest.raises(data.DataUnavailable, match="wrong checksum"):
        data.load_mnist()
    assert not any((offline / "mnist").iterdir())


def test_validation_split_is_disjoint_and_covers_the_training_set():
    x = np.arange(100)
    (xt, yt), (xv, yv) = mnist.validation_split(x, x, size=20, seed=1)
    assert len(xv) == 20 and len(xt) == 80
    assert not set(xt) & set(xv) and set(xt) | set(xv) == set(x)
