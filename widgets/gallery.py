"""Gallery: a card per experiment with a picture and links to its dashboard and notebook."""
from __future__ import annotations

import base64
import html
from pathlib import Path

import ipywidgets as w

from .common import html_box, stylesheet


def _picture(path: str | None) -> str:
    if path and Path(path).is_file():
        data = base64.b64encode(Path(path).read_bytes()).decode()
        return f'<img alt="" src="data:image/png;base64,{data}">'
    return ""


def card(title: str, summary: str, demo_href: str, train_href: str | None, picture: str | None = None,
         note: str = "") -> str:
    """HTML of one experiment card (no training link when `train_href` is None)."""
    e = html.escape
    return (
        f'<div class="mlexp-card">{_picture(picture)}<h3>{e(title)}</h3><p>{e(summary)}</p>'
        f'{f"<p><i>{e(note)}</i></p>" if note else ""}'
        f'<a class="mlexp-demo-link" href="{e(demo_href)}">Open the demo</a>'
        + (f'<a class="mlexp-train-link" href="{e(train_href)}" target="_blank">Training notebook</a>'
           if train_href else "") + "</div>"
    )


def gallery(cards: list[str]) -> w.VBox:
    """A widget showing the given cards side by side."""
    return w.VBox([stylesheet(), html_box("mlexp-gallery-box", f'<div class="mlexp-gallery">{"".join(cards)}</div>')])
