"""Test helpers shared by several test modules: driving widgets through the widget message
protocol as the browser does, and which Quick, Draw! drawings a model was trained on."""
from __future__ import annotations

import numpy as np
import traitlets

from mlexp.data import load_quickdraw, stratified_split
from widgets import DrawingClassifier


def send(widget, **content):
    """Deliver a frontend event to a widget's comm, exactly as the browser sends it."""
    widget.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def send_file(picker, data: bytes, name: str, id: int = 1, piece: int | None = None) -> None:
    """Deliver a file to a PhotoPicker's comm exactly as photo_picker.js sends it: in pieces of
    `piece` bytes (the picker's own size by default)."""
    piece = piece or picker.piece_bytes
    count = max(1, -(-len(data) // piece))
    for index in range(count):
        content = {"type": "piece", "id": id, "name": name, "size": len(data), "index": index, "count": count}
        picker.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}},
                                "buffers": [memoryview(data[index * piece:(index + 1) * piece])]})


def mouse_stroke(canvas, points, width=None):
    """A stroke drawn on a DrawingPad's canvas, as drawing_pad.js sends it when the pen lifts:
    one message with every point (0.1 px) and the brush's width (the canvas's, unless given)."""
    send(canvas, type="stroke", points=[[round(x, 1), round(y, 1)] for x, y in points],
         width=canvas.brush if width is None else width)


class PadReplay:
    """A DrawingClassifier running `model`, drawn on through the widget protocol."""

    def __init__(self, model):
        self.last = None  # the model's last Prediction; None when the widget refused the drawing

        def classify(strokes):
            self.last = None
            self.last = model.classify_strokes(strokes)
            return self.last

        self.widget = DrawingClassifier(model.labels, classify)

    def draw(self, strokes):
        """Clear the pad, draw the strokes with the mouse; the prediction after the last one."""
        self.widget.pad.clear()
        self.last = None
        for stroke in strokes:
            mouse_stroke(self.widget.pad.canvas, stroke)
        return self.last


class FakeTime:
    """A clock that moves only when told, and the timers scheduled on it (games' countdowns)."""

    def __init__(self):
        self.now, self.timers = 100.0, []

    def call_later(self, seconds, callback):
        timer = [self.now + seconds, callback]
        self.timers.append(timer)
        return lambda: self.timers.remove(timer) if timer in self.timers else None

    def advance(self, seconds):
        end = self.now + seconds
        while self.timers and min(t[0] for t in self.timers) <= end:
            timer = min(self.timers, key=lambda t: t[0])
            self.timers.remove(timer)
            self.now = timer[0]
            timer[1]()
        self.now = end


def trained_on(card) -> dict[str, set[int]]:
    """Per class, the row numbers of its bitmap file in the model's training split."""
    args = card["split_args"]
    _, y, labels = load_quickdraw(args["categories"], args["per_class"])
    train = stratified_split(y, args["validation"], args["test"], args["seed"])[0]
    starts = np.searchsorted(y, np.arange(len(labels)))  # y is grouped by class
    return {label: set((train[y[train] == i] - starts[i]).tolist()) for i, label in enumerate(labels)}


class FakeCamera(traitlets.HasTraits):
    """The camera widget's Python API: frames are pushed with `send` (a black 200x100 frame by default)."""
    overlay = traitlets.Dict()
    error = traitlets.Unicode("")
    state = traitlets.Unicode("live")
    running = traitlets.Bool(True)

    def __init__(self):
        super().__init__()
        self.callbacks = []
        self.last = None

    def snapshot(self):
        """The last frame sent, or None (as the real camera's)."""
        return self.last

    def on_frame(self, callback, remove=False):
        if remove and callback in self.callbacks:  # as ipywidgets' CallbackDispatcher
            self.callbacks.remove(callback)
        elif not remove:
            self.callbacks.append(callback)

    def send(self, frame=None, times=1):
        frame = np.zeros((100, 200, 3), np.uint8) if frame is None else frame
        self.last = frame
        for _ in range(times):
            for callback in list(self.callbacks):
                callback(frame)

    def listeners(self) -> list:
        """Everything the camera holds to call: its frame callbacks and its traits' observers."""
        observers = [handler for by_type in self._trait_notifiers.values() for handlers in by_type.values()
                     for handler in handlers]
        return list(self.callbacks) + observers
