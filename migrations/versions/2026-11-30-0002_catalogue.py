"""catalogue: listings and their three kinds (pilot results, instruments, service offers), technical
fields, attachments, SME memberships, and full-text search

Search is two tiers (every query word in a title, then the other matches), each newest published
first (services/search.py). PostgreSQL: stored tsvectors of the jieba tokens, generated from
`search_text` and `title_text`, a GIN index over published listings and RUM indexes whose posting
lists are ordered by the publication sequence, so a page reads about `limit` index entries
whatever the catalogue's size. SQLite: an FTS5 table with title and body columns, kept in step by
triggers. None of these is visible to autogenerate (migrations/autogen.py leaves them out).

Revision ID: 363c29c3a185
Revises: 06065964fc7b
Create Date: 2026-11-30 00:02:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "363c29c3a185"
down_revision: str | Sequence[str] | None = "06065964fc7b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUM_MISSING = (
    "PostgreSQL needs the rum extension for catalogue search: install the package "
    "(Debian/Ubuntu: postgresql-<major>-rum; see docs/production.md), then run the migration again"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        _require_rum()
    op.create_table(
        "listings",
        sa.Column(
            "kind",
            sa.Enum(
                "pilot_result",
                "instrument",
                "service_offer",
                name="listing_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "archived",
                name="listing_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("owner_org_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=True),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("abstract_en", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=True),
        sa.Column("price_currency", sa.String(length=3), server_default="CNY", nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("search_text", sa.Text(), server_default="", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        # PostgreSQL only, unmodelled: tsvectors generated from the token columns (SQLite's side of
        # the search is the FTS5 table made below).
        *_tsvector("search_tsv", "search_text", postgres=postgres),
        sa.Column("title_text", sa.Text(), server_default="", nullable=False),
        sa.Column("publication_seq", sa.BigInteger(), nullable=True),
        *_tsvector("title_tsv", "title_text", postgres=postgres),
        sa.CheckConstraint("price_amount IS NULL OR price_amount >= 0", name=op.f("ck_listings_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["organisations.id"], name=op.f("fk_listings_centre_id_organisations"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_listings_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_listings_owner_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listings_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listings_owner_org_id"), ["owner_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listings_publication_seq"), ["publication_seq"], unique=True)
        batch_op.create_index("ix_listings_status_price", ["status", "price_amount", "id"], unique=False)
        batch_op.create_index("ix_listings_status_published", ["status", "published_at", "id"], unique=False)

    op.create_table(
        "sme_memberships",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("sme_id", sa.Uuid(), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "basic", "silver", "gold", name="membership_tier", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from <= valid_until", name=op.f("ck_sme_memberships_validity_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_sme_memberships_centre_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_sme_memberships_granted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sme_id"], ["organisations.id"], name=op.f("fk_sme_memberships_sme_id_organisations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sme_memberships")),
    )
    with op.batch_alter_table("sme_memberships", schema=None) as batch_op:
        batch_op.create_index("ix_sme_memberships_centre_sme", ["centre_id", "sme_id", "valid_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_sme_memberships_sme_id"), ["sme_id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_attachments_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_attachments_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_attachments_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachments_storage_key")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_listing_id"), ["listing_id"], unique=False)

    op.create_table(
        "instruments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("maker", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("specifications", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="Asia/Shanghai", nullable=False),
        sa.Column("min_booking_minutes", sa.Integer(), server_default="30", nullable=False),
        sa.Column("max_booking_minutes", sa.Integer(), server_default="480", nullable=False),
        sa.Column("lead_time_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("max_advance_days", sa.Integer(), server_default="60", nullable=False),
        sa.Column("requires_confirmation", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "operation_mode",
            sa.Enum(
                "operator_assisted",
                "self_service",
                name="operation_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("training_required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("free_cancellation_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("cancellation_fee_bps", sa.Integer(), server_default="5000", nullable=False),
        sa.Column("no_show_fee_bps", sa.Integer(), server_default="10000", nullable=False),
        sa.CheckConstraint(
            "cancellation_fee_bps BETWEEN 0 AND 10000", name=op.f("ck_instruments_cancellation_fee_bps_range")
        ),
        sa.CheckConstraint("free_cancellation_hours >= 0", name=op.f("ck_instruments_free_cancellation_not_negative")),
        sa.CheckConstraint("lead_time_hours >= 0", name=op.f("ck_instruments_lead_time_not_negative")),
        sa.CheckConstraint("max_advance_days > 0", name=op.f("ck_instruments_max_advance_positive")),
        sa.CheckConstraint("max_booking_minutes >= min_booking_minutes", name=op.f("ck_instruments_max_not_below_min")),
        sa.CheckConstraint("min_booking_minutes > 0", name=op.f("ck_instruments_min_booking_positive")),
        sa.CheckConstraint("no_show_fee_bps BETWEEN 0 AND 10000", name=op.f("ck_instruments_no_show_fee_bps_range")),
        sa.ForeignKeyConstraint(["id"], ["listings.id"], name=op.f("fk_instruments_id_listings"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
    )
    with op.batch_alter_table("instruments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instruments_category"), ["category"], unique=False)

    op.create_table(
        "listing_fields",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column(
            "field",
            sa.Enum(
                "electronic_information",
                "biomedicine",
                "aerospace",
                "new_materials",
                "high_tech_services",
                "new_energy",
                "resources_environment",
                "advanced_manufacturing",
                name="tech_field",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_listing_fields_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("listing_id", "field", name=op.f("pk_listing_fields")),
    )
    with op.batch_alter_table("listing_fields", schema=None) as batch_op:
        batch_op.create_index("ix_listing_fields_field_listing", ["field", "listing_id"], unique=False)

    op.create_table(
        "pilot_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("trl", sa.SmallInteger(), nullable=False),
        sa.Column("pilot_scale", sa.String(length=200), nullable=True),
        sa.Column("key_metrics", sa.JSON(), nullable=False),
        sa.Column("ip_assets", sa.JSON(), nullable=False),
        sa.Column("transfer_modes", sa.JSON(), nullable=False),
        sa.Column("price_negotiable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("trl BETWEEN 1 AND 9", name=op.f("ck_pilot_results_trl_range")),
        sa.ForeignKeyConstraint(["id"], ["listings.id"], name=op.f("fk_pilot_results_id_listings"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_results")),
    )
    with op.batch_alter_table("pilot_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pilot_results_trl"), ["trl"], unique=False)

    op.create_table(
        "service_offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "service_kind",
            sa.Enum(
                "contract_rd",
                "testing",
                "consulting",
                name="service_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "price_model",
            sa.Enum(
                "fixed", "hourly", "quote", name="price_model", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("deliverables", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "lead_time_days IS NULL OR lead_time_days >= 0", name=op.f("ck_service_offers_lead_time_range")
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["listings.id"], name=op.f("fk_service_offers_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_offers")),
    )
    with op.batch_alter_table("service_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_offers_service_kind"), ["service_kind"], unique=False)

    op.create_table(
        "instrument_blackouts",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_instrument_blackouts_ordered")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_instrument_blackouts_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_instrument_blackouts_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_blackouts")),
    )
    with op.batch_alter_table("instrument_blackouts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_instrument_blackouts_instrument_span", ["instrument_id", "starts_at", "ends_at"], unique=False
        )

    op.create_table(
        "instrument_membership_discounts",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "basic", "silver", "gold", name="membership_tier", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("discount_bps", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "discount_bps BETWEEN 0 AND 10000", name=op.f("ck_instrument_membership_discounts_discount_bps_range")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_instrument_membership_discounts_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instrument_id", "tier", name=op.f("pk_instrument_membership_discounts")),
    )
    op.create_table(
        "instrument_opening_hours",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens_minute", sa.SmallInteger(), nullable=False),
        sa.Column("closes_minute", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "opens_minute >= 0 AND closes_minute <= 1440 AND opens_minute < closes_minute",
            name=op.f("ck_instrument_opening_hours_span"),
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_instrument_opening_hours_weekday_range")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_instrument_opening_hours_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_opening_hours")),
    )
    with op.batch_alter_table("instrument_opening_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instrument_opening_hours_instrument_id"), ["instrument_id"], unique=False)

    op.create_table(
        "instrument_rates",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "internal",
                "academic",
                "sme",
                "commercial",
                name="customer_tier",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "unit",
            sa.Enum("hour", "sample", name="rate_unit", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_instrument_rates_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_instrument_rates_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_rates")),
        sa.UniqueConstraint("instrument_id", "tier", "unit", name=op.f("uq_instrument_rates_instrument_id_tier_unit")),
    )
    with op.batch_alter_table("instrument_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instrument_rates_instrument_id"), ["instrument_id"], unique=False)

    op.create_table(
        "pilot_result_transfer_modes",
        sa.Column("pilot_result_id", sa.Uuid(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "assignment",
                "exclusive_licence",
                "sole_licence",
                "non_exclusive_licence",
                "equity",
                "co_development",
                name="transfer_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pilot_result_id"],
            ["pilot_results.id"],
            name=op.f("fk_pilot_result_transfer_modes_pilot_result_id_pilot_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pilot_result_id", "mode", name=op.f("pk_pilot_result_transfer_modes")),
    )
    with op.batch_alter_table("pilot_result_transfer_modes", schema=None) as batch_op:
        batch_op.create_index("ix_pilot_result_transfer_modes_mode_result", ["mode", "pilot_result_id"], unique=False)

    _create_search_index(postgres=postgres)


def _require_rum() -> None:
    """Stop before creating anything when the server lacks the rum extension's package."""
    available = "SELECT 1 FROM pg_available_extensions WHERE name = 'rum'"
    if not op.get_bind().exec_driver_sql(available).scalar():
        raise RuntimeError(RUM_MISSING)


