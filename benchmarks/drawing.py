"""Measure the drawing demos (digits and sketches) side by side, and print a table with the goals.

  (a) inference latency in the kernel for one 28x28 input: LiteRT vs Keras `model(x)` vs
      Keras `model.predict(x)`, and the whole strokes -> preprocess -> probabilities pipeline;
  (b) stroke end -> bars updated, measured inside Chromium through Voila;
  (c) Voila time to interactive (navigation start -> pad ready and answer "?" shown);
  (d) the demo kernel's resident memory after drawing.

Run: .venv/bin/python benchmarks/drawing.py [NAME ...]   (default: every drawing experiment;
the models must be in models/)
"""
from __future__ import annotations

import os
import statistics  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import numpy as np  # noqa: E402

import mlexp  # noqa: E402

import common  # noqa: E402
from common import timings  # noqa: E402
from voila_server import PAD_READY, draw, wait_for_pad  # noqa: E402

NAMES = sys.argv[1:] or [e.name for e in mlexp.EXPERIMENTS.values() if e.task == "drawing-classification"]
SEVEN = [[(60, 50), (220, 45), (120, 240)]]  # a "7" (or a sketch's first line) on the 280x280 pad
STROKES = 20
LOADS = 5
STROKE = f"stroke end -> bars in Chromium, ms (median / p90 of {STROKES})"
TTI = f"Voila time to interactive, s (median / worst of {LOADS})"
RSS = "demo kernel RSS after drawing, MiB"
GOALS = {STROKE: "<= 100 ms", TTI: "<= 2.5 s", RSS: "<= 150 MiB"}

# In the page: the time each stroke ends on the pad (pointerup: the pad's pointer handlers suppress mouseup),
# and how long until the bars next change.
RECORD_STROKE_LATENCY = """() => {
    window.strokeLatencies = [];
    let up = null;
    document.querySelector('canvas.mlexp-pad').addEventListener('pointerup', () => { up = performance.now(); },
                                                                {capture: true});
    new MutationObserver(() => {
        if (up !== null) { window.strokeLatencies.push(performance.now() - up); up = null; }
    }).observe(document.querySelector('.mlexp-bars'), {subtree: true, childList: true, characterData: true});
}"""
# Polled until the demo is usable; returns the time since navigation start (ms).
INTERACTIVE = f"""() => {{
    const answer = document.querySelector('.mlexp-answer');
    return ({PAD_READY})() && !!answer && answer.innerText.trim() === '?' && performance.now();
}}"""


def as_drawn(stroke, step: float = 4.0):
    """The stroke with a point every `step` pixels, as the mouse reports it."""
    points = [stroke[0]]
    for a, b in zip(stroke, stroke[1:]):
        n = max(1, int(np.hypot(b[0] - a[0], b[1] - a[1]) / step))
        points += [(a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n) for i in range(1, n + 1)]
    return points


def inference(name: str) -> dict:
    """(a): latency of one prediction in the kernel, each way."""
    from mlexp.training.tf import keras

    classifier = mlexp.load(name)
    drawn = [as_drawn(SEVEN[0])]
    x = classifier.classify_strokes(drawn).input[None]
    model = keras.saving.load_model(mlexp.get(name).model_dir / "model.keras", safe_mode=True)
    xk = x.reshape((1, *model.input_shape[1:]))
    return {
        "LiteRT probabilities, ms (median / p90)": timings(lambda: classifier.probabilities(x), 2000),
        "Keras model(x), ms (median / p90)": timings(lambda: model(xk, training=False), 300),
        "Keras model.predict(x), ms (median / p90)": timings(lambda: model.predict(xk, verbose=0), 50),
        "strokes->preprocess->LiteRT, ms (median / p90)":
            timings(lambda: classifier.classify_strokes(drawn), 300),
    }


def stroke_to_bars(page) -> list[float]:
    """(b): draw STROKES single strokes (clearing in between); ms from the pen lifted (pointerup) to bars change."""
    page.evaluate(RECORD_STROKE_LATENCY)
    for i in range(STROKES):
        page.locator(".mlexp-clear").click()
        page.wait_for_function("() => document.querySelector('.mlexp-answer').innerText.trim() === '?'")
        shift = 4 * (i % 5)
        draw(page, [[(x + shift, y + shift) for x, y in SEVEN[0]]])
        page.wait_for_function("n => window.strokeLatencies.length >= n", arg=i + 1)
    return page.evaluate("window.strokeLatencies")


def time_to_interactive(browser, url: str) -> list[float]:
    """(c): seconds from navigation start until the pad is ready, each load in a fresh context."""
    seconds = []
    for _ in range(LOADS):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url, wait_until="commit")
        seconds.append(page.wait_for_function(INTERACTIVE, timeout=60_000).json_value() / 1000)
        context.close()
    return seconds


def in_browser(name: str, server, browser) -> dict:
    """(b), (c) and (d) for one demo."""
    url = f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}"
    tti = time_to_interactive(browser, url)
    context = browser.new_context()
    page = context.new_page()
    before = set(server.kernel_rss_mib())
    page.goto(url)
    wait_for_pad(page)
    latencies = stroke_to_bars(page)
    rss = [mib for pid, mib in server.kernel_rss_mib().items() if pid not in before]
    context.close()
    return {
        STROKE: (statistics.median(latencies), float(np.percentile(latencies, 90))),
        TTI: (statistics.median(tti), max(tti)),
        RSS: (rss[0] if len(rss) == 1 else float("nan"), None),
    }


def main() -> None:
    load = os.getloadavg()[0]  # other work on the machine slows everything below
    missing = [n for n in NAMES if not mlexp.get(n).has_model()]
    if missing:
        sys.exit(f"No model for {', '.join(missing)}: train it with `mlexp train NAME`.")
    results = {name: inference(name) for name in NAMES}
    for name, figures in common.in_browser(NAMES, in_browser).items():
        results[name].update(figures)
    common.report(results, GOALS, load, "each page load in a fresh browser context (cold cache)")


if __name__ == "__main__":
    main()
