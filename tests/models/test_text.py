"""Text machinery: alphabet, encoding of odd characters, sampling, held-out split, and a
small generated model run through LiteRT exactly as the demos run it."""
import bz2
from xml.sax.saxutils import escape

import numpy as np
import pytest

from mlexp import ModelMissing
from mlexp.data import DataUnavailable
from mlexp.data import text as corpora
from mlexp.predictors.text import TextGenerator, Vocabulary, held_out_split, sample

TEXT = 'To be, or not to be: that is the question.\nROMEO: "Ay me!" - so.\n' * 20


def test_encoding_round_trips_and_odd_characters_are_mapped_visibly():
    vocabulary = Vocabulary.from_text(TEXT)
    encoded = vocabulary.encode("ROMEO: to be")
    assert vocabulary.decode(encoded.ids) == "ROMEO: to be" and encoded.changed == {} and encoded.note() == ""
    odd = vocabulary.encode("“Roméo” — to be… 🙂")
    assert vocabulary.decode(odd.ids) == '"Romeo" - to be... '
    assert odd.changed == {"“": '"', "é": "e", "”": '"', "—": "-", "…": "...", "🙂": ""}
    assert odd.note() == ("The model read '“' as '\"', 'é' as 'e', '”' as '\"', '—' as '-', '…' as '...' "
                          "and left out '🙂' (not in the model's alphabet).")
    assert Vocabulary.from_text("aab", min_count=2).chars == ["a"]
    with pytest.raises(ValueError):
        Vocabulary("aa")


def test_sampling_near_zero_temperature_is_greedy_and_seeds_reproduce():
    logits = np.array([0.1, 2.0, 1.9, -1.0])
    assert {sample(logits, 0.0, np.random.default_rng(s)) for s in range(20)} == {1}
    draws = [[sample(logits, 1.0, np.random.default_rng(7)) for _ in range(1)] for _ in range(3)]
    assert draws[0] == draws[1] == draws[2]
    many = [sample(logits, 1.0, np.random.default_rng(s)) for s in range(300)]
    assert set(many) >= {0, 1, 2}  # at temperature 1 other characters come up too


def test_held_out_split_is_the_end_of_the_text():
    train, held_out = held_out_split("abcdefghij" * 10, 0.1)
    assert len(held_out) == 10 and train + held_out == "abcdefghij" * 10


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A small random Embedding-GRU-Dense model exported as the notebooks export it."""
    from mlexp.training import helpers as training
    from mlexp.training.tf import keras

    vocabulary = Vocabulary.from_text(TEXT)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(len(vocabulary), 8),
                              keras.layers.GRU(16, return_sequences=True), keras.layers.Dropout(0.5),
                              keras.layers.Dense(len(vocabulary))], name="text_tiny")
    out = training.export(model, "text_tiny", tmp_path_factory.mktemp("models"),
                          {"vocabulary": vocabulary.chars, "corpus": "tiny"},
                          runtime_model=training.step_model(model), runtime_file="step.tflite")
    return model, out


def test_generation_is_reproducible_greedy_at_zero_and_streams_the_length(tiny_model):
    generator = TextGenerator(tiny_model[1])
    one = "".join(generator.stream("ROMEO:", 50, 1.0, seed=3))
    assert len(one) == 50 and one == "".join(generator.stream("ROMEO:", 50, 1.0, seed=3))
    assert one != "".join(generator.stream("ROMEO:", 50, 1.0, seed=4))
    greedy = {"".join(generator.stream("ROMEO:", 30, 0.0, seed=s)) for s in range(3)}
    assert len(greedy) == 1
    with pytest.raises(ValueError, match="Type a few characters"):
        next(generator.stream("🙂", 10))


def test_litert_loss_is_the_keras_models_loss_with_the_state_carried(tiny_model):
    model, out = tiny_model
    generator = TextGenerator(out)
    ids = generator.vocabulary.encode(TEXT).ids
    streams, n = 4, (len(ids) - 1) // 4
    x, y = ids[: n * streams].reshape(streams, n), ids[1 : n * streams + 1].reshape(streams, n)
    logits = model(x, training=False).numpy()  # whole streams at once: the same carried state
    z = logits - logits.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, y[..., None], -1).mean()
    assert generator.loss(TEXT, streams=streams) == pytest.approx(expected, abs=1e-4)


def test_missing_step_model_says_how_to_train_it(tmp_path):
    with pytest.raises(ModelMissing, match="mlexp train text_x"):
        TextGenerator(tmp_path / "text_x")


def test_wikipedia_articles_extracted_from_a_dump(monkeypatch, tmp_path):
    """The real online path: a bz2 XML dump downloaded once, its articles' text cached."""
    def page(title, wikitext):  # as dumps hold it: the wiki text escaped inside <text>
        return f"<page><title>{title}</title><revision><text>{escape(wikitext)}</text></revision></page>"

    xml = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/">'
           + page("Anarchism", "'''Anarchism''' is a [[political philosophy]] {{Infobox|x={{y}}}}"
                         "that [[State (polity)|states]] are harmful.<ref>A source</ref>\n"
                         "[[File:A.jpg|thumb|A [[b]] c]]\n== History ==\nOld.")
           + page("AccessibleComputing", "#REDIRECT [[Computer accessibility]]")
           + "</mediawiki>")
    dump = tmp_path / "dump.xml.bz2"
    dump.write_bytes(bz2.compress(xml.encode()))
    monkeypatch.delenv("MLEXP_DATA_DIR", raising=False)
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(corpora, "WIKIPEDIA_DUMP_URL", dump.as_uri())
    text = corpora.load_text("wikipedia_en_sample")
    assert text == ("= Anarchism =\n\n'''Anarchism''' is a political philosophy that states are harmful.\n\n"
                    "== History ==\nOld.\n")
    dump.unlink()  # now cached
    assert corpora.load_text("wikipedia_en_sample") == text


def test_offline_without_the_mirror_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv("MLEXP_DATA_DIR", raising=False)
    monkeypatch.setenv("MLEXP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(corpora, "SHAKESPEARE_URL", "http://127.0.0.1:9/input.txt")
    with pytest.raises(DataUnavailable, match="Could not get text/tinyshakespeare.txt"):
        corpora.load_text("tinyshakespeare")
    with pytest.raises(ValueError, match="choose one of: tinyshakespeare, wikipedia_en_sample"):
        corpora.load_text("poems")
