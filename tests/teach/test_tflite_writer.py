"""mlexp.core.tflite_writer: the .tflite files it writes load in LiteRT and compute what numpy does."""
from __future__ import annotations

import numpy as np
import pytest

from mlexp.core.litert import LiteRTModel, quiet_stderr
from mlexp.core.tflite_writer import dense_network

TWO_LAYERS = [(83, 32, "relu"), (32, 5, None)]
ONE_LAYER = [(1280, 10, None)]


def random_layers(spec, seed=0):
    """(W, b, activation) for each (in, out, activation) of `spec`, random float32."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n_in, n_out)).astype(np.float32) / np.sqrt(n_in),
             rng.normal(size=n_out).astype(np.float32), activation) for n_in, n_out, activation in spec]


def numpy_forward(layers, x, softmax=True):
    """What the network computes, in float64 numpy."""
    for weights, bias, activation in layers:
        x = x @ weights.astype(np.float64) + bias
        if activation == "relu":
            x = np.maximum(x, 0)
    if softmax:
        x = np.exp(x - x.max(axis=1, keepdims=True))
        x /= x.sum(axis=1, keepdims=True)
    return x


def run_litert(model: bytes, x: np.ndarray) -> np.ndarray:
    """The model's output on the batch `x`, run with LiteRT's Interpreter."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model)
    (detail,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(detail["index"], list(x.shape))
    with quiet_stderr():
        interpreter.allocate_tensors()
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def batch(n_in, size, seed=1):
    return np.random.default_rng(seed).normal(size=(size, n_in)).astype(np.float32)


@pytest.mark.parametrize("spec", [TWO_LAYERS, ONE_LAYER], ids=["83-32relu-5", "1280-10"])
@pytest.mark.parametrize("size", [1, 7])
def test_softmax_network_matches_numpy(spec, size):
    layers = random_layers(spec)
    x = batch(spec[0][0], size)
    probabilities = run_litert(dense_network(layers), x)
    assert probabilities.shape == (size, spec[-1][1]) and probabilities.dtype == np.float32
    assert np.abs(probabilities - numpy_forward(layers, x)).max() < 1e-5
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_without_softmax_gives_logits():
    layers = random_layers(TWO_LAYERS, seed=2)
    x = batch(83, 7)
    logits = run_litert(dense_network(layers, softmax=False), x)
    expected = numpy_forward(layers, x, softmax=False)
    assert np.abs(logits - expected).max() < 1e-5
    assert (logits < 0).any()  # raw logits, not probabilities


def test_input_and_output_details():
    from ai_edge_litert.interpreter import Interpreter

    model = dense_network(random_layers(TWO_LAYERS), input_name="x", output_name="y")
    interpreter = Interpreter(model_content=model)
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert inp["name"] == "x" and list(inp["shape"]) == [1, 83] and list(inp["shape_signature"]) == [-1, 83]
    assert out["name"] == "y" and list(out["shape"]) == [1, 5] and inp["dtype"] == out["dtype"] == np.float32


def test_file_identifier_and_size():
    layers = random_layers([(1280, 128, "relu"), (128, 10, None)])
    model = dense_network(layers)
    assert model[4:8] == b"TFL3"
    weights = sum(w.size + b.size for w, b, _ in layers)
    assert 4 * weights < len(model) < 4 * weights + 4096


def test_loads_with_mlexp_loader(tmp_path):
    layers = random_layers(TWO_LAYERS, seed=3)
    path = tmp_path / "model.tflite"
    path.write_bytes(dense_network(layers))
    x = batch(83, 5)
    assert np.abs(LiteRTModel(path).run(x)[0] - numpy_forward(layers, x)).max() < 1e-5


@pytest.mark.parametrize("layers", [[], [(np.zeros((4, 3)), np.zeros(2), None)],
                                    [(np.zeros((4, 3)), np.zeros(3), "tanh")],
                                    [(np.zeros((4, 3)), np.zeros(3), None), (np.zeros((4, 2)), np.zeros(2), None)]])
def test_rejects_inconsistent_layers(layers):
    with pytest.raises(ValueError):
        dense_network(layers)
