"""TextStreamer: start a text; the model's continuation streams in while it is generated."""
from __future__ import annotations

import asyncio
import html
import time
from typing import Callable, Iterator

import ipywidgets as w

from .common import expected, html_box, notice, sentence, stylesheet


class TextStreamer(w.VBox):
    """A prompt, temperature, length and seed controls, Generate and Stop.

    `stream(prompt, length, temperature, seed)` yields characters (raising ValueError with one
    sentence for a prompt it cannot use); `check(prompt)` returns a sentence about characters it
    had to map or leave out ('' if none). Generation runs as a task on the kernel's event loop
    and yields after every character, so Stop and the other controls answer at once."""

    def __init__(self, stream: Callable[..., Iterator[str]], check: Callable[[str], str] = lambda p: "",
                 prompt: str = "", caption: str = "", flush_seconds: float = 0.03):
        self.stream, self.check, self.flush_seconds = stream, check, flush_seconds
        self.prompt = w.Textarea(value=prompt, placeholder="Start a text here", rows=2,
                                 layout=w.Layout(width="560px"))
        self.prompt.add_class("mlexp-prompt")
        self.temperature = w.FloatSlider(value=0.7, min=0.05, max=1.5, step=0.05, description="Temperature",
                                         style={"description_width": "initial"})
        self.length = w.IntSlider(value=400, min=20, max=5000, step=20, description="Length")
        self.seed = w.Text(value="", placeholder="random", description="Seed", layout=w.Layout(width="200px"))
        self.generate_button = w.Button(description="Generate", icon="play", button_style="primary")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True)
        for widget, name in ((self.temperature, "temperature"), (self.length, "length"), (self.seed, "seed"),
                             (self.generate_button, "generate"), (self.stop_button, "stop")):
            widget.add_class(f"mlexp-{name}")
        self.generate_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.output = html_box("mlexp-output")
        self.info = html_box("mlexp-status")
        self.status = html_box("mlexp-message")
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.text = ""
        super().__init__([
            stylesheet(),
            self.prompt,
            w.HBox([self.temperature, self.length, self.seed], layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.generate_button, self.stop_button, self.info], layout=w.Layout(align_items="center")),
            self.status, self.output, w.HTML(f"<small>{html.escape(caption)}</small>"),
        ])
        self.add_class("mlexp-text")

    def _show(self, prompt: str, done: bool) -> None:
        cursor = "" if done else '<span class="cursor">&#9612;</span>'
        self.output.value = f'<div class="text"><b>{html.escape(prompt)}</b>{html.escape(self.text)}{cursor}</div>'

    def start(self) -> None:
        """Start generating (cancelling a generation still running)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        seed = self.seed.value.strip()
        if seed and not seed.lstrip("-").isdigit():
            self.status.value = notice("The seed must be a whole number, or empty for a random one.")
            return
        self._stopping = False
        self._task = asyncio.ensure_future(self.run(self.prompt.value, self.length.value,
                                                    self.temperature.value, int(seed) if seed else None))

    def stop(self) -> None:
        """Stop the generation; what was generated stays."""
        self._stopping = True

    async def run(self, prompt: str, length: int, temperature: float, seed: int | None) -> None:
        """Generate into the page, flushing the text every `flush_seconds` (and at the end)."""
        self.text, self.status.value = "", ""
        self._show(prompt, done=False)
        note = self.check(prompt)
        if note:
            self.status.value = notice(note)
        self.generate_button.disabled, self.stop_button.disabled = True, False
        started = last = time.monotonic()
        count = 0
        try:
            for char in self.stream(prompt, length, temperature, seed):
                self.text += char
                count += 1
                now = time.monotonic()
                if now - last >= self.flush_seconds or count == 1:
                    self._show(prompt, done=False)
                    self.info.value = f"{count:,} characters, {count / max(now - started, 1e-6):,.0f}/s"
                    last = now
                await asyncio.sleep(0)  # let Stop (and the rest of the page) be handled
                if self._stopping:
                    break
        except asyncio.CancelledError:
            return  # a new generation replaced this one and owns the page
        except Exception as error:  # keep the dashboard alive whatever happens (a bug is logged)
            said = sentence(error)
            self.status.value = notice(f"{said}." if expected(error)
                                       else f"Something went wrong while generating: {said}.")
        elapsed = time.monotonic() - started
        self._show(prompt, done=True)
        what = "Stopped after" if self._stopping else "Generated"
        self.info.value = f"{what} {count:,} characters in {elapsed:.1f} s"
        self.generate_button.disabled, self.stop_button.disabled = False, True
