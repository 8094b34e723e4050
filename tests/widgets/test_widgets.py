"""Widgets driven through the widget message protocol, as the browser drives them (no browser)."""
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets
import pytest

import widgets
from widgets import DrawingClassifier, DrawingPad, ProbabilityBars
from widgets.common import Stylesheet

from drawings import DIGITS, place
from helpers import mouse_stroke, send


@pytest.fixture
def pad():
    """A pad whose messages to the page are recorded in pad.sent (state updates: their state)."""
    pad = DrawingPad()
    pad.sent = []
    pad.canvas.comm.send = lambda data=None, buffers=None, **kw: pad.sent.append(data.get("state", data))
    pad.reports = []
    pad.on_drawing(pad.reports.append)
    return pad


def drawn(pad):
    """What the page is told to draw: [(points, width)]."""
    return [(s["points"], s["width"]) for s in pad.canvas.drawing]


def test_a_stroke_arrives_whole_in_one_message_when_the_pen_lifts(pad):
    send(pad.canvas, type="stroke", points=[[5, 5], [50.5, 60.2]], width=14)
    assert pad.strokes == [[(5, 5), (50.5, 60.2)]] and pad.reports == [pad.strokes]
    assert drawn(pad) == [([[5, 5], [50.5, 60.2]], 14)] and pad.canvas.received == 1
    assert pad.sent == [{"drawing": pad.canvas.drawing, "received": 1}], "one update tells every view"
    mouse_stroke(pad.canvas, [(100, 100)])  # a click: a stroke of one point
    assert len(pad.reports) == 2 and pad.reports[-1][1] == [(100, 100)]


def test_the_page_has_the_drawing_before_a_slow_callback_runs(pad):
    seen = []
    pad.on_drawing(lambda strokes: seen.append(list(pad.sent)))
    mouse_stroke(pad.canvas, [(10, 10), (20, 20)])
    assert seen == [[{"drawing": [{"points": [[10, 10], [20, 20]], "width": 14}], "received": 1}]]


def test_undo_and_clear(pad):
    mouse_stroke(pad.canvas, [(10, 10), (20, 20)])
    mouse_stroke(pad.canvas, [(30, 30), (40, 40)])
    pad.sent.clear()
    pad.undo_button.click()
    assert pad.strokes == [[(10, 10), (20, 20)]] and pad.reports[-1] == pad.strokes
    assert pad.sent == [{"drawing": [{"points": [[10, 10], [20, 20]], "width": 14}]}], "the page redraws"
    pad.clear_button.click()
    assert pad.strokes == [] and pad.reports[-1] == [] and pad.canvas.drawing == []
    pad.undo_button.click()  # nothing to undo: no error, no report
    assert len(pad.reports) == 4
    pad.undo(), pad.clear()  # the Python API, as a game uses it
    assert pad.strokes == [] and len(pad.reports) == 5


def test_each_stroke_keeps_its_own_brush(pad):
    mouse_stroke(pad.canvas, [(100, 100), (120, 120)], width=7)
    mouse_stroke(pad.canvas, [(150, 150), (160, 160)], width=31)
    assert [width for _, width in drawn(pad)] == [7, 31]
    pad.undo_button.click()
    assert drawn(pad) == [([[100, 100], [120, 120]], 7)]  # the remaining stroke's width, not the slider's


def test_the_brush_slider_moves_the_pages_pen_in_the_page():
    pad = DrawingPad(brush=9)
    assert (pad.brush.value, pad.brush.min, pad.brush.max, pad.canvas.brush) == (9, 2, 40, 9)
    link = pad._brush_link  # a link in the page: no round trip to the kernel
    assert isinstance(link, ipywidgets.widgets.widget_link.DirectionalLink)
    assert link.source == (pad.brush, "value") and link.target == (pad.canvas, "brush")


