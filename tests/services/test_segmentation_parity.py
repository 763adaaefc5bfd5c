"""rjieba segments exactly as the Python jieba did (services/segmentation.py before the switch).

The expectation is computed here with jieba itself (a dev dependency: bench/dataset.py reads its
dictionary file) with the settings the service used: precise mode for queries, search mode for the
index, HMM off, each token stripped, lower-cased and kept when it is a run of word characters.
Texts: every text field of the demo catalogue and the benchmark's vocabulary and queries.
"""

from __future__ import annotations

import logging
import re

import jieba
import pytest

from bench import dataset
from services import segmentation
from services.demo import catalogue as demo

WORD = re.compile(r"^\w+$")


@pytest.fixture(scope="module", autouse=True)
def _jieba_loaded():
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()


def jieba_words(text: str, *, search_mode: bool) -> list[str]:
    """services.segmentation with jieba, as it was."""
    out = []
    for token in jieba.cut_for_search(text, HMM=False) if search_mode else jieba.cut(text, HMM=False):
        token = token.strip().lower()
        if token and WORD.match(token) and token != "_":
            out.append(token)
    return out


def demo_texts() -> list[str]:
    texts = []
    for _, _, item in [*demo.PILOT_RESULTS, *demo.INSTRUMENTS, *demo.OFFERS]:
        listing = item.listing
        texts += [listing.title, listing.title_en or "", listing.abstract or "", listing.abstract_en or ""]
        texts += list(listing.keywords or [])
    return [t for t in texts if t]


def bench_texts() -> list[str]:
    zh, en = dataset.chinese_vocabulary(), dataset.english_vocabulary()
    # The words alone (as the benchmark indexes them), its queries, and titles made as its seed makes them.
    titles = [zh[i] + zh[(i * 7 + 1) % len(zh)] + zh[(i * 13 + 2) % len(zh)] + "中试成果" for i in range(len(zh))]
    return [*zh, *en, *dataset.queries(zh, en), *titles]


@pytest.mark.parametrize("search_mode", [True, False], ids=["index", "query"])
@pytest.mark.parametrize("texts", [demo_texts, bench_texts], ids=["demo", "bench"])
def test_rjieba_gives_jiebas_tokens(texts, search_mode):
    corpus = texts()
    assert len(corpus) > 50
    differ = [
        (text, segmentation.words(text, search_mode=search_mode), jieba_words(text, search_mode=search_mode))
        for text in corpus
        if segmentation.words(text, search_mode=search_mode) != jieba_words(text, search_mode=search_mode)
    ]
    assert differ == []


def test_the_index_and_query_tokens_are_jiebas_with_english_stemmed():
    for text in demo_texts():
        expected = segmentation.stem(jieba_words(text, search_mode=False))
        assert segmentation.query_tokens(text) == list(dict.fromkeys(expected))[:12]
    zh = dataset.chinese_vocabulary()
    assert [segmentation.index_tokens(w) for w in zh] == [" ".join(jieba_words(w, search_mode=True)) for w in zh]
