"""Chinese and English text to search tokens, the same way at index and query time.

Chinese has no spaces, so both sides are segmented by jieba's algorithm and dictionary, run by
`rjieba` (the jieba-rs binding: the same tokens as the Python jieba, many times faster); precise
mode with HMM off, so unknown words always fall apart into the same single characters. The
dictionary is jieba's words and frequencies without their part-of-speech tags, which segmenting
never reads (DICTIONARY, `_load`): 24.6 MB per process instead of the 34 MB of rjieba's own.
The index also gets the search-mode sub-words (锂电池 -> 锂电, 电池, 锂电池), so a query for a
shorter word finds a longer one. Latin text is lower-cased; tokens are runs of letters and digits.

English: every ASCII token is reduced to its Snowball English (Porter2) stem, in the index and in
the query alike, so `battery` and `batteries` (both `batteri`), `microscope` and `microscopes`
(`microscop`) find each other. Chinese tokens are left as they are.

Prefixes are indexed, not searched for: the index also holds every prefix of 2 to
MAX_PREFIX characters of each English stem (`batteri` -> `ba`, `bat`, ..., `batter`), so a typed
prefix is one exact token (`batter` finds `batteri`) and PostgreSQL reads one posting list in
publication order instead of gathering and sorting every word the prefix starts (~26 ms for
`circuit` at 1M listings before, docs/benchmarks.md). The query's token is stemmed too, which keeps
the prefix it was unless Snowball shortens it (`runn` stays `runn`, so it does not find `running`,
stored as `run`). A one-letter query word matches only that word; a query word longer than
MAX_PREFIX is still matched as a prefix by the database (services/search.py).
"""

from __future__ import annotations

import gzip
import importlib.machinery
import importlib.util
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import Stemmer

# jieba's dict.txt as `word frequency` lines (tests/services/test_segmentation_dictionary.py proves
# it and rebuilds it: `make segmentation-dictionary`). jieba is MIT-licensed, as is its dictionary.
DICTIONARY = Path(__file__).with_name("segmentation_dictionary.txt.gz")

_init_lock = threading.Lock()
_jieba: Any = None  # an rjieba.Jieba holding DICTIONARY
_stemmers = threading.local()  # a PyStemmer object is not thread-safe: one per thread
_TOKEN = re.compile(r"^\w+$")
MAX_QUERY_TOKENS = 12
MIN_PREFIX, MAX_PREFIX = 2, 24  # the lengths of the English prefixes indexed beside each stem


def initialise() -> None:
    """Load the dictionary now (under a second, 24.6 MB) rather than on the first search."""
    _segmenter()


def loaded() -> bool:
    return _jieba is not None


def _segmenter() -> Any:
    """The segmenter, made on first use: processes that never segment (migrations, most CLI
    commands) do not pay for its dictionary."""
    global _jieba
    if _jieba is None:
        with _init_lock:
            if _jieba is None:
                _jieba = _load()
    return _jieba


def _load() -> Any:
    """An empty rjieba `Jieba` given DICTIONARY's words and frequencies.

    `import rjieba` would build a default `Jieba` in its package's `__init__`, holding every word's
    part-of-speech tag too (9.4 MB more per process, for `tag()`, never called here). So the
    extension module inside the package is loaded by itself, the package left unimported; an
    `import rjieba` elsewhere in the process still works (Python reuses the loaded extension).
    """
    jieba_class = _rjieba_extension().Jieba
    jieba = jieba_class.empty()
    add_word = jieba.add_word
    # A line at a time: the whole file as one string and its lines at once would raise the
    # process's high-water mark by some 30 MB and leave it fragmented.
    with gzip.open(DICTIONARY, "rt", encoding="utf-8") as lines:
        for line in lines:
            word, frequency = line.split(" ")
            add_word(word, int(frequency), None)
    return jieba


def _rjieba_extension() -> Any:
    loaded_already = sys.modules.get("rjieba.rjieba")
    if loaded_already is not None:
        return loaded_already
    package = importlib.util.find_spec("rjieba")  # finds the package without running its __init__
    if package is None or not package.submodule_search_locations:
        raise ImportError("rjieba is not installed")
    spec = importlib.machinery.PathFinder.find_spec("rjieba.rjieba", list(package.submodule_search_locations))
    if spec is None or spec.loader is None:
        raise ImportError("rjieba's extension module is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stemmer() -> Stemmer.Stemmer:
    stemmer: Stemmer.Stemmer | None = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer


def stem(tokens: list[str]) -> list[str]:
    """ASCII tokens to their Snowball English stems; other tokens unchanged."""
    stemmer = _stemmer()
    return [stemmer.stemWord(t) if t.isascii() else t for t in tokens]


def _clean(tokens: Iterable[str]) -> list[str]:
    out = []
    for token in tokens:
        token = token.strip().lower()
        if token and _TOKEN.match(token) and token != "_":
            out.append(token)
    return out


def words(text: str, *, search_mode: bool) -> list[str]:
    """The words of `text`: search mode (the index) yields every word of precise mode plus its
    dictionary sub-words, repeats kept; precise mode (queries) each word once where it stands."""
    jieba = _segmenter()
    return _clean(jieba.cut_for_search(text, hmm=False) if search_mode else jieba.cut(text, hmm=False))


def prefixes(tokens: list[str]) -> list[str]:
    """The indexed prefixes of the English (ASCII) tokens: every prefix of MIN_PREFIX to MAX_PREFIX
    characters shorter than its token, each once in the order first met, none that is already one
    of `tokens` (so `tokens + prefixes(tokens)` gains nothing from a second pass)."""
    present = set(tokens)
    seen: dict[str, None] = {}
    for token in tokens:
        if token.isascii():
            for end in range(MIN_PREFIX, min(len(token) - 1, MAX_PREFIX) + 1):
                if token[:end] not in present:
                    seen.setdefault(token[:end], None)
    return list(seen)


def index_tokens(*texts: str | None) -> str:
    """The space-separated tokens stored in `listings.search_text`: the words of each text (search
    mode), English ones stemmed, then the English stems' prefixes (`prefixes`).

    `title_text` is the same for the titles alone: relevance puts title matches first.
    """
    tokens: list[str] = []
    for text in texts:
        if text:
            tokens += stem(words(text, search_mode=True))
    return " ".join(tokens + prefixes(tokens))


def query_tokens(query: str) -> list[str]:
    """The tokens a listing must all contain to match `query` (at most MAX_QUERY_TOKENS): its words
    (precise mode), English ones stemmed, each once."""
    seen: dict[str, None] = {}
    for token in stem(words(query, search_mode=False)):
        seen.setdefault(token, None)
    return list(seen)[:MAX_QUERY_TOKENS]


def needs_prefix_match(token: str) -> bool:
    """A query token the index holds no prefix token for, which the database must match as a
    prefix: an English word longer than MAX_PREFIX. Shorter ones are exact matches of an indexed
    word or prefix; Chinese tokens match whole words."""
    return token.isascii() and len(token) > MAX_PREFIX
