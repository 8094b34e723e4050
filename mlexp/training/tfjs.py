"""Reading TensorFlow.js models (`model.json` + `.bin` weight shards) with numpy only: the
weight manifest's tensors by name, dequantized where the converter quantized them."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mlexp.core.errors import MlexpError

DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "uint8": np.uint8,
          "uint16": np.uint16, "float16": np.float16}


class TFJSFormatError(MlexpError, ValueError):
    """A model.json or weight shard that is not what TensorFlow.js writes."""


def read_model_json(path: str | Path) -> dict:
    """The parsed model.json, with a clear error for a missing or broken file."""
    path = Path(path)
    try:
        model = json.loads(path.read_text())
    except FileNotFoundError:
        raise TFJSFormatError(f"{path} is missing.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise TFJSFormatError(f"{path} is not a TensorFlow.js model.json (it is not JSON).") from None
    if not isinstance(model, dict) or "weightsManifest" not in model or "modelTopology" not in model:
        raise TFJSFormatError(f"{path} has no modelTopology and weightsManifest: not a TensorFlow.js model.")
    return model


def read_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of a TF.js model's weight manifest (`path`: its model.json; the shards are
    read from the same folder), by name, in its original dtype: float16 and uint8/uint16
    quantized weights are expanded back to float32 (`q * scale + min` for the integer kinds)."""
    path = Path(path)
    weights: dict[str, np.ndarray] = {}
    for group in read_model_json(path)["weightsManifest"]:
        buffer = b"".join((path.parent / shard).read_bytes() for shard in group["paths"])
        offset = 0
        for spec in group["weights"]:
            quant = spec.get("quantization")
            dtype = np.dtype(DTYPES[quant["dtype"] if quant else spec["dtype"]])
            count = int(np.prod(spec["shape"], dtype=np.int64))
            end = offset + count * dtype.itemsize
            if end > len(buffer):
                raise TFJSFormatError(f"The weights of {path.name} end early (at {spec['name']}): a shard "
                                      "is truncated or missing.")
            value = np.frombuffer(buffer[offset:end], dtype=dtype).reshape(spec["shape"])
            offset = end
            if quant and quant["dtype"] == "float16":
                value = value.astype(np.float32)
            elif quant:
                value = (value.astype(np.float32) * quant["scale"] + quant["min"]).astype(np.float32)
            weights[spec["name"]] = value
        if offset != len(buffer):
            raise TFJSFormatError(f"The weight shards of {path.name} hold {len(buffer) - offset} bytes more "
                                  "than its manifest lists.")
    return weights
