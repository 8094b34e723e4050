"""PhotoPicker through the widget protocol: a file in pieces arrives whole, once; what the
browser refuses (too large, unreadable) reaches Python as one sentence."""
import pytest

from widgets import PhotoPicker

from helpers import send, send_file


@pytest.fixture
def picker():
    widget = PhotoPicker(max_bytes=1_000_000, piece_bytes=300_000)
    widget.files, widget.problems = [], []
    widget.on_file(lambda data, name: widget.files.append((data, name)))
    widget.on_problem(widget.problems.append)
    return widget


def test_a_file_sent_in_pieces_arrives_whole_and_once(picker):
    data = bytes(range(256)) * 3000  # 768,000 bytes: three pieces
    send_file(picker, data, "big.png")
    assert picker.files == [(data, "big.png")] and picker.received == 1 and not picker.problems
    send_file(picker, b"small", "small.jpg", id=2)  # one piece
    assert picker.files[-1] == (b"small", "small.jpg") and picker.received == 2


def test_a_new_file_replaces_one_still_arriving(picker):
    first = b"a" * 700_000
    content = {"type": "piece", "id": 1, "name": "first.jpg", "size": len(first), "index": 0, "count": 3}
    picker.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}},
                            "buffers": [memoryview(first[:300_000])]})
    send_file(picker, b"second", "second.jpg", id=2)
    assert picker.files == [(b"second", "second.jpg")]


def test_a_file_over_the_limit_gets_one_sentence(picker):
    send(picker, type="refused", name="huge.png", size=80 * 2**20)
    assert picker.problems == ["huge.png is too large to read safely (80 MiB; the limit is 977 KiB)."]
    send_file(picker, b"x" * 1_200_000, "sneaky.png")  # a page that skipped the check
    assert picker.files == [] and "sneaky.png is too large" in picker.problems[-1]
    send(picker, type="unreadable", name="gone.jpg")
    assert picker.problems[-1].startswith("gone.jpg could not be read") and len(picker.problems) == 3


def test_a_removed_callback_is_not_called(picker):
    seen = []

    def note(data, name):
        seen.append(name)

    picker.on_file(note)
    send_file(picker, b"one", "one.jpg")
    picker.on_file(note, remove=True)
    send_file(picker, b"two", "two.jpg", id=2)
    assert seen == ["one.jpg"] and len(picker.files) == 2
