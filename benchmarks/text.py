"""Measure text generation, LiteRT vs Keras side by side, and print a table with the goals.

  (a) in the kernel: characters per second generated, and the latency of the first character
      (reading the prompt, then one step), with the LiteRT single-step model the demo uses and
      with the Keras model (its single-step twin called eagerly, the fastest Keras way per step);
  (b) in Chromium through Voila: from the click on Generate to the first character on the page,
      and characters per second streamed into the page.

Run: .venv/bin/python benchmarks/text.py [NAME ...]   (default: every text experiment)
"""
from __future__ import annotations

import os
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import numpy as np  # noqa: E402

import mlexp  # noqa: E402
from mlexp.predictors.text import TextGenerator  # noqa: E402

import common  # noqa: E402

NAMES = sys.argv[1:] or [e.name for e in mlexp.EXPERIMENTS.values() if e.task == "text-generation"]
PROMPT = "ROMEO: What light through yonder window breaks?"
LENGTH = 2000
RUNS = 5
RATE = f"kernel: characters per second (median of {RUNS} x {LENGTH})"
FIRST = f"kernel: first character, ms (median / worst of {RUNS})"
PAGE_FIRST = f"page: Generate click -> first character, ms (median / worst of {RUNS})"
PAGE_RATE = f"page: characters per second streamed (median of {RUNS} x {LENGTH})"
RSS = "demo kernel RSS after generating, MiB"
GOALS = {PAGE_RATE: ">= 200", PAGE_FIRST: "<= 200 ms", RSS: "<= 150 MiB"}


class KerasSteps(TextGenerator):
    """The demo's own generation loop with the Keras model's single-step twin, called eagerly,
    in place of the LiteRT file (which this class does not open)."""

    def __init__(self, name: str, generator):  # not TextGenerator's: no LiteRT
        from mlexp.training import helpers as training
        from mlexp.training.tf import keras

        model = keras.saving.load_model(mlexp.get(name).model_dir / "model.keras", safe_mode=True, compile=False)
        self.step_model = training.step_model(model)
        self.vocabulary, self.zero_state = generator.vocabulary, generator.zero_state

    def step(self, ids, state):
        logits, state = self.step_model([np.asarray(ids, np.int32), state], training=False)
        return logits.numpy(), state.numpy()


def kernel(steps: TextGenerator) -> tuple[tuple[float, float], tuple[float, float]]:
    """(characters per second, first-character ms) of generating with `steps`."""
    rates, firsts = [], []
    for seed in range(RUNS):
        started = time.perf_counter()
        chars = steps.stream(PROMPT, LENGTH, 0.7, seed)
        next(chars)
        firsts.append((time.perf_counter() - started) * 1000)
        count = 1 + sum(1 for _ in chars)
        rates.append(count / (time.perf_counter() - started))
    return (statistics.median(rates), None), (statistics.median(firsts), max(firsts))


# In the page: the times of the Generate click, of the first character (after the old text was
# cleared) and of the end (the status saying "Generated" again after it said something else).
RECORD = """n => {
  const out = document.querySelector('.mlexp-output'), info = document.querySelector('.mlexp-status');
  window.gen = {clicked: 0, cleared: false, first: 0, running: false, done: 0};
  document.querySelector('button.mlexp-generate').addEventListener('click', () => {
      window.gen.clicked = performance.now(); }, {once: true});
  new MutationObserver(() => {
      const g = window.gen, length = out.innerText.length;
      if (!g.clicked) return;
      if (!g.cleared && length <= n + 1) g.cleared = true;  // the prompt and the cursor
      if (g.cleared && !g.first && length > n + 1) g.first = performance.now();
      if (!info.innerText.startsWith('Generated')) g.running = true;
      else if (g.running && !g.done) g.done = performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def in_page(name: str, server, browser) -> dict:
    """(b): Generate clicked RUNS times in one page; first-character latency and stream rate."""
    page = browser.new_context().new_page()
    before = set(server.kernel_rss_mib())
    page.goto(f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}")
    page.locator("button.mlexp-generate").wait_for(timeout=60_000)
    page.locator(".mlexp-prompt textarea").fill(PROMPT)
    page.locator(".mlexp-length .widget-readout").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(LENGTH))
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelector('.mlexp-length .widget-readout').innerText.trim() === n",
                           arg=str(LENGTH))
    firsts, rates = [], []
    for _ in range(RUNS):
        page.evaluate(RECORD, len(PROMPT))
        page.locator("button.mlexp-generate").click()
        page.wait_for_function("() => window.gen.done > 0", timeout=120_000)
        g = page.evaluate("window.gen")
        firsts.append(g["first"] - g["clicked"])
        rates.append(LENGTH / ((g["done"] - g["clicked"]) / 1000))
    rss = [mib for pid, mib in server.kernel_rss_mib().items() if pid not in before]
    page.context.close()
    return {PAGE_FIRST: (statistics.median(firsts), max(firsts)), PAGE_RATE: (statistics.median(rates), None),
            RSS: (rss[0] if len(rss) == 1 else float("nan"), None)}


def main() -> None:
    load = os.getloadavg()[0]
    missing = [n for n in NAMES if not mlexp.get(n).has_model()]
    if missing:
        sys.exit(f"No model for {', '.join(missing)}: train it with `mlexp train NAME`.")
    results = {}
    for name in NAMES:
        generator = mlexp.load(name)
        for runtime, steps in (("LiteRT", generator), ("Keras", KerasSteps(name, generator))):
            rate, first = kernel(steps)
            results[f"{name} {runtime}"] = {RATE: rate, FIRST: first}
    for name, figures in common.in_browser(NAMES, in_page).items():
        results[f"{name} LiteRT"].update(figures)
        results[f"{name} Keras"].update({row: (float("nan"), None) for row in figures})
    common.report(results, GOALS, load, "the dashboards run LiteRT (no TensorFlow in their kernels), "
                  "so the page figures are LiteRT's")


if __name__ == "__main__":
    main()
