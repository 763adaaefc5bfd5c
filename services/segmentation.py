"""Chinese and English text to search tokens, the same way at index and query time.

Chinese has no spaces, so both sides are segmented by jieba's algorithm and dictionary, run by
`rjieba` (the jieba-rs binding: the same tokens as the Python jieba, its dictionary in about a
third of the memory, many times faster); precise mode with HMM off, so unknown words always fall
apart into the same single characters. The index also gets the search-mode sub-words
(锂电池 -> 锂电, 电池, 锂电池), so a query for a shorter word finds a longer one. Latin text is
lower-cased; tokens are runs of letters and digits.

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

import re
import threading
from collections.abc import Iterable
from types import ModuleType

import Stemmer

_init_lock = threading.Lock()
_jieba: ModuleType | None = None
_stemmers = threading.local()  # a PyStemmer object is not thread-safe: one per thread
_TOKEN = re.compile(r"^\w+$")
MAX_QUERY_TOKENS = 12
MIN_PREFIX, MAX_PREFIX = 2, 24  # the lengths of the English prefixes indexed beside each stem


def initialise() -> None:
    """Load the dictionary now (a third of a second, ~33 MB) rather than on the first search."""
    _segmenter()


def loaded() -> bool:
    return _jieba is not None


def _segmenter() -> ModuleType:
    """rjieba, imported on first use: importing it builds its dictionary, which processes that never
    segment (migrations, most CLI commands) need not pay for."""
    global _jieba
    if _jieba is None:
        with _init_lock:
            if _jieba is None:
                import rjieba

                _jieba = rjieba
    return _jieba


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