def _tsvector(name: str, source: str, *, postgres: bool) -> list[sa.Column]:
    """PostgreSQL: a stored tsvector of a column of jieba tokens ('simple' keeps tokens as they are),
    computed by PostgreSQL on every write, so ranking need not re-parse the text. SQLite: none."""
    if not postgres:
        return []
    expression = f"to_tsvector('simple'::regconfig, {source})"
    return [sa.Column(name, postgresql.TSVECTOR(), sa.Computed(expression, persisted=True), nullable=True)]


# SQLite: an FTS5 table kept in step by triggers, in the same transaction as the listing change.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE listing_fts USING fts5(listing_id UNINDEXED, title, body)",
    "CREATE TRIGGER listing_fts_insert AFTER INSERT ON listings BEGIN "
    "INSERT INTO listing_fts (listing_id, title, body) VALUES (new.id, new.title_text, new.search_text); END",
    "CREATE TRIGGER listing_fts_update AFTER UPDATE OF title_text, search_text ON listings BEGIN "
    "DELETE FROM listing_fts WHERE listing_id = old.id; "
    "INSERT INTO listing_fts (listing_id, title, body) VALUES (new.id, new.title_text, new.search_text); END",
    "CREATE TRIGGER listing_fts_delete AFTER DELETE ON listings BEGIN "
    "DELETE FROM listing_fts WHERE listing_id = old.id; END",
)


