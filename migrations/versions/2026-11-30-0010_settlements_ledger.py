"""Settlements and each centre's revenue ledger: accounts, entries, postings, periods, bank
accounts, settlements, payments, revenue allocations; income kind `instrument_sharing`; centre
policies gain payment terms, a VAT rate and the income kinds that reward the research team;
contract milestones say when they are billed (on acceptance, or in advance at activation).

The database keeps the ledger's promises on both engines (docs/ledger.md):
- an entry's header is written after its postings; the header's trigger refuses fewer than two
  postings, any currency that does not sum to zero, postings of another centre or time, and a
  closed period; a posting's trigger refuses one for an entry already written, or in another
  currency or centre than its account;
- ledger entries, postings and contract_amounts_owed are append-only (UPDATE and DELETE refused);
- a booking's charge is frozen once set.

Revision ID: 8f2e8dc8d2c9
Revises: 1d936aadf05c
Create Date: 2026-11-30 00:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8f2e8dc8d2c9"
down_revision: str | Sequence[str] | None = "1d936aadf05c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INCOME_KINDS_BEFORE = ("contract_rd", "transfer_licensing", "consulting", "testing")
INCOME_KINDS = (*INCOME_KINDS_BEFORE, "instrument_sharing")

# Triggers made here (migrations/autogen.py lists them for the schema test).
APPEND_ONLY = ("ledger_entries", "ledger_postings", "contract_amounts_owed")

PG_FUNCTIONS = (
    """
CREATE FUNCTION ttm_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'append-only: rows of % are never updated or deleted (correct by reversal)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$""",
    """
CREATE FUNCTION ledger_check_posting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'ledger: entry % is already posted; corrections are new entries', NEW.entry_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM ledger_accounts
        WHERE id = NEW.account_id AND currency = NEW.currency AND centre_id = NEW.centre_id
    ) THEN
        RAISE EXCEPTION 'ledger: a posting is in its account''s currency and centre (posting %)', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$""",
    """
CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    postings integer;
    unbalanced text;
BEGIN
    SELECT count(*) INTO postings FROM ledger_postings WHERE entry_id = NEW.id;
    IF postings < 2 THEN
        RAISE EXCEPTION 'ledger: entry % needs at least two postings', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    SELECT string_agg(currency, ', ') INTO unbalanced FROM (
        SELECT currency FROM ledger_postings WHERE entry_id = NEW.id GROUP BY currency HAVING sum(amount) <> 0
    ) AS off;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: entry % does not balance in %', NEW.id, unbalanced USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM ledger_postings
        WHERE entry_id = NEW.id AND (centre_id <> NEW.centre_id OR booked_at <> NEW.booked_at)
    ) THEN
        RAISE EXCEPTION 'ledger: entry %''s postings belong to another centre or time', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM ledger_periods WHERE centre_id = NEW.centre_id AND period = NEW.period AND status = 'closed'
    ) THEN
        RAISE EXCEPTION 'ledger: period % is closed', NEW.period USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$""",
    """
CREATE FUNCTION bookings_charge_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.charge_kind IS NOT NULL AND (
        NEW.charge_kind IS DISTINCT FROM OLD.charge_kind
        OR NEW.charge_amount IS DISTINCT FROM OLD.charge_amount
        OR NEW.charged_at IS DISTINCT FROM OLD.charged_at
    ) THEN
        RAISE EXCEPTION 'bookings: a charge is frozen once set (booking %)', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$""",
)

PG_TRIGGERS = (
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ttm_append_only()"
        for table in APPEND_ONLY
    ),
    "CREATE TRIGGER ledger_postings_check BEFORE INSERT ON ledger_postings "
    "FOR EACH ROW EXECUTE FUNCTION ledger_check_posting()",
    "CREATE TRIGGER ledger_entries_check AFTER INSERT ON ledger_entries "
    "FOR EACH ROW EXECUTE FUNCTION ledger_check_entry()",
    "CREATE TRIGGER bookings_charge_frozen BEFORE UPDATE ON bookings FOR EACH ROW EXECUTE FUNCTION bookings_charge_frozen()",
)

