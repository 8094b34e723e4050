"""SampleStrip: a class's samples as a strip of thumbnails with their count, the newest first, a
page at a time; each thumbnail has a remove button. `Thumbnails`: each sample's small picture
for a strip, made once."""
from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Callable, Iterable

import anywidget
from ipywidgets import CallbackDispatcher
from PIL import Image
from traitlets import Int, List, Unicode

HERE = Path(__file__).parent
ICON = 56  # pixels: the strip's thumbnails


def icon(thumbnail: bytes) -> str:
    """A data: URL of a small JPEG of a sample's thumbnail."""
    with Image.open(io.BytesIO(thumbnail)) as image:
        image = image.convert("RGB")
        image.thumbnail((ICON, ICON))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


class Thumbnails:
    """Each sample's icon for a strip, made once and kept by the sample's `id` (a number no other
    sample ever gets: an object's address would be reused once the sample is freed)."""

    def __init__(self):
        self._icons: dict[int, str] = {}

    def item(self, sample, title: str) -> dict:
        """A strip's thumbnail of `sample` ({"id", "src", "title"})."""
        if sample.id not in self._icons:
            self._icons[sample.id] = icon(sample.thumbnail)
        return {"id": sample.id, "src": self._icons[sample.id], "title": title}

    def keep_only(self, samples: Iterable) -> None:
        """Forget the icons of samples other than these (removed ones)."""
        ids = {s.id for s in samples}
        self._icons = {key: src for key, src in self._icons.items() if key in ids}

    def __len__(self) -> int:
        return len(self._icons)


class SampleStrip(anywidget.AnyWidget):
    """Shows `thumbnails` ([{"id", "src" (a data: URL), "title"}], the page being shown) and
    `count`; the browser sets `offset` (the first sample shown, 0 = the newest) when the person
    pages, and sends a remove request when a thumbnail's x is pressed: `on_remove(callback)`
    gets the sample's id."""

    _esm = HERE / "sample_strip.js"
    thumbnails = List().tag(sync=True)
    count = Int(0).tag(sync=True)
    offset = Int(0).tag(sync=True)
    page = Int(24).tag(sync=True)
    empty = Unicode("No samples yet.").tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._removed = CallbackDispatcher()
        self.on_msg(self._on_message)

    def on_remove(self, callback: Callable[[int], None], remove: bool = False) -> None:
        """Call `callback(sample_id)` when the person removes a sample."""
        self._removed.register_callback(callback, remove=remove)

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "remove":
            self._removed(int(content.get("id", -1)))
