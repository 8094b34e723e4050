"""End to end in a real browser: headless Chromium drives the Voila gallery and the demos
served by `mlexp demo`'s Jupyter server, drawing digits with the mouse.

With MLEXP_SCREENSHOTS=<folder>, also saves the pictures used by the gallery and the README:
<folder>/gallery.png and <folder>/<experiment>.png.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import sync_playwright

import mlexp
from mlexp.inputs.drawings import BadDrawing, strokes_to_mnist

from drawings import arc, place, quickdraw_strokes, to_pad
from helpers import PadReplay, trained_on
from voila_server import (
    CHROMIUM,
    draw,
    launch_chromium,
    pad,
    replay,
    screenshot_folder,
    voila_server,
    wait_for_pad,
    watch,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(),
                       reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]
CULL_SECONDS = 10  # short, so the culling test is quick; long enough for a slow page to connect
DRAWING_EXPERIMENTS = [e.name for e in mlexp.EXPERIMENTS.values() if e.task == "drawing-classification"]
DIGIT_EXPERIMENTS = [name for name in DRAWING_EXPERIMENTS if mlexp.get(name).dataset == "mnist"]
SKETCH_EXPERIMENTS = [name for name in DRAWING_EXPERIMENTS if mlexp.get(name).dataset == "quickdraw"]
REPLAYED = ["cat", "bicycle", "rainbow"]  # real people's sketches replayed in each sketch demo


# Digits written the usual way, as strokes in a unit box (x right, y down).
SHAPES = {
    "1": [[(0.6, 0.0), (0.45, 1.0)]],
    "7": [[(0.05, 0.05), (0.95, 0.0), (0.4, 1.0)]],
    "0": [arc(0.5, 0.5, 0.38, 0.5, -90, -450, 25)],  # anticlockwise from the top
    "4": [[(0.55, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
    "3": [arc(0.5, 0.25, 0.3, 0.25, -160, 90, 13) + arc(0.5, 0.75, 0.3, 0.25, -90, 160, 13)[1:]],
}
# (digit, left, top, size) on the 280x280 pad: big, small and off-centre, near the edges.
DRAWINGS = [("1", 30, 20, 150), ("7", 190, 15, 70), ("0", 60, 80, 180), ("4", 10, 160, 110),
            ("3", 50, 30, 220)]
PICTURED = {"digits_mlp": "4", "digits_cnn": "3", "sketch_mlp": "cat", "sketch_cnn": "bicycle"}


# Fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    with voila_server(cull_idle=CULL_SECONDS) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh tab; the test fails if the page reported an error."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    problems = watch(tab, server.url)
    yield tab
    context.close()
    assert not problems, "\n".join(problems)


def open_demo(page, server, name):
    """(tab, experiment): the tab showing experiment `name`'s demo, ready to draw on."""
    experiment = mlexp.get(name)
    assert experiment.has_model(), f"{experiment.tflite_path} is missing: run `mlexp train {experiment.name}`"
    page.goto(f"{server.url}/voila/render/{experiment.demo_notebook}")
    wait_for_pad(page)
    return page, experiment


@pytest.fixture(params=DIGIT_EXPERIMENTS)
def demo(request, page, server):
    """(tab, experiment): a tab showing a digits demo."""
    return open_demo(page, server, request.param)


@pytest.fixture(params=SKETCH_EXPERIMENTS)
def sketch(request, page, server, data_dir):
    """(tab, experiment): a tab showing a sketch demo (the real strokes come from the mirror)."""
    return open_demo(page, server, request.param)


def real_sketch(data_dir, name, category, recognized=False):
    """A real person's raw drawing of `category` (strokes on the pad, times) the model was not
    trained on (as far as its card tells); with `recognized`, one whose best guess on the pad is
    `category`."""
    model = mlexp.load(name)
    # a model trained elsewhere (no split in its card): no drawing is known to be trained on
    seen = trained_on(model.card)[category] if "split_args" in model.card else set()
    check = PadReplay(model)
    for i, drawing in enumerate(quickdraw_strokes(data_dir, category, raw=True)):
        strokes = to_pad(drawing["strokes"])
        if i not in seen and drawing["recognized"] and (
                not recognized or getattr(check.draw(strokes), "label", None) == category):
            return strokes, drawing["times"]
    pytest.fail(f"no real drawing of {category} fits")


