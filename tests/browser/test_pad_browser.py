"""The drawing pad's ink in real Chromium through Voila: the page draws it at once, even while the
kernel is slow, keeps strokes that the kernel has not taken yet, and every view shows the
kernel's drawing."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_drawing_browser import browser, page, server  # noqa: F401 (fixtures)

from voila_server import CHROMIUM, draw, wait_for_pad, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]
SLOW_S = 1.0  # the kernel's time per stroke in the slow dashboard

SLOW_DEMO = f"""\
import time
import mlexp
from widgets import DrawingClassifier

model = mlexp.load("digits_cnn")

def slow(strokes):
    time.sleep({SLOW_S})  # a busy kernel: the answer comes a second after the stroke
    return model.classify_strokes(strokes)

demo = DrawingClassifier(model.labels, slow, prompt="Draw a digit.")
demo"""
TWO_VIEWS = """\
from widgets import DrawingPad

pad = DrawingPad()
pad"""


def notebook(served, name: str, *cells: str) -> str:
    """A notebook of code cells in the server's scratch folder; its Voila URL."""
    path = served.scratch / f"{name}-{os.getpid()}.ipynb"
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                   "source": source} for i, source in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    return f"{served.url}/voila/render/{served.path(path)}"


# In the page: at each pen lift on the pad, on the next frame, whether the pad's pixels at the
# given pad points are ink, how long after the lift that was seen, and the answer shown then.
WATCH_INK = """points => {
    window.inkChecks = [];
    const canvas = document.querySelector('canvas.mlexp-pad');
    canvas.addEventListener('pointerup', () => {
        const up = performance.now();
        requestAnimationFrame(() => {
            const scale = canvas.width / 280, ctx = canvas.getContext('2d');
            const ink = points.map(([x, y]) =>
                ctx.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data[0] < 80);
            window.inkChecks.push({ink, ms: performance.now() - up, up,
                                   answer: document.querySelector('.mlexp-answer').innerText.trim()});
        });
    }, {capture: true});
    window.barsChanged = [];
    new MutationObserver(() => window.barsChanged.push(performance.now()))
        .observe(document.querySelector('.mlexp-bars'), {subtree: true, childList: true, characterData: true});
}"""
INK_AT = """([selector, index, points]) => {
    const canvas = document.querySelectorAll(selector)[index], scale = canvas.width / 280;
    const ctx = canvas.getContext('2d');
    return points.map(([x, y]) => ctx.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data[0] < 80);
}"""


def ink_at(tab, points, index: int = 0) -> list[bool]:
    """Whether the pad's pixels at these pad points are ink (in the `index`th pad view)."""
    return tab.evaluate(INK_AT, ["canvas.mlexp-pad", index, points])


def test_ink_shows_at_once_while_the_kernel_is_slow_and_no_stroke_is_lost(page, server):  # noqa: F811 (fixtures)
    page.goto(notebook(server, "slow-pad", SLOW_DEMO))
    wait_for_pad(page)
    one, bar = [(200, 50), (140, 240)], [(80, 52), (200, 48)]  # a "1", then a bar making a "7"
    middle_one, middle_bar = (170, 145), (140, 50)
    page.evaluate(WATCH_INK, [middle_one, middle_bar])
    assert ink_at(page, [middle_one, middle_bar]) == [False, False]

    draw(page, [one])
    page.wait_for_function("() => window.inkChecks.length === 1")
    check = page.evaluate("window.inkChecks[0]")
    assert check["ink"][0] and check["ms"] < 200, f"ink {check['ms']:.0f} ms after the pen lifted"
    assert check["answer"] == "?", "the ink was there before the kernel answered"

    draw(page, [bar])  # while the kernel still works on the first stroke: it waits its turn
    page.wait_for_function("() => window.inkChecks.length === 2")
    assert page.evaluate("window.inkChecks[1].ink") == [True, True]
    page.wait_for_function("() => document.querySelector('.mlexp-answer').innerText.trim() === '1'")
    assert ink_at(page, [middle_one, middle_bar]) == [True, True], "the kernel's first answer kept the second stroke"
    page.wait_for_function("() => document.querySelector('.mlexp-answer').innerText.trim() === '7'",
                           timeout=10_000)
    assert ink_at(page, [middle_one, middle_bar]) == [True, True]
    first_bars = page.evaluate("window.barsChanged.find(t => t > window.inkChecks[0].up) - window.inkChecks[0].up")
    assert first_bars > SLOW_S * 1000 * 0.9, "the bars follow the kernel, the ink does not wait for them"

    page.locator(".mlexp-undo").click()  # the kernel's drawing, drawn again by the page
    page.wait_for_function("() => document.querySelector('.mlexp-answer').innerText.trim() === '1'",
                           timeout=10_000)
    page.wait_for_function(f"() => ({INK_AT})(['canvas.mlexp-pad', 0, [[140, 50]]])[0] === false")
    assert ink_at(page, [middle_one]) == [True]
    page.locator(".mlexp-clear").click()
    page.wait_for_function(f"() => ({INK_AT})(['canvas.mlexp-pad', 0, [[170, 145]]])[0] === false",
                           timeout=10_000)


