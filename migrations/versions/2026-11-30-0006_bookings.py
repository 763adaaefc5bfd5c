"""bookings: bookings with frozen prices, trainings, waitlist, calendar feeds; no double booking

The overlap guard is not visible to autogenerate (migrations/autogen.py leaves it out of the
comparison): on PostgreSQL an exclusion constraint over tstzrange(start_at, end_at, '[)') partial
on the slot-holding states (needs btree_gist for the uuid equality); on SQLite BEFORE INSERT and
BEFORE UPDATE triggers that abort with `booking_overlap`.

Revision ID: 70ba484bde58
Revises: 2b8e072ca7ec
Create Date: 2026-11-30 00:06:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Keep in step with models.enums.SLOT_HOLDING_STATES.
HOLDING = "('requested', 'confirmed', 'completed', 'no_show')"
OVERLAP_EXISTS = (
    "SELECT RAISE(ABORT, 'booking_overlap') WHERE EXISTS ("  # noqa: S608 (constants only)
    "SELECT 1 FROM bookings AS b WHERE b.instrument_id = NEW.instrument_id AND b.id != NEW.id"
    f" AND b.state IN {HOLDING} AND b.start_at IS NOT NULL"
    " AND b.start_at < NEW.end_at AND b.end_at > NEW.start_at);"
)

revision: str = "70ba484bde58"
down_revision: str | Sequence[str] | None = "2b8e072ca7ec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("provider_org_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("customer_org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("staff_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "confirmed",
                "completed",
                "no_show",
                "cancelled",
                "rejected",
                name="booking_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sample_count", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("series_id", sa.Uuid(), nullable=True),
        sa.Column(
            "customer_tier",
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
        sa.Column("unit_rate_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "membership_tier",
            sa.Enum(
                "basic", "silver", "gold", name="membership_tier", native_enum=False, create_constraint=True, length=32
            ),
            nullable=True,
        ),
        sa.Column("discount_bps", sa.Integer(), nullable=False),
        sa.Column("min_billed_quantity", sa.Integer(), nullable=False),
        sa.Column("booked_quantity", sa.Integer(), nullable=False),
        sa.Column("quoted_amount", sa.BigInteger(), nullable=False),
        sa.Column("free_cancellation_hours", sa.Integer(), nullable=False),
        sa.Column("cancellation_fee_bps", sa.Integer(), nullable=False),
        sa.Column("no_show_fee_bps", sa.Integer(), nullable=False),
        sa.Column("actual_quantity", sa.Integer(), nullable=True),
        sa.Column("final_amount", sa.BigInteger(), nullable=True),
        sa.Column("cancellation_fee_amount", sa.BigInteger(), nullable=True),
        sa.Column(
            "charge_kind",
            sa.Enum(
                "usage",
                "cancellation_fee",
                "no_show_fee",
                name="charge_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("charge_amount", sa.BigInteger(), nullable=True),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("(start_at IS NULL) = (end_at IS NULL)", name=op.f("ck_bookings_slot_complete")),
        sa.CheckConstraint("charge_amount IS NULL OR charge_amount >= 0", name=op.f("ck_bookings_charge_not_negative")),
        sa.CheckConstraint("discount_bps BETWEEN 0 AND 10000", name=op.f("ck_bookings_discount_bps_range")),
        sa.CheckConstraint("sample_count IS NULL OR sample_count > 0", name=op.f("ck_bookings_sample_count_positive")),
        sa.CheckConstraint(
            "start_at IS NOT NULL OR sample_count IS NOT NULL", name=op.f("ck_bookings_slot_or_samples")
        ),
        sa.CheckConstraint("start_at IS NULL OR start_at < end_at", name=op.f("ck_bookings_slot_ordered")),
        sa.CheckConstraint("unit_rate_amount >= 0 AND quoted_amount >= 0", name=op.f("ck_bookings_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["organisations.id"], name=op.f("fk_bookings_centre_id_organisations"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_bookings_closed_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["users.id"], name=op.f("fk_bookings_confirmed_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["customer_org_id"],
            ["organisations.id"],
            name=op.f("fk_bookings_customer_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_bookings_instrument_id_instruments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_bookings_provider_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["users.id"], name=op.f("fk_bookings_staff_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index("ix_bookings_customer_created", ["customer_org_id", "created_at"], unique=False)
        batch_op.create_index("ix_bookings_instrument_start", ["instrument_id", "start_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_provider_org_id"), ["provider_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_series_id"), ["series_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_user_id"), ["user_id"], unique=False)

    op.create_table(
        "instrument_calendar_feeds",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_instrument_calendar_feeds_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_instrument_calendar_feeds_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instrument_id", name=op.f("pk_instrument_calendar_feeds")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_instrument_calendar_feeds_token_sha256")),
    )
    op.create_table(
        "instrument_trainings",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint(
            "expires_at IS NULL OR trained_at < expires_at", name=op.f("ck_instrument_trainings_expiry_after_training")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_instrument_trainings_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_instrument_trainings_recorded_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_instrument_trainings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_trainings")),
    )
    with op.batch_alter_table("instrument_trainings", schema=None) as batch_op:
        batch_op.create_index("ix_instrument_trainings_instrument_user", ["instrument_id", "user_id"], unique=False)

    op.create_table(
        "waitlist_entries",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("customer_org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "waiting",
                "notified",
                "withdrawn",
                name="waitlist_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_waitlist_entries_ordered")),
        sa.ForeignKeyConstraint(
            ["customer_org_id"],
            ["organisations.id"],
            name=op.f("fk_waitlist_entries_customer_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_waitlist_entries_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_waitlist_entries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_waitlist_entries_instrument_state", ["instrument_id", "state", "created_at"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_no_overlap EXCLUDE USING gist "
            "(instrument_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
            f"WHERE (state IN {HOLDING} AND start_at IS NOT NULL)"
        )
    else:
        # SQLite: writers are serialised (BEGIN IMMEDIATE), so a check in a trigger cannot race.
        for event, name in (("INSERT", "bookings_no_overlap_insert"), ("UPDATE", "bookings_no_overlap_update")):
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON bookings "
                f"WHEN NEW.state IN {HOLDING} AND NEW.start_at IS NOT NULL "
                f"BEGIN {OVERLAP_EXISTS} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE bookings DROP CONSTRAINT IF EXISTS ex_bookings_no_overlap")
    else:
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_update")
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_entries_instrument_state")

    op.drop_table("waitlist_entries")
    with op.batch_alter_table("instrument_trainings", schema=None) as batch_op:
        batch_op.drop_index("ix_instrument_trainings_instrument_user")

    op.drop_table("instrument_trainings")
    op.drop_table("instrument_calendar_feeds")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_user_id"))
        batch_op.drop_index(batch_op.f("ix_bookings_series_id"))
        batch_op.drop_index(batch_op.f("ix_bookings_provider_org_id"))
        batch_op.drop_index("ix_bookings_instrument_start")
        batch_op.drop_index("ix_bookings_customer_created")

    op.drop_table("bookings")