# Reading the page ----------------------------------------------------------------------------
def start_round(page) -> str:
    """Press "Draw this!" and return the class the round asks for."""
    page.locator(".mlexp-play button, button.mlexp-play").first.click()
    target = page.locator(".mlexp-task .mlexp-target")
    target.wait_for()
    return target.inner_text().strip()


def answer(page) -> str:
    return page.locator(".mlexp-answer").inner_text().strip()


def message(page) -> str:
    return page.locator(".mlexp-message").inner_text().strip()


def bars(page) -> dict[str, float]:
    """Label -> percentage shown in the probability bars."""
    rows = page.locator(".mlexp-bars tr[data-label]")
    return {row.get_attribute("data-label"): float(row.locator("td.pct").inner_text().strip().rstrip("%"))
            for row in rows.all()}


def bars_html(page) -> str:
    return page.locator(".mlexp-bars").inner_html()


def draw_and_wait(page, strokes) -> None:
    """Draw stroke by stroke, each time waiting until the kernel has updated the bars."""
    for stroke in strokes:
        before = bars_html(page)
        draw(page, [stroke])
        page.wait_for_function("before => document.querySelector('.mlexp-bars').innerHTML !== before",
                               arg=before)


def settled_bars(page, quiet_ms: float = 500) -> dict[str, float]:
    """The bars once the kernel has answered the last stroke: unchanged for `quiet_ms` (each
    answer takes ~15 ms; strokes drawn quickly may still be in flight when the mouse stops)."""
    shown = bars_html(page)
    while True:
        page.wait_for_timeout(quiet_ms)
        if bars_html(page) == shown:
            return bars(page)
        shown = bars_html(page)


def assert_bars_agree(page, label: str, labels) -> None:
    """Every label has a bar, the top one is `label`, the percentages add up to 100."""
    shown = bars(page)
    assert sorted(shown) == sorted(labels)
    assert page.locator(".mlexp-bars tr.top").get_attribute("data-label") == label
    assert max(shown, key=shown.get) == label
    assert sum(shown.values()) == pytest.approx(100, abs=0.6)  # ten values rounded to 0.1


def clear(page) -> None:
    page.locator(".mlexp-clear").click()
    page.wait_for_function("""() => document.querySelector('.mlexp-answer').innerText.trim() === '?' &&
        [...document.querySelectorAll('.mlexp-bars td.pct')].every(td => td.innerText.trim() === '0.0%')""")
    assert all(p == 0 for p in bars(page).values())


def screenshot_widget(page, path: Path) -> None:
    """Save the demo widget (game bar, pad, answer, bars, what the model sees; not the caption), cropped."""
    widget = page.locator(".mlexp-game, .widget-hbox:has(canvas.mlexp-pad)").first
    box = widget.evaluate("""root => {
        const rects = [...root.querySelectorAll('canvas, button, table, img, p, .widget-slider, .mlexp-task')]
            .map(e => e.getBoundingClientRect()).filter(r => r.width && r.height);
        const left = Math.min(...rects.map(r => r.left)), top = Math.min(...rects.map(r => r.top));
        return {x: left - 8, y: top - 8, width: Math.max(...rects.map(r => r.right)) - left + 16,
                height: Math.max(...rects.map(r => r.bottom)) - top + 16}; }""")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), clip=box)


# Tests ---------------------------------------------------------------------------------------
def test_gallery_lists_every_experiment_with_working_links(page, server):
    page.goto(server.url + "/")
    cards = page.locator(".mlexp-card")
    cards.first.wait_for()
    assert urlparse(page.url).path == "/voila/render/notebooks/index.ipynb"
    experiments = list(mlexp.EXPERIMENTS.values())
    assert cards.count() == len(experiments)
    for card, e in zip(cards.all(), experiments):
        assert e.title in card.inner_text()
        demo = urljoin(page.url, card.locator("a.mlexp-demo-link").get_attribute("href"))
        train = urljoin(page.url, card.locator("a.mlexp-train-link").get_attribute("href"))
        assert urlparse(demo).path == f"/voila/render/{e.demo_notebook}"
        assert urlparse(train).path == f"/lab/tree/{e.train_notebook}"
        for url in (demo, train, f"{server.url}/api/contents/{e.train_notebook}?content=0"):
            assert page.request.get(url).status == 200, url
    if screenshot_folder():
        page.locator(".mlexp-gallery").screenshot(path=str(screenshot_folder() / "gallery.png"))


