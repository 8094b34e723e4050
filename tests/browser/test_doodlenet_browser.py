"""The 345-class sketch dashboard in a real browser: a game round played with real strokes."""
from pathlib import Path

import pytest
from test_drawing_browser import bars, browser, open_demo, page, real_sketch, screenshot_widget, server, start_round  # noqa: F401 (fixtures)

import mlexp

from voila_server import CHROMIUM, replay, screenshot_folder

NAME = "sketch_doodlenet"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
def test_a_game_round_over_345_classes_played_with_real_strokes(page, server, data_dir):  # noqa: F811 (fixtures)
    page, _ = open_demo(page, server, NAME)
    model = mlexp.load(NAME)
    category = start_round(page)
    assert category in model.card["game_classes"], f"the game asked for {category}, which it recognizes poorly"
    replay(page, *real_sketch(data_dir, NAME, category, recognized=True))
    page.locator(".mlexp-result").get_by_text(f"recognized your {category}").wait_for()
    assert page.locator(".mlexp-score").inner_text().strip() == "Score: 1 of 1"
    assert len(bars(page)) == 5 and category in bars(page)  # the top-5 bars
    if screenshot_folder():
        screenshot_widget(page, screenshot_folder() / f"{NAME}.png")
