"""Widgets driven through the widget message protocol, as the browser drives them (no browser)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

import widgets
from widgets import DrawingClassifier, DrawingPad, ProbabilityBars
from widgets.common import Stylesheet

from drawings import DIGITS, place
from helpers import mouse_stroke, send


@pytest.fixture
def pad(monkeypatch):
    """A pad whose drawing commands to the browser are recorded in pad.sent."""
    pad = DrawingPad()
    pad.sent = []
    monkeypatch.setattr(pad.canvas._canvas_manager, "send_command",
                        lambda canvas, command, buffers=[]: pad.sent.append(command))
    pad.reports = []
    pad.on_drawing(pad.reports.append)
    return pad


def test_nothing_is_drawn_before_the_browser_is_ready(pad):
    mouse_stroke(pad.canvas, [(10, 10), (20, 30), (40, 50)])
    assert pad.sent == []
    assert pad.strokes == [[(10, 10), (20, 30), (40, 50)]]  # the stroke is kept, though
    send(pad.canvas, event="client_ready")
    assert pad.sent, "the pad redraws its strokes once the browser is ready"


def test_mouse_strokes_are_reported_when_each_stroke_ends(pad):
    send(pad.canvas, event="client_ready")
    send(pad.canvas, event="mouse_down", x=5, y=5)
    send(pad.canvas, event="mouse_move", x=50, y=60)
    assert pad.reports == []  # not while drawing
    send(pad.canvas, event="mouse_up", x=50, y=60)
    assert pad.reports == [[[(5, 5), (50, 60)]]]
    send(pad.canvas, event="mouse_move", x=90, y=90)  # moving without the button: no ink
    mouse_stroke(pad.canvas, [(100, 100), (120, 140)])
    assert len(pad.reports) == 2 and pad.reports[-1][1] == [(100, 100), (120, 140)]


def test_leaving_the_pad_ends_the_stroke(pad):
    send(pad.canvas, event="mouse_down", x=5, y=5)
    send(pad.canvas, event="mouse_move", x=270, y=60)
    send(pad.canvas, event="mouse_out", x=281, y=60)
    assert pad.reports == [[[(5, 5), (270, 60)]]]


def test_touch_strokes_keep_the_last_point(pad):
    send(pad.canvas, event="touch_start", touches=[{"x": 10, "y": 10}])
    send(pad.canvas, event="touch_move", touches=[{"x": 30, "y": 80}])
    send(pad.canvas, event="touch_end", touches=[])  # touch-end reports no points
    assert pad.reports == [[[(10, 10), (30, 80)]]]


def test_undo_and_clear(pad):
    send(pad.canvas, event="client_ready")
    mouse_stroke(pad.canvas, [(10, 10), (20, 20)])
    mouse_stroke(pad.canvas, [(30, 30), (40, 40)])
    pad.sent.clear()
    pad.undo_button.click()
    assert pad.strokes == [[(10, 10), (20, 20)]] and pad.reports[-1] == pad.strokes
    assert pad.sent, "undo redraws the remaining strokes"
    pad.clear_button.click()
    assert pad.strokes == [] and pad.reports[-1] == []
    pad.undo_button.click()  # nothing to undo: no error, no report
    assert len(pad.reports) == 4


def test_brush_size_is_used_for_new_ink(pad):
    send(pad.canvas, event="client_ready")
    pad.brush.value = 30
    pad.sent.clear()
    mouse_stroke(pad.canvas, [(10, 10), (20, 20)])
    assert any(30 in command[1] for command in pad.sent if isinstance(command, list) and len(command) > 1)


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
    demo = DrawingClassifier([str(d) for d in range(10)], classify, prompt="Draw a digit.")
    send(demo.pad.canvas, event="client_ready")
    return demo


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


def test_redrawing_keeps_each_strokes_own_brush(pad):
    send(pad.canvas, event="client_ready")
    pad.brush.value = 7
    mouse_stroke(pad.canvas, [(100, 100), (120, 120)])
    pad.brush.value = 31
    mouse_stroke(pad.canvas, [(150, 150), (160, 160)])
    pad.sent.clear()
    pad.undo_button.click()
    values = [v for command in pad.sent if isinstance(command, list) and len(command) > 1
              for v in command[1] if isinstance(v, (int, float))]
    assert 7 in values and 31 not in values  # the remaining stroke's width, not the slider's


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
