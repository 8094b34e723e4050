"""Quick, Draw! data: the loader (mirror, class list, cap, errors) and the bitmap recipe."""
import http.server
import json
import threading

import numpy as np
import pytest
from PIL import ImageOps

from mlexp.data import DataUnavailable, load_quickdraw, quickdraw
from mlexp.inputs.drawings import BadDrawing, image_to_quickdraw, strokes_to_quickdraw

from drawings import render


def tiny_mirror(folder, counts):
    (folder / "quickdraw").mkdir(parents=True)
    for i, (name, n) in enumerate(counts.items()):
        np.save(folder / "quickdraw" / f"{name}.npy", np.full((n, 784), i, np.uint8))
    return folder


def test_categories_come_from_the_data_found(monkeypatch, tmp_path):
    monkeypatch.setenv("MLEXP_DATA_DIR", str(tiny_mirror(tmp_path, {"cat": 5, "The Eiffel Tower": 3})))
    (tmp_path / "quickdraw" / "not a category.npy").write_bytes(b"")
    x, y, categories = load_quickdraw()
    assert categories == ["The Eiffel Tower", "cat"]
    assert x.shape == (8, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [3, 5] and (x[y == 1] == 0).all()  # cat.npy holds zeros


def test_chosen_categories_and_a_cap_per_class(monkeypatch, tmp_path):
    monkeypatch.setenv("MLEXP_DATA_DIR", str(tiny_mirror(tmp_path, {"cat": 5, "fish": 7, "eye": 2})))
    x, y, categories = load_quickdraw(["fish", "eye"], per_class=4)
    assert categories == ["fish", "eye"] and np.bincount(y).tolist() == [4, 2]


def test_an_unknown_category_lists_the_valid_ones():
    with pytest.raises(quickdraw.UnknownCategory) as error:
        load_quickdraw(["cat", "dogg"])
    message = str(error.value)
    assert "'dogg'" in message and "The Eiffel Tower" in message and "zigzag" in message
    assert len(quickdraw.CATEGORIES) == 345


def test_offline_without_the_class_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("MLEXP_DATA_DIR", str(tiny_mirror(tmp_path / "m", {"cat": 2})))
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(quickdraw, "BITMAP_URL", "http://127.0.0.1:9/{}.npy")
    with pytest.raises(DataUnavailable, match="has no quickdraw/fish.npy"):
        load_quickdraw(["cat", "fish"])


class HalfSent(http.server.BaseHTTPRequestHandler):
    """Promises a whole file, sends half of it and hangs up, like a dropped connection."""

    body = b"\x93NUMPY" + b"x" * 5000

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body[: len(self.body) // 2])

    def log_message(self, *args):
        pass


def test_a_download_that_fails_half_way_leaves_no_cache_file(monkeypatch, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HalfSent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("MLEXP_DATA_DIR", raising=False)
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(quickdraw, "BITMAP_URL", f"http://127.0.0.1:{server.server_address[1]}/{{}}.npy")
    try:
        with pytest.raises(DataUnavailable, match="Could not get quickdraw/The Eiffel Tower.npy"):
            load_quickdraw(["The Eiffel Tower"])
    finally:
        server.shutdown()
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_recipe_ignores_position_and_size_and_refuses_empty_drawings():
    square = [[(0, 0), (100, 0), (100, 60), (0, 60), (0, 0)]]
    a = strokes_to_quickdraw(square)
    b = strokes_to_quickdraw([[(x * 0.3 + 500, y * 0.3 + 20) for x, y in s] for s in square])
    assert np.abs(a - b).max() < 0.02 and a.max() > 0.5
    with pytest.raises(BadDrawing, match="empty"):
        strokes_to_quickdraw([])
    with pytest.raises(BadDrawing, match="dot"):
        strokes_to_quickdraw([[(3, 3), (4, 4)]], min_extent=8)


def test_recipe_reproduces_googles_bitmaps_from_their_strokes(data_dir):
    """The first rows of quickdraw/<class>.npy are mostly the same drawings as the first lines of
    the simplified strokes: drawn by our recipe, they come out within a few grey levels."""
    categories = sorted(p.stem for p in (data_dir / "quickdraw").glob("*.npy"))
    assert categories, "the mirror has no Quick, Draw! bitmaps"
    errors = []
    for name in categories:
        bitmaps = np.load(data_dir / "quickdraw" / f"{name}.npy", mmap_mode="r")[:20] / 255.0
        with open(data_dir / "quickdraw_strokes" / "simplified" / f"{name.replace(' ', '_')}.ndjson") as f:
            drawings = [json.loads(line)["drawing"] for line, _ in zip(f, range(20))]
        for bitmap, drawing in zip(bitmaps, drawings):
            ours = strokes_to_quickdraw([list(zip(xs, ys)) for xs, ys in drawing])
            errors.append(255 * np.abs(ours - bitmap.reshape(28, 28)).mean())
    errors = np.array(errors)
    print(f"mean absolute error: median {np.median(errors):.2f}/255 over {len(errors)} drawings")
    assert np.median(errors) < 3.5
    assert (errors < 5).mean() > 0.8  # the rest are rows that are not the same drawing


@pytest.mark.parametrize("width", [3, 8, 14])
def test_pictures_of_sketches_get_quickdraws_pen_width_and_frame(width):
    """A sketch drawn thin or thick (up to the pad's default brush), light or dark, comes out
    like the strokes' own recipe."""
    house = [[(60, 230), (60, 120), (140, 50), (220, 120), (220, 230), (60, 230)],
             [(120, 230), (120, 170), (160, 170), (160, 230)]]
    reference = strokes_to_quickdraw(house)
    for picture in (render(house, width=width), ImageOps.invert(render(house, width=width))):
        ours = image_to_quickdraw(picture)
        assert 0.8 < ours.sum() / reference.sum() < 1.2, (ours.sum(), reference.sum())
        assert np.abs(ours - reference).mean() < 0.06
    with pytest.raises(BadDrawing, match="blank"):
        image_to_quickdraw(render([], width=width))
    for blot in ([[(50, 50), (51, 51)]], [[(50, 50 + y), (250, 50 + y)] for y in range(0, 200, 3)]):
        with pytest.raises(BadDrawing, match="only a dot or a blot"):
            image_to_quickdraw(render(blot, width=width))
