"""backfill: English search tokens become Snowball stems (battery and batteries both `batteri`)

From this revision the services index and query English (ASCII) tokens by their Snowball English
stem (services/segmentation.py), so `battery` finds `sodium-ion batteries`. Listings indexed before
keep whole words in `search_text` and `title_text`; they are re-indexed here, a batch of rows at a
time in id order. The segmentation itself did not change, only what happens to each ASCII token
after it, so the stored tokens are stemmed where they are: the result is exactly what the services
now write, without reading again every text the services index (owners' names, kind-specific words
from other tables). Chinese tokens stay as they are. The FTS5 table follows by trigger (SQLite),
the generated tsvectors and their indexes by themselves (PostgreSQL).

No application code is imported: the stemming of `services.segmentation.stem` is frozen below.
On a fresh database there are no listings and it does nothing. Run once: stemming a stem again may
shorten it further.

Revision ID: 4e1c7a9b2d18
Revises: a15c0e3d7f21
Create Date: 2026-11-30 00:18:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4e1c7a9b2d18"
down_revision: str | Sequence[str] | None = "a15c0e3d7f21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

listings = sa.table(
    "listings",
    sa.column("id", sa.Uuid()),
    sa.column("search_text", sa.Text()),
    sa.column("title_text", sa.Text()),
)


def upgrade() -> None:
    import Stemmer  # PyStemmer: Snowball's C stemmers

    stemmer = Stemmer.Stemmer("english")

    def stems(text: str | None) -> str:
        """`services.segmentation.stem` over stored space-separated tokens: ASCII ones stemmed."""
        return " ".join(stemmer.stemWord(t) if t.isascii() else t for t in (text or "").split())

    bind = op.get_bind()
    page = sa.select(listings.c.id, listings.c.search_text, listings.c.title_text).order_by(listings.c.id).limit(BATCH)
    update = (
        listings.update()
        .where(listings.c.id == sa.bindparam("b_id"))
        .values(search_text=sa.bindparam("b_search"), title_text=sa.bindparam("b_title"))
    )
    after = None
    while rows := bind.execute(page if after is None else page.where(listings.c.id > after)).all():
        changed = [
            {"b_id": r.id, "b_search": search, "b_title": title}
            for r in rows
            if (search := stems(r.search_text), title := stems(r.title_text)) != (r.search_text, r.title_text)
        ]
        if changed:
            bind.execute(update, changed)
        after = rows[-1].id


def downgrade() -> None:
    """Nothing to undo: whole words cannot be recovered from their stems. The code before this
    revision still finds a stemmed listing by the stem's prefix (`batteri` by `batter`), not by
    every inflected word; saving a listing again writes its whole words."""
