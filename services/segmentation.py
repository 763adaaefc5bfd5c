"""Chinese and English text to search tokens, the same way at index and query time.

Chinese has no spaces, so both sides are segmented by jieba's algorithm and dictionary, run by
`rjieba` (the jieba-rs binding: the same tokens as the Python jieba, its dictionary in about a
third of the memory, many times faster); precise mode with HMM off, so unknown words always fall
apart into the same single characters. The index also gets the search-mode sub-words
(锂电池 -> 锂电, 电池, 锂电池), so a query for a shorter word finds a longer one. Latin text is
lower-cased; tokens are runs of letters and digits.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from types import ModuleType

_init_lock = threading.Lock()
_jieba: ModuleType | None = None
_TOKEN = re.compile(r"^\w+$")
MAX_QUERY_TOKENS = 12


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


def index_tokens(*texts: str | None) -> str:
    """The space-separated tokens stored in `listings.search_text`.

    `title_text` is the same for the titles alone: relevance puts title matches first.
    """
    tokens: list[str] = []
    for text in texts:
        if text:
            tokens += words(text, search_mode=True)
    return " ".join(tokens)


def query_tokens(query: str) -> list[str]:
    """The tokens a listing must all contain to match `query` (at most MAX_QUERY_TOKENS)."""
    seen: dict[str, None] = {}
    for token in words(query, search_mode=False):
        seen.setdefault(token, None)
    return list(seen)[:MAX_QUERY_TOKENS]


def is_latin(token: str) -> bool:
    """ASCII words get prefix matching (batter -> battery); Chinese tokens match whole."""
    return token.isascii()