def test_recognizes_digits_drawn_anywhere_at_any_size(demo):
    page, experiment = demo
    assert answer(page) == "?"
    for digit, left, top, size in DRAWINGS:
        clear(page)
        draw_and_wait(page, place(SHAPES[digit], left, top, size))
        assert answer(page) == digit, f"drew {digit} at {(left, top, size)}, bars: {bars(page)}"
        assert_bars_agree(page, digit, experiment.labels)
        assert page.locator(".mlexp-seen").get_attribute("src")  # the 28x28 input is shown
        if screenshot_folder() and digit == PICTURED.get(experiment.name):
            screenshot_widget(page, screenshot_folder() / f"{experiment.name}.png")


def test_recognizes_real_sketches_replayed_with_their_timing(sketch, data_dir):
    page, experiment = sketch
    for category in REPLAYED:
        clear(page)
        strokes, times = real_sketch(data_dir, experiment.name, category)
        replay(page, strokes, times)
        shown = settled_bars(page)
        assert len(shown) == 5 and category in shown, f"drew a {category}, top 5: {shown}"
        if screenshot_folder() and category == PICTURED[experiment.name]:
            screenshot_widget(page, screenshot_folder() / f"{experiment.name}.png")


def test_a_game_round_played_to_a_win(sketch, data_dir):
    page, experiment = sketch
    category = start_round(page)
    assert category in mlexp.load(experiment.name).labels
    page.wait_for_function("() => parseInt(document.querySelector('.mlexp-countdown').innerText) <= 18")
    replay(page, *real_sketch(data_dir, experiment.name, category, recognized=True))
    result = page.locator(".mlexp-result")
    result.get_by_text(f"recognized your {category}").wait_for()
    assert page.locator(".mlexp-score").inner_text().strip() == "Score: 1 of 1"
    assert page.locator(".mlexp-countdown").inner_text().strip() == ""


def test_undo_removes_the_last_stroke(demo):
    page, experiment = demo
    one, bar = [(200, 50), (140, 240)], [(80, 52), (200, 48)]  # a "1", then a bar making a "7"
    draw_and_wait(page, [one])
    after_one = answer(page), bars_html(page)
    draw_and_wait(page, [bar])
    assert (answer(page), bars_html(page)) != after_one
    page.locator(".mlexp-undo").click()
    page.wait_for_function("html => document.querySelector('.mlexp-bars').innerHTML === html",
                           arg=after_one[1])
    assert answer(page) == after_one[0] == "1"
    assert_bars_agree(page, "1", experiment.labels)


def test_a_single_click_asks_for_a_whole_digit(demo):
    page, _ = demo
    with pytest.raises(BadDrawing) as dot:
        strokes_to_mnist([[(10.0, 10.0)]])
    box = pad(page).bounding_box()
    page.mouse.click(box["x"] + 140, box["y"] + 140)
    page.wait_for_function("text => document.querySelector('.mlexp-message').innerText.trim() === text",
                           arg=str(dot.value))
    assert answer(page) == "?"
    assert page.locator(".mlexp-bars tr.top").count() == 0


TOP_BAR_COLOUR = "() => getComputedStyle(document.querySelector('.mlexp-bars tr.top .fill')).backgroundColor"


def test_the_stylesheet_is_in_the_page_once_and_styles_the_demo(demo):
    page, _ = demo
    looks = """() => ({sheets: document.querySelectorAll('style[id="widgets.common.Stylesheet"]').length,
                      prompt: getComputedStyle(document.querySelector('.mlexp-message p')).color,
                      answer: getComputedStyle(document.querySelector('.mlexp-answer .big')).fontSize})"""
    assert page.evaluate(looks) == {"sheets": 1, "prompt": "rgb(170, 51, 51)", "answer": "64px"}
    draw_and_wait(page, place(SHAPES["1"], 30, 20, 150))
    assert page.evaluate(TOP_BAR_COLOUR) == "rgb(31, 111, 197)"


def test_kernel_of_a_closed_demo_is_culled_but_not_while_connected(browser, server):
    context = browser.new_context()
    tab = context.new_page()
    before = server.kernels()
    tab.goto(f"{server.url}/voila/render/{mlexp.get(DRAWING_EXPERIMENTS[0]).demo_notebook}")
    wait_for_pad(tab)
    mine = server.kernels() - before
    assert len(mine) == 1, f"expected one new kernel for the page, got {mine}"
    time.sleep(CULL_SECONDS * 1.5 + 1)  # past idle timeout + cull interval: must survive, connected
    assert mine <= server.kernels(), "the kernel of an open page was culled"
    context.close()
    deadline = time.monotonic() + 60
    while mine & server.kernels():
        assert time.monotonic() < deadline, f"kernel {mine} still running 60 s after its page closed"
        time.sleep(1)


