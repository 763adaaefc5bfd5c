"""search tiers: title tokens, a publication sequence, RUM indexes for bounded relevance pages

Relevance becomes two tiers (every query word in the title, then the other matches), each newest
published first (services/search.py). PostgreSQL answers a page from RUM indexes whose posting
lists are ordered by the publication sequence, so a page reads about `limit` index entries
whatever the catalogue's size; SQLite's FTS5 table gains a `title` column.

Revision ID: 3f1c0a9e7d21
Revises: 59b0546cfeeb
Create Date: 2026-11-28 07:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f1c0a9e7d21"
down_revision: str | Sequence[str] | None = "59b0546cfeeb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUM_MISSING = (
    "PostgreSQL needs the rum extension for catalogue search: install the package "
    "(Debian/Ubuntu: postgresql-<major>-rum; see docs/production.md), then run the migration again"
)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres and not bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'").scalar():
        raise RuntimeError(RUM_MISSING)
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("publication_seq", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_listings_publication_seq"), ["publication_seq"], unique=True)
    _backfill(bind)
    if postgres:
        _postgres_indexes()
    else:
        _sqlite_fts(with_title=True)


def _backfill(bind) -> None:
    """Title tokens for existing listings (the same segmentation as the services), and a
    publication sequence in the order listings were published."""
    from services import segmentation

    listings = sa.table(
        "listings",
        sa.column("id", sa.Uuid()),
        sa.column("title", sa.String()),
        sa.column("title_en", sa.String()),
        sa.column("title_text", sa.Text()),
    )
    rows = bind.execute(sa.select(listings.c.id, listings.c.title, listings.c.title_en)).all()
    update = listings.update().where(listings.c.id == sa.bindparam("b_id")).values(title_text=sa.bindparam("b_text"))
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        bind.execute(update, [{"b_id": r.id, "b_text": segmentation.index_tokens(r.title, r.title_en)} for r in batch])
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
    op.execute(
        "UPDATE listings SET publication_seq = numbered.n FROM "
        "(SELECT id, row_number() OVER (ORDER BY published_at, id) AS n FROM listings "
        "WHERE published_at IS NOT NULL) AS numbered WHERE numbered.id = listings.id"
    )


def _postgres_indexes() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS rum")
    op.execute("CREATE SEQUENCE listing_publication_seq")
    op.execute("SELECT setval('listing_publication_seq', coalesce(max(publication_seq), 0) + 1, false) FROM listings")
    op.execute(
        "ALTER TABLE listings ADD COLUMN title_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title_text)) STORED"
    )
    # Posting lists ordered by the publication sequence (order_by_attach): "newest matches first"
    # is read straight off the index and stops after the page.
    for name, column in (("ix_listings_title_rum", "title_tsv"), ("ix_listings_search_rum", "search_tsv")):
        op.execute(
            f"CREATE INDEX {name} ON listings USING rum ({column} rum_tsvector_addon_ops, publication_seq) "
            f"WITH (attach = 'publication_seq', to = '{column}', order_by_attach = TRUE) "
            "WHERE status = 'published'"
        )


# SQLite's FTS5 table and the triggers that keep it in step with listings, with and without the
# title column (the catalogue revision made the latter).
FTS_WITH_TITLE = (
    "CREATE VIRTUAL TABLE listing_fts USING fts5(listing_id UNINDEXED, title, body)",
    "INSERT INTO listing_fts (listing_id, title, body) SELECT id, title_text, search_text FROM listings",
    "CREATE TRIGGER listing_fts_insert AFTER INSERT ON listings BEGIN "
    "INSERT INTO listing_fts (listing_id, title, body) VALUES (new.id, new.title_text, new.search_text); END",
    "CREATE TRIGGER listing_fts_update AFTER UPDATE OF title_text, search_text ON listings BEGIN "
    "DELETE FROM listing_fts WHERE listing_id = old.id; "
    "INSERT INTO listing_fts (listing_id, title, body) VALUES (new.id, new.title_text, new.search_text); END",
)
FTS_WITHOUT_TITLE = (
    "CREATE VIRTUAL TABLE listing_fts USING fts5(listing_id UNINDEXED, body)",
    "INSERT INTO listing_fts (listing_id, body) SELECT id, search_text FROM listings",
    "CREATE TRIGGER listing_fts_insert AFTER INSERT ON listings BEGIN "
    "INSERT INTO listing_fts (listing_id, body) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER listing_fts_update AFTER UPDATE OF search_text ON listings BEGIN "
    "DELETE FROM listing_fts WHERE listing_id = old.id; "
    "INSERT INTO listing_fts (listing_id, body) VALUES (new.id, new.search_text); END",
)


def _sqlite_fts(*, with_title: bool) -> None:
    for trigger in ("listing_fts_insert", "listing_fts_update", "listing_fts_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS listing_fts")
    for statement in FTS_WITH_TITLE if with_title else FTS_WITHOUT_TITLE:
        op.execute(statement)
    op.execute(
        "CREATE TRIGGER listing_fts_delete AFTER DELETE ON listings BEGIN "
        "DELETE FROM listing_fts WHERE listing_id = old.id; END"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_listings_search_rum")
        op.execute("DROP INDEX IF EXISTS ix_listings_title_rum")
        op.execute("ALTER TABLE listings DROP COLUMN IF EXISTS title_tsv")
        op.execute("DROP SEQUENCE IF EXISTS listing_publication_seq")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listings_publication_seq"))
        batch_op.drop_column("publication_seq")
        batch_op.drop_column("title_text")
    if not postgres:
        # Rebuilding listings dropped its triggers: the FTS table as the catalogue revision made it.
        _sqlite_fts(with_title=False)
