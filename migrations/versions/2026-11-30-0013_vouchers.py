"""Innovation vouchers (科技创新券): programmes run by government organisations (budget, face value,
validity window, eligible income kinds, share cap, per-SME annual cap), vouchers issued to SMEs,
their redemptions against settlements (each also a settlement payment) and the claims centres file.

Revision ID: 8b8f4b763233
Revises: 0bb34a2ba148
Create Date: 2026-11-30 00:13:00+00:00
Generated: 2026-11-30 05:56:43.265958+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b8f4b763233"
down_revision: str | Sequence[str] | None = "0bb34a2ba148"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voucher_programmes",
        sa.Column("issuer_org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("face_value", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("eligible_income_kinds", sa.JSON(), nullable=False),
        sa.Column("max_share_bps", sa.Integer(), nullable=False),
        sa.Column("annual_cap_per_sme", sa.BigInteger(), nullable=False),
        sa.Column("issued_amount", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_amount", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "budget > 0 AND face_value > 0 AND annual_cap_per_sme > 0",
            name=op.f("ck_voucher_programmes_amounts_positive"),
        ),
        sa.CheckConstraint(
            "issued_amount >= 0 AND redeemed_amount >= 0", name=op.f("ck_voucher_programmes_totals_not_negative")
        ),
        sa.CheckConstraint(
            "max_share_bps > 0 AND max_share_bps <= 10000", name=op.f("ck_voucher_programmes_share_within_whole")
        ),
        sa.CheckConstraint("redeemed_amount <= budget", name=op.f("ck_voucher_programmes_redeemed_within_budget")),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_voucher_programmes_window_not_empty")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_voucher_programmes_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["issuer_org_id"],
            ["organisations.id"],
            name=op.f("fk_voucher_programmes_issuer_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_programmes")),
    )
    with op.batch_alter_table("voucher_programmes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voucher_programmes_issuer_org_id"), ["issuer_org_id"], unique=False)

    op.create_table(
        "voucher_claims",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_org_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                "paid",
                name="voucher_claim_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("bank_account_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=1000), nullable=True),
        sa.Column("paid_by", sa.Uuid(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_reference", sa.String(length=100), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_voucher_claims_amount_positive")),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_voucher_claims_bank_account_id_bank_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_voucher_claims_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_voucher_claims_decided_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_voucher_claims_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_org_id"],
            ["organisations.id"],
            name=op.f("fk_voucher_claims_issuer_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["paid_by"], ["users.id"], name=op.f("fk_voucher_claims_paid_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["voucher_programmes.id"],
            name=op.f("fk_voucher_claims_programme_id_voucher_programmes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_voucher_claims_submitted_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_claims")),
    )
    with op.batch_alter_table("voucher_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voucher_claims_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_claims_issuer_org_id"), ["issuer_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_claims_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "vouchers",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("sme_org_id", sa.Uuid(), nullable=False),
        sa.Column("face_value", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "balance >= 0 AND balance <= face_value", name=op.f("ck_vouchers_balance_within_face_value")
        ),
        sa.CheckConstraint("face_value > 0", name=op.f("ck_vouchers_face_value_positive")),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["users.id"], name=op.f("fk_vouchers_issued_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["voucher_programmes.id"],
            name=op.f("fk_vouchers_programme_id_voucher_programmes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sme_org_id"], ["organisations.id"], name=op.f("fk_vouchers_sme_org_id_organisations"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index("ix_vouchers_sme_org_id_programme_id", ["sme_org_id", "programme_id"], unique=False)

    op.create_table(
        "voucher_redemptions",
        sa.Column("voucher_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("settlement_id", sa.Uuid(), nullable=False),
        sa.Column("sme_org_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "redeemed",
                "claimed",
                "paid",
                "cancelled",
                "rejected",
                name="voucher_redemption_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=True),
        sa.Column("redeemed_by", sa.Uuid(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_voucher_redemptions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_voucher_redemptions_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["voucher_claims.id"],
            name=op.f("fk_voucher_redemptions_claim_id_voucher_claims"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_voucher_redemptions_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["voucher_programmes.id"],
            name=op.f("fk_voucher_redemptions_programme_id_voucher_programmes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_by"], ["users.id"], name=op.f("fk_voucher_redemptions_redeemed_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_voucher_redemptions_settlement_id_settlements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sme_org_id"],
            ["organisations.id"],
            name=op.f("fk_voucher_redemptions_sme_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_voucher_redemptions_voucher_id_vouchers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_redemptions")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_voucher_redemptions_payment_id")),
    )
    with op.batch_alter_table("voucher_redemptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voucher_redemptions_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_redemptions_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(
            "ix_voucher_redemptions_programme_sme_year", ["programme_id", "sme_org_id", "year"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_voucher_redemptions_settlement_id"), ["settlement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_redemptions_voucher_id"), ["voucher_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voucher_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_redemptions_voucher_id"))
        batch_op.drop_index(batch_op.f("ix_voucher_redemptions_settlement_id"))
        batch_op.drop_index("ix_voucher_redemptions_programme_sme_year")
        batch_op.drop_index(batch_op.f("ix_voucher_redemptions_claim_id"))
        batch_op.drop_index(batch_op.f("ix_voucher_redemptions_centre_id"))

    op.drop_table("voucher_redemptions")
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index("ix_vouchers_sme_org_id_programme_id")

    op.drop_table("vouchers")
    with op.batch_alter_table("voucher_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_claims_programme_id"))
        batch_op.drop_index(batch_op.f("ix_voucher_claims_issuer_org_id"))
        batch_op.drop_index(batch_op.f("ix_voucher_claims_centre_id"))

    op.drop_table("voucher_claims")
    with op.batch_alter_table("voucher_programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_programmes_issuer_org_id"))

    op.drop_table("voucher_programmes")
