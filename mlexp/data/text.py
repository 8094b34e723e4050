"""Text corpora for the character-level models: Tiny Shakespeare and a Wikipedia sample."""
from __future__ import annotations

import bz2
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mlexp.core.files import atomic_write
from mlexp.data.sources import cache_dir, fetch, mirror_dir

SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
# An excerpt of the English Wikipedia dump (about 100 articles), kept in gensim's test data.
WIKIPEDIA_DUMP_URL = ("https://github.com/piskvorky/gensim/raw/develop/gensim/test/test_data/"
                      "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
CORPORA = ("tinyshakespeare", "wikipedia_en_sample")


def _plain(wikitext: str) -> str:
    """Article text from wiki markup: templates, tables, references, files and tags removed,
    links replaced by their text (bold/italic quotes and headings are kept)."""
    previous = None
    while previous != wikitext:  # innermost templates and tables first
        previous = wikitext
        wikitext = re.sub(r"\{\{[^{}]*\}\}|\{\|[^{}]*?\|\}", "", wikitext, flags=re.S)
    wikitext = re.sub(r"<ref[^>/]*/>|<ref.*?</ref>|<!--.*?-->", "", wikitext, flags=re.S)
    wikitext = re.sub(r"\[\[(?:File|Image|Category):(?:[^\[\]]|\[\[[^\]]*\]\])*\]\]", "", wikitext)
    wikitext = re.sub(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]", r"\1", wikitext)
    wikitext = re.sub(r"\[https?://\S+ ?([^\]]*)\]", r"\1", wikitext)
    wikitext = re.sub(r"<[^>]+>", "", wikitext)
    return re.sub(r"\n{3,}", "\n\n", wikitext).strip()


def _wikipedia_sample(dump: Path) -> str:
    """`= Title =` and the plain text of each article of a bz2 XML dump (redirects skipped)."""
    articles = []
    with bz2.open(dump) as f:
        for _, element in ET.iterparse(f):
            if element.tag.endswith("}page"):
                ns = element.tag[: -len("page")]
                title, text = element.findtext(f"{ns}title"), element.findtext(f"{ns}revision/{ns}text") or ""
                if not text.lower().startswith("#redirect"):
                    articles.append(f"= {title} =\n\n{_plain(text)}\n")
                element.clear()
    return "\n".join(articles)


def load_text(name: str) -> str:
    """The whole text of corpus `name` (one of CORPORA), from the mirror, the cache or the web."""
    if name == "tinyshakespeare":
        return fetch("text/tinyshakespeare.txt", SHAKESPEARE_URL, SHAKESPEARE_SHA256).read_text(encoding="utf-8")
    if name != "wikipedia_en_sample":
        raise ValueError(f"No text corpus named {name!r}; choose one of: {', '.join(CORPORA)}.")
    relpath = "text/wikipedia_en_sample.txt"
    for folder in (mirror_dir(), cache_dir()):
        if folder is not None and (folder / relpath).is_file():
            return (folder / relpath).read_text(encoding="utf-8")
    text = _wikipedia_sample(fetch("text/enwiki-excerpt.xml.bz2", WIKIPEDIA_DUMP_URL, timeout=120))
    with atomic_write(cache_dir() / relpath, "w", encoding="utf-8") as out:
        out.write(text)
    return text
