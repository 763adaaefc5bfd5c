"""Card payments with Stripe: PaymentIntent attempts (their idempotency keys saved before Stripe
is called), webhook events stored once, refunds (any channel), card disputes and payouts; payments
gain the processor's id (unique per channel) and what was refunded of them.

Revision ID: 0bb34a2ba148
Revises: 5b7c1e0d9a42
Create Date: 2026-11-30 00:12:00+00:00
Generated: 2026-11-30 05:21:12.962137+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0bb34a2ba148"
down_revision: str | Sequence[str] | None = "5b7c1e0d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stripe_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "applied",
                "flagged",
                "ignored",
                name="stripe_event_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stripe_events_event_id")),
    )
    op.create_table(
        "stripe_payouts",
        sa.Column("stripe_id", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_payouts")),
        sa.UniqueConstraint("stripe_id", name=op.f("uq_stripe_payouts_stripe_id")),
    )
    op.create_table(
        "payment_intent_attempts",
        sa.Column("settlement_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("stripe_id", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "creating",
                "open",
                "succeeded",
                "failed",
                "canceled",
                name="intent_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_payment_intent_attempts_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_payment_intent_attempts_settlement_id_settlements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intent_attempts")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payment_intent_attempts_idempotency_key")),
        sa.UniqueConstraint("settlement_id", "attempt", name=op.f("uq_payment_intent_attempts_settlement_id_attempt")),
        sa.UniqueConstraint("stripe_id", name=op.f("uq_payment_intent_attempts_stripe_id")),
    )
    op.create_table(
        "card_disputes",
        sa.Column("stripe_id", sa.String(length=255), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "won", "lost", name="dispute_status", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_card_disputes_payment_id_payments"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_disputes")),
        sa.UniqueConstraint("stripe_id", name=op.f("uq_card_disputes_stripe_id")),
    )
    with op.batch_alter_table("card_disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_disputes_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "succeeded",
                "pending",
                "failed",
                name="refund_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("external_ref", sa.String(length=255), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_refunds_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name=op.f("fk_refunds_entry_id_ledger_entries"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_refunds_external_ref")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_payment_id"), ["payment_id"], unique=False)

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_ref", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("refunded_amount", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_payments_channel_external_ref"), ["channel", "external_ref"])
        batch_op.create_check_constraint("refunded_within_amount", "refunded_amount >= 0 AND refunded_amount <= amount")


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payments_refunded_within_amount"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_payments_channel_external_ref"), type_="unique")
        batch_op.drop_column("refunded_amount")
        batch_op.drop_column("external_ref")

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_payment_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("card_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_disputes_payment_id"))

    op.drop_table("card_disputes")
    op.drop_table("payment_intent_attempts")
    op.drop_table("stripe_payouts")
    op.drop_table("stripe_events")
