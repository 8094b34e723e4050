"""mlexp.core: the one atomic write, byte-size formatter, softmax, IoU and confusion matrix."""
import os
import stat

import numpy as np
import pytest

from mlexp.core.files import atomic_write, byte_size
from mlexp.core.metrics import confusion_matrix, iou, log_softmax, softmax


def test_atomic_write_replaces_the_file_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "deep" / "folder" / "card.json"
    with atomic_write(target, "w", encoding="utf-8") as out:
        out.write("first")
        assert not target.exists()  # nothing under the name until the block ends
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_write(target) as out:
        out.write(b"half a file")
        raise RuntimeError("the write failed")
    assert target.read_text() == "first" and os.listdir(target.parent) == ["card.json"]  # nothing left behind
    with atomic_write(target) as out:
        out.write(b"second")
    assert target.read_bytes() == b"second" and os.listdir(target.parent) == ["card.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # the usual permissions, not mkstemp's 0600
    with pytest.raises(ValueError, match="a new file"):
        with atomic_write(target, "a"):
            pass


def test_byte_size_keeps_the_messages_people_read():
    assert byte_size(50 * 2**20) == "50 MiB" and byte_size(60 * 2**20) == "60 MiB"  # the upload limit's message
    assert byte_size(1024) == "1 KiB" and byte_size(12_600) == "12 KiB"
    assert byte_size(3_889_568) == "3.7 MiB" and byte_size(2_146_484) == "2.0 MiB"  # model files, as described
    assert byte_size(33_640) == "33 KiB" and byte_size(1_000_000) == "977 KiB"
    assert byte_size(0) == "0 bytes" and byte_size(1) == "1 byte" and byte_size(3 * 2**30) == "3 GiB"


def test_softmax_and_log_softmax():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])
    p = softmax(logits)
    assert np.allclose(p.sum(-1), 1) and np.isfinite(p).all() and p[1, 0] == 1.0
    assert np.allclose(np.exp(log_softmax(logits)), p)
    assert log_softmax(logits)[1, 2] == pytest.approx(-2000.0)  # where log(softmax) would be -inf
    assert np.allclose(softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75])  # one dimension too


def test_iou():
    box = np.array([0.0, 0.0, 10.0, 10.0])
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [5, 5, 5, 5], [10, 10, 0, 0]], float)
    assert iou(box, boxes).tolist() == pytest.approx([1.0, 1 / 3, 0.0, 0.0, 0.0])


def test_confusion_matrix():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 4)
    assert matrix.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]
    assert confusion_matrix([], [], 2).tolist() == [[0, 0], [0, 0]]
