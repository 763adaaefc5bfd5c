"""backfill: title tokens and publication numbers for listings written before search had tiers

Relevance search reads `listings.title_text` (the jieba tokens of the titles) and pages newest first
by `publication_seq`; the services write both whenever they save or publish a listing. Listings
written without them get them here: title tokens where `title_text` is empty, and publication
numbers after the highest one in use, in the order the listings were published. The segmented
text follows the FTS5 table (SQLite, by trigger) and the generated `title_tsv` (PostgreSQL).

No application code is imported: the tokenisation of `services.segmentation.index_tokens(title,
title_en)` is frozen below, so later changes to the services cannot change what this revision
writes. On a fresh database there are no listings and it does nothing.

Revision ID: c8b6e29ef310
Revises: fdc5275d0c70
Create Date: 2026-11-30 00:08:00+00:00
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c8b6e29ef310"
down_revision: str | Sequence[str] | None = "fdc5275d0c70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

listings = sa.table(
    "listings",
    sa.column("id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("title_en", sa.String()),
    sa.column("title_text", sa.Text()),
    sa.column("publication_seq", sa.BigInteger()),
)


def upgrade() -> None:
    bind = op.get_bind()
    _title_tokens(bind)
    _publication_numbers(bind)


def _title_tokens(bind: sa.Connection) -> None:
    """`title_text` for listings that have none, a batch of rows at a time in id order."""
    missing = (
        sa.select(listings.c.id, listings.c.title, listings.c.title_en)
        .where(listings.c.title_text == "")
        .order_by(listings.c.id)
        .limit(BATCH)
    )
    update = listings.update().where(listings.c.id == sa.bindparam("b_id")).values(title_text=sa.bindparam("b_text"))
    tokens: Callable[..., str] | None = None
    after = None
    while rows := bind.execute(missing if after is None else missing.where(listings.c.id > after)).all():
        tokens = tokens or _index_tokens()
        bind.execute(update, [{"b_id": r.id, "b_text": tokens(r.title, r.title_en)} for r in rows])
        after = rows[-1].id


def _index_tokens() -> Callable[..., str]:
    """`services.segmentation.index_tokens` as it was when this revision was written: jieba's search
    mode (every word of precise mode plus its dictionary sub-words, repeats kept) with HMM off, each
    token stripped and lower-cased, kept when it is a run of word characters other than `_`. Run by
    rjieba, which gives the Python jieba's tokens (tests/services/test_segmentation_parity.py)."""
    import rjieba  # here, not at the top: importing it loads the dictionary, needed only with rows

    word = re.compile(r"^\w+$")

    def index_tokens(*texts: str | None) -> str:
        tokens: list[str] = []
        for text in texts:
            for token in rjieba.cut_for_search(text, hmm=False) if text else ():
                token = token.strip().lower()
                if token and word.match(token) and token != "_":
                    tokens.append(token)
        return " ".join(tokens)

    return index_tokens


def _publication_numbers(bind: sa.Connection) -> None:
    """Numbers for published listings that have none, after the highest in use, in publication order;
    on PostgreSQL the sequence the services draw from then continues after them."""
    highest = bind.execute(sa.select(sa.func.coalesce(sa.func.max(listings.c.publication_seq), 0))).scalar_one()
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
    bind.execute(
        sa.text(
            "UPDATE listings SET publication_seq = numbered.n FROM "
            "(SELECT id, :highest + row_number() OVER (ORDER BY published_at, id) AS n FROM listings "
            "WHERE published_at IS NOT NULL AND publication_seq IS NULL) AS numbered "
            "WHERE numbered.id = listings.id"
        ).bindparams(sa.bindparam("highest", highest, type_=sa.BigInteger()))
    )
    if bind.dialect.name == "postgresql":
        # Never moves the sequence back: it may already be past the highest number in use.
        op.execute(
            "SELECT setval('listing_publication_seq', greatest(max(publication_seq), "
            "(SELECT last_value FROM listing_publication_seq))) FROM listings HAVING max(publication_seq) IS NOT NULL"
        )


def downgrade() -> None:
    """Nothing to undo: the tokens and numbers are what the services would have written."""
