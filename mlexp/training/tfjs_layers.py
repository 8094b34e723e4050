"""TensorFlow.js *layers* models (a Keras 2 `Sequential` saved as `model.json` + `.bin` shards)
as Keras 3 models: the network rebuilt from the topology, its weights set from the manifest.
`numpy_forward` runs the same file with plain numpy, an independent check of the conversion."""
from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

from mlexp.core.metrics import softmax
from mlexp.training.tfjs import TFJSFormatError, read_model_json, read_weights

# Config keys that only matter for training (the weights are set afterwards) or that Keras 3 names
# differently; everything else in a layer's config must be an argument its Keras 3 class takes.
TRAINING_ONLY = ("_initializer", "_regularizer", "_constraint")
IGNORED = {"dtype", "trainable", "batch_input_shape", "batch_shape", "seed", "noise_shape"}


def sequential_layers(model_json: dict) -> tuple[tuple[int, ...], list[tuple[str, dict]]]:
    """(input shape without the batch axis, [(class name, config), ...]) of a Sequential model."""
    config = model_json["modelTopology"].get("model_config", model_json["modelTopology"])
    if config.get("class_name") != "Sequential":
        raise TFJSFormatError(f"Only Sequential layers models can be converted, not {config.get('class_name')!r}.")
    layers = config["config"]["layers"] if isinstance(config["config"], dict) else config["config"]
    layers = [(layer["class_name"], layer["config"]) for layer in layers]
    first = layers[0][1]
    shape = first.get("batch_input_shape") or first.get("batch_shape")
    if shape is None:
        raise TFJSFormatError("The first layer of the model.json does not say its input shape.")
    return tuple(shape[1:]), [(name, cfg) for name, cfg in layers if name != "InputLayer"]


def _keras_layer(keras, class_name: str, config: dict):
    """The Keras 3 layer of a Keras 2 layer config (architecture arguments only)."""
    cls = getattr(keras.layers, class_name, None)
    if cls is None:
        raise TFJSFormatError(f"Keras has no layer {class_name!r}.")
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in config.items() if k not in IGNORED and not k.endswith(TRAINING_ONLY)}
    unknown = [k for k in kwargs if k not in accepted and k != "name"]
    if unknown:
        raise TFJSFormatError(f"Layer {config.get('name')} ({class_name}) has settings Keras 3 does not take: "
                              f"{', '.join(unknown)}.")
    return cls(**kwargs)


def keras_model(path: str | Path, name: str | None = None):
    """The Keras 3 model of the TF.js layers model whose model.json is at `path`, with its
    weights (each layer's from the manifest entries `<layer>/<weight>`, all of them used)."""
    from mlexp.training.tf import keras

    spec = read_model_json(path)
    shape, layers = sequential_layers(spec)
    model = keras.Sequential([keras.Input(shape), *(_keras_layer(keras, c, cfg) for c, cfg in layers)],
                             name=name or spec["modelTopology"].get("model_config", {}).get("config", {}).get("name"))
    weights, used = read_weights(path), set()
    for layer in model.layers:
        names = [f"{layer.name}/{v.name}" for v in layer.weights]
        missing = [n for n in names if n not in weights]
        if missing:
            raise TFJSFormatError(f"The weight manifest of {Path(path).name} has no {', '.join(missing)}.")
        layer.set_weights([weights[n] for n in names])
        used.update(names)
    if set(weights) - used:
        raise TFJSFormatError(f"The weight manifest of {Path(path).name} has weights no layer takes: "
                              f"{', '.join(sorted(set(weights) - used))}.")
    return model


# The plain numpy twin --------------------------------------------------------------------------
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softmax": softmax,
}


def _conv2d(x, kernel, bias, config):
    if tuple(config.get("strides", (1, 1))) != (1, 1) or tuple(config.get("dilation_rate", (1, 1))) != (1, 1):
        raise TFJSFormatError("numpy_forward only runs convolutions with stride 1 and no dilation.")
    kh, kw = kernel.shape[:2]
    if config.get("padding") == "same":
        x = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # N, H, W, C, kh, kw
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel, optimize=True) + bias


def _pool(x, config, reduce):
    ph, pw = config["pool_size"]
    if tuple(config.get("strides") or (ph, pw)) != (ph, pw) or config.get("padding", "valid") != "valid":
        raise TFJSFormatError("numpy_forward only pools with stride = pool size and valid padding.")
    n, h, w, c = x.shape
    x = x[:, : h - h % ph, : w - w % pw].reshape(n, h // ph, ph, w // pw, pw, c)
    return reduce(x, axis=(2, 4))


def numpy_forward(path: str | Path, x: np.ndarray) -> np.ndarray:
    """The outputs of the TF.js layers model at `path` for inputs `x`, computed with numpy from
    the model.json and the weights alone (Conv2D, pooling, Dense, Flatten, Dropout, Activation)."""
    spec = read_model_json(path)
    _, layers = sequential_layers(spec)
    weights = read_weights(path)
    x = np.asarray(x, np.float64)
    for class_name, config in layers:
        name = config["name"]
        if class_name == "Conv2D":
            x = _conv2d(x, weights[f"{name}/kernel"], weights.get(f"{name}/bias", 0.0), config)
        elif class_name == "Dense":
            x = x @ weights[f"{name}/kernel"] + weights.get(f"{name}/bias", 0.0)
        elif class_name == "MaxPooling2D":
            x = _pool(x, config, np.max)
        elif class_name == "AveragePooling2D":
            x = _pool(x, config, np.mean)
        elif class_name == "Flatten":
            x = x.reshape(len(x), -1)  # channels last: the same order as Keras
        elif class_name not in ("Dropout", "Activation"):
            raise TFJSFormatError(f"numpy_forward does not run {class_name} layers.")
        x = ACTIVATIONS[config.get("activation", "linear")](x)
    return x
