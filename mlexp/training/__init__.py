"""The TensorFlow side, for the training notebooks only (no dashboard imports it).

- `tf`: the one place TensorFlow and Keras are imported, with TensorFlow's environment set first;
- `helpers`: what the training notebooks share (augmentation, datasets, `fit`, `held_out`,
  `export_checked`, ...), also reachable as `mlexp.training.fit` and so on (loaded, with
  TensorFlow, on first use: `mlexp.training.tfjs` alone does not load TensorFlow);
- `tfjs`, `tfjs_layers`, `tfjs_graph`: converters of published TensorFlow.js models."""
from __future__ import annotations

import importlib

SUBMODULES = ("tf", "helpers", "tfjs", "tfjs_layers", "tfjs_graph")


def __getattr__(name: str):
    """`mlexp.training.<helper>`: the helpers module's names, imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    if name in SUBMODULES:  # `from mlexp.training import tfjs_layers` asks for the attribute first
        return importlib.import_module(f"{__name__}.{name}")
    helpers = importlib.import_module("mlexp.training.helpers")
    try:
        return getattr(helpers, name)
    except AttributeError:
        raise AttributeError(f"module 'mlexp.training' has no attribute {name!r}") from None
