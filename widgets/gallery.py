"""Gallery: a card per experiment with a picture and links to its dashboard and notebook."""
from __future__ import annotations

import base64
import html
from pathlib import Path

import ipywidgets as w

CARD_STYLE = """<style>
.mlexp-gallery {display: flex; flex-wrap: wrap; gap: 16px; font-family: sans-serif}
.mlexp-card {width: 300px; border: 1px solid #ccc; border-radius: 8px; padding: 12px}
.mlexp-card img {width: 100%; border-radius: 4px; border: 1px solid #eee}
.mlexp-card h3 {margin: 8px 0 4px}
.mlexp-card a {margin-right: 12px}
</style>"""


def _picture(path: str | None) -> str:
    if path and Path(path).is_file():
        data = base64.b64encode(Path(path).read_bytes()).decode()
        return f'<img alt="" src="data:image/png;base64,{data}">'
    return ""


def card(title: str, summary: str, demo_href: str, train_href: str, picture: str | None = None,
         note: str = "") -> str:
    """HTML of one experiment card."""
    e = html.escape
    return (
        f'<div class="mlexp-card">{_picture(picture)}<h3>{e(title)}</h3><p>{e(summary)}</p>'
        f'{f"<p><i>{e(note)}</i></p>" if note else ""}'
        f'<a class="mlexp-demo-link" href="{e(demo_href)}">Open the demo</a>'
        f'<a class="mlexp-train-link" href="{e(train_href)}" target="_blank">Training notebook</a></div>'
    )


def gallery(cards: list[str]) -> w.HTML:
    """A widget showing the given cards side by side."""
    box = w.HTML(f'{CARD_STYLE}<div class="mlexp-gallery">{"".join(cards)}</div>')
    box.add_class("mlexp-gallery-box")
    return box
