"""Closing a composed widget for good: it, everything in it, and every callback they hold."""
from __future__ import annotations

import ipywidgets as w


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
