"""Chinese and English text to search tokens with jieba, the same way at index and query time.

Chinese has no spaces, so both sides are segmented by jieba (precise mode, HMM off so unknown
words always fall apart into the same single characters). The index also gets jieba's
search-mode sub-words (锂电池 -> 锂电, 电池, 锂电池), so a query for a shorter word finds a longer
one. Latin text is lower-cased; tokens are runs of letters and digits.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

import jieba

jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()
_TOKEN = re.compile(r"^\w+$")
MAX_QUERY_TOKENS = 12


def initialise() -> None:
    """Load jieba's dictionary now (about a second) rather than on the first search."""
    _ensure_initialised()


def _ensure_initialised() -> None:
    if not jieba.dt.initialized:
        with _init_lock:
            jieba.initialize()


def _clean(tokens: Iterable[str]) -> list[str]:
    out = []
    for token in tokens:
        token = token.strip().lower()
        if token and _TOKEN.match(token) and token != "_":
            out.append(token)
    return out


def index_tokens(*texts: str | None) -> str:
    """The space-separated tokens stored in `listings.search_text`.

    Search mode yields every word of precise mode plus its dictionary sub-words (repeats are kept).
    `title_text` is the same for the titles alone: relevance puts title matches first.
    """
    _ensure_initialised()
    tokens: list[str] = []
    for text in texts:
        if text:
            tokens += _clean(jieba.cut_for_search(text, HMM=False))
    return " ".join(tokens)


def query_tokens(query: str) -> list[str]:
    """The tokens a listing must all contain to match `query` (at most MAX_QUERY_TOKENS)."""
    _ensure_initialised()
    seen: dict[str, None] = {}
    for token in _clean(jieba.cut(query, HMM=False)):
        seen.setdefault(token, None)
    return list(seen)[:MAX_QUERY_TOKENS]


def is_latin(token: str) -> bool:
    """ASCII words get prefix matching (batter -> battery); Chinese tokens match whole."""
    return token.isascii()