def test_a_view_opened_later_gets_the_drawing_and_the_look():
    pad = DrawingPad(size=200, brush=5, ink="#123", paper="ivory")
    mouse_stroke(pad.canvas, [(1, 2), (3, 4)])
    state = pad.canvas.get_state()
    assert state["drawing"] == [{"points": [[1, 2], [3, 4]], "width": 5}]
    assert (state["size"], state["ink"], state["paper"], state["received"]) == (200, "#123", "ivory", 1)
    assert (pad.size, pad.ink, pad.paper) == (200, "#123", "ivory")


STROKE = {"type": "stroke", "points": [[1, 2]], "width": 3}
BAD_MESSAGES = [None, "stroke", [], {}, {"type": "other"}, {"type": "stroke"}, {**STROKE, "points": []},
                {**STROKE, "points": [[1]]}, {**STROKE, "points": [["a", "b"]]},
                {**STROKE, "points": [[float("nan"), 1]]}, {**STROKE, "points": "1,2"}, {**STROKE, "points": [None]},
                {**STROKE, "points": [[1, 2]] * 20_001}, {**STROKE, "width": -1}, {**STROKE, "width": "x"},
                {**STROKE, "width": None}]


def test_malformed_messages_are_ignored_with_a_line_in_the_log(pad, caplog):
    mouse_stroke(pad.canvas, [(10, 10), (20, 20)])
    with caplog.at_level("WARNING", logger="mlexp.widgets"):
        for content in BAD_MESSAGES:
            pad.canvas.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})
    assert pad.strokes == [[(10, 10), (20, 20)]] and len(pad.reports) == 1
    assert len(caplog.records) == len(BAD_MESSAGES)
    assert all("ignored a message that is not a stroke" in r.getMessage() for r in caplog.records)
    assert all(len(r.getMessage()) < 300 for r in caplog.records)  # one line, even for a huge message
    assert pad.canvas.received == 1 + len(BAD_MESSAGES)  # the page counts what it sent
    mouse_stroke(pad.canvas, [(30, 30)])
    assert len(pad.strokes) == 2, "still drawing after them"


def percentages(bars):
    return dict(re.findall(r'data-label="([^"]+)".*?class="pct"[^>]*>([\d.]+)%', bars.value))


def test_probability_bars_show_exact_rounded_percentages():
    bars = ProbabilityBars([str(d) for d in range(10)])
    bars.show({"3": 0.9749, "8": 0.0151, "5": 0.0099, "1": 0.00005})
    shown = percentages(bars)
    assert list(shown) == [str(d) for d in range(10)]  # every class, in label order
    assert shown["3"] == "97.5" and shown["8"] == "1.5" and shown["5"] == "1.0" and shown["1"] == "0.0"
    assert re.search(r'class="top" data-label="3"', bars.value)
    assert len(re.findall('class="top"', bars.value)) == 1


def test_probability_bars_top_k_lists_the_most_likely_first():
    bars = ProbabilityBars(list("abcdefg"), top=3)
    bars.show({"a": 0.1, "b": 0.5, "c": 0.05, "d": 0.3, "e": 0.05})
    assert list(percentages(bars)) == ["b", "d", "a"]


def classifier_demo(classify):
    return DrawingClassifier([str(d) for d in range(10)], classify, prompt="Draw a digit.")


def test_drawing_classifier_with_the_shipped_model(shipped):
    model = shipped("digits_cnn")
    demo = classifier_demo(model.classify_strokes)
    assert ">?<" in demo.answer.value and "Draw a digit" in demo.status.value
    for stroke in place(DIGITS["7"], 100, 20, 120):
        mouse_stroke(demo.pad.canvas, stroke)
    assert ">7<" in demo.answer.value and demo.status.value == ""
    assert float(percentages(demo.bars)["7"]) > 50
    assert bytes(demo.seen.value).startswith(b"\x89PNG")
    drawn = bytes(demo.seen.value)
    demo.pad.clear_button.click()
    assert ">?<" in demo.answer.value and percentages(demo.bars)["7"] == "0.0"
    assert bytes(demo.seen.value) != drawn  # the old input is not left on show