# SQLite: RAISE(ABORT) is a constraint failure; writers are serialised (BEGIN IMMEDIATE).
SQLITE_TRIGGERS = (
    *(
        f"CREATE TRIGGER {table}_append_only_{event.lower()} BEFORE {event} ON {table} BEGIN "
        f"SELECT RAISE(ABORT, 'append-only: rows of {table} are never updated or deleted (correct by reversal)'); END"
        for table in APPEND_ONLY
        for event in ("UPDATE", "DELETE")
    ),
    "CREATE TRIGGER ledger_postings_check BEFORE INSERT ON ledger_postings BEGIN "
    "SELECT RAISE(ABORT, 'ledger: entry is already posted; corrections are new entries') "
    "WHERE EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.entry_id); "
    "SELECT RAISE(ABORT, 'ledger: a posting is in its account''s currency and centre') "
    "WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts "
    "WHERE id = NEW.account_id AND currency = NEW.currency AND centre_id = NEW.centre_id); END",
    "CREATE TRIGGER ledger_entries_check AFTER INSERT ON ledger_entries BEGIN "
    "SELECT RAISE(ABORT, 'ledger: an entry needs at least two postings') "
    "WHERE (SELECT count(*) FROM ledger_postings WHERE entry_id = NEW.id) < 2; "
    "SELECT RAISE(ABORT, 'ledger: the entry does not balance in each currency') "
    "WHERE EXISTS (SELECT 1 FROM ledger_postings WHERE entry_id = NEW.id GROUP BY currency HAVING sum(amount) <> 0); "
    "SELECT RAISE(ABORT, 'ledger: the entry''s postings belong to another centre or time') "
    "WHERE EXISTS (SELECT 1 FROM ledger_postings WHERE entry_id = NEW.id "
    "AND (centre_id <> NEW.centre_id OR booked_at <> NEW.booked_at)); "
    "SELECT RAISE(ABORT, 'ledger: the period is closed') "
    "WHERE EXISTS (SELECT 1 FROM ledger_periods "
    "WHERE centre_id = NEW.centre_id AND period = NEW.period AND status = 'closed'); END",
    "CREATE TRIGGER bookings_charge_frozen BEFORE UPDATE ON bookings "
    "WHEN OLD.charge_kind IS NOT NULL AND (NEW.charge_kind IS NOT OLD.charge_kind "
    "OR NEW.charge_amount IS NOT OLD.charge_amount OR NEW.charged_at IS NOT OLD.charged_at) BEGIN "
    "SELECT RAISE(ABORT, 'bookings: a charge is frozen once set'); END",
)

SQLITE_TRIGGER_NAMES = tuple(t.split()[2] for t in SQLITE_TRIGGERS)
PG_TRIGGER_NAMES = tuple((t.split()[2], t.split(" ON ")[1].split()[0]) for t in PG_TRIGGERS)


