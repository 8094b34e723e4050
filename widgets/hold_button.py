"""HoldButton: a button that is "pressed" while a pointer (mouse, finger, pen) or the space or
enter key holds it down, for recording while held."""
from __future__ import annotations

from pathlib import Path

import anywidget
from traitlets import Bool, Unicode

HERE = Path(__file__).parent


class HoldButton(anywidget.AnyWidget):
    """`pressed` is True from the press to the release (set by the browser; losing the pointer
    or the focus releases it). Observe it: `button.observe(callback, "pressed")`."""

    _esm = HERE / "hold_button.js"
    label = Unicode("Hold to record").tag(sync=True)
    disabled = Bool(False).tag(sync=True)
    pressed = Bool(False).tag(sync=True)