def test_bad_drawings_get_one_sentence(shipped):
    demo = classifier_demo(shipped("digits_mlp").classify_strokes)
    mouse_stroke(demo.pad.canvas, [(100, 100), (101, 101)])
    assert "only a dot" in demo.status.value and ">?<" in demo.answer.value
    demo.pad.clear_button.click()
    for y in range(0, 280, 6):  # a scribble filling the pad
        mouse_stroke(demo.pad.canvas, [(0, y), (279, y + 3)])
    assert "scribble" in demo.status.value


def test_a_failing_classifier_leaves_the_widget_working():
    def broken(strokes):
        raise RuntimeError("disk on fire")
    demo = classifier_demo(broken)
    mouse_stroke(demo.pad.canvas, [(10, 10), (200, 200)])
    assert "Something went wrong" in demo.status.value and "disk on fire" in demo.status.value
    assert len(demo.pad.strokes) == 1


def test_a_bug_is_logged_with_its_traceback_and_a_persons_mistake_is_not(caplog):
    def broken(strokes):
        raise RuntimeError("disk on fire")
    demo = classifier_demo(broken)
    with caplog.at_level("ERROR", logger="mlexp.widgets"):
        mouse_stroke(demo.pad.canvas, [(10, 10), (200, 200)])
    assert [r.exc_info[0] for r in caplog.records] == [RuntimeError]  # the traceback, for a developer
    assert "Traceback" not in demo.status.value  # one sentence, for the person
    caplog.clear()

    class Odd(Exception):
        for_people = True  # as mlexp's errors say
    def odd(strokes):
        raise Odd("That drawing is odd.")
    demo = classifier_demo(odd)
    with caplog.at_level("ERROR", logger="mlexp.widgets"):
        mouse_stroke(demo.pad.canvas, [(10, 10), (200, 200)])
    assert not caplog.records and "That drawing is odd." in demo.status.value


def test_widgets_and_inference_import_no_tensorflow():
    code = ("import sys, widgets, mlexp; m = mlexp.load('digits_cnn'); "
            "m.classify_strokes([[(0, 0), (0, 100)]]); "
            "print(sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_callbacks_can_be_removed_the_ipywidgets_way():
    demo = classifier_demo(lambda strokes: {"1": 1.0})
    results, drawings = [], []

    def on_result(label, probabilities):
        results.append(label)

    demo.on_result(on_result)
    demo.pad.on_drawing(drawings.append)
    mouse_stroke(demo.pad.canvas, [(10, 10), (200, 200)])
    assert results == ["1"] and len(drawings) == 1
    demo.on_result(on_result, remove=True)
    demo.pad.on_drawing(drawings.append, remove=True)
    mouse_stroke(demo.pad.canvas, [(10, 10), (200, 100)])
    assert results == ["1"] and len(drawings) == 1, "removed callbacks are not called again"
    assert len(demo.pad.strokes) == 2 and ">1<" in demo.answer.value  # the classifier's own callback still runs


def test_the_stylesheet_is_sent_once_not_with_each_update():
    bars = ProbabilityBars(list("abc"))
    bars.show({"a": 0.7, "b": 0.3})
    assert "<style" not in bars.value and "style=\"width:70.0%\"" in bars.value  # the bar's length is data
    one, two = classifier_demo(lambda strokes: {"1": 1.0}), DrawingClassifier(list("ab"), lambda s: {})
    sheets = [child for demo in (one, two) for child in demo.children if isinstance(child, Stylesheet)]
    assert len(sheets) == 2 and sheets[0] is sheets[1], "one stylesheet widget for every widget"
    assert sheets[0]._css == (Path(widgets.__file__).parent / "mlexp.css").read_text()
    mouse_stroke(one.pad.canvas, [(10, 10), (200, 200)])
    for box in (one.answer, one.status, one.bars):
        assert "<style" not in box.value and "style=" not in box.value.replace('style="width:', "")


def test_closing_the_pad_closes_its_pen_and_the_sliders_link():
    pad = DrawingPad()
    link, canvas = pad._brush_link, pad.canvas
    pad.close()
    assert link.comm is None and canvas.comm is None and pad.comm is None
