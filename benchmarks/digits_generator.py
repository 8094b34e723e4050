"""Measure the digit generator, the dashboard's way (LiteRT, no TensorFlow) beside Keras:

  (a) in the kernel: one new digit (10 flow steps + the decoder), a row of 8 with 6 of the steps
      decoded and judged (what picking a digit does), one point of the latent pad, 0-9 in the
      handwriting of a drawing;
  (b) in Chromium through Voila: digit button pressed -> the row's picture sheet arrives in the
      page; the pad's dot moved -> the new digit shown;
  (c) the demo kernel's resident memory after that;
  (d) (b) again through a slow link: Chromium's network emulation of DevTools' "Fast 3G" preset
      (1.6 Mbit/s down, 0.75 Mbit/s up, 562.5 ms round trip; it throttles the kernel's websocket
      too), turned on once the page has loaded (its scripts cached, as after a first visit).

Run: .venv/bin/python benchmarks/digits_generator.py   (the model must be in models/)
"""
from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import numpy as np  # noqa: E402

import mlexp  # noqa: E402
from widgets.digit_writer_view import FRAMES  # noqa: E402

import common  # noqa: E402
from common import timings  # noqa: E402
from drawings import DIGITS, place, render  # noqa: E402
from voila_server import wait_for_pad  # noqa: E402

NAME = "digits_generator"
ONE, ROW, PAD, STYLE = ("one new digit, ms", "a row of 8, 6 steps of each decoded, judged, ms",
                        "one point of the latent pad, ms", "0-9 in a drawing's handwriting, ms")
PICK, DRAG, SHEET, RSS = ("digit pressed -> row in the page, ms", "pad dot moved -> new digit shown, ms",
                          "a row's picture sheet (data: URL), KiB", "demo kernel RSS, MiB")
FAST_3G = {"offline": False, "latency": 562.5, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 0.75e6 / 8}
COLUMNS = ("kernel: LiteRT (the dashboard)", "kernel: Keras", "Chromium, loopback", "Chromium, Fast 3G")
GOALS = {ONE: "<= 50 ms", RSS: "<= 150 MiB"}
ROUNDS = 10
NONE = (float("nan"), None)


def in_kernel() -> dict[str, dict]:
    """(a), LiteRT and Keras side by side."""
    from mlexp.training.tf import keras

    model = mlexp.load(NAME)
    folder = mlexp.get(NAME).model_dir
    flow, decoder = (keras.saving.load_model(folder / f"{f}.keras", compile=False) for f in ("flow", "decoder"))
    hot = np.eye(10, dtype=np.float32)[[3]]

    def keras_digit():
        z = np.random.default_rng(0).standard_normal((1, model.latent)).astype(np.float32)
        for k in range(model.steps):
            t = np.full((1, 1), k / model.steps, np.float32)
            z = z + np.asarray(flow([z, t, hot], training=False)) / model.steps
        return decoder([z, hot], training=False)

    def row():
        labels = np.full(8, 3)
        trail = model.trail(labels, 1)[np.unique(np.linspace(0, model.steps, FRAMES).round().astype(int))]
        frames = model.decode(trail.reshape(-1, model.latent), np.tile(labels, len(trail)))
        return model.written(frames[-len(labels):], labels)

    drawing = render(place(DIGITS["7"], 40, 30, 130), (200, 200), width=18)
    litert = {ONE: timings(lambda: model.write(3, 1), 300), ROW: timings(row, 50),
              PAD: timings(lambda: model.pad(3, 0.3, -0.5), 300), STYLE: timings(lambda: model.in_style(drawing), 20)}
    return {COLUMNS[0]: litert, COLUMNS[1]: {ONE: timings(keras_digit, 50), ROW: NONE, PAD: NONE, STYLE: NONE}}


def press_for_row(page, digit: int, timeout: float = 60_000) -> float:
    """Press a digit button of the dashboard; ms until the new row's pictures are on the page."""
    page.evaluate("() => { window.t0 = performance.now(); window.old = "
                  "document.querySelector('.mlexp-digit-picture')?.style.backgroundImage; }")
    page.get_by_role("button", name=str(digit), exact=True).click()
    return page.wait_for_function(
        "() => { const p = document.querySelector('.mlexp-digit-picture');"
        " return p && p.style.backgroundImage !== window.old && performance.now() - window.t0; }",
        timeout=timeout).json_value()


def in_browser(name: str, server, browser, link: dict | None = None) -> dict:
    """(b) and (c), or with `link` (CDP network conditions) (d): the dashboard in Chromium."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    before = set(server.kernel_rss_mib())
    page.goto(f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}")
    wait_for_pad(page)
    if link:  # the page's scripts came at full speed (a browser's cache after the first visit)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", link)
    picks, drags, sheets = [], [], []
    for i in range(ROUNDS):
        picks.append(press_for_row(page, i % 10))
        sheets.append(page.evaluate("() => document.querySelector('.mlexp-digit-picture').style.backgroundImage"
                                    ".length"))
    area = page.locator(".mlexp-style-area")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    seen = page.locator(".mlexp-writer img.mlexp-seen").element_handle()
    for i in range(ROUNDS):
        old = seen.get_attribute("src")
        x, y = box["x"] + box["width"] * (0.1 + 0.08 * i), box["y"] + box["height"] * (0.9 - 0.08 * i)
        page.evaluate("() => { window.t0 = performance.now(); }")
        page.mouse.click(x, y)
        drags.append(page.wait_for_function("([img, old]) => img.src !== old && performance.now() - window.t0",
                                            arg=[seen, old]).json_value())
    rss = [mib for pid, mib in server.kernel_rss_mib().items() if pid not in before]
    page.close()
    return {PICK: (statistics.median(picks), float(np.percentile(picks, 90))),
            DRAG: (statistics.median(drags), float(np.percentile(drags, 90))),
            SHEET: (statistics.median(sheets) / 1024, None),
            RSS: (rss[0] if len(rss) == 1 and not link else float("nan"), None)}


def main() -> None:
    load = os.getloadavg()[0]
    if not mlexp.get(NAME).has_model():
        sys.exit(f"No model: train it with `mlexp train {NAME}`.")
    results = in_kernel()
    for column in COLUMNS[:2]:
        results[column].update({PICK: NONE, DRAG: NONE, SHEET: NONE, RSS: NONE})
    both = common.in_browser([NAME], lambda name, server, browser: [in_browser(name, server, browser, link)
                                                                     for link in (None, FAST_3G)])[NAME]
    for column, figures in zip(COLUMNS[2:], both):
        results[column] = {ONE: NONE, ROW: NONE, PAD: NONE, STYLE: NONE, **figures}
    common.report(results, GOALS, load, f"median / p90; {ROUNDS} presses and pad moves in Chromium")


if __name__ == "__main__":
    main()
