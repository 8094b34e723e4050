"""SumAnswerer: type a sum, the model's answer and each digit's probabilities show as you type."""
from __future__ import annotations

import html
from typing import Callable

import ipywidgets as w

from .drawing_classifier import message, notice


class SumAnswerer(w.VBox):
    """A text box bound to `add(text)`, which returns an answer with `.a`, `.b`, `.text` (the
    answer), `.digits` (per answer position: digit -> probability) and `.correct`, or raises
    ValueError with one sentence saying what is accepted."""

    def __init__(self, add: Callable, example: str = "17+38", caption: str = ""):
        self.add = add
        self.input = w.Text(value="", placeholder=example, description="Sum:", continuous_update=True,
                            layout=w.Layout(width="260px"))
        self.input.add_class("mlexp-sum-input")
        self.answer = w.HTML()
        self.answer.add_class("mlexp-answer")
        self.status = message("")
        self.digits = w.HTML()
        self.digits.add_class("mlexp-digits")
        self.input.observe(lambda change: self.update(change["new"]), names="value")
        super().__init__([self.input, self.answer, self.status, self.digits,
                          w.HTML(f"<small>{html.escape(caption)}</small>")])
        self.add_class("mlexp-sum")
        self.update("")

    def update(self, text: str) -> None:
        """Answer the sum typed so far, or say what is accepted."""
        try:
            result = self.add(text)
        except ValueError as error:
            return self._show("?", str(error))
        except Exception as error:  # keep the dashboard alive whatever happens
            return self._show("?", f"Something went wrong while adding: {error}")
        verdict = ("right" if result.correct else f"wrong: {result.a + result.b}")
        self._show(f"{result.a}+{result.b} = {result.text}", "", result.digits, verdict)

    def _show(self, big: str, note: str, digits=(), verdict: str = "") -> None:
        colour = "#1a7f37" if verdict == "right" else "#a33"
        tail = f' <span style="font-size:18px;color:{colour}">({html.escape(verdict)})</span>' if verdict else ""
        self.answer.value = f'<div style="font-size:40px;font-weight:bold">{html.escape(big)}{tail}</div>'
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
            columns.append(f'<td style="vertical-align:top;padding-right:18px" data-position="{position}">'
                           f'<small style="color:#666">{places[position]}</small><table>{rows}</table></td>')
        return ('<div style="font-family:sans-serif;font-size:14px">Each answer digit, its likeliest values:'
                f'<table><tr>{"".join(columns)}</tr></table></div>')
