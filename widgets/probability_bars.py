"""ProbabilityBars: every class with its exact probability, the top class highlighted."""
from __future__ import annotations

import html
from typing import Mapping

import ipywidgets as w


class ProbabilityBars(w.HTML):
    """A bar per class with its probability as a percentage to one decimal (rounded, not
    floored). With `top=k`, only the k most likely classes are listed, most likely first. The
    look comes from the stylesheet (`mlexp.css`); each update sends only the rows. Classes below
    `minimum` (a probability) are left out; with none above it, one line says so."""

    def __init__(self, labels, top: int | None = None, minimum: float = 0.0):
        super().__init__()
        self.labels = [str(label) for label in labels]
        self.top = top
        self.minimum = minimum
        self.add_class("mlexp-bars")
        self.show({})

    def show(self, probabilities: Mapping[str, float]) -> None:
        """Display these probabilities (label -> p in [0, 1]); missing labels show 0."""
        p = {label: float(probabilities.get(label, 0.0)) for label in self.labels}
        best = max(p, key=p.get) if probabilities else None
        rows = sorted(p, key=lambda k: -p[k])[: self.top] if self.top else self.labels
        rows = [label for label in rows if p[label] >= self.minimum]
        if probabilities and not rows:
            self.value = f'<p class="none">No class reaches {100 * self.minimum:.1f}%.</p>'
            return
        body = "".join(
            f'<tr class="{"top" if label == best else ""}" data-label="{html.escape(label)}">'
            f"<td>{html.escape(label)}</td>"
            f'<td><div class="bar"><div class="fill" style="width:{100 * p[label]:.1f}%"></div></div></td>'
            f'<td class="pct">{100 * p[label]:.1f}%</td></tr>'
            for label in rows
        )
        self.value = f"<table>{body}</table>"
