"""PhotoPicker: a "Choose a photo" button that is also a drop zone; the file's bytes reach Python.

The browser checks the file's size first: one over `max_bytes` is refused there, with one
sentence, and never sent. Others cross in pieces of `piece_bytes` (binary buffers of custom
messages), so a photo larger than the server's websocket message limit (10 MiB in Jupyter and
Voila by default, where ipywidgets' FileUpload, which sends the file in one message, loses it
with the connection) still arrives whole.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import anywidget
from ipywidgets import CallbackDispatcher
from traitlets import Bool, Int, Unicode

HERE = Path(__file__).parent


def size_text(n: int) -> str:
    """A file size as people read it: '80 MiB', '12 KiB'."""
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


class PhotoPicker(anywidget.AnyWidget):
    """`on_file(callback)`: `callback(data: bytes, name: str)` for each file chosen or dropped;
    `on_problem(callback)`: `callback(sentence)` for a file refused (too large, unreadable)."""

    _esm = HERE / "photo_picker.js"
    label = Unicode("Choose a photo").tag(sync=True)
    accept = Unicode("image/*").tag(sync=True)      # the file chooser's filter (drops are not filtered)
    multiple = Bool(False).tag(sync=True)            # several files at once (sent one after the other)
    max_bytes = Int(50 * 2**20).tag(sync=True)       # larger files are refused in the browser
    piece_bytes = Int(4 * 2**20).tag(sync=True)      # each message carries at most this much
    received = Int(0).tag(sync=True)                 # files received whole (the page shows progress)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._files = CallbackDispatcher()
        self._problems = CallbackDispatcher()
        self._pending: dict | None = None  # the file arriving: {"id", "name", "size", "count", "pieces"}
        self.on_msg(self._on_message)

    def on_file(self, callback: Callable[[bytes, str], None], remove: bool = False) -> None:
        """Call `callback(data, name)` with each file received whole."""
        self._files.register_callback(callback, remove=remove)

    def on_problem(self, callback: Callable[[str], None], remove: bool = False) -> None:
        """Call `callback(sentence)` for each file refused."""
        self._problems.register_callback(callback, remove=remove)

    def _on_message(self, _widget, content, buffers) -> None:
        """{"type": "piece", "id", "name", "size", "index", "count"} + bytes, or {"type": "refused",
        "name", "size"} (over max_bytes), or {"type": "unreadable", "name"}."""
        if not isinstance(content, dict):
            return
        kind, name = content.get("type"), str(content.get("name") or "The file")
        if kind == "refused":
            self._problems(f"{name} is too large to read safely ({size_text(int(content.get('size', 0)))}; "
                           f"the limit is {size_text(self.max_bytes)}).")
        elif kind == "unreadable":
            self._problems(f"{name} could not be read by the browser (was it moved or deleted?).")
        elif kind == "piece":
            self._piece(content, name, bytes(buffers[0]) if buffers else b"")

    def _piece(self, content: dict, name: str, data: bytes) -> None:
        if content.get("index") == 0 or self._pending is None or self._pending["id"] != content.get("id"):
            self._pending = {"id": content.get("id"), "name": name, "size": int(content.get("size", 0)),
                             "count": int(content.get("count", 1)), "pieces": []}
        pending = self._pending
        pending["pieces"].append(data)
        if len(pending["pieces"]) < pending["count"]:
            return
        self._pending = None
        whole = b"".join(pending["pieces"])
        if len(whole) > self.max_bytes:  # a page that skipped its own check
            self._problems(f"{name} is too large to read safely ({size_text(len(whole))}; "
                           f"the limit is {size_text(self.max_bytes)}).")
            return
        self.received += 1
        self._files(whole, name)
