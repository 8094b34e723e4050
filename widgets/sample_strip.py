"""SampleStrip: a class's samples as a strip of thumbnails with their count, the newest first, a
page at a time; each thumbnail has a remove button."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import anywidget
from ipywidgets import CallbackDispatcher
from traitlets import Int, List, Unicode

HERE = Path(__file__).parent


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
