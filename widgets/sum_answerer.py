"""SumAnswerer: type a sum, the model's answer and each digit's probabilities show as you type."""
from __future__ import annotations

import html
from typing import Callable

import ipywidgets as w

from .common import expected, html_box, notice, sentence, stylesheet


class SumAnswerer(w.VBox):
    """A text box bound to `add(text)`, which returns an answer with `.a`, `.b`, `.text` (the
    answer), `.digits` (per answer position: digit -> probability) and `.correct`, or raises
    ValueError with one sentence saying what is accepted."""

    def __init__(self, add: Callable, example: str = "17+38", caption: str = ""):
        self.add = add
        self.input = w.Text(value="", placeholder=example, description="Sum:", continuous_update=True,
                            layout=w.Layout(width="260px"))
        self.input.add_class("mlexp-sum-input")
        self.answer = html_box("mlexp-answer")
        self.status = html_box("mlexp-message")
        self.digits = html_box("mlexp-digits")
        self.input.observe(lambda change: self.update(change["new"]), names="value")
        super().__init__([stylesheet(), self.input, self.answer, self.status, self.digits,
                          w.HTML(f"<small>{html.escape(caption)}</small>")])
        self.add_class("mlexp-sum")
        self.update("")

    def update(self, text: str) -> None:
        """Answer the sum typed so far, or say what is accepted."""
        try:
            result = self.add(text)
        except Exception as error:  # keep the dashboard alive whatever happens (a bug is logged)
            said = sentence(error)
            return self._show("?", f"{said}." if expected(error) else f"Something went wrong while adding: {said}.")
        verdict = ("right" if result.correct else f"wrong: {result.a + result.b}")
        self._show(f"{result.a}+{result.b} = {result.text}", "", result.digits, verdict)

    def _show(self, big: str, note: str, digits=(), verdict: str = "") -> None:
        kind = "verdict right" if verdict == "right" else "verdict"
        tail = f' <span class="{kind}">({html.escape(verdict)})</span>' if verdict else ""
        self.answer.value = f'<div class="big">{html.escape(big)}{tail}</div>'
        self.status.value = notice(note)
        self.digits.value = self._table(digits)

    @staticmethod
    def _table(digits) -> str:
        """One column per answer digit: its three likeliest values with their probabilities."""
        if not digits:
            return ""
        places = ["ten thousands", "thousands", "hundreds", "tens", "units"][-len(digits):]
        columns = []
        for position, p in enumerate(digits):
            best = sorted(p.items(), key=lambda kv: -kv[1])[:3]
            rows = "".join(f'<tr class="{"top" if i == 0 else ""}"><td><b>{html.escape(d)}</b></td>'
                           f'<td class="pct">{100 * q:.1f}%</td></tr>' for i, (d, q) in enumerate(best))
            columns.append(f'<td data-position="{position}"><small>{places[position]}</small>'
                           f"<table>{rows}</table></td>")
        return (f'<div class="places">Each answer digit, its likeliest values:'
                f'<table><tr>{"".join(columns)}</tr></table></div>')