def _income_kind_check(kinds: tuple[str, ...]) -> str:
    return "income_kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _contract_amounts_owed(kinds: tuple[str, ...], ondelete: str) -> None:
    """The owed rows accept the income kinds given and refer to contracts and milestones with `ondelete`."""
    with op.batch_alter_table("contract_amounts_owed", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contract_amounts_owed_income_kind"), type_="check")
        batch_op.create_check_constraint("income_kind", _income_kind_check(kinds))
        batch_op.drop_constraint(op.f("fk_contract_amounts_owed_contract_id_contracts"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_contract_amounts_owed_milestone_id_contract_milestones"), type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_contract_amounts_owed_contract_id_contracts", "contracts", ["contract_id"], ["id"], ondelete=ondelete
        )
        batch_op.create_foreign_key(
            "fk_contract_amounts_owed_milestone_id_contract_milestones",
            "contract_milestones",
            ["milestone_id"],
            ["id"],
            ondelete=ondelete,
        )


def upgrade() -> None:
    _contract_amounts_owed(INCOME_KINDS, "RESTRICT")
    with op.batch_alter_table("contract_milestones", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "billed_on",
                sa.Enum(
                    "acceptance", "activation", name="billed_on", native_enum=False, create_constraint=True, length=32
                ),
                server_default="acceptance",
                nullable=False,
            )
        )
    op.create_table(
        "bank_accounts",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bank_name", sa.String(length=200), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_bank_accounts_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_bank_accounts_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
        sa.UniqueConstraint("centre_id", "account_number", name=op.f("uq_bank_accounts_centre_id_account_number")),
    )
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_accounts_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column(
            "source",
            sa.String(length=32),  # an open set: no CHECK (models/base.py enum_column)
            nullable=False,
        ),
        sa.Column("source_ref", sa.String(length=255), nullable=False),
        sa.Column("reverses_entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_entries_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ledger_entries_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_entries_reverses_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("reverses_entry_id", name=op.f("uq_ledger_entries_reverses_entry_id")),
        sa.UniqueConstraint("source", "source_ref", name=op.f("uq_ledger_entries_source_source_ref")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_centre_booked", ["centre_id", "booked_at", "id"], unique=False)

    op.create_table(
        "ledger_period_events",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "action",
            sa.Enum("open", "closed", name="period_status", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_ledger_period_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_period_events_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_period_events")),
    )
    with op.batch_alter_table("ledger_period_events", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_period_events_centre_period", ["centre_id", "period"], unique=False)

    op.create_table(
        "ledger_periods",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="period_status", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_periods_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_ledger_periods_closed_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("centre_id", "period", name=op.f("pk_ledger_periods")),
    )
    op.create_table(
        "settlement_counters",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_settlement_counters_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("centre_id", "year", name=op.f("pk_settlement_counters")),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "asset",
                "liability",
                "income",
                "expense",
                name="account_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "purpose",
            sa.String(length=32),  # an open set: no CHECK (models/base.py enum_column)
            nullable=False,
        ),
        sa.Column(
            "income_kind",
            sa.Enum(
                "contract_rd",
                "transfer_licensing",
                "consulting",
                "testing",
                "instrument_sharing",
                name="income_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("counterparty_org_id", sa.Uuid(), nullable=True),
        sa.Column("bank_account_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_ledger_accounts_bank_account_id_bank_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_accounts_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["counterparty_org_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_accounts_counterparty_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("bank_account_id", name=op.f("uq_ledger_accounts_bank_account_id")),
        sa.UniqueConstraint("centre_id", "currency", "key", name=op.f("uq_ledger_accounts_centre_id_currency_key")),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_accounts_centre_purpose", ["centre_id", "purpose"], unique=False)

    op.create_table(
        "ledger_postings",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("institute_id", sa.Uuid(), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_postings_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_postings_account_id_ledger_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_postings_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_postings_entry_id_ledger_entries"),
            ondelete="RESTRICT",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_postings_institute_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
        sa.UniqueConstraint("entry_id", "line", name=op.f("uq_ledger_postings_entry_id_line")),
    )
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_postings_account_booked", ["account_id", "booked_at", "amount"], unique=False)

    op.create_table(
        "settlements",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "booking", "milestone", name="settlement_source", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("debtor_org_id", sa.Uuid(), nullable=False),
        sa.Column("provider_org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "income_kind",
            sa.Enum(
                "contract_rd",
                "transfer_licensing",
                "consulting",
                "testing",
                "instrument_sharing",
                name="income_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat_rate_bps", sa.Integer(), nullable=False),
        sa.Column("vat_amount", sa.BigInteger(), nullable=False),
        sa.Column("deferred", sa.Boolean(), nullable=False),
        sa.Column("owed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "partially_paid",
                "paid",
                "written_off",
                name="settlement_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column("written_off_amount", sa.BigInteger(), nullable=False),
        sa.Column("written_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("written_off_by", sa.Uuid(), nullable=True),
        sa.Column("write_off_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_settlements_amount_positive")),
        sa.CheckConstraint(
            "paid_amount + written_off_amount <= amount", name=op.f("ck_settlements_settled_within_amount")
        ),
        sa.CheckConstraint(
            "paid_amount >= 0 AND written_off_amount >= 0", name=op.f("ck_settlements_settled_not_negative")
        ),
        sa.CheckConstraint("vat_amount >= 0 AND vat_amount <= amount", name=op.f("ck_settlements_vat_within_amount")),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_settlements_centre_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_settlements_contract_id_contracts"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["debtor_org_id"],
            ["organisations.id"],
            name=op.f("fk_settlements_debtor_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_settlements_provider_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["written_off_by"], ["users.id"], name=op.f("fk_settlements_written_off_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("centre_id", "number", name=op.f("uq_settlements_centre_id_number")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_settlements_source_source_id")),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index("ix_settlements_centre_status_due", ["centre_id", "status", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlements_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index("ix_settlements_debtor_status", ["debtor_org_id", "status"], unique=False)

    op.create_table(
        "payments",
        sa.Column("settlement_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "bank_transfer",
                "card",
                "voucher",
                name="payment_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bank_account_id", sa.Uuid(), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("reversed_by_entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_payments_bank_account_id_bank_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["organisations.id"], name=op.f("fk_payments_centre_id_organisations"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name=op.f("fk_payments_entry_id_ledger_entries"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_payments_recorded_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_payments_reversed_by_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_payments_settlement_id_settlements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("bank_account_id", "reference", name=op.f("uq_payments_bank_account_id_reference")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_settlement_id"), ["settlement_id"], unique=False)

    op.create_table(
        "revenue_allocations",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("contract_version", sa.Integer(), nullable=False),
        sa.Column("base_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rule", sa.String(length=500), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_revenue_allocations_contract_id_contracts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_revenue_allocations_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_revenue_allocations_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_allocations")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_revenue_allocations_payment_id")),
    )
    with op.batch_alter_table("revenue_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revenue_allocations_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "revenue_allocation_lines",
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("share", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("bps", sa.Integer(), nullable=False),
        sa.Column("of_bps", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["revenue_allocations.id"],
            name=op.f("fk_revenue_allocation_lines_allocation_id_revenue_allocations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_revenue_allocation_lines_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_allocation_lines")),
        sa.UniqueConstraint("allocation_id", "line", name=op.f("uq_revenue_allocation_lines_allocation_id_line")),
    )
    with op.batch_alter_table("centre_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_terms_days", sa.Integer(), server_default="30", nullable=False))
        batch_op.add_column(sa.Column("vat_rate_bps", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("team_reward_income_kinds", sa.JSON(), server_default='["transfer_licensing"]', nullable=False)
        )
        batch_op.alter_column("team_reward_bps", existing_type=sa.INTEGER(), nullable=True)

    if op.get_bind().dialect.name == "postgresql":
        for sql in (*PG_FUNCTIONS, *PG_TRIGGERS):
            op.execute(sql)
    else:
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table in PG_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in ("ttm_append_only", "ledger_check_posting", "ledger_check_entry", "bookings_charge_frozen"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("centre_policies", schema=None) as batch_op:
        batch_op.alter_column("team_reward_bps", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("team_reward_income_kinds")
        batch_op.drop_column("vat_rate_bps")
        batch_op.drop_column("payment_terms_days")

    op.drop_table("revenue_allocation_lines")
    with op.batch_alter_table("revenue_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revenue_allocations_contract_id"))

    op.drop_table("revenue_allocations")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_settlement_id"))

    op.drop_table("payments")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index("ix_settlements_debtor_status")
        batch_op.drop_index(batch_op.f("ix_settlements_contract_id"))
        batch_op.drop_index("ix_settlements_centre_status_due")

    op.drop_table("settlements")
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_postings_account_booked")

    op.drop_table("ledger_postings")
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_accounts_centre_purpose")

    op.drop_table("ledger_accounts")
    op.drop_table("settlement_counters")
    op.drop_table("ledger_periods")
    with op.batch_alter_table("ledger_period_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_period_events_centre_period")

    op.drop_table("ledger_period_events")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_centre_booked")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_accounts_centre_id"))

    op.drop_table("bank_accounts")

    with op.batch_alter_table("contract_milestones", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contract_milestones_billed_on"), type_="check")
        batch_op.drop_column("billed_on")
    _contract_amounts_owed(INCOME_KINDS_BEFORE, "CASCADE")
