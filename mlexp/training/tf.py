"""The one place TensorFlow and Keras are imported (`from mlexp.training.tf import tf, keras`):
TensorFlow's environment is set first, so every import in the project sees the same settings.

- `TF_ENABLE_ONEDNN_OPTS=0` unless set: TensorFlow's oneDNN kernels compute differently on
  different CPUs (seen on an AVX-512 AMD EPYC), so with them on, a model's figures change
  with the machine; with them off they do not, at some speed. Set it to 1 to have them.
- `TF_CPP_MIN_LOG_LEVEL=2` unless set: no start-up lines in notebooks and dashboards' logs.

A variable set to "" counts as unset (TensorFlow reads an empty TF_ENABLE_ONEDNN_OPTS as its
default, on). Environment variables are read by TensorFlow when it loads: once TensorFlow is
imported (by anything, before this module), changing them does nothing; `ENVIRONMENT` says what
was asked, `onednn()` what TensorFlow does."""
from __future__ import annotations

import os

ENVIRONMENT = {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
for _name, _value in ENVIRONMENT.items():
    if not os.environ.get(_name):
        os.environ[_name] = _value

import keras  # noqa: E402, TID253
import tensorflow as tf  # noqa: E402, TID253

try:  # TensorFlow's own answer, private: not every version may have it
    from tensorflow.python.util._pywrap_util_port import IsMklEnabled as _onednn  # noqa: E402, TID253
except ImportError:
    _onednn = None

tf.get_logger().setLevel("ERROR")  # the LiteRT converter's Python log lines


def onednn() -> bool | None:
    """Whether TensorFlow runs its oneDNN kernels in this process (what it made of
    TF_ENABLE_ONEDNN_OPTS; False where it was built without them); None if it cannot say."""
    return None if _onednn is None else bool(_onednn())


__all__ = ["tf", "keras", "ENVIRONMENT", "onednn"]