def test_every_view_draws_the_kernels_drawing_and_follows_the_brush(page, server):  # noqa: F811 (fixtures)
    page.goto(notebook(server, "two-views", TWO_VIEWS, "pad.canvas"))  # the pad, then its canvas again
    page.locator("canvas.mlexp-pad").nth(1).wait_for()
    canvases = page.locator("canvas.mlexp-pad")
    assert canvases.count() == 2
    box = canvases.first.bounding_box()
    mouse = page.mouse

    def stroke(y):
        mouse.move(box["x"] + 40, box["y"] + y)
        mouse.down()
        mouse.move(box["x"] + 240, box["y"] + y, steps=20)
        mouse.up()

    stroke(60)
    page.wait_for_function(f"() => ({INK_AT})(['canvas.mlexp-pad', 1, [[140, 60]]])[0]")  # the other view
    thin = sum(ink_at(page, [(140, y) for y in range(30, 90)]))
    page.locator(".widget-slider .ui-slider-handle, .widget-slider .noUi-handle").first.focus()
    page.keyboard.press("End")  # the brush slider to its largest, 40 px
    page.wait_for_timeout(300)
    stroke(180)
    thick = sum(ink_at(page, [(140, y) for y in range(140, 220)]))
    assert abs(thin - 14) <= 2 and abs(thick - 40) <= 2, f"brush 14 drew {thin} px, brush 40 {thick} px"
    page.wait_for_function(f"() => ({INK_AT})(['canvas.mlexp-pad', 1, [[140, 165], [140, 195]]]).every(x => x)")


def test_a_finger_draws_on_a_phone_sized_sharp_pad(browser, server):  # noqa: F811 (fixtures)
    """390x844 at 3 device pixels per CSS pixel, touch events through Chromium (the page must not
    scroll under the finger)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3,
                                  is_mobile=True, has_touch=True)
    tab = context.new_page()
    problems = watch(tab, server.url)
    tab.goto(f"{server.url}/voila/render/notebooks/digits_cnn/demo.ipynb")
    wait_for_pad(tab)
    assert tab.evaluate("() => { const c = document.querySelector('canvas.mlexp-pad'); "
                        "return [c.width, c.clientWidth, getComputedStyle(c).touchAction]; }") == [840, 280, "none"]
    box = tab.locator("canvas.mlexp-pad").bounding_box()
    scroll = tab.evaluate("scrollY")
    cdp = context.new_cdp_session(tab)

    def touch(kind, x=None, y=None):
        points = [] if x is None else [{"x": box["x"] + 1 + x, "y": box["y"] + 1 + y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 200, 50)
    for k in range(1, 20):  # a "1", top right to bottom left
        touch("touchMove", 200 - 3 * k, 50 + 10 * k)
    touch("touchEnd")
    assert ink_at(tab, [(200, 50), (170, 150), (146, 230)]) == [True, True, True]
    tab.wait_for_function("() => document.querySelector('.mlexp-answer').innerText.trim() === '1'")
    assert tab.evaluate("scrollY") == scroll, "the finger drew instead of scrolling"
    context.close()
    assert not problems, "\n".join(problems)