def _create_search_index(*, postgres: bool) -> None:
    """The full-text index over listings.search_text and title_text (jieba tokens; see services/segmentation.py)."""
    if not postgres:
        for statement in SQLITE_FTS:
            op.execute(statement)
        return
    op.execute("CREATE INDEX ix_listings_search_tsv ON listings USING gin (search_tsv) WHERE status = 'published'")
    # Publication numbers: search pages newest-first by them (services/catalogue.py takes the next
    # one each time a listing is published).
    op.execute("CREATE SEQUENCE listing_publication_seq")
    op.execute("CREATE EXTENSION IF NOT EXISTS rum")
    # Posting lists ordered by the publication sequence (order_by_attach): "newest matches first"
    # is read straight off the index and stops after the page.
    for name, column in (("ix_listings_title_rum", "title_tsv"), ("ix_listings_search_rum", "search_tsv")):
        op.execute(
            f"CREATE INDEX {name} ON listings USING rum ({column} rum_tsvector_addon_ops, publication_seq) "
            f"WITH (attach = 'publication_seq', to = '{column}', order_by_attach = TRUE) "
            "WHERE status = 'published'"
        )


def _drop_search_index(*, postgres: bool) -> None:
    if not postgres:
        for trigger in ("listing_fts_insert", "listing_fts_update", "listing_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS listing_fts")
        return
    # The generated tsvector columns go with the listings table.
    for index in ("ix_listings_search_rum", "ix_listings_title_rum", "ix_listings_search_tsv"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    op.execute("DROP SEQUENCE IF EXISTS listing_publication_seq")


def downgrade() -> None:
    _drop_search_index(postgres=op.get_bind().dialect.name == "postgresql")
    with op.batch_alter_table("pilot_result_transfer_modes", schema=None) as batch_op:
        batch_op.drop_index("ix_pilot_result_transfer_modes_mode_result")

    op.drop_table("pilot_result_transfer_modes")
    with op.batch_alter_table("instrument_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instrument_rates_instrument_id"))

    op.drop_table("instrument_rates")
    with op.batch_alter_table("instrument_opening_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instrument_opening_hours_instrument_id"))

    op.drop_table("instrument_opening_hours")
    op.drop_table("instrument_membership_discounts")
    with op.batch_alter_table("instrument_blackouts", schema=None) as batch_op:
        batch_op.drop_index("ix_instrument_blackouts_instrument_span")

    op.drop_table("instrument_blackouts")
    with op.batch_alter_table("service_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_offers_service_kind"))

    op.drop_table("service_offers")
    with op.batch_alter_table("pilot_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pilot_results_trl"))

    op.drop_table("pilot_results")
    with op.batch_alter_table("listing_fields", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_fields_field_listing")

    op.drop_table("listing_fields")
    with op.batch_alter_table("instruments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instruments_category"))

    op.drop_table("instruments")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_listing_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("sme_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sme_memberships_sme_id"))
        batch_op.drop_index("ix_sme_memberships_centre_sme")

    op.drop_table("sme_memberships")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_status_published")
        batch_op.drop_index("ix_listings_status_price")
        batch_op.drop_index(batch_op.f("ix_listings_publication_seq"))
        batch_op.drop_index(batch_op.f("ix_listings_owner_org_id"))
        batch_op.drop_index(batch_op.f("ix_listings_centre_id"))

    op.drop_table("listings")
