"""Write a LiteRT (`.tflite`) flatbuffer for a small dense network, without TensorFlow.

Only numpy and `flatbuffers`: tables are written slot by slot following LiteRT's schema.fbs
(slot numbers are the fields' order there)."""
from __future__ import annotations

import flatbuffers
import numpy as np

# Enum values from schema.fbs.
FLOAT32 = 0  # TensorType
FULLY_CONNECTED, SOFTMAX = 9, 25  # BuiltinOperator
FULLY_CONNECTED_OPTIONS, SOFTMAX_OPTIONS = 8, 9  # BuiltinOptions (union type)
ACTIVATIONS = {None: 0, "relu": 1}  # ActivationFunctionType: NONE, RELU
SCHEMA_VERSION = 3
BUFFER_ALIGNMENT = 16  # Buffer.data is `force_align: 16`


def _table(builder: flatbuffers.Builder, fields: dict) -> int:
    """A table from {slot: (kind, value)}, kind naming a Builder `Prepend<kind>Slot` method
    ("UOffsetTRelative" for an offset, "Int32", "Uint8", "Float32", ...)."""
    builder.StartObject(max(fields, default=-1) + 1)
    for slot, (kind, value) in fields.items():
        getattr(builder, f"Prepend{kind}Slot")(slot, value, 0)
    return builder.EndObject()


def _offsets(builder: flatbuffers.Builder, offsets: list[int]) -> int:
    """A vector of tables (offsets already written)."""
    builder.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def _int32s(builder: flatbuffers.Builder, values) -> int:
    """A vector of int32 (shapes, tensor indices)."""
    return builder.CreateNumpyVector(np.asarray(values, np.int32))


def _buffer(builder: flatbuffers.Builder, array: np.ndarray) -> int:
    """A Buffer table holding `array` as little-endian float32, its data 16-byte aligned."""
    data = np.ascontiguousarray(array, "<f4").tobytes()
    builder.StartVector(1, len(data), BUFFER_ALIGNMENT)
    builder.head -= len(data)  # copy the bytes in at once, as Builder.CreateNumpyVector does
    builder.Bytes[builder.head:builder.head + len(data)] = data
    return _table(builder, {0: ("UOffsetTRelative", builder.EndVector())})


def _operator_code(builder: flatbuffers.Builder, code: int) -> int:
    """An OperatorCode for a builtin op (version 1), in both the deprecated and new fields."""
    return _table(builder, {0: ("Int8", min(code, 127)), 2: ("Int32", 1), 3: ("Int32", code)})


def _operator(builder, opcode_index, inputs, outputs, options_type, options) -> int:
    """An Operator: its code's index, tensor indices in and out, its builtin options table."""
    return _table(builder, {0: ("Uint32", opcode_index), 1: ("UOffsetTRelative", _int32s(builder, inputs)),
                            2: ("UOffsetTRelative", _int32s(builder, outputs)), 3: ("Uint8", options_type),
                            4: ("UOffsetTRelative", options)})


def dense_network(layers, softmax=True, input_name="features", output_name="probabilities",
                  description="mlexp") -> bytes:
    """The bytes of a `.tflite` file running `layers` on a float32 input [batch, in].

    `layers`: a list of (W, b, activation), W of shape (in, out) (numpy/Keras orientation), b
    of shape (out,), activation "relu" or None. Each layer is a FULLY_CONNECTED op (weights
    stored [out, in], RELU fused), then a SOFTMAX (beta 1) when `softmax`. The batch is
    resizable: activation tensors have shape [1, n] and shape_signature [-1, n]."""
    builder = flatbuffers.Builder(1024)
    buffers = [_table(builder, {})]  # buffer 0: the empty buffer of tensors without data
    tensors, operators = [], []

    def tensor(name: str, width: int, data: np.ndarray | None = None) -> int:
        """Add a float32 tensor: a constant holding `data`, else an activation [batch, width]."""
        fields = {3: ("UOffsetTRelative", builder.CreateString(name)), 1: ("Int8", FLOAT32)}
        if data is None:
            fields[0] = ("UOffsetTRelative", _int32s(builder, [1, width]))
            fields[7] = ("UOffsetTRelative", _int32s(builder, [-1, width]))
        else:
            fields[0] = ("UOffsetTRelative", _int32s(builder, data.shape))
            fields[2] = ("Uint32", len(buffers))
            buffers.append(_buffer(builder, data))
        tensors.append(_table(builder, fields))
        return len(tensors) - 1

    if not layers:
        raise ValueError("dense_network needs at least one layer")
    width = np.shape(layers[0][0])[0]
    x = tensor(input_name, width)
    inputs = [x]
    for i, (weights, bias, activation) in enumerate(layers):
        weights, bias = np.asarray(weights, np.float32), np.asarray(bias, np.float32)
        if weights.ndim != 2 or weights.shape[0] != width or bias.shape != weights.shape[1:]:
            raise ValueError(f"layer {i}: W {weights.shape} and b {bias.shape} do not follow width {width}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"layer {i}: activation {activation!r} is not one of {list(ACTIVATIONS)}")
        width = weights.shape[1]
        last = i == len(layers) - 1 and not softmax
        kernel = tensor(f"dense_{i}/kernel", width, weights.T)
        bias_index = tensor(f"dense_{i}/bias", width, bias)
        y = tensor(output_name if last else f"dense_{i}", width)
        options = _table(builder, {0: ("Int8", ACTIVATIONS[activation])})
        operators.append(_operator(builder, 0, [x, kernel, bias_index], [y], FULLY_CONNECTED_OPTIONS, options))
        x = y
    codes = [_operator_code(builder, FULLY_CONNECTED)]
    if softmax:
        y = tensor(output_name, width)
        options = _table(builder, {0: ("Float32", 1.0)})
        operators.append(_operator(builder, 1, [x], [y], SOFTMAX_OPTIONS, options))
        codes.append(_operator_code(builder, SOFTMAX))
        x = y

    subgraph = _table(builder, {0: ("UOffsetTRelative", _offsets(builder, tensors)),
                                1: ("UOffsetTRelative", _int32s(builder, inputs)),
                                2: ("UOffsetTRelative", _int32s(builder, [x])),
                                3: ("UOffsetTRelative", _offsets(builder, operators)),
                                4: ("UOffsetTRelative", builder.CreateString("main"))})
    model = _table(builder, {0: ("Uint32", SCHEMA_VERSION), 1: ("UOffsetTRelative", _offsets(builder, codes)),
                             2: ("UOffsetTRelative", _offsets(builder, [subgraph])),
                             3: ("UOffsetTRelative", builder.CreateString(description)),
                             4: ("UOffsetTRelative", _offsets(builder, buffers))})
    builder.Finish(model, file_identifier=b"TFL3")
    return bytes(builder.Output())