def test_demo_works_inside_jupyterlab(page, server):
    """The same demo, run as a notebook in JupyterLab (on a copy in the server's scratch folder, so
    nothing is saved into the repository)."""
    experiment = mlexp.get("digits_cnn")
    original = mlexp.experiments.REPO_ROOT / experiment.demo_notebook
    copy = server.scratch / f"lab-test-{os.getpid()}.ipynb"
    copy.write_bytes(original.read_bytes())
    try:
        path = server.path(copy)
        page.goto(f"{server.url}/lab/workspaces/mlexp-test/tree/{path}?reset")  # its own, clean workspace
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
        page.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=60_000)
        page.locator(".jp-Notebook .jp-CodeCell .cm-content").first.click()
        page.keyboard.press("Shift+Enter")
        wait_for_pad(page)
        draw_and_wait(page, place(SHAPES["7"], 120, 100, 120))
        assert answer(page) == "7"
        assert_bars_agree(page, "7", experiment.labels)
        assert page.evaluate(TOP_BAR_COLOUR) == "rgb(31, 111, 197)"  # the stylesheet reached JupyterLab too
    finally:
        page.goto("about:blank")  # leave JupyterLab before its file goes
        copy.unlink()


def open_page(page, server, name, ready: str):
    """The demo of experiment `name`, once the element `ready` is there."""
    assert mlexp.get(name).has_model(), f"run `mlexp train {name}`"
    page.goto(f"{server.url}/voila/render/{mlexp.get(name).demo_notebook}")
    page.locator(ready).wait_for(timeout=60_000)


def test_typing_a_sum_shows_the_right_answer_as_you_type(page, server):
    open_page(page, server, "numbers_summation", ".mlexp-sum-input input")
    box = page.locator(".mlexp-sum-input input")
    box.click()
    page.keyboard.type("17+3", delay=60)
    page.locator(".mlexp-answer").get_by_text("17+3 = 20").wait_for()
    page.keyboard.type("8", delay=60)
    page.locator(".mlexp-answer").get_by_text("17+38 = 55").wait_for()
    assert "(right)" in page.locator(".mlexp-answer").inner_text()
    assert page.locator(".mlexp-digits [data-position]").count() == 4
    if screenshot_folder():
        page.locator(".mlexp-sum").screenshot(path=str(screenshot_folder() / "numbers_summation.png"))
    box.fill("12345+1")
    page.locator(".mlexp-message").get_by_text("The numbers are too big").wait_for()
    assert page.locator(".mlexp-answer").inner_text().strip() == "?"


def output_text(page) -> str:
    return page.locator(".mlexp-output").inner_text()


@pytest.mark.parametrize("name", ["text_shakespeare", "text_wikipedia"])
def test_text_streams_while_generated_and_stop_stops_it(page, server, name):
    open_page(page, server, name, "button.mlexp-generate")
    readout = page.locator(".mlexp-length .widget-readout")  # type the length into the slider's readout
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("5000")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.mlexp-length .widget-readout').innerText.trim() === '5000'")
    prompt = page.locator(".mlexp-prompt textarea").input_value()
    page.locator("button.mlexp-generate").click()
    page.wait_for_function("n => document.querySelector('.mlexp-output').innerText.length > n", arg=len(prompt) + 30)
    first = len(output_text(page))
    page.wait_for_function("n => document.querySelector('.mlexp-output').innerText.length > n", arg=first)
    page.locator("button.mlexp-stop").click()
    page.locator(".mlexp-status").get_by_text("Stopped after").wait_for()
    stopped = len(output_text(page))
    page.wait_for_timeout(500)
    assert len(output_text(page)) == stopped < len(prompt) + 5000
    assert output_text(page).startswith(prompt)
    assert page.locator("button.mlexp-stop").is_disabled() and page.locator("button.mlexp-generate").is_enabled()
    if screenshot_folder():
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("300")
        page.keyboard.press("Enter")
        page.locator("button.mlexp-generate").click()
        page.locator(".mlexp-status").get_by_text("Generated 300 characters").wait_for()
        page.locator(".mlexp-text").screenshot(path=str(screenshot_folder() / f"{name}.png"))
