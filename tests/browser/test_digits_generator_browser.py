"""The digit-writing dashboard in real Chromium through Voila: pick a digit -> a row of new ones
played step by step, which the recognizer names right; drag the latent pad -> the digit changes;
draw a digit -> ten digits in its handwriting; hunt -> the recognizer's mistakes; nothing wider
than a phone."""
from __future__ import annotations

import pytest

import mlexp
from widgets.digit_writer_view import FRAMES

from drawings import DIGITS, place
from voila_server import draw, launch_chromium, pad, picture_and_phone, wait_for_pad, watch

pytestmark = pytest.mark.browser
STRIPS = ".mlexp-digit-strip"


def strip(page, index: int):
    return page.locator(STRIPS).nth(index)


def wait_for_digits(page, index: int, count: int) -> list[tuple[str, bool]]:
    """Wait until strip `index` has finished playing `count` digits; their (caption, right)."""
    page.wait_for_function(
        "([i, n]) => document.querySelectorAll('.mlexp-digit-strip')[i]"
        ".querySelectorAll('.mlexp-digit-done').length === n", arg=[index, count])
    figures = strip(page, index).locator(".mlexp-digit")
    return [(figures.nth(k).inner_text().strip(), "mlexp-digit-wrong" not in (figures.nth(k).get_attribute("class")))
            for k in range(count)]


def test_pick_drag_draw_and_hunt(server, playwright):
    browser = launch_chromium(playwright)
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(60_000)
        problems = watch(page, server.url)
        page.goto(f"{server.url}/voila/render/{mlexp.get('digits_generator').demo_notebook}")
        wait_for_pad(page)

        page.get_by_role("button", name="7", exact=True).click()
        captions = wait_for_digits(page, 0, 8)
        assert sum(right and text.startswith("7") for text, right in captions) >= 7, captions
        size = strip(page, 0).locator(".mlexp-digit-picture").first.evaluate("e => e.clientWidth")
        last_row = strip(page, 0).locator(".mlexp-digit-picture").first.evaluate("e => e.style.backgroundPosition")
        assert last_row.endswith(f"-{(FRAMES - 1) * size}px"), last_row  # played down to the last step

        seen = page.locator(".mlexp-writer img.mlexp-seen")
        before = seen.get_attribute("src")
        page.locator(".mlexp-style-area").scroll_into_view_if_needed()
        area = page.locator(".mlexp-style-area").bounding_box()
        page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
        page.mouse.down()
        page.mouse.move(area["x"] + area["width"] * 0.8, area["y"] + area["height"] * 0.3, steps=8)
        page.mouse.up()
        page.wait_for_function("([img, old]) => img.src !== old", arg=[seen.element_handle(), before])
        page.get_by_role("button", name="Morph").click()
        assert len(wait_for_digits(page, 1, 9)) == 9

        pad(page).scroll_into_view_if_needed()
        draw(page, place(DIGITS["7"], 40, 30, 120))
        captions = wait_for_digits(page, 2, 10)
        assert sum(right for _, right in captions) >= 9, captions
        assert [text.split(" ")[0] for text, right in captions if right] == [
            str(d) for d, (_, right) in enumerate(captions) if right]

        page.get_by_role("button", name="Hunt for mistakes").click()
        page.wait_for_function("() => /fooled the recognizer/.test(document.querySelector('.mlexp-writer').innerText)")
        page.set_viewport_size({"width": 1100, "height": 1400})  # the whole dashboard in view
        picture_and_phone(page, "digits_generator", ".mlexp-writer")
        page.close()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()
