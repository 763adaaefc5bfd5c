"""Reconciliation: statement imports and their lines (raw row, unique key per bank account), match
groups and their items (reversed, never deleted), statement balance checks against the ledger.

Revision ID: a15c0e3d7f21
Revises: c0ffee120014
Create Date: 2026-11-30 05:57:16.942436+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a15c0e3d7f21"
down_revision: str | Sequence[str] | None = "c0ffee120014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_groups",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column(
            "rule",
            sa.Enum(
                "recorded_payment",
                "stripe_payout",
                "stripe_charge",
                "settlement_number",
                "settlement_instalment",
                "amount_window",
                "manual",
                name="match_rule",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "reversed", name="match_status", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("statement_total", sa.BigInteger(), nullable=False),
        sa.Column("book_total", sa.BigInteger(), nullable=False),
        sa.Column("adjustment_total", sa.BigInteger(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_by", sa.Uuid(), nullable=True),
        sa.Column("reversal_reason", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_match_groups_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_match_groups_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by"], ["users.id"], name=op.f("fk_match_groups_reversed_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_groups")),
    )
    with op.batch_alter_table("match_groups", schema=None) as batch_op:
        batch_op.create_index("ix_match_groups_centre_status", ["centre_id", "status"], unique=False)

    op.create_table(
        "statement_imports",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("bank_account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("bank", "stripe", name="statement_channel", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("profile", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("added_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_statement_imports_bank_account_id_bank_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_statement_imports_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_statement_imports_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_imports")),
        sa.UniqueConstraint("bank_account_id", "sha256", name=op.f("uq_statement_imports_bank_account_id_sha256")),
    )
    with op.batch_alter_table("statement_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_imports_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "balance_checks",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("bank_account_id", sa.Uuid(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("statement_balance", sa.BigInteger(), nullable=False),
        sa.Column("ledger_balance", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "passed", "failed", name="balance_check_status", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_balance_checks_bank_account_id_bank_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_balance_checks_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["statement_imports.id"],
            name=op.f("fk_balance_checks_import_id_statement_imports"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_checks")),
        sa.UniqueConstraint("import_id", name=op.f("uq_balance_checks_import_id")),
    )
    with op.batch_alter_table("balance_checks", schema=None) as batch_op:
        batch_op.create_index("ix_balance_checks_account_date", ["bank_account_id", "as_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_balance_checks_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "statement_lines",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("bank_account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("bank", "stripe", name="statement_channel", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("unique_key", sa.String(length=128), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("counterparty_name", sa.String(length=200), nullable=True),
        sa.Column("counterparty_account", sa.String(length=64), nullable=True),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("refs", sa.String(length=200), nullable=True),
        sa.Column("payout_ref", sa.String(length=64), nullable=True),
        sa.Column("external_ref", sa.String(length=255), nullable=True),
        sa.Column("balance_after", sa.BigInteger(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "unmatched",
                "matched",
                name="statement_line_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_statement_lines_bank_account_id_bank_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_statement_lines_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["statement_imports.id"],
            name=op.f("fk_statement_lines_import_id_statement_imports"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_lines")),
        sa.UniqueConstraint(
            "bank_account_id",
            "channel",
            "unique_key",
            name=op.f("uq_statement_lines_bank_account_id_channel_unique_key"),
        ),
    )
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_statement_lines_centre_status_date", ["centre_id", "status", "value_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_statement_lines_import_id"), ["import_id"], unique=False)
        batch_op.create_index("ix_statement_lines_payout_ref", ["payout_ref"], unique=False)
        batch_op.create_index("ix_statement_lines_refs", ["refs"], unique=False)

    op.create_table(
        "match_items",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "line",
                "receipt",
                "payment",
                "payout",
                "adjustment",
                name="match_item_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=True),
        sa.Column("settlement_id", sa.Uuid(), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("payout_ref", sa.String(length=64), nullable=True),
        sa.Column(
            "adjustment_kind",
            sa.Enum("bank_charge", "fx", name="adjustment_kind", native_enum=False, create_constraint=True, length=32),
            nullable=True,
        ),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("reversal_entry_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_match_items_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["statement_lines.id"],
            name=op.f("fk_match_items_line_id_statement_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match_groups.id"], name=op.f("fk_match_items_match_id_match_groups"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_match_items_payment_id_payments"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["reversal_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_match_items_reversal_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_match_items_settlement_id_settlements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_items")),
    )
    with op.batch_alter_table("match_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_items_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_items_match_id"), ["match_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_items_payment_id"), ["payment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("match_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_items_payment_id"))
        batch_op.drop_index(batch_op.f("ix_match_items_match_id"))
        batch_op.drop_index(batch_op.f("ix_match_items_line_id"))

    op.drop_table("match_items")
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_statement_lines_refs")
        batch_op.drop_index("ix_statement_lines_payout_ref")
        batch_op.drop_index(batch_op.f("ix_statement_lines_import_id"))
        batch_op.drop_index("ix_statement_lines_centre_status_date")

    op.drop_table("statement_lines")
    with op.batch_alter_table("balance_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balance_checks_centre_id"))
        batch_op.drop_index("ix_balance_checks_account_date")

    op.drop_table("balance_checks")
    with op.batch_alter_table("statement_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_imports_centre_id"))

    op.drop_table("statement_imports")
    with op.batch_alter_table("match_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_match_groups_centre_status")

    op.drop_table("match_groups")
