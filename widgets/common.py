"""What the widgets share: the stylesheet (sent to the page once), HTML boxes styled by it,
and the one-sentence notice shown instead of a traceback."""
from __future__ import annotations

import html
import logging
from pathlib import Path

import anywidget
import ipywidgets as w

HERE = Path(__file__).parent
log = logging.getLogger("mlexp.widgets")


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


def sentence(error: Exception) -> str:
    """What a person is shown for an exception raised while a widget worked for them: the message
    of an error they can act on (mlexp's errors say `for_people`, and a ValueError is odd input),
    without a closing full stop; anything else is a bug, logged with its traceback (the server's
    log, where a developer finds it) and named in one sentence."""
    if getattr(error, "for_people", False) or isinstance(error, ValueError):
        return first_line(error)
    log.error("A widget's callback failed", exc_info=error)
    return f"Something went wrong ({type(error).__name__}: {first_line(error)}); the details are in the server's log"


def notice(text) -> str:
    """The HTML of a one-sentence notice ('' for no text)."""
    return f"<p>{html.escape(str(text))}</p>" if str(text) else ""


def message(text) -> w.VBox:
    """A one-sentence notice shown on its own (instead of a traceback), with the stylesheet."""
    return w.VBox([stylesheet(), html_box("mlexp-message", notice(text))])
