"""FER2013's loader: the mirror's files, Kaggle's own csv in the cache folder, and one sentence
saying where to get the faces when neither is there."""
import numpy as np
import pytest

from mlexp.data import DataUnavailable
from mlexp.data.fer import EMOTIONS, load_fer


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No mirror, an empty cache folder."""
    monkeypatch.delenv("MLEXP_DATA_DIR", raising=False)
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_mirror_holds_both_splits(data_dir):
    x, y = load_fer("train")
    x_test, y_test = load_fer("publictest")
    assert x.shape == (28709, 48, 48) and x.dtype == np.uint8 and len(y) == 28709
    assert x_test.shape == (3589, 48, 48) and len(y_test) == 3589
    counts = np.bincount(y, minlength=len(EMOTIONS))
    assert counts.argmin() == EMOTIONS.index("disgust") and counts.argmax() == EMOTIONS.index("happy")


def test_without_the_faces_one_sentence_says_where_to_get_them(nowhere):
    with pytest.raises(DataUnavailable) as error:
        load_fer("train")
    message = str(error.value)
    assert "kaggle.com" in message and str(nowhere / "fer2013" / "fer2013.csv") in message
    assert "MLEXP_DATA_DIR" in message and message.count(". ") == 0 and message.endswith(".")


def test_kaggles_csv_in_the_cache_folder_is_read_by_split(nowhere):
    rng = np.random.default_rng(0)
    rows = [(i % 7, rng.integers(0, 256, 48 * 48), "Training" if i < 5 else "PublicTest" if i < 8 else "PrivateTest")
            for i in range(10)]
    (nowhere / "fer2013").mkdir(parents=True)
    lines = ["emotion,pixels,Usage"] + [f"{e},{' '.join(map(str, p))},{u}" for e, p, u in rows]
    (nowhere / "fer2013" / "fer2013.csv").write_text("\n".join(lines) + "\n")
    x, y = load_fer("train")
    assert x.shape == (5, 48, 48) and x.dtype == np.uint8 and y.tolist() == [0, 1, 2, 3, 4]
    assert np.array_equal(x[1], rows[1][1].reshape(48, 48))
    x_test, y_test = load_fer("publictest")
    assert y_test.tolist() == [5, 6, 0]  # PrivateTest is left out


def test_an_unknown_split_is_named(nowhere):
    with pytest.raises(ValueError, match="no FER2013 split 'test'"):
        load_fer("test")
