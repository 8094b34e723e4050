"""What the widgets share: the stylesheet (sent to the page once), HTML boxes styled by it,
the one-sentence notice shown instead of a traceback, the kernel's timer, the overlay of what
was found on the camera preview, a photo shown with boxes on it, and closing a composed widget for good."""
from __future__ import annotations

import asyncio
import html
import io
import logging
from pathlib import Path
from typing import Callable

import anywidget
import ipywidgets as w
import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).parent
log = logging.getLogger("mlexp.widgets")
BOX_COLOR = "#1f6fc5"  # a hand's or a face's box on the camera preview


class Stylesheet(anywidget.AnyWidget):
    """Shows nothing; puts `mlexp.css` into the page once (anywidget keeps one <style> per
    widget class, however many views there are)."""

    _esm = HERE / "stylesheet.js"
    _css = HERE / "mlexp.css"


_sheet: Stylesheet | None = None


def stylesheet() -> Stylesheet:
    """The kernel's one Stylesheet widget: put it among a widget's children so the page gets
    the styles with the widget (the CSS crosses to the browser once per kernel)."""
    global _sheet
    if _sheet is None or _sheet.comm is None:  # none yet, or closed
        _sheet = Stylesheet(layout=w.Layout(display="none"))
    return _sheet


def html_box(css_class: str, value: str = "") -> w.HTML:
    """An HTML widget with an mlexp-* class, which the stylesheet styles."""
    box = w.HTML(value)
    box.add_class(css_class)
    return box


def first_line(error: Exception) -> str:
    """An exception's first line, without a closing full stop (to end a sentence of one's own)."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__).rstrip(".")


def expected(error: Exception) -> bool:
    """Whether a person caused the error and its message tells them what to do: mlexp's errors say
    `for_people` (the widgets import nothing of mlexp), and a ValueError is odd input."""
    return bool(getattr(error, "for_people", False)) or isinstance(error, ValueError)


def sentence(error: Exception) -> str:
    """The one sentence a person is shown for an exception raised while a widget worked for them
    (its first line, without a closing full stop). An unexpected one is a bug: its traceback is
    logged (the kernel's log: the terminal of the Jupyter or Voila server) for a developer."""
    if not expected(error):
        log.error("A widget's callback failed: %s", first_line(error), exc_info=error)
    return first_line(error)


def notice(text) -> str:
    """The HTML of a one-sentence notice ('' for no text)."""
    return f"<p>{html.escape(str(text))}</p>" if str(text) else ""


def message(text) -> w.VBox:
    """A one-sentence notice shown on its own (instead of a traceback), with the stylesheet."""
    return w.VBox([stylesheet(), html_box("mlexp-message", notice(text))])


def call_later(seconds: float, callback: Callable) -> Callable[[], None]:
    """Run `callback` after `seconds` on the kernel's event loop; returns a cancel function."""
    handle = asyncio.get_running_loop().call_later(seconds, callback)
    return handle.cancel


def camera_overlay(shape, label: str, probabilities, result, connections=(), subject: str = "hand") -> dict:
    """A Camera overlay of what a view found in a frame, in coordinates normalised to 0-1 by the
    frame's width and height: `result`'s "boxes" ([{"box", "label", "score", "number"}], faces say)
    or its one "box" (labelled, or named `subject` before there is a label), and the skeleton of its
    "landmarks", all in the frame's pixels."""
    height, width = shape[:2]

    def normalised(box):
        return [min(max(float(v) / size, 0.0), 1.0) for v, size in zip(box, (width, height) * 2)]

    boxes = [{"box": normalised(b["box"]), "label": (f"{b['number']}: " if b.get("number") else "") + b["label"],
              "score": float(b["score"]), "color": BOX_COLOR} for b in result.get("boxes") or ()]
    if not boxes and result.get("box") is not None:
        boxes.append({"box": normalised(result["box"]), "label": subject if label == "none" else label,
                      "score": probabilities.get(label, 0.0), "color": BOX_COLOR})
    landmarks = result.get("landmarks")
    points = [[float(x) / width, float(y) / height] for x, y in ([] if landmarks is None else landmarks)]
    return {"boxes": boxes, "points": points, "lines": connections if points else [], "text": ""}


def close_tree(widget: w.Widget, keep: tuple = ()) -> None:
    """Close `widget`, the widgets among its children all the way down, and their layouts and
    styles, except those in `keep` (and what is in them). ipywidgets' `close()` closes a box, not
    its children: they would stay in the kernel's registry of widgets, with their callbacks.

    A closed widget also lets go of its callbacks (trait observers, message and click handlers,
    callback dispatchers): anywidget keeps every instance of a widget whose `_esm` is a file
    alive for ever, closed or not (its class's file watcher holds it: anywidget#929), and a
    callback would keep alive whatever it calls, such as the view the widget was part of."""
    if any(widget is k for k in keep):
        return
    for child in getattr(widget, "children", ()):
        close_tree(child, keep)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, w.Widget):
            part.close()
    widget.close()
    let_go(widget)


def let_go(widget: w.Widget) -> None:
    """Drop every callback a (closed) widget holds."""
    widget.unobserve_all()
    attributes = vars(widget)
    held = [*attributes.values(), *attributes.get("_trait_values", {}).values()]  # traits: as set (no defaults made)
    for value in held:
        if isinstance(value, w.CallbackDispatcher):
            value.callbacks = []


def ink_picture(ink: np.ndarray) -> Image.Image:
    """A grey picture, dark ink on white, of an array in [0, 1] with ink high (a model's 28x28
    input, a generated digit, a sheet of them)."""
    return Image.fromarray(np.round(255 * (1 - np.clip(ink, 0, 1))).astype(np.uint8), "L")


def ink_png(ink: np.ndarray, scale: int = 1) -> bytes:
    """PNG bytes of `ink_picture(ink)`, `scale` times larger (each pixel a square)."""
    image = ink_picture(ink)
    out = io.BytesIO()
    image.resize((image.width * scale, image.height * scale), Image.NEAREST).save(out, "PNG")
    return out.getvalue()


SHOWN = 360  # pixels: the longer side of the photo as shown
REGION_COLOR = "#1f6fc5"  # the region a photo model read, outlined on the photo


def picture(image, boxes=(), longest: int = SHOWN) -> bytes:
    """JPEG bytes of a photo (a PIL image, upright as a model read it, or an RGB array: a camera
    frame) shrunk to `longest` pixels, with `boxes` outlined: (x1, y1, x2, y2, caption, colour)
    in the photo's pixels (caption "" for none). The widgets' one picture conversion (they import
    nothing of mlexp, whose `pictures` module the models read with)."""
    if not isinstance(image, Image.Image):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8))
    scale = min(1.0, longest / max(image.size))
    shown = image.convert("RGB").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    draw = ImageDraw.Draw(shown)
    for x1, y1, x2, y2, caption, colour in boxes:
        x1, y1, x2, y2 = (v * scale for v in (x1, y1, x2, y2))
        draw.rectangle((x1, y1, max(x1, x2 - 1), max(y1, y2 - 1)), outline=colour, width=3)
        if caption:
            left, top, right, bottom = draw.textbbox((x1 + 3, y1 + 2), caption)
            draw.rectangle((left - 2, top - 1, right + 2, bottom + 1), fill=colour)
            draw.text((x1 + 3, y1 + 2), caption, fill="white")
    out = io.BytesIO()
    shown.save(out, "JPEG", quality=85)
    return out.getvalue()
