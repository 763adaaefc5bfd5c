"""backfill: English search tokens gain their indexed prefixes (`batteri` -> `ba` ... `batter`)

From this revision the services index every prefix of 2 to 24 characters of each English stem
beside the stem (services/segmentation.py `prefixes`), and a query word is matched as one token
instead of by PostgreSQL's prefix operator (`'circuit':*` made RUM gather and sort the posting
lists of every word it starts: ~26 ms at 1M listings; docs/benchmarks.md). Listings indexed before
hold only whole stems in `search_text` and `title_text`: the prefixes of their ASCII tokens are
appended here, a batch of rows at a time in id order, exactly as the services now write them
(the tokens, then their prefixes, each once in the order first met). Chinese tokens are untouched.
The FTS5 table follows by trigger (SQLite), the generated tsvectors and their indexes by themselves
(PostgreSQL). On a large catalogue this rewrites every listing with English text: about two minutes
per 100k listings on the benchmark machine; the API can keep serving (old rows still match whole
words; prefixes find them once their batch is written).

No application code is imported: the rule of `services.segmentation.prefixes` is frozen below.
On a fresh database there are no listings and it does nothing. A second pass over a row changes
nothing (a prefix's prefixes are already there), so an interrupted run can simply run again.

Revision ID: 5eafc0de0018
Revises: b0f33d160017
Create Date: 2026-11-30 09:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5eafc0de0018"
down_revision: str | Sequence[str] | None = "b0f33d160017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
MIN_PREFIX, MAX_PREFIX = 2, 24

listings = sa.table(
    "listings",
    sa.column("id", sa.Uuid()),
    sa.column("search_text", sa.Text()),
    sa.column("title_text", sa.Text()),
)


def with_prefixes(text: str | None) -> str | None:
    """Stored space-separated tokens followed by the prefixes of the ASCII ones that are not
    already tokens (so a second pass changes nothing)."""
    if text is None:
        return None
    tokens = text.split()
    present = set(tokens)
    seen: dict[str, None] = {}
    for token in tokens:
        if token.isascii():
            for end in range(MIN_PREFIX, min(len(token) - 1, MAX_PREFIX) + 1):
                if token[:end] not in present:
                    seen.setdefault(token[:end], None)
    return " ".join(tokens + list(seen))


def upgrade() -> None:
    bind = op.get_bind()
    page = sa.select(listings.c.id, listings.c.search_text, listings.c.title_text).order_by(listings.c.id).limit(BATCH)
    update = (
        listings.update()
        .where(listings.c.id == sa.bindparam("b_id"))
        .values(search_text=sa.bindparam("b_search"), title_text=sa.bindparam("b_title"))
    )
    after = None
    # Each batch commits on its own (on PostgreSQL a batch is one atomic executemany): no listing stays
    # locked against its owner's edits for the whole backfill, and an interrupted run resumes safely.
    with op.get_context().autocommit_block():
        while rows := bind.execute(page if after is None else page.where(listings.c.id > after)).all():
            changed = [
                {"b_id": r.id, "b_search": search, "b_title": title}
                for r in rows
                if (search := with_prefixes(r.search_text), title := with_prefixes(r.title_text))
                != (r.search_text, r.title_text)
            ]
            if changed:
                bind.execute(update, changed)
            after = rows[-1].id


def downgrade() -> None:
    """Nothing to undo: the earlier code matches English words with PostgreSQL's prefix operator,
    which finds the same listings whether or not the prefixes are stored; saving a listing again
    writes it without them."""
