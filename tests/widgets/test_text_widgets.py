"""The summation and text-generation widgets, with stand-in models."""
import asyncio
from types import SimpleNamespace

from widgets import SumAnswerer, TextStreamer


def fake_add(text):
    a, b = text.split("+") if "+" in text else (None, None)
    if not (a and b and a.isdigit() and b.isdigit()):
        raise ValueError("Type two numbers, like 17+38.")
    total = int(a) + int(b)
    shown = str(total + (1 if total == 100 else 0))  # this stand-in gets 100 wrong
    digits = [{d: (0.9 if d == c else 0.1 / 9) for d in "0123456789"} for c in shown.zfill(4)]
    return SimpleNamespace(a=int(a), b=int(b), text=shown, digits=digits, correct=shown == str(total))


def test_the_answer_follows_what_is_typed():
    widget = SumAnswerer(fake_add)
    assert "?" in widget.answer.value and "Type two numbers" in widget.status.value
    widget.input.value = "17+"
    assert "Type two numbers" in widget.status.value and widget.digits.value == ""
    widget.input.value = "17+38"
    assert "17+38 = 55" in widget.answer.value and "(right)" in widget.answer.value
    assert widget.status.value == "" and widget.digits.value.count("data-position") == 4
    assert "90.0%" in widget.digits.value
    widget.input.value = "60+40"
    assert "60+40 = 101" in widget.answer.value and "wrong: 100" in widget.answer.value


def letters(prompt, length, temperature, seed):
    if not prompt.strip():
        raise ValueError("Type a few characters to start from.")
    for i in range(length):
        yield "abcdefghij"[(i + (seed or 0)) % 10]


def run(widget, *args):
    asyncio.run(widget.run(*args))


def test_generation_streams_and_reports():
    widget = TextStreamer(letters, check=lambda p: "The model left out '🙂'." if "🙂" in p else "")
    run(widget, "Hi", 25, 0.5, 3)
    assert widget.text == "defghijabcdefghijabcdefgh"
    assert "Generated 25 characters" in widget.info.value and "<b>Hi</b>defghij" in widget.output.value
    assert not widget.generate_button.disabled and widget.stop_button.disabled
    run(widget, "Hi 🙂", 5, 0.5, 0)
    assert "left out" in widget.status.value and widget.text == "abcde"
    run(widget, "  ", 5, 0.5, 0)
    assert "Type a few characters" in widget.status.value and widget.text == ""


def test_stop_ends_a_running_generation_and_keeps_its_text():
    widget = TextStreamer(letters)

    async def play():
        widget.prompt.value, widget.seed.value, widget.length.value = "Hi", "1", 5000
        widget.start()
        assert widget.stop_button.disabled  # not yet started: the task runs when we yield
        for _ in range(50):
            await asyncio.sleep(0)
        assert not widget.stop_button.disabled and 0 < len(widget.text) < 5000
        widget.stop_button.click()
        await widget._task
        return len(widget.text)

    count = asyncio.run(play())
    assert count < 100 and f"Stopped after {count} characters" in widget.info.value
    assert widget.stop_button.disabled and not widget.generate_button.disabled


def test_a_bad_seed_gets_a_sentence():
    widget = TextStreamer(letters)
    widget.seed.value = "abc"
    widget.start()
    assert "The seed must be a whole number" in widget.status.value and widget._task is None
